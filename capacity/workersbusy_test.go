package capacity

import (
	"context"
	"testing"
	"time"

	"ccload/mock"
	"ccload/scenario"
)

// TestAStepSaysHowLongEveryConnectionWasBusy: with one connection and a target that answers in
// 50 ms, 40 sessions/s of two requests ask for four times what the connection carries, so due
// customers wait for it most of the window; the step's workers_busy says so. One session a
// second leaves it idle most of the time.
func TestAStepSaysHowLongEveryConnectionWasBusy(t *testing.T) {
	srv := testMock(t, func(o *mock.Options) { o.DefaultLatency = mock.Constant(50 * time.Millisecond) })
	sc, err := scenario.Parse("one.yaml", []byte(`name: one-connection
auth: {app_key: k, app_secret: s}
target: {max_connections: 1}
load: {model: open, arrivals: uniform, rate: 1, duration: 1s}
seed: 1
thresholds:
  - {metric: error_rate, max: 50%}
sessions:
  - name: s
    poll: false
    steps: [connect, disconnect]
`), ".", nil)
	if err != nil {
		t.Fatal(err)
	}
	busy := func(rate float64) float64 {
		res, err := Run(context.Background(), Options{Scenario: sc, BaseURL: srv.URL(), SLO: sc.Thresholds,
			StartRate: rate, MaxRate: rate, Warmup: 300 * time.Millisecond, Window: time.Second, ShortWindow: time.Second, MinRequests: 1,
			Grace: 100 * time.Millisecond, Cooldown: -1, Budget: 6 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		steps := res.Report.Capacity.Steps
		if len(steps) == 0 {
			t.Fatalf("%g sessions/s: no step measured: %+v", rate, res.Report.Capacity)
		}
		t.Logf("%g sessions/s: workers_busy %.2f (%s)", rate, steps[0].WorkersBusy, steps[0].Note)
		return steps[0].WorkersBusy
	}
	if b := busy(40); b < 0.5 {
		t.Errorf("40 sessions/s over one 50 ms connection: workers_busy %.2f, want most of the window", b)
	}
	if b := busy(1); b > 0.3 {
		t.Errorf("1 session/s over one 50 ms connection: workers_busy %.2f, want little", b)
	}
}
