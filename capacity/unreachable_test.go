package capacity

import (
	"context"
	"strings"
	"testing"
	"time"

	"ccload/internal/loopback"
	"ccload/scenario"
)

// TestAnUnreachableTargetStopsTheSearchAtOnce: when nothing listens at the target, the first
// step's run stops itself (no request got an answer), and the search stops there and says why
// in the run's own words, without a cool-down that probes a target that is not there (it once
// probed for two minutes) and without a second step.
func TestAnUnreachableTargetStopsTheSearchAtOnce(t *testing.T) {
	sc, err := scenario.Parse("customers.yaml", []byte(`name: customers
auth: {app_key: k, app_secret: s}
load:
  model: closed
  stages:
    - {duration: 10s, customers: 20}
thresholds:
  - {metric: response_time.p99, max: 200ms}
sessions:
  - name: s
    poll: {interval: 1s}
    steps: [connect, {think: 10m}, disconnect]
`), ".", nil)
	if err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	res, err := Run(context.Background(), Options{Scenario: sc, BaseURL: "http://" + loopback.RefusedAddr(t), SLO: sc.Thresholds,
		Customers: true, Warmup: 200 * time.Millisecond, Window: time.Second, ShortWindow: time.Second, MinRequests: 1,
		Grace: 100 * time.Millisecond, Budget: time.Minute, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	cp := res.Report.Capacity
	if cp.Outcome != OutcomeWholesale || len(cp.Steps) != 1 {
		t.Errorf("outcome %q after %d steps, want %q after the first\n%s", cp.Outcome, len(cp.Steps), OutcomeWholesale, log.String())
	}
	if !strings.Contains(cp.Failure, "unreachable") || !strings.Contains(cp.Failure, "connection refused") {
		t.Errorf("failure %q does not say the target is unreachable and why", cp.Failure)
	}
	if strings.Contains(log.String(), "cool-down") {
		t.Errorf("the search cooled down after a step that ended it:\n%s", log.String())
	}
}
