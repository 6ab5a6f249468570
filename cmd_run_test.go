package main

// End-to-end tests of `ccload run`: the real binary against a mock.Server started in the test
// process on loopback, so they can compare what the harness says it sent with what the mock
// says it received. (Helpers: e2e_helpers_test.go.)

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"ccload/ccapi"
	"ccload/mock"
	"ccload/report"
)

// TestRunCountsMatchTheMock runs a mix of robot and agent sessions and checks that the report
// and the mock agree on every request, that the invariants hold, that the arrivals are what
// the stage prescribes, and that every session completed.
func TestRunCountsMatchTheMock(t *testing.T) {
	realTime(t)
	srv := e2eMock(t, func(o *mock.Options) {
		o.RobotDelay = 20 * time.Millisecond
		o.AgentReplyDelay = 20 * time.Millisecond
		o.Agents = 100
	})
	res := e2eRun(t, nil, "testdata/e2e/mix.yaml", "--target", srv.URL(), "--grace", "20s")
	rep := e2eCompleted(t, res, srv)

	// A ramp from 0 to 20 sessions/s over 2 s (20 sessions), then 20/s for 2 s (40).
	if want, got := 60.0, float64(rep.Sessions.Arrivals); got < want*0.98 || got > want*1.02 {
		t.Errorf("arrivals = %v, want %v ± 2%%", got, want)
	}
	if s := rep.Sessions; s.Completed != s.Started || s.Failed != 0 || s.Dropped != 0 {
		t.Errorf("sessions %+v: want every session completed", s)
	}
	if rep.Interrupted || rep.StopReason != "completed" {
		t.Errorf("interrupted=%v stop_reason=%q, want a completed run", rep.Interrupted, rep.StopReason)
	}
	if rep.SessionMetrics.ReplyLatencyUS.Count == 0 || rep.SessionMetrics.TimeToAgentUS.Count == 0 {
		t.Errorf("session metrics missing: %+v", rep.SessionMetrics)
	}
	for _, step := range []string{"hello", "robot_reply", "queue"} {
		if g := e2eGroup(rep, "step", step); g == nil && step == "hello" {
			t.Errorf("no group for named step %q", step)
		}
	}
	if !strings.Contains(res.stdout, report.FileName) {
		t.Errorf("stdout does not say where the report is:\n%s", res.stdout)
	}
}

// TestRunStallShowsInResponseTime runs a constant rate through one 1 s stall of the mock
// (sendAsync answers in 100 ms otherwise; see testdata/e2e/stall.yaml for the timeline). The
// stall must show in the response-time p99 (at least 1 s: requests that waited for a stalled
// answer are charged from their intended start), while step "late", sent only after the stall
// window ended, keeps a low service time: the stall is the target's, measured where it
// happened, and neither hidden (no coordinated omission) nor smeared over later requests.
func TestRunStallShowsInResponseTime(t *testing.T) {
	realTime(t)
	ccloadBinary(t) // build first: the stall window is on the mock's clock, started next
	srv := e2eMock(t, func(o *mock.Options) {
		o.Stall, o.StallEvery = time.Second, 5*time.Second // held during [4 s, 5 s), then [9 s, 10 s)
		o.Latency = map[ccapi.Endpoint]mock.Dist{ccapi.EpSendAsync: mock.Constant(100 * time.Millisecond)}
	})
	res := e2eRun(t, nil, "testdata/e2e/stall.yaml", "--target", srv.URL(), "--grace", "20s")
	rep := e2eCompleted(t, res, srv)
	if n := srv.Stats().Faults["stalled"]; n == 0 {
		t.Fatal("the mock stalled no request: the test did not test a stall")
	}
	resp := rep.Overall.ResponseTimeUS
	if resp.P99 < 1_000_000 {
		t.Errorf("response time p99 = %s, want >= 1s: the stall must show", report.FormatUS(resp.P99))
	}
	late := e2eGroup(rep, "step", "late")
	if late == nil {
		t.Fatal("no group for step late")
	}
	svc := late.ServiceTimeUS
	t.Logf("step late: %d requests, service p50 %s p99 %s; overall response p99 %s",
		late.Count, report.FormatUS(svc.P50), report.FormatUS(svc.P99), report.FormatUS(resp.P99))
	if late.Count != rep.Sessions.Started || late.OK != late.Count {
		t.Errorf("step late: %d requests, %d ok; want one ok per session (%d)", late.Count, late.OK, rep.Sessions.Started)
	}
	if svc.P99 >= 500_000 {
		t.Errorf("step late: service time p99 = %s, want < 500ms (the mock answers in 100ms outside the stall)", report.FormatUS(svc.P99))
	}
	// The stall is the target's: the generator's own lag must not absorb it.
	if lag := rep.SchedulerLagUS.P99; lag*2 > resp.P99 {
		t.Errorf("scheduler lag p99 %s is not well below response p99 %s: the target's stall was blamed on the generator",
			report.FormatUS(lag), report.FormatUS(resp.P99))
	}
}

