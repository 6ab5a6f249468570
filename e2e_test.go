package main

// End-to-end tests of `ccload run`: they build the real binary once and run it against a
// mock.Server started in the test process on loopback, so they can compare what the harness
// says it sent with what the mock says it received.

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ccload/ccapi"
	"ccload/mock"
	"ccload/report"
)

var e2eBin struct {
	once sync.Once
	path string
	err  error
}

// e2eLDFlags stamp the end-to-end binary as `make build` does (TestVersionStampedByMake checks
// they reach `ccload version`), so one build serves every test.
const e2eLDFlags = "-X main.version=v9.8.7 -X main.commit=abc123 -X main.buildDate=2026-12-02T00:00:00Z"

// e2eBinary builds ccload once per test process.
//
// The suite's wall time: the long end-to-end tests spend most of their time waiting on real time,
// not on CPU, so they overlap (realTime). A test stays serial when it sets the environment
// (t.Setenv), or when its verdict depends on having the machine to itself: the capacity search's
// accuracy (two in-process searches under the race detector, judging a 60 ms limit, skipping
// when starved) runs its two subtests beside each other only, before the parallel tests start;
// so does the budget search, whose outcome would turn "generator limited" on a starved machine.
func e2eBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the binary")
	}
	e2eBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "ccload-e2e-")
		if err != nil {
			e2eBin.err = err
			return
		}
		e2eBin.path = filepath.Join(dir, "ccload")
		out, err := exec.Command("go", "build", "-ldflags", e2eLDFlags, "-o", e2eBin.path, ".").CombinedOutput()
		if err != nil {
			e2eBin.err = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if e2eBin.err != nil {
		t.Fatal(e2eBin.err)
	}
	return e2eBin.path
}

// realTime marks a test that waits on real time in child processes or a loopback mock, so it
// runs in parallel with the others like it (at most -parallel at once, GOMAXPROCS by default).
func realTime(t *testing.T) {
	t.Helper()
	t.Parallel()
}

// e2eMock starts a mock on loopback with opts changed by edit.
func e2eMock(t *testing.T, edit func(*mock.Options)) *mock.Server {
	t.Helper()
	o := mock.DefaultOptions()
	o.Addr = "127.0.0.1:0"
	o.Seed = 1
	if edit != nil {
		edit(&o)
	}
	srv, err := mock.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

type e2eResult struct {
	code           int
	stdout, stderr string
	rep            *report.Report
	out            string // the output directory (report.json and the rest)
}

// e2eRun runs `ccload run` with args (the output directory is added) and reads the report.
// start, when set, is called once the process runs (to signal it).
func e2eRun(t *testing.T, start func(*os.Process), args ...string) e2eResult {
	t.Helper()
	return e2eExec(t, start, "run", args...)
}

// e2eReplay runs `ccload replay` like e2eRun runs `ccload run`.
func e2eReplay(t *testing.T, args ...string) e2eResult {
	t.Helper()
	return e2eExec(t, nil, "replay", args...)
}

func e2eExec(t *testing.T, start func(*os.Process), sub string, args ...string) e2eResult {
	t.Helper()
	bin := e2eBinary(t)
	out := filepath.Join(t.TempDir(), "out")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(append([]string{sub}, args...), "--out", out, "--no-progress")...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if start != nil {
		start(cmd.Process)
	}
	err := cmd.Wait()
	res := e2eResult{stdout: so.String(), stderr: se.String(), out: out}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		t.Fatalf("ccload %s: %v\nstderr:\n%s", sub, err, res.stderr)
	}
	if rep, err := report.ReadFile(filepath.Join(out, report.FileName)); err == nil {
		res.rep = rep
	} else {
		t.Logf("no report: %v", err)
	}
	t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	return res
}

// e2eInvariants fails t for every broken accounting invariant of rep.
func e2eInvariants(t *testing.T, rep *report.Report) {
	t.Helper()
	for _, w := range report.CheckInvariants(rep) {
		t.Errorf("invariant broken: %s", w)
	}
	s := rep.Sessions
	if s.Arrivals != s.Started+s.Dropped {
		t.Errorf("arrivals %d != started %d + dropped %d", s.Arrivals, s.Started, s.Dropped)
	}
	if s.Started != s.Completed+s.Failed+s.Interrupted+s.EndedByPlatform+s.CutByGrace {
		t.Errorf("started %d != completed %d + failed %d + interrupted %d + ended_by_platform %d + cut_by_grace %d", s.Started, s.Completed, s.Failed, s.Interrupted, s.EndedByPlatform, s.CutByGrace)
	}
	r := rep.Requests
	if r.Total != r.OK+r.AppErrors+r.HTTPErrors+r.TransportErrors+r.ClientErrors+r.Cut {
		t.Errorf("requests %+v do not add up", r)
	}
}

// e2eCountsMatch fails t unless the report's per-endpoint and per-controlType request counts
// equal what the mock received.
func e2eCountsMatch(t *testing.T, rep *report.Report, st mock.Stats) {
	t.Helper()
	byEndpoint := map[string]int64{}
	byControl := map[string]int64{}
	for _, g := range rep.Groups {
		if g.Kind != "endpoint" {
			continue
		}
		byEndpoint[g.Endpoint] += g.Total // not_sent (refused by validation, never written) is outside total
		if g.ControlType != "" {
			byControl[g.ControlType] += g.Total
		}
	}
	for _, ct := range ccapi.ControlTypes {
		if got, want := byControl[string(ct)], st.ControlTypes[string(ct)]; got != want {
			t.Errorf("controlType %s: report counts %d, mock received %d", ct, got, want)
		}
	}
	for ep, want := range st.Endpoints {
		if got := byEndpoint[ep]; got != want {
			t.Errorf("endpoint %s: report counts %d, mock received %d", ep, got, want)
		}
	}
	if st.Total() == 0 {
		t.Error("the mock received nothing")
	}
}

func e2eGroup(rep *report.Report, kind, name string) *report.Group {
	for i := range rep.Groups {
		g := &rep.Groups[i]
		if g.Kind == kind && (g.Step == name || g.Name == name) {
			return g
		}
	}
	return nil
}

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
	if res.code != 0 {
		t.Fatalf("exit %d, want 0", res.code)
	}
	rep := res.rep
	if rep == nil {
		t.Fatal("no report.json")
	}
	e2eInvariants(t, rep)
	e2eCountsMatch(t, rep, srv.Stats())

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
	e2eBinary(t) // build first: the stall window is on the mock's clock, started next
	srv := e2eMock(t, func(o *mock.Options) {
		o.Stall, o.StallEvery = time.Second, 5*time.Second // held during [4 s, 5 s), then [9 s, 10 s)
		o.Latency = map[ccapi.Endpoint]mock.Dist{ccapi.EpSendAsync: mock.Constant(100 * time.Millisecond)}
	})
	res := e2eRun(t, nil, "testdata/e2e/stall.yaml", "--target", srv.URL(), "--grace", "20s")
	if res.code != 0 {
		t.Fatalf("exit %d, want 0", res.code)
	}
	rep := res.rep
	e2eInvariants(t, rep)
	e2eCountsMatch(t, rep, srv.Stats())
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
		time.Sleep(2500 * time.Millisecond)
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
	if res.code != 0 {
		t.Fatalf("exit %d, want 0", res.code)
	}
	rep := res.rep
	e2eInvariants(t, rep)
	e2eCountsMatch(t, rep, srv.Stats())
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
	var out, errb bytes.Buffer
	if code := dispatch(context.Background(), []string{"run", "--help"}, &out, &errb); code != 0 {
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
