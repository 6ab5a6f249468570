package capacity

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"ccload/gates"
	"ccload/report"
	"ccload/report/reporttest"
	"ccload/scenario"
)

// fakeTarget holds the SLO up to capacity: the policy sees it only through the outcomes it is given.
type fakeTarget struct {
	capacity float64
	// flipConfirms makes the first flipConfirms confirmation steps give the opposite verdict (a noisy target).
	flipConfirms int
	confirms     int
	surgeAt      float64 // levels at or above this surge (0: never)
	limitAt      float64 // levels at or above this are generator-limited (0: never)
	stalls       int     // the first stalls steps are limited by other work on the machine (transient)
	wholesaleAt  float64 // levels at or above this fail wholesale (0: never)
	// holds, when set, decides instead of capacity whether a level holds in a phase (a band
	// where short and long windows disagree).
	holds func(rate float64, phase string) bool
	calls []measured
	seen  map[float64]int
}

func (f *fakeTarget) measure(rate float64, phase string) measured {
	if f.seen == nil {
		f.seen = map[float64]int{}
	}
	f.seen[rate]++
	// p99 grows with the load like a queue's: a tenth of its limit far below capacity, near it
	// close to capacity, over it past capacity.
	m := measured{rate: rate, phase: phase, v: vPass, headroom: 0.1 + 0.8*math.Pow(math.Min(rate/f.capacity, 1), 3)}
	switch {
	case f.stalls > 0:
		f.stalls--
		m.v, m.transient = vLimited, true
	case f.wholesaleAt > 0 && rate >= f.wholesaleAt:
		m.v = vWholesale
	case f.limitAt > 0 && rate >= f.limitAt:
		m.v = vLimited
	case f.surgeAt > 0 && rate >= f.surgeAt:
		m.v, m.broke = vSurge, []string{"error_rate"}
	case f.holds != nil && !f.holds(rate, phase), f.holds == nil && rate > f.capacity:
		m.v, m.broke, m.headroom = vFail, []string{"p99"}, 1.5
	}
	if phase == PhaseConfirm {
		f.confirms++
	}
	if phase == PhaseConfirm && f.confirms <= f.flipConfirms {
		if m.v == vPass {
			m.v, m.broke = vFail, []string{"p99"}
		} else {
			m.v, m.broke = vPass, nil
		}
	}
	f.calls = append(f.calls, m)
	return m
}

// drive runs the policy against f until it says done, as Run does with real steps.
func drive(t *testing.T, set searchSettings, f *fakeTarget) (searchResult, []plan) {
	t.Helper()
	var history []measured
	var plans []plan
	for range 200 {
		p := set.next(history)
		if p.done {
			return p.result, plans
		}
		plans = append(plans, p)
		history = append(history, f.measure(p.rate, p.phase))
	}
	t.Fatalf("the policy did not end in 200 steps: %v", f.calls)
	return searchResult{}, nil
}

func defaultSettings(start float64) searchSettings {
	return searchSettings{start: start, max: DefaultMaxRate, precision: DefaultPrecision, confirmRounds: defaultConfirmRound,
		window: DefaultWindow, shortWindow: DefaultShortWindow, minRequests: DefaultMinRequests}
}