// TestRunSIGINTWritesAnInterruptedReport interrupts a long run: ccload must exit 3 and leave a
// complete report marked interrupted whose counts add up.
func TestRunSIGINTWritesAnInterruptedReport(t *testing.T) {
	realTime(t)
	srv := e2eMock(t, func(o *mock.Options) { o.RobotDelay = 20 * time.Millisecond })
	began := time.Now()
	res := e2eRun(t, func(p *os.Process) {
		// SIGINT once the run is under way (the mock answered 20 CHATs), not at a time from the
		// process's start, which a loaded machine may spend starting it.
		for deadline := time.Now().Add(30 * time.Second); srv.Stats().ControlTypes["CHAT"] < 20 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		if err := p.Signal(syscall.SIGINT); err != nil {
			t.Error(err)
		}
	}, "testdata/e2e/long.yaml", "--target", srv.URL(), "--grace", "1s")
	if res.code != 3 {
		t.Errorf("exit %d, want 3", res.code)
	}
	if took := time.Since(began); took > 30*time.Second {
		t.Errorf("the run took %v after SIGINT; want a prompt stop", took)
	}
	rep := res.rep
	if rep == nil {
		t.Fatal("no report.json after SIGINT")
	}
	if !rep.Interrupted || rep.StopReason != "interrupted" {
		t.Errorf("interrupted=%v stop_reason=%q, want an interrupted report", rep.Interrupted, rep.StopReason)
	}
	e2eInvariants(t, rep)
	if rep.Sessions.Interrupted == 0 {
		t.Errorf("sessions %+v: the long sessions should have been interrupted", rep.Sessions)
	}
	if rep.Requests.Total == 0 {
		t.Error("no requests recorded before the interrupt")
	}
}

// TestRunSurvivesAnExpiredTokenStorm makes every token expire after about a second while
// sessions last several: ccapi renews the AccessToken and re-applies ccmessaging-tokens on
// 401/403, so no session may fail, and the counts must still match the mock.
func TestRunSurvivesAnExpiredTokenStorm(t *testing.T) {
	realTime(t)
	srv := e2eMock(t, func(o *mock.Options) {
		o.TokenLifetime = time.Second
		o.CCTokenLifetime = time.Second
		o.RobotDelay = 20 * time.Millisecond
	})
	res := e2eRun(t, nil, "testdata/e2e/tokens.yaml", "--target", srv.URL(), "--grace", "20s")
	rep := e2eCompleted(t, res, srv)
	if s := rep.Sessions; s.Failed != 0 || s.Completed != s.Started || s.Started == 0 {
		t.Errorf("sessions %+v: want none failed", s)
	}
	st := srv.Stats()
	if st.HTTPStatus["401"]+st.HTTPStatus["403"] == 0 && st.Endpoints["tokenByAkSk"] < 2 {
		t.Errorf("no token expired during the run (stats %+v): the test did not test renewal", st)
	}
}

// TestRunExhaustedFeederExits3 runs out a unique data feeder (3 rows at 5 sessions/s): the
// run must say so in its report and exit 3, not pass as completed.
func TestRunExhaustedFeederExits3(t *testing.T) {
	t.Parallel()
	srv := e2eMock(t, nil)
	res := e2eRun(t, nil, "testdata/e2e/exhausted.yaml", "--target", srv.URL(), "--grace", "20s")
	if res.code != 3 {
		t.Errorf("exit %d, want 3", res.code)
	}
	rep := res.rep
	if rep == nil {
		t.Fatal("no report.json")
	}
	if want := "data exhausted: feeder users"; rep.StopReason != want || rep.Interrupted {
		t.Errorf("interrupted=%v stop_reason=%q, want %q, not interrupted", rep.Interrupted, rep.StopReason, want)
	}
	e2eInvariants(t, rep)
	e2eCountsMatch(t, rep, srv.Stats())
	if s := rep.Sessions; s.Completed != 3 {
		t.Errorf("sessions %+v: want the 3 rows' sessions completed", s)
	}
	if !strings.Contains(res.stdout, "data exhausted: feeder users") {
		t.Errorf("the console summary does not say the data ran out:\n%s", res.stdout)
	}
}

