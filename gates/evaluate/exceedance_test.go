package evaluate_test

import (
	"testing"
	"time"

	"ccload/gates/evaluate"
	"ccload/report/reporttest"
)

// A threshold read as a count: how many of its group's requests were beyond the limit, out of how
// many, and what share may be; the counts a capacity step's noise test needs.
func TestExceedanceCountsRequestsBeyondTheLimit(t *testing.T) {
	r := reporttest.SmallRun(t) // CHAT (step ask) 1..100 ms, every tenth resultCode 12; CONNECT 20×200 ms; poll 80×5 ms
	max := func(metric, group string, v float64) evaluate.ThresholdSpec {
		return evaluate.ThresholdSpec{Metric: metric, Group: group, Max: v, HasMax: true}
	}
	tests := []struct {
		spec evaluate.ThresholdSpec
		want evaluate.Exceedance
	}{
		{max("response_time.p99", "all", 150*gatesMS), evaluate.Exceedance{K: 20, N: 200, Allowed: 0.01}},
		// 50 ms itself is the limit, not beyond it: 51..100 ms are.
		{max("response_time.p95", "step:ask", 50*gatesMS), evaluate.Exceedance{K: 50, N: 100, Allowed: 0.05}},
		{max("service_time.p90", "control_type:CHAT", 45*gatesMS), evaluate.Exceedance{K: 50, N: 100, Allowed: 0.10}},
		{max("response_time.p50", "endpoint:sendAsync", 250*gatesMS), evaluate.Exceedance{K: 0, N: 120, Allowed: 0.5}},
		{max("error_rate", "step:ask", 0.05), evaluate.Exceedance{K: 10, N: 100, Allowed: 0.05}},
	}
	for _, tc := range tests {
		got, ok := evaluate.ExceedanceOf(r, tc.spec)
		if !ok || got.K != tc.want.K || got.N != tc.want.N || got.Allowed < tc.want.Allowed-1e-9 || got.Allowed > tc.want.Allowed+1e-9 {
			t.Errorf("%s %s <= %v: got %+v (ok %v), want %+v", tc.spec.Metric, tc.spec.Group, tc.spec.Max, got, ok, tc.want)
		}
		// The count per interval adds up to the count, where the report keeps the metric per
		// interval (SmallRun keeps "all" only).
		var sum int64
		for _, k := range got.PerInterval {
			sum += k
		}
		if tc.spec.Group == "all" && (len(got.PerInterval) != len(r.Timeseries) || sum != got.K) {
			t.Errorf("%s %s: per interval %v (sum %d), want %d intervals adding up to %d", tc.spec.Metric, tc.spec.Group, got.PerInterval, sum, len(r.Timeseries), got.K)
		}
	}
	windowed := max("response_time.p99", "all", 150*gatesMS)
	windowed.Over = 5 * time.Second
	lower := evaluate.ThresholdSpec{Metric: "rps", Min: 10, HasMin: true}
	for _, s := range []evaluate.ThresholdSpec{
		max("response_time.mean", "all", 50*gatesMS), max("response_time.max", "all", 50*gatesMS),
		max("reply_latency.p95", "all", 1e6), max("rps", "all", 100), lower, windowed,
		max("response_time.p99", "step:nothing", 150*gatesMS),
	} {
		if e, ok := evaluate.ExceedanceOf(r, s); ok {
			t.Errorf("%s %s: counted %+v, want no count (not an upper bound on a whole-run percentile or error rate, or no data)", s.Metric, s.Group, e)
		}
	}
}