func TestPolicy(t *testing.T) {
	set := defaultSettings(1)
	for _, tc := range []struct {
		name      string
		target    fakeTarget
		set       *searchSettings
		outcome   string
		converged bool
	}{
		{name: "exponential then bisection", target: fakeTarget{capacity: 37}, outcome: OutcomeConverged, converged: true},
		{name: "first step breaks: halve down", target: fakeTarget{capacity: 0.3}, outcome: OutcomeConverged, converged: true},
		{name: "nothing holds", target: fakeTarget{capacity: 0.001}, outcome: OutcomeNoSustainable},
		{name: "max rate holds", target: fakeTarget{capacity: 1e9}, set: &searchSettings{start: 1, max: 100, precision: 0.05, confirmRounds: 2}, outcome: OutcomeMaxHeld, converged: true},
		{name: "error surge stops at once", target: fakeTarget{capacity: 37, surgeAt: 60}, outcome: OutcomeSurge},
		{name: "wholesale failure stops at once", target: fakeTarget{capacity: 37, wholesaleAt: 1}, outcome: OutcomeWholesale},
		{name: "generator limit stops", target: fakeTarget{capacity: 37, limitAt: 30}, outcome: OutcomeGenerator},
		// Other work on the machine stalled the generator: the level is measured again (three times at most).
		{name: "a transient generator limit is measured again", target: fakeTarget{capacity: 37, stalls: 3}, outcome: OutcomeConverged, converged: true},
		{name: "a lasting one stops the search", target: fakeTarget{capacity: 37, stalls: 4}, outcome: OutcomeGenerator},
		// The last good level fails when repeated: the search reopens below it and still converges.
		{name: "confirmation contradicts the good end", target: fakeTarget{capacity: 37, flipConfirms: 1}, outcome: OutcomeConverged, converged: true},
		{name: "a target too noisy to confirm", target: fakeTarget{capacity: 37, flipConfirms: 100}, outcome: OutcomeUnstable},
		{name: "customers: whole numbers", target: fakeTarget{capacity: 400}, set: &searchSettings{start: 10, max: 1e6, precision: 0.05, confirmRounds: 2, integer: true}, outcome: OutcomeConverged, converged: true},
		{name: "customers: a bracket of one", target: fakeTarget{capacity: 3}, set: &searchSettings{start: 10, max: 1e6, precision: 0.05, confirmRounds: 2, integer: true}, outcome: OutcomeConverged, converged: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := set
			if tc.set != nil {
				s = *tc.set
			}
			f := tc.target
			res, _ := drive(t, s, &f)
			if res.outcome != tc.outcome || res.converged != tc.converged {
				t.Fatalf("outcome %q converged %v, want %q %v; steps %v", res.outcome, res.converged, tc.outcome, tc.converged, f.calls)
			}
			if len(f.calls) > 40 {
				t.Errorf("%d steps: the search must stay bounded", len(f.calls))
			}
			if s.integer {
				for _, m := range f.calls {
					if m.rate != math.Round(m.rate) || m.rate < 1 {
						t.Errorf("customers search asked for %g customers", m.rate)
					}
				}
			}
			if !res.converged || tc.outcome == OutcomeMaxHeld {
				return
			}
			width := s.precision * res.lo
			if s.integer {
				width = math.Max(width, 1)
			}
			// A confirmation that wrongly broke the good end decides (it is the longest
			// measurement): the answer may then sit one bracket lower, never higher.
			if f.flipConfirms > 0 && res.hi <= f.capacity && res.hi >= f.capacity-width {
				width += width
			}
			if res.lo > f.capacity || res.hi <= f.capacity-width || res.hi-res.lo > width+1e-9 {
				t.Errorf("bracket [%g, %g] does not hold capacity %g within %g; steps %v", res.lo, res.hi, f.capacity, width, f.calls)
			}
			if f.seen[res.lo] < 2 || f.seen[res.hi] < 2 {
				t.Errorf("ends measured %d and %d times, want both confirmed; steps %v", f.seen[res.lo], f.seen[res.hi], f.calls)
			}
			if len(res.hiBroke) == 0 {
				t.Error("the breaking level does not say what broke")
			}
		})
	}
}

// stepCost is how long a planned step takes at most: its warm-up, its window (measured longer for
// its fewest requests at perSession requests a session, up to the longest window), the grace after
// it, and the cool-down after a failure. The policy's choices decide it; no clock is involved.
func stepCost(p plan, m measured, perSession float64) time.Duration {
	w := p.window
	if need := time.Duration(float64(p.minRequests) / (p.rate * perSession) * float64(time.Second)); need > w {
		w = min(need, longestWindow(p.window))
	}
	d := DefaultWarmup + w + DefaultGrace + snapSlack(p.rate)
	if m.v != vPass {
		d += DefaultCooldown
	}
	return d
}