// TestRunInvalidScenarioExits2 checks that a broken scenario is refused before anything is sent.
func TestRunInvalidScenarioExits2(t *testing.T) {
	t.Parallel()
	srv := e2eMock(t, nil)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: bad\nload: {rate: -1, duration: 1s}\nsessions: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := e2eRun(t, nil, bad, "--target", srv.URL())
	if res.code != 2 {
		t.Errorf("exit %d, want 2", res.code)
	}
	if !strings.Contains(res.stderr, "bad.yaml:") {
		t.Errorf("stderr does not point into the file:\n%s", res.stderr)
	}
	if n := srv.Stats().Total(); n != 0 {
		t.Errorf("the mock received %d requests from an invalid scenario", n)
	}
}

// TestRunBadMockSettingExits2 checks that a `mock:` value the mock cannot parse is a usage error.
func TestRunBadMockSettingExits2(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "badmock.yaml")
	src := "name: badmock\nmock: {latency: sometimes}\nload: {rate: 1, duration: 1s}\nsessions:\n  - {name: s, steps: [connect]}\n"
	if err := os.WriteFile(bad, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	res := e2eRun(t, nil, bad, "--target", "mock")
	if res.code != 2 {
		t.Errorf("exit %d, want 2", res.code)
	}
	if !strings.Contains(res.stderr, "latency") {
		t.Errorf("stderr does not name the bad setting:\n%s", res.stderr)
	}
}

// TestRunHelp checks that --help documents the flags and exits 0.
func TestRunHelp(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := ccloadTo(t, []string{"run", "--help"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
	for _, flag := range []string{"--target", "-out", "-duration", "-grace", "-no-progress", "-seed", "-shard", "Exit codes"} {
		if !strings.Contains(out.String(), strings.TrimLeft(flag, "-")) {
			t.Errorf("--help does not mention %s:\n%s", flag, out.String())
		}
	}
}

// TestRunUnreachableTargetExits3 points the run at a closed port.
func TestRunUnreachableTargetExits3(t *testing.T) {
	realTime(t)
	srv := e2eMock(t, nil)
	url := srv.URL()
	srv.Close()
	res := e2eRun(t, nil, "testdata/e2e/stall.yaml", "--target", url, "--grace", "1s")
	if res.code != 3 {
		t.Errorf("exit %d, want 3", res.code)
	}
	if res.rep == nil || res.rep.StopReason != "unreachable" {
		t.Errorf("want a report with stop_reason unreachable, got %+v", res.rep)
	}
}

// TestRunExitCodes maps how a run ended to the documented exit codes.
func TestRunExitCodes(t *testing.T) {
	t.Parallel()
	pass := []report.ThresholdResult{{Name: "a", Pass: true}}
	fail := []report.ThresholdResult{{Name: "a", Pass: true}, {Name: "b", Pass: false}}
	for _, tt := range []struct {
		name string
		rep  report.Report
		want int
	}{
		{"completed", report.Report{StopReason: "completed"}, exitOK},
		{"thresholds pass", report.Report{StopReason: "completed", Thresholds: pass}, exitOK},
		{"a threshold fails", report.Report{StopReason: "completed", Thresholds: fail}, exitFailed},
		{"aborted by a threshold", report.Report{StopReason: "aborted: b", Interrupted: true, Thresholds: fail}, exitFailed},
		{"interrupted", report.Report{StopReason: "interrupted", Interrupted: true, Thresholds: fail}, exitAborted},
		{"unreachable", report.Report{StopReason: "unreachable", Interrupted: true}, exitAborted},
		{"data exhausted", report.Report{StopReason: "data exhausted: feeder users", Thresholds: pass}, exitAborted},
		{"grace cut: the schedule was played (flagged, not failed)", report.Report{StopReason: "grace cut", Sessions: report.SessionCounts{CutByGrace: 2}, Thresholds: pass}, exitOK},
		{"grace cut, a cut_by_grace threshold fails", report.Report{StopReason: "grace cut", Sessions: report.SessionCounts{CutByGrace: 2}, Thresholds: fail}, exitFailed},
		{"data exhausted, a threshold fails", report.Report{StopReason: "data exhausted: feeder users", Thresholds: fail}, exitAborted},
	} {
		if got := exitCode(&tt.rep); got != tt.want {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.want)
		}
	}
}
