package capacity

import (
	"context"
	"fmt"
	"testing"

	"ccload/report"
)

// fakeTarget is a target that holds the SLO up to capacity: the search sees it only through measure.
type fakeTarget struct {
	capacity float64
	// flipConfirms makes the first flipConfirms confirmation steps give the opposite verdict (a noisy target).
	flipConfirms int
	confirms     int
	surgeAt      float64 // rates at or above this surge (0: never)
	limitAt      float64 // rates at or above this are generator-limited (0: never)
	calls        []measured
	seen         map[float64]int
}

func (f *fakeTarget) measure(_ context.Context, rate float64, phase string) measured {
	if f.seen == nil {
		f.seen = map[float64]int{}
	}
	f.seen[rate]++
	m := measured{rate: rate, v: vPass}
	switch {
	case f.limitAt > 0 && rate >= f.limitAt:
		m.v = vLimited
	case f.surgeAt > 0 && rate >= f.surgeAt:
		m.v, m.broke = vSurge, []string{"error_rate"}
	case rate > f.capacity:
		m.v, m.broke = vFail, []string{"p99"}
	}
	if phase == "confirm" {
		f.confirms++
	}
	if phase == "confirm" && f.confirms <= f.flipConfirms {
		if m.v == vPass {
			m.v, m.broke = vFail, []string{"p99"}
		} else {
			m.v, m.broke = vPass, nil
		}
	}
	f.calls = append(f.calls, m)
	return m
}

func TestSearch(t *testing.T) {
	set := searchSettings{start: 1, max: 10_000, precision: 0.05, confirmRounds: 2}
	for _, tc := range []struct {
		name      string
		target    fakeTarget
		set       *searchSettings
		outcome   string
		converged bool
		// lo must be in [loMin, capacity] and hi in (capacity, loMin·(1+precision)·...]; checked below.
	}{
		{name: "exponential then bisection", target: fakeTarget{capacity: 37}, outcome: OutcomeConverged, converged: true},
		{name: "first step breaks: halve down", target: fakeTarget{capacity: 0.3}, outcome: OutcomeConverged, converged: true},
		{name: "nothing holds", target: fakeTarget{capacity: 0.001}, outcome: OutcomeNoSustainable},
		{name: "max rate holds", target: fakeTarget{capacity: 1e9}, set: &searchSettings{start: 1, max: 100, precision: 0.05, confirmRounds: 2}, outcome: OutcomeMaxHeld, converged: true},
		{name: "error surge stops at once", target: fakeTarget{capacity: 37, surgeAt: 60}, outcome: OutcomeSurge},
		{name: "generator limit stops", target: fakeTarget{capacity: 37, limitAt: 30}, outcome: OutcomeGenerator},
		// The last good rate fails when repeated: the search reopens below it and still converges.
		{name: "confirmation contradicts the good end", target: fakeTarget{capacity: 37, flipConfirms: 1}, outcome: OutcomeConverged, converged: true},
		{name: "a target too noisy to confirm", target: fakeTarget{capacity: 37, flipConfirms: 100}, outcome: OutcomeUnstable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := set
			if tc.set != nil {
				s = *tc.set
			}
			f := tc.target
			res := search(context.Background(), s, f.measure)
			if res.outcome != tc.outcome || res.converged != tc.converged {
				t.Fatalf("outcome %q converged %v, want %q %v; steps %v", res.outcome, res.converged, tc.outcome, tc.converged, f.calls)
			}
			if len(f.calls) > 40 {
				t.Errorf("%d steps: the search must stay bounded", len(f.calls))
			}
			if !res.converged || tc.outcome == OutcomeMaxHeld {
				return
			}
			if res.lo > f.capacity || res.hi <= f.capacity || res.hi-res.lo > s.precision*res.lo+1e-9 {
				t.Errorf("bracket [%g, %g] does not hold capacity %g within %g%%; steps %v", res.lo, res.hi, f.capacity, 100*s.precision, f.calls)
			}
			if f.seen[res.lo] < 2 || f.seen[res.hi] < 2 {
				t.Errorf("ends measured %d and %d times, want both confirmed; steps %v", f.seen[res.lo], f.seen[res.hi], f.calls)
			}
			if len(res.hiBroke) == 0 {
				t.Error("the breaking rate does not say what broke")
			}
		})
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
		var steps []stepP99
		for i := range tc.rates {
			steps = append(steps, stepP99{tc.rates[i], tc.p99[i]})
		}
		if got := knee(capSteps(steps)); got != tc.want {
			t.Errorf("knee(%v, %v) = %g, want %g", tc.rates, tc.p99, got, tc.want)
		}
	}
}

type stepP99 struct {
	rate float64
	p99  int64
}

func (s stepP99) String() string { return fmt.Sprintf("%g:%d", s.rate, s.p99) }

func capSteps(in []stepP99) []report.CapacityStep {
	var out []report.CapacityStep
	for _, s := range in {
		out = append(out, report.CapacityStep{Rate: s.rate, P99US: s.p99, Judged: true})
	}
	return out
}