// TestPolicyConvergesWithDefaults: with default settings and the worst start (1 session/s), the
// search converges on targets from 1 to 10,000 sessions/s with sessions of 2 to 6 requests, within
// the default budget (15 m), and within 8 m where the goals ask it (16 to 2,000 sessions/s:
// mock capacities 100, 400 and 4,000 requests/s over 2 to 6 requests a session).
func TestPolicyConvergesWithDefaults(t *testing.T) {
	for _, capacity := range []float64{1, 1.7, 3, 10, 16.7, 37, 80, 200, 666, 1000, 2000, 4000, 9999} {
		for _, per := range []float64{2, 6} {
			t.Run(fmt.Sprintf("%g/s×%g", capacity, per), func(t *testing.T) {
				f := &fakeTarget{capacity: capacity}
				res, plans := drive(t, defaultSettings(1), f)
				if !res.converged || res.lo > capacity || res.hi <= capacity {
					t.Fatalf("outcome %q bracket [%g, %g], want converged around %g; steps %v", res.outcome, res.lo, res.hi, capacity, f.calls)
				}
				var spent time.Duration
				for i, p := range plans {
					spent += stepCost(p, f.calls[i], per)
				}
				limit := DefaultBudget
				if goal := capacity * per; goal >= 100 && goal <= 4000*3 && capacity >= 16 {
					limit = 8 * time.Minute
				}
				if spent > limit {
					t.Errorf("%d steps take up to %s, over %s; steps %v", len(plans), spent, limit, f.calls)
				}
				if res.lo < 0.8*capacity {
					t.Errorf("answer %g under 80%% of %g", res.lo, capacity)
				}
			})
		}
	}
}

// TestPolicyWindows: far from the knee a step is short and asks a third of the requests; near it
// (a bracket within 25%) the long window and every requested sample; a confirmation of either
// end twice that.
func TestPolicyWindows(t *testing.T) {
	f := &fakeTarget{capacity: 37}
	res, plans := drive(t, defaultSettings(1), f)
	var near, far, answer int
	for i, p := range plans {
		switch {
		case p.phase == PhaseExponential && p.near, p.phase == PhaseConfirm && !p.near:
			t.Errorf("step %d (%s at %g) near=%v", i+1, p.phase, p.rate, p.near)
		case p.phase == PhaseConfirm:
			if p.rate == res.lo {
				answer++
			}
			if p.window != answerWindow*DefaultWindow || p.minRequests != answerWindow*DefaultMinRequests {
				t.Errorf("confirmation, step %d: window %s, %d requests; want %s, %d", i+1, p.window, p.minRequests, answerWindow*DefaultWindow, answerWindow*DefaultMinRequests)
			}
		case p.near && (p.window != DefaultWindow || p.minRequests != DefaultMinRequests):
			t.Errorf("near step %d: window %s, %d requests", i+1, p.window, p.minRequests)
		case !p.near && (p.window != DefaultShortWindow || p.minRequests != DefaultMinRequests/3):
			t.Errorf("far step %d: window %s, %d requests", i+1, p.window, p.minRequests)
		}
		if p.near {
			near++
		} else {
			far++
		}
	}
	if near == 0 || far == 0 || answer == 0 {
		t.Errorf("%d near and %d far steps, %d confirmations of the answer %g; want each kind: %v", near, far, answer, res.lo, f.calls)
	}
	// Far under the limits the search quadruples: 1, 4, 16, 64 (it broke at 64 > 37).
	if got := []float64{f.calls[0].rate, f.calls[1].rate, f.calls[2].rate, f.calls[3].rate}; got[1] != 4 || got[2] != 16 || got[3] != 64 {
		t.Errorf("first levels %v, want 1 4 16 64", got)
	}
}

