package runner

import (
	"math"
	"math/rand/v2"
	"time"

	"ccload/scenario"
)

// This file is the pure arithmetic of the load profile: when open-model
// sessions arrive and how many closed-model customers run. Nothing here reads
// a clock, so every function is table-tested with plain numbers.

// arrivals yields the intended arrival times of the open model, in order.
//
// The stages define a rate λ(t) (sessions/s) that is constant or linear within
// a stage, so its integral Λ(t) = ∫₀ᵗ λ is piecewise quadratic and can be
// inverted exactly. Uniform arrivals put arrival k at Λ(t) = k; Poisson
// arrivals put it at Λ(t) = E₁+…+E_{k+1} with Eᵢ ~ Exp(1) drawn from the
// seeded source (the time-rescaling theorem: a unit-rate Poisson process
// mapped through Λ⁻¹ is the non-homogeneous process with rate λ). Either way an
// arrival's time comes from the schedule, never from when a goroutine woke up.
type arrivals struct {
	stages  []scenario.Stage
	poisson bool
	rng     *rand.Rand

	k      int64   // index of the next arrival
	target float64 // Λ value of the next arrival
	si     int     // current stage
	t0     float64 // start of stage si, seconds
	lam0   float64 // Λ at the start of stage si
}

// newArrivals returns the arrival sequence of stages (rates in sessions/s).
func newArrivals(stages []scenario.Stage, poisson bool, rng *rand.Rand) *arrivals {
	a := &arrivals{stages: stages, poisson: poisson, rng: rng}
	a.target = a.gap()
	return a
}

func (a *arrivals) gap() float64 {
	if a.poisson {
		return a.rng.ExpFloat64()
	}
	return 0
}

// next returns the index and intended time of the next arrival, or false once the stages are over.
func (a *arrivals) next() (int64, time.Duration, bool) {
	for a.si < len(a.stages) {
		st := a.stages[a.si]
		d := st.Duration.Seconds()
		x := a.target - a.lam0 // Λ still to cover inside this stage
		total := (st.From + st.To) / 2 * d
		if x < total {
			s := invertRamp(st.From, st.To, d, x)
			k := a.k
			a.k++
			if a.poisson {
				a.target += a.rng.ExpFloat64()
			} else {
				a.target = float64(a.k)
			}
			return k, time.Duration((a.t0 + s) * float64(time.Second)), true
		}
		a.lam0 += total
		a.t0 += d
		a.si++
	}
	return 0, 0, false
}

// invertRamp solves ∫₀ˢ λ = x for s, where λ ramps linearly from `from` to `to` over d seconds.
// ∫₀ˢ λ = from·s + c·s² with c = (to−from)/(2d); the root is written as 2x / (from + √(from² + 4cx)),
// which stays exact when c is 0 or tiny (no division by c).
func invertRamp(from, to, d, x float64) float64 {
	if x <= 0 {
		return 0
	}
	c := (to - from) / (2 * d)
	disc := from*from + 4*c*x
	if disc < 0 {
		disc = 0
	}
	den := from + math.Sqrt(disc)
	if den <= 0 {
		return d
	}
	return min(2*x/den, d)
}

// expectedArrivals returns Λ over all stages: how many sessions the stages prescribe.
func expectedArrivals(stages []scenario.Stage) float64 {
	var n float64
	for _, s := range stages {
		n += (s.From + s.To) / 2 * s.Duration.Seconds()
	}
	return n
}

// shardCount returns how many of the customers 0..level-1 belong to shard i of n (customer k
// belongs to shard k mod n).
func shardCount(level, i, n int) int {
	if level <= i {
		return 0
	}
	return (level - i + n - 1) / n
}

// closedLevel returns the closed model's customer count at elapsed t (rounded), and false once the stages are over.
func closedLevel(l scenario.Load, t time.Duration) (int, bool) {
	v, ok := l.At(t)
	if !ok {
		return 0, false
	}
	return int(math.Round(v)), true
}

// withDuration returns stages cut or extended to exactly d: the stages play as written up to d,
// a stage running across d ends there at the level it had reached, and when d is longer than
// the stages the last level holds until d. d <= 0 returns the stages unchanged.
func withDuration(stages []scenario.Stage, d time.Duration) []scenario.Stage {
	if d <= 0 {
		return stages
	}
	out := make([]scenario.Stage, 0, len(stages)+1)
	var t time.Duration
	for _, s := range stages {
		if t+s.Duration >= d {
			rest := d - t
			if rest > 0 {
				f := float64(rest) / float64(s.Duration)
				out = append(out, scenario.Stage{Duration: rest, From: s.From, To: s.From + (s.To-s.From)*f, Pos: s.Pos})
			}
			return out
		}
		out = append(out, s)
		t += s.Duration
	}
	last := 0.0
	if len(stages) > 0 {
		last = stages[len(stages)-1].To
	}
	return append(out, scenario.Stage{Duration: d - t, From: last, To: last})
}
