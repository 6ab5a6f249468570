package runner

import (
	"context"
	"strings"
	"testing"
	"time"

	"ccload/mock"
	"ccload/report"
)

// holdScenario has 3 customers (6/s for 0.5 s) that connect, transfer to the mock's one agent
// (so one is with the agent and two queue) and wait far longer than any test: whatever ends
// the run cuts them while the platform holds their sessions.
const holdScenario = auth + `
load: {model: open, arrivals: uniform, rate: 6, duration: 500ms}
sessions:
  - name: waits
    poll: {interval: 100ms}
    steps: [connect, transfer, {await_agent: {timeout: 1m}}, {think: 1m}, disconnect]
`

func holdMock(t *testing.T) *mock.Server {
	return testMock(t, func(o *mock.Options) {
		o.Agents = 1
		o.HandleTime = mock.Constant(time.Hour)
		o.SessionTimeout = 0 // only a DISCONNECT closes a session
	})
}

// teardownGroup is the report's group of the run's closing DISCONNECTs (nil when absent).
func teardownGroup(rep *report.Report) *report.Group {
	for i := range rep.Groups {
		if g := &rep.Groups[i]; g.Kind == "teardown" && g.ControlType == "DISCONNECT" {
			return g
		}
	}
	return nil
}

// checkTargetClean asserts what a user of the platform checks after a run: the mock holds no
// session open or queued, it received one DISCONNECT per started customer, and the report
// counts those DISCONNECTs in the teardown group (and in requests.total), not in the scenario's
// own DISCONNECT group.
func checkTargetClean(t *testing.T, srv *mock.Server, rep *report.Report) {
	t.Helper()
	st := srv.Stats()
	if st.Sessions.Open != 0 || st.Sessions.Queued != 0 || st.Sessions.WithAgent != 0 {
		t.Errorf("after the run the mock holds sessions %+v, want none open, queued or with an agent", st.Sessions)
	}
	got := st.ControlTypes["DISCONNECT"]
	if got != rep.Sessions.Started {
		t.Errorf("mock received %d DISCONNECTs, want one per started session (%d)", got, rep.Sessions.Started)
	}
	g := teardownGroup(rep)
	if g == nil {
		t.Fatalf("no teardown group in the report; groups: %v", groupNames(rep))
	}
	if g.Name != "teardown sendAsync DISCONNECT" || g.Count != got || g.OK != got {
		t.Errorf("teardown group %q: %d requests (%d ok), want %d, all ok", g.Name, g.Count, g.OK, got)
	}
	for _, o := range rep.Groups {
		if o.Kind == "endpoint" && o.ControlType == "DISCONNECT" {
			t.Errorf("endpoint group %s counts %d DISCONNECTs the scenario never reached", o.Name, o.Count)
		}
	}
	if want := st.Total(); rep.Requests.Total != want {
		t.Errorf("requests.total = %d, the mock received %d", rep.Requests.Total, want)
	}
}

func groupNames(rep *report.Report) []string {
	var out []string
	for _, g := range rep.Groups {
		out = append(out, g.Name)
	}
	return out
}

func TestGraceCutIsItsOwnOutcomeAndDisconnects(t *testing.T) {
	srv := holdMock(t)
	sc := parse(t, holdScenario)
	rep := runOK(t, context.Background(), Config{Scenario: sc, BaseURL: srv.URL(), Seed: 1, Grace: 300 * time.Millisecond})
	s := rep.Sessions
	if s.Started != 3 || s.CutByGrace != 3 || s.Interrupted != 0 || s.Completed != 0 {
		t.Errorf("sessions %+v: want 3 started, all 3 cut_by_grace, none interrupted or completed", s)
	}
	if rep.StopReason != StopGraceCut || rep.Interrupted {
		t.Errorf("stop_reason %q interrupted %v, want %q, not interrupted", rep.StopReason, rep.Interrupted, StopGraceCut)
	}
	if rep.GraceS != 0.3 {
		t.Errorf("grace_s = %v, want 0.3", rep.GraceS)
	}
	if !hasWarning(rep, "cut_by_grace") {
		t.Errorf("no warning names the cut sessions: %q", rep.Warnings)
	}
	checkTargetClean(t, srv, rep)
}

func TestStoppedRunDisconnectsWhoIsConnected(t *testing.T) {
	for _, tc := range []struct {
		name string
		stop func(cancel context.CancelFunc, kill chan struct{})
	}{
		{"ctx cancel (SIGINT) then grace", func(cancel context.CancelFunc, _ chan struct{}) { cancel() }},
		{"kill (second signal)", func(_ context.CancelFunc, kill chan struct{}) { close(kill) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := holdMock(t)
			sc := parse(t, auth+`
load: {model: open, arrivals: uniform, rate: 6, duration: 1m}
sessions:
  - name: waits
    poll: {interval: 100ms}
    steps: [connect, transfer, {await_agent: {timeout: 1m}}, {think: 1m}, disconnect]
`)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			kill := make(chan struct{})
			go func() {
				// Stop once three customers are connected (bounded: the run's own minute is the backstop).
				for i := 0; i < 500 && srv.Stats().Sessions.Open < 3; i++ {
					time.Sleep(10 * time.Millisecond)
				}
				tc.stop(cancel, kill)
			}()
			rep := runOK(t, ctx, Config{Scenario: sc, BaseURL: srv.URL(), Seed: 1, Grace: 200 * time.Millisecond, Kill: kill})
			s := rep.Sessions
			if s.Started < 3 || s.Interrupted != s.Started || s.CutByGrace != 0 {
				t.Errorf("sessions %+v: want at least 3 started, all interrupted (the run was stopped), none cut_by_grace", s)
			}
			if rep.StopReason != StopInterrupted || !rep.Interrupted {
				t.Errorf("stop_reason %q interrupted %v, want %q, interrupted", rep.StopReason, rep.Interrupted, StopInterrupted)
			}
			checkTargetClean(t, srv, rep)
		})
	}
}

func hasWarning(rep *report.Report, sub string) bool {
	for _, w := range rep.Warnings {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}