// TestWindowDecide: the window policy never leaves a window unjudged for want of requests.
func TestWindowDecide(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		w    windowState
		want windowAction
	}{
		{windowState{elapsed: 3 * s, planned: 5 * s, longest: 15 * s, requests: 500, minRequests: 100}, windowGoOn},
		{windowState{elapsed: 5 * s, planned: 5 * s, longest: 15 * s, requests: 500, minRequests: 100}, windowDone},
		{windowState{elapsed: 5 * s, planned: 5 * s, longest: 15 * s, requests: 93, minRequests: 100}, windowGoOn}, // measured longer
		{windowState{elapsed: 9 * s, planned: 5 * s, longest: 15 * s, requests: 101, minRequests: 100}, windowDone},
		{windowState{elapsed: 15 * s, planned: 5 * s, longest: 15 * s, requests: 60, minRequests: 100}, windowShort}, // judged on what it holds
		{windowState{elapsed: 1 * s, planned: 5 * s, longest: 15 * s, requests: 40, minRequests: 100, certain: "p99 twice its limit"}, windowCertain},
		// A window that holds its limit only within the sample's noise is measured longer, then judged.
		{windowState{elapsed: 5 * s, planned: 5 * s, longest: 15 * s, requests: 500, minRequests: 100, unproven: true}, windowGoOn},
		{windowState{elapsed: 15 * s, planned: 5 * s, longest: 15 * s, requests: 1500, minRequests: 100, unproven: true}, windowShort},
	} {
		if got := tc.w.decide(); got != tc.want {
			t.Errorf("%+v: %d, want %d", tc.w, got, tc.want)
		}
	}
}

func TestKnee(t *testing.T) {
	for _, tc := range []struct {
		rates []float64
		p99   []int64
		want  float64
	}{
		{[]float64{4, 8, 16, 17, 18}, []int64{53_000, 52_000, 53_000, 156_000, 417_000}, 16},
		{[]float64{1, 2, 4}, []int64{300, 700, 1_200}, 0},            // sub-ms jitter is no knee
		{[]float64{10, 20, 40}, []int64{10_000, 15_000, 25_000}, 0},  // p99 grows slower than the rate
		{[]float64{10, 20, 40}, []int64{10_000, 15_000, 60_000}, 20}, // ... until it does not
	} {
		var steps []report.CapacityStep
		for i := range tc.rates {
			steps = append(steps, report.CapacityStep{Rate: tc.rates[i], P99US: tc.p99[i], Judged: true})
		}
		if got := knee(steps); got != tc.want {
			t.Errorf("knee(%v, %v) = %g, want %g", tc.rates, tc.p99, got, tc.want)
		}
	}
}

// TestBrokeBeyondLag: a lagging generator voids a verdict unless the target broke the limit by more
// than the lag explains.
func TestBrokeBeyondLag(t *testing.T) {
	slo := []scenario.Threshold{{Threshold: gates.Threshold{Name: "p99", Metric: "response_time.p99", Max: 200_000, HasMax: true}}}
	for _, tc := range []struct {
		p99, lag int64
		want     bool
	}{
		{1_840_000, 1_500_000, false}, // 340 ms without the lag: over its limit, but not twice it
		{1_840_000, 1_000_000, true},  // 840 ms without the lag: over twice 200 ms
		{300_000, 60_000, false},      // the lag may explain it
	} {
		res := []report.ThresholdResult{{Name: "p99", Value: float64(tc.p99), Pass: tc.p99 <= 200_000}}
		if got := brokeBeyondLag(res, slo, tc.lag) != ""; got != tc.want {
			t.Errorf("p99 %d lag %d: %v, want %v", tc.p99, tc.lag, got, tc.want)
		}
	}
}

