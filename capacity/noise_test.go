package capacity

import (
	"strings"
	"testing"

	"ccload/gates"
	"ccload/gates/evaluate"
	"ccload/report"
	"ccload/report/reporttest"
	"ccload/scenario"
)

// TestALevelAtItsLimitIsNotShownToHold: a window whose p99 holds its limit only within the
// sample's noise is not a level the target holds; one that holds it beyond the noise, or a small
// sample with nothing near the limit, is. A window whose point estimate broke the limit is broken
// already and not this rule's to say.
func TestALevelAtItsLimitIsNotShownToHold(t *testing.T) {
	p99 := []scenario.Threshold{{Threshold: gates.Threshold{Metric: "response_time.p99", Max: 200_000, HasMax: true}}}
	errRate := []scenario.Threshold{{Threshold: gates.Threshold{Name: "errors", Metric: "error_rate", Max: 0.01, HasMax: true}}}
	for _, tc := range []struct {
		name     string
		slo      []scenario.Threshold
		n, slow  int  // requests, of which slow answer in 250 ms (the rest in 50 ms), one a second
		burst    bool // the slow ones all in the first second: a queue formed and drained
		failed   int  // requests answered resultCode 12
		unproven bool
	}{
		{"p99 within noise: 12 of 1,440 slow (0.83%)", p99, 1440, 12, false, 0, true},
		{"p99 held beyond noise: 8 of 1,440", p99, 1440, 8, false, 0, false},
		{"the same 8 in one burst", p99, 1440, 8, true, 0, true},
		{"three times the window, the same share: 36 of 4,320", p99, 4320, 36, false, 0, true},
		{"three times the window, 30 of 4,320 (0.69%)", p99, 4320, 30, false, 0, false},
		{"a small sample far under its limit: 0 of 60", p99, 60, 0, false, 0, false},
		{"the point estimate broke it: 20 of 1,440", p99, 1440, 20, false, 0, false},
		// The p99 holds (rank round(0.99 n) is under the limit) with 29 of 2,875 beyond it, more
		// than 1%: a confirmation at 24 sessions/s against mock --capacity 100 measured exactly this.
		{"p99 held by rounding: 29 of 2,875", p99, 2875, 29, false, 0, true},
		{"error rate within noise: 9 of 1,000 failed", errRate, 1000, 0, false, 9, true},
		{"error rate held: 3 of 1,000 failed", errRate, 1000, 0, false, 3, false},
	} {
		b := reporttest.NewBuilder(t, 20)
		ep := b.Endpoint("sendAsync", "CHAT")
		for i := range tc.n {
			lat, code, class := int64(50_000), "0", report.ClassOK
			if i < tc.slow {
				lat = 250_000
			}
			if i >= tc.n-tc.failed {
				code, class = "12", report.ClassApp
			}
			sec := i % 20
			if tc.burst && i < tc.slow {
				sec = 0
			}
			b.Req(sec, lat, lat, code, class, ep)
		}
		win := b.Finish()
		why := unproven(win, tc.slo, judge(win, tc.slo))
		if got := why != ""; got != tc.unproven {
			t.Errorf("%s: unproven %v (%q), want %v", tc.name, got, why, tc.unproven)
		}
		if tc.unproven && !strings.Contains(why, "within the sampling noise") {
			t.Errorf("%s: %q does not say the level is within the sampling noise", tc.name, why)
		}
	}
}

// TestHeldFor: the most requests beyond the limit a sample may hold and still show a percentile
// held grows with the sample, slower than the share allowed (binomial noise shrinks as
// 1/sqrt(n)), and shrinks when they came in bursts.
func TestHeldFor(t *testing.T) {
	spread := func(n int64, a float64, perInterval ...int64) int64 {
		return heldFor(n, a, countSD(evaluate.Exceedance{N: n, Allowed: a, PerInterval: perInterval}))
	}
	for _, tc := range []struct {
		name      string
		got, want int64
	}{
		{"no requests", spread(0, 0.01), 0},
		{"100 requests", spread(100, 0.01), 0},
		{"1,440 requests", spread(1440, 0.01), 8},
		{"4,320 requests", spread(4320, 0.01), 32},
		{"100,000 requests", spread(100_000, 0.01), 948},
		{"1,000 requests, p95", spread(1000, 0.05), 38},
		{"1,440 requests, 12 over the limit one a second", spread(1440, 0.01, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0), 8},
		{"1,440 requests, 12 over the limit in one second", spread(1440, 0.01, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 0},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %d may be over the limit, want %d", tc.name, tc.got, tc.want)
		}
	}
}
