package capacity

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"ccload/report"
	"ccload/runner"
	"ccload/scenario"
)

// TestAStepsEndIsNotAnInterrupt: the search ends a step once its window is measured; that is the
// step's schedule ending early, not an interrupt. Its report is not marked interrupted, the
// sessions that outlived it are cut by the grace period (cut_by_grace, none interrupted), and
// with the line display (--no-progress, a log) the runner prints no periodic status line of the
// step's inner stages: only the search's own line per step.
func TestAStepsEndIsNotAnInterrupt(t *testing.T) {
	srv := testMock(t, nil)
	sc, err := scenario.Parse("hold.yaml", []byte(`name: hold
auth: {app_key: k, app_secret: s}
load: {model: open, arrivals: uniform, rate: 1, duration: 1s}
seed: 1
thresholds:
  - {metric: error_rate, max: 50%}
sessions:
  - name: s
    poll: false
    steps: [connect, {think: 1m}, disconnect]
`), ".", nil)
	if err != nil {
		t.Fatal(err)
	}
	var stderr, log bytes.Buffer
	// A window of 5.5 s: the line display would print its first status line at 5 s.
	// 8 sessions/s is both the start and the most the search may ask: one step (measured again
	// when a busy machine made the generator lag), and the search ends.
	res, err := Run(context.Background(), Options{Scenario: sc, BaseURL: srv.URL(), SLO: sc.Thresholds,
		StartRate: 8, MaxRate: 8, Warmup: 300 * time.Millisecond, Window: 20 * time.Second, ShortWindow: 5500 * time.Millisecond,
		MinRequests: 30, Grace: 100 * time.Millisecond, Cooldown: -1, Budget: time.Minute,
		Progress: runner.ProgressLines, Stderr: &stderr, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Steps) == 0 {
		t.Fatalf("no step: %s", log.String())
	}
	// Each step (a busy machine may measure the level again) ended so.
	for i, step := range res.Steps {
		if step.Interrupted || report.ParseStop(step.StopReason).Kind == report.ReasonInterrupted {
			t.Errorf("step %d's report says interrupted (stop_reason %q), want the schedule's early end", i+1, step.StopReason)
		}
		if s := step.Sessions; s.Started == 0 || s.Interrupted != 0 || s.CutByGrace != s.Started {
			t.Errorf("step %d's sessions %+v: want every one (they think a minute) cut by grace, none interrupted", i+1, s)
		}
		// The runner records the generator's CPU use (report.json's generator); the mock here
		// is served by this very process, so its CPU is the target's too.
		if g := step.Generator; g == nil || g.CPUs < 1 || g.CPUS <= 0 || !g.SharedWithTarget {
			t.Errorf("step %d's generator use %+v: want the process's CPU recorded and the in-process mock noticed", i+1, g)
		}
	}
	if res.Report.Interrupted {
		t.Errorf("the search's report says interrupted (%q)", res.Report.StopReason)
	}
	if strings.Contains(stderr.String(), "ccload ") || strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("the step printed the runner's status lines:\n%s", stderr.String())
	}
	if !strings.Contains(log.String(), "capacity: step 1 ") {
		t.Errorf("no step line in the log:\n%s", log.String())
	}
	if st := srv.Stats(); st.Sessions.Open != 0 || st.ControlTypes["DISCONNECT"] != st.ControlTypes["CONNECT"] {
		t.Errorf("after the step the mock holds %d sessions (%d CONNECT, %d DISCONNECT), want none", st.Sessions.Open, st.ControlTypes["CONNECT"], st.ControlTypes["DISCONNECT"])
	}
}