// TestServiceBroke: a response-time limit that the target's own service time breaks too is the
// target's failure whatever the lag; one that only the lag pushes over is not.
func TestServiceBroke(t *testing.T) {
	slo := []scenario.Threshold{{Threshold: gates.Threshold{Name: "p99", Metric: "response_time.p99", Max: 200_000, HasMax: true}}}
	for _, tc := range []struct {
		name      string
		svc, resp int64
		want      bool
	}{
		{"the target's queue: service 300 ms", 300_000, 450_000, true},
		{"the generator's delay: service 20 ms", 20_000, 450_000, false},
	} {
		b := reporttest.NewBuilder(t, 10)
		ep := b.Endpoint("sendAsync", "CHAT")
		for i := 0; i < 1000; i++ {
			b.Req(i%10, tc.resp, tc.svc, "0", report.ClassOK, ep)
		}
		win := b.Finish()
		res := judge(win, slo)
		if !res[0].Failed() {
			t.Fatalf("%s: the window should break the response-time limit: %+v", tc.name, res[0])
		}
		if got := serviceBroke(win, res, slo) != ""; got != tc.want {
			t.Errorf("%s: serviceBroke %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestCertainFailureNeedsAJudgedThreshold: a window of 40 requests whose p90 is five times its
// limit cannot end its step early as a certain failure, since the threshold is not judged on
// fewer than 100 requests (the step would then pass on a limit it never judged); the same
// latency over 400 requests can.
func TestCertainFailureNeedsAJudgedThreshold(t *testing.T) {
	slo := []scenario.Threshold{{Threshold: gates.Threshold{Name: "p90", Metric: "response_time.p90", Max: 200_000, HasMax: true}}}
	for _, tc := range []struct {
		n       int
		certain bool
	}{{40, false}, {400, true}} {
		b := reporttest.NewBuilder(t, 10)
		ep := b.Endpoint("sendAsync", "CHAT")
		for i := 0; i < tc.n; i++ {
			b.Req(i%10, 1_000_000, 1_000_000, "0", report.ClassOK, ep)
		}
		win := b.Finish()
		res := judge(win, slo)
		if got := certainFailure(res, slo, win, 0.5) != ""; got != tc.certain {
			t.Errorf("%d requests at 1s against p90<200ms: certain %v, want %v (%+v)", tc.n, got, tc.certain, res[0])
		}
	}
}

// TestPolicyTheConfirmationDecides: a confirmation is its level's longest measurement, so where
// it contradicts the level's first (shorter) one it decides, without a third measurement: the
// good end that broke its confirmation is the upper end of a bracket just below, whose good end
// is confirmed in turn; no level is confirmed twice. The answer is one bracket more cautious
// than without the noise, and it held its own confirmation.
func TestPolicyTheConfirmationDecides(t *testing.T) {
	clean, _ := drive(t, defaultSettings(1), &fakeTarget{capacity: 37})
	noisy := &fakeTarget{capacity: 37, flipConfirms: 1}
	res, _ := drive(t, defaultSettings(1), noisy)
	if !res.converged || res.hi != clean.lo || res.lo >= clean.lo {
		t.Errorf("noisy: %q [%g, %g], want converged just below clean [%g, %g]; steps %v", res.outcome, res.lo, res.hi, clean.lo, clean.hi, noisy.calls)
	}
	confirms := map[float64]int{}
	for i, m := range noisy.calls {
		if m.phase != PhaseConfirm {
			continue
		}
		if confirms[m.rate]++; confirms[m.rate] > 1 {
			t.Errorf("step %d confirms %g a second time: %v", i+1, m.rate, noisy.calls)
		}
		if i == 0 || noisy.calls[i-1].phase != PhaseConfirm || noisy.calls[i-1].rate != m.rate {
			continue
		}
		t.Errorf("step %d repeats the confirmation of %g at once (the longest measurement decides): %v", i+1, m.rate, noisy.calls)
	}
}

// TestPolicyTrustsAConfirmationOverAShorterStep: in a band where short windows and long ones
// disagree (mock --capacity 100 with 2-request sessions: 40 sessions/s broke a 20 s window and
// held its 40 s confirmation; 42 and 40.5 held 20 s windows and broke their confirmations), a
// level that held its confirmation stays a good end whatever a shorter step said of it, and the
// search converges on confirmed ends instead of giving up as "boundary not confirmed".
func TestPolicyTrustsAConfirmationOverAShorterStep(t *testing.T) {
	f := &fakeTarget{capacity: 40, holds: func(rate float64, phase string) bool {
		if phase == PhaseConfirm {
			return rate <= 40
		}
		return rate < 40 || rate > 40 && rate <= 42
	}}
	res, _ := drive(t, defaultSettings(1), f)
	if !res.converged || res.lo != 40 || res.hi > 42 {
		t.Fatalf("%q [%g, %g], want converged on 40 (it held its confirmation) below a confirmed failure; steps %v", res.outcome, res.lo, res.hi, f.calls)
	}
	for _, end := range []float64{res.lo, res.hi} {
		var confirmed bool
		for _, m := range f.calls {
			confirmed = confirmed || m.phase == PhaseConfirm && m.rate == end
		}
		if !confirmed {
			t.Errorf("end %g was never confirmed: %v", end, f.calls)
		}
	}
}

// TestLagOnAnIdleMachineIsTheTargets: a step lagging while the process used few of its CPUs is
// the generator's limit (it waited for a CPU) only when the machine's CPUs were busy; with CPUs
// idle the customers waited for the connections the target's queue held, and the step is judged.
func TestLagOnAnIdleMachineIsTheTargets(t *testing.T) {
	c := &searchRun{o: Options{Scenario: &scenario.Scenario{}, MaxLag: DefaultMaxLag, MaxCPU: 0.9, MaxMemory: 0.8}}
	st := report.CapacityStep{LagP99US: 150_000, P99US: 400_000, CPU: 0.2}
	win := &report.Report{}
	for _, tc := range []struct {
		busy    float64
		limited bool
	}{
		{0.55, false}, // half the machine idle: the wait was the target's
		{0.99, true},  // every CPU busy: the process waited for one
		{0, true},     // unknown: as before, the generator's
	} {
		why, _ := c.generatorLimit(st, win, tc.busy, 0)
		if (why != "") != tc.limited {
			t.Errorf("machine busy %.2f: generator limit %q, want limited %v", tc.busy, why, tc.limited)
		}
	}
}

// TestCustomerStart: a customers step's ramp and settling are in proportion to a customer's
// request interval, never to the count; far from the knee they are shorter, near it the ramp's
// connections add at most a quarter of the level's own rate; the warm-up is the floor.
func TestCustomerStart(t *testing.T) {
	for _, tc := range []struct {
		name         string
		interval     time.Duration
		k            float64
		near         bool
		ramp, settle time.Duration
	}{
		{"5 s poll, token per customer, far", 5 * time.Second, 2, false, 10 * time.Second, 5 * time.Second},
		{"5 s poll, token per customer, near", 5 * time.Second, 2, true, 20 * time.Second, 10 * time.Second},
		{"5 s poll, static token, far", 5 * time.Second, 1, false, 5 * time.Second, 5 * time.Second},
		{"5 s poll, static token, near", 5 * time.Second, 1, true, 10 * time.Second, 10 * time.Second},
		// A 1 s poll (400 customers): the warm-up is longer than the intervals, near and far.
		{"1 s poll, far", time.Second, 2, false, DefaultWarmup, DefaultWarmup / 2},
		{"1 s poll, near", time.Second, 2, true, DefaultWarmup, 2*time.Second + DefaultWarmup/2 - DefaultWarmup/2 + 500*time.Millisecond},
		{"interval unknown", 0, 2, true, DefaultWarmup, DefaultWarmup / 2},
		{"a minute's poll, near: at most 2 m and 1 m", time.Minute, 2, true, 2 * time.Minute, time.Minute},
	} {
		ramp, settle := customerStart(tc.interval, tc.k, DefaultWarmup, tc.near)
		if ramp != tc.ramp || settle != tc.settle {
			t.Errorf("%s: ramp %s settle %s, want %s and %s", tc.name, ramp, settle, tc.ramp, tc.settle)
		}
	}
}

// TestPolicyConvergesOnTenThousandCustomers: the 10,000-customer goal (customers polling every
// 5 s, a token each, a target saturating at 10,000) in the policy's simulated cost: each step's
// ramp and settling (customerStart), its window, the grace, the teardown's bound and the
// cool-down after a failure. It converges within 80-105% and within the default budget with room
// for repeats; the near-knee start on every step (the earlier rule) took longer.
func TestPolicyConvergesOnTenThousandCustomers(t *testing.T) {
	const perCustomer, k = 0.2, 2.0
	set := searchSettings{start: 1000, max: DefaultMaxCustomers, precision: DefaultPrecision, confirmRounds: defaultConfirmRound,
		window: DefaultWindow, shortWindow: DefaultShortWindow, minRequests: DefaultMinRequests, integer: true}
	f := &fakeTarget{capacity: 10_000}
	res, plans := drive(t, set, f)
	if !res.converged || res.lo < 0.8*f.capacity || res.lo > 1.05*f.capacity {
		t.Fatalf("outcome %q bracket [%g, %g], want converged within 80-105%% of %g; steps %v", res.outcome, res.lo, res.hi, f.capacity, f.calls)
	}
	cost := func(alwaysNear bool) time.Duration {
		var spent time.Duration
		for i, p := range plans {
			ramp, settle := customerStart(time.Duration(float64(time.Second)/perCustomer), k, DefaultWarmup, p.near || alwaysNear)
			spent += ramp + settle - DefaultWarmup + stepCost(p, f.calls[i], perCustomer) + 2*time.Second // + the teardown's bound
		}
		return spent
	}
	now, before := cost(false), cost(true)
	t.Logf("%d steps: %s (every step started as near the knee: %s)", len(plans), now, before)
	if now > 10*time.Minute {
		t.Errorf("%d steps take up to %s, over two thirds of the default budget; steps %v", len(plans), now, f.calls)
	}
	if now >= before {
		t.Errorf("the far steps' shorter start saved nothing: %s, %s before", now, before)
	}
}

// TestLagWhileEveryConnectionWasBusyIsTheTargets: the direct measure rules, busy machine or not: a
// step whose scheduler waited for a free exchange worker (every one of max_connections busy) for
// a real part of its window lagged because the target queued, and is judged; one that lagged
// without that wait, on a machine whose CPUs other work held, is the generator's (a CPU wait),
// and the step says which it was.
func TestLagWhileEveryConnectionWasBusyIsTheTargets(t *testing.T) {
	c := &searchRun{o: Options{Scenario: &scenario.Scenario{Target: scenario.Target{MaxConnections: 256}}, MaxLag: DefaultMaxLag, MaxCPU: 0.9, MaxMemory: 0.8}, connsSet: true}
	st := report.CapacityStep{LagP99US: 4_480_000, P99US: 4_610_000, CPU: 0.12} // the 12,000-customer step of docs/capacity.md
	win := &report.Report{}
	for _, tc := range []struct {
		workersBusy float64
		limited     bool
	}{
		{0.6, false},  // the scheduler waited for a connection most of the window: the target's queue
		{0.02, false}, // a p99's worth of waiting explains a p99 of lag
		{0.001, true}, // hardly any: the process waited for a CPU the other work held
		{0, true},     // none measured
	} {
		why, transient := c.generatorLimit(st, win, 0.99, tc.workersBusy)
		if (why != "") != tc.limited || tc.limited && (!transient || !strings.Contains(why, "waiting for a CPU")) {
			t.Errorf("workers busy %.3f: generator limit %q (transient %v), want limited %v", tc.workersBusy, why, transient, tc.limited)
		}
		note := c.queuedNote(st, 12000, tc.workersBusy)
		if !tc.limited && !strings.Contains(note, "every one of the 256 connections (max_connections) was busy") {
			t.Errorf("workers busy %.3f: note %q, want it to say every connection was busy", tc.workersBusy, note)
		}
		if tc.limited && note != "" {
			t.Errorf("workers busy %.3f: note %q, want none", tc.workersBusy, note)
		}
	}
	if note := c.queuedNote(report.CapacityStep{LagP99US: 10_000}, 12000, 0.9); note != "" {
		t.Errorf("a step that did not lag past --max-lag has note %q, want none", note)
	}
}

// TestStepConnections: a customers step opens a connection per customer unless the scenario sets
// max_connections, within the default below and the cap and the open-file limit above; a
// session-rate step keeps the scenario's.
func TestStepConnections(t *testing.T) {
	for _, tc := range []struct {
		set       bool
		conns     int
		customers bool
		level     float64
		fds       uint64
		want      int
	}{
		{false, 256, true, 10_000, 1 << 20, 10_000},
		{false, 256, true, 40, 1 << 20, 256},           // never fewer than the default
		{false, 256, true, 64_000, 1 << 20, 16_384},    // the cap
		{false, 256, true, 10_000, 4096, 4096/2 - 256}, // half the open files, less a margin
		{false, 256, true, 10_000, 600, 256},           // a tiny limit: the default still
		{true, 100, true, 10_000, 1 << 20, 100},        // the scenario's own
		{false, 256, false, 10_000, 1 << 20, 256},      // session-rate steps
		{false, 256, true, 10_000, 0, 10_000},          // limit unknown
	} {
		if got := stepConnections(tc.set, tc.conns, tc.customers, tc.level, tc.fds); got != tc.want {
			t.Errorf("%+v: %d connections, want %d", tc, got, tc.want)
		}
	}
}

// TestSetsMaxConnections reads whether the scenario's own text sets target.max_connections.
func TestSetsMaxConnections(t *testing.T) {
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"name: a\ntarget: {url: http://127.0.0.1:1, max_connections: 256}\n", true},
		{"name: a\ntarget: {url: http://127.0.0.1:1}\n", false},
		{"name: a\n", false},
	} {
		sc := &scenario.Scenario{Text: []byte(tc.text), Target: scenario.Target{MaxConnections: 256}}
		if got := setsMaxConnections(sc); got != tc.want {
			t.Errorf("%q: sets max_connections %v, want %v", tc.text, got, tc.want)
		}
	}
}

// TestDrainedAfter: the cool-down's rule, clock-free. A probe queues behind the target's backlog,
// so the first after a backlog is slow and the next is not; two probes that agree say it is gone.
func TestDrainedAfter(t *testing.T) {
	ms := time.Millisecond
	ok := func(d time.Duration) probeResult { return probeResult{d, true} }
	lost := probeResult{}
	for _, tc := range []struct {
		name   string
		probes []probeResult
		at     int // the probes after which drained first holds (0: never)
	}{
		{"no backlog", []probeResult{ok(1 * ms), ok(2 * ms)}, 2},
		{"a backlog of 8 s", []probeResult{ok(8 * time.Second), ok(1 * ms), ok(1 * ms)}, 3},
		{"a slow target with no backlog", []probeResult{ok(300 * ms), ok(340 * ms)}, 2},
		{"a backlog longer than the timeout", []probeResult{lost, ok(3 * time.Second), ok(2 * ms), ok(3 * ms)}, 4},
		{"a target that answers nothing", []probeResult{lost, lost, lost}, 0},
		{"still draining", []probeResult{ok(4 * time.Second), ok(2 * time.Second), ok(1 * time.Second)}, 0},
	} {
		got := 0
		for i := 1; i <= len(tc.probes); i++ {
			if drainedAfter(tc.probes[:i]) {
				got = i
				break
			}
		}
		if got != tc.at {
			t.Errorf("%s: drained after %d probes, want %d", tc.name, got, tc.at)
		}
	}
}

// TestOfferedLessIsNotAPass: a step that held while every connection was busy for a real part of
// its window, judged only by limits that leave the wait for a connection out (service times,
// errors), offered the target what its connections carry, not its level: it is not judged. A
// response-time limit counts that wait (from each request's intended time), so its verdict stands,
// as does a failure, and a pass with the connections hardly ever all busy.
func TestOfferedLessIsNotAPass(t *testing.T) {
	service := []scenario.Threshold{{Threshold: gates.Threshold{Metric: "service_time.p90"}}, {Threshold: gates.Threshold{Metric: "error_rate"}}}
	response := []scenario.Threshold{{Threshold: gates.Threshold{Metric: "response_time.p99"}}, {Threshold: gates.Threshold{Metric: "error_rate"}}}
	for _, tc := range []struct {
		slo         []scenario.Threshold
		pass        bool
		workersBusy float64
		limited     bool
	}{
		{service, true, 0.9, true},
		{service, true, 0.001, false},
		{service, false, 0.9, false},
		{response, true, 0.9, false},
	} {
		c := &searchRun{o: Options{SLO: tc.slo, Scenario: &scenario.Scenario{Target: scenario.Target{MaxConnections: 4}}}, connsSet: true}
		why := c.offeredLess(report.CapacityStep{Pass: tc.pass}, 120, tc.workersBusy)
		if (why != "") != tc.limited || tc.limited && !strings.Contains(why, "every one of the 4 connections (max_connections) was busy 90% of the window") {
			t.Errorf("SLO %s, pass %v, workers busy %.3f: %q, want limited %v", tc.slo[0].Metric, tc.pass, tc.workersBusy, why, tc.limited)
		}
	}
}
