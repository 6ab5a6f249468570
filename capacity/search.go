package capacity

import (
	"context"
	"math"
	"slices"
)

// verdict is how one step ended.
type verdict uint8

const (
	vPass    verdict = iota // the SLO held
	vFail                   // the SLO broke
	vSurge                  // the SLO broke with errors past the surge bound: stop at once
	vLimited                // the generator was the limit: the step says nothing about the target
	vStop                   // the step could not be measured (interrupted, budget, too few requests)
)

// measured is one step's result as the search sees it.
type measured struct {
	rate  float64
	v     verdict
	broke []string
}

// measureFunc runs one step at rate; phase is "exponential", "bisect" or "confirm".
type measureFunc func(ctx context.Context, rate float64, phase string) measured

// searchSettings are the search's numbers (see Options for their meaning).
type searchSettings struct {
	start, max, precision float64
	// confirmRounds bounds how often a contradicted confirmation reopens the bisection.
	confirmRounds int
}

// searchResult is where the search ended.
type searchResult struct {
	lo, hi    float64 // highest rate that held, lowest that broke (0: none)
	hiBroke   []string
	outcome   string
	converged bool
	last      measured // the step that ended the search
}

// Outcomes of a search (report.Capacity.Outcome).
const (
	OutcomeConverged     = "converged"
	OutcomeMaxHeld       = "max rate held"
	OutcomeNoSustainable = "no sustainable rate"
	OutcomeNotConverged  = "did not converge"
	OutcomeSurge         = "error surge"
	OutcomeGenerator     = "generator limited"
	OutcomeInterrupted   = "interrupted"
	OutcomeUnstable      = "boundary not confirmed"
)

// search finds the highest rate that keeps the SLO: an exponential search up from start (doubling,
// capped at max) until a step breaks, or down (halving) when the first one does; then a bisection
// of [last good, first bad] until hi-lo <= precision·lo; then both ends are measured again. A
// confirmation that contradicts the bracket reopens the search on that side. It takes the clock
// and the target only through measure, so it is tested with a table of fake targets.
func search(ctx context.Context, set searchSettings, measure measureFunc) searchResult {
	s := &searcher{set: set, measure: measure}
	return s.run(ctx)
}

type searcher struct {
	set     searchSettings
	measure measureFunc
	seen    []measured
	res     searchResult
}

// step measures rate; ok is false when the search must end (the result says why).
func (s *searcher) step(ctx context.Context, rate float64, phase string) (pass, ok bool) {
	m := s.measure(ctx, rate, phase)
	s.res.last = m
	switch m.v {
	case vPass:
		s.seen = append(s.seen, m)
		return true, true
	case vFail:
		s.seen = append(s.seen, m)
		return false, true
	case vSurge:
		s.seen = append(s.seen, m)
		s.setHi(m)
		s.res.outcome = OutcomeSurge
	case vLimited:
		s.res.outcome = OutcomeGenerator
	default:
		s.res.outcome = OutcomeNotConverged
		if ctx.Err() != nil {
			s.res.outcome = OutcomeInterrupted
		}
	}
	return false, false
}

func (s *searcher) setHi(m measured) { s.res.hi, s.res.hiBroke = m.rate, m.broke }

func (s *searcher) run(ctx context.Context) searchResult {
	if !s.exponential(ctx, s.set.start) {
		return s.res
	}
	for round := 0; ; round++ {
		if !s.bisect(ctx) {
			return s.res
		}
		if round > s.set.confirmRounds {
			s.res.outcome = OutcomeUnstable
			return s.res
		}
		lo, hi := s.res.lo, s.res.hi
		pass, ok := s.step(ctx, lo, "confirm")
		if !ok {
			return s.res
		}
		if !pass {
			// The last good rate broke this time: it is the new upper end; find a good one below.
			s.setHi(s.res.last)
			s.res.lo = s.highest(func(m measured) bool { return m.v == vPass && m.rate < lo && !s.failedAtOrBelow(m.rate) })
			if s.res.lo == 0 && !s.down(ctx, lo/2) {
				return s.res
			}
			continue
		}
		pass, ok = s.step(ctx, hi, "confirm")
		if !ok {
			return s.res
		}
		if pass {
			// The first bad rate held this time: the boundary is above it.
			s.res.lo = hi
			s.res.hi = 0
			if next := s.lowest(func(m measured) bool { return m.v != vPass && m.rate > hi }); next != nil {
				s.setHi(*next)
			} else if !s.exponential(ctx, math.Min(hi*2, s.max())) {
				return s.res
			}
			continue
		}
		s.setHi(s.res.last)
		s.res.outcome, s.res.converged = OutcomeConverged, true
		return s.res
	}
}

// exponential doubles from rate until a step breaks (or max holds); when the very first step
// breaks it halves instead until one holds. It returns false when the search is over.
func (s *searcher) exponential(ctx context.Context, rate float64) bool {
	for {
		pass, ok := s.step(ctx, rate, "exponential")
		if !ok {
			return false
		}
		if !pass {
			s.setHi(s.res.last)
			if s.res.lo == 0 {
				return s.down(ctx, rate/2)
			}
			return true
		}
		s.res.lo = rate
		if rate >= s.max() {
			s.res.outcome, s.res.converged = OutcomeMaxHeld, true
			return false
		}
		rate = math.Min(rate*2, s.max())
	}
}

// down halves from rate until a step holds; below start/64 the search gives up.
func (s *searcher) down(ctx context.Context, rate float64) bool {
	for ; rate >= s.set.start/64; rate /= 2 {
		pass, ok := s.step(ctx, rate, "exponential")
		if !ok {
			return false
		}
		if pass {
			s.res.lo = rate
			return true
		}
		s.setHi(s.res.last)
	}
	s.res.outcome = OutcomeNoSustainable
	return false
}

// bisect narrows [lo, hi] to the precision.
func (s *searcher) bisect(ctx context.Context) bool {
	for s.res.hi-s.res.lo > s.set.precision*s.res.lo {
		mid := (s.res.lo + s.res.hi) / 2
		pass, ok := s.step(ctx, mid, "bisect")
		if !ok {
			return false
		}
		if pass {
			s.res.lo = mid
		} else {
			s.setHi(s.res.last)
		}
	}
	return true
}

func (s *searcher) max() float64 {
	if s.set.max <= 0 {
		return math.Inf(1)
	}
	return s.set.max
}

func (s *searcher) failedAtOrBelow(rate float64) bool {
	return slices.ContainsFunc(s.seen, func(m measured) bool { return m.v != vPass && m.rate <= rate })
}

func (s *searcher) highest(keep func(measured) bool) float64 {
	var best float64
	for _, m := range s.seen {
		if keep(m) && m.rate > best {
			best = m.rate
		}
	}
	return best
}

func (s *searcher) lowest(keep func(measured) bool) *measured {
	var best *measured
	for i, m := range s.seen {
		if keep(m) && (best == nil || m.rate < best.rate) {
			best = &s.seen[i]
		}
	}
	return best
}
