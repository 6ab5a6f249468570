package capacity

import (
	"math"
	"slices"
	"time"
)

// verdict is how one step ended.
type verdict uint8

const (
	vPass      verdict = iota // the SLO held
	vFail                     // the SLO broke
	vSurge                    // the SLO broke with errors past the surge bound: stop at once
	vWholesale                // a kind of request failed wholesale (>= 99%): stop at once and name the cause
	vLimited                  // the generator was the limit: the step says nothing about the target
	vStop                     // the step could not be measured (interrupted, budget, unreachable)
	vPending                  // not measured yet: the policy's next step (replay only)
)

// measured is one step's result as the search policy sees it.
type measured struct {
	rate  float64
	phase string
	v     verdict
	broke []string
	// headroom is the largest share of an SLO limit the step used (p99 300ms under a 600ms limit:
	// 0.5); 0 when unknown. A step far under its limits lets the search grow faster.
	headroom float64
	// transient marks a generator limit that other work on the machine caused (the process waited
	// for a CPU it did not use): the level is measured once more before the search gives up.
	transient bool
}

// Phases of a step.
const (
	PhaseExponential = "exponential"
	PhaseBisect      = "bisect"
	PhaseConfirm     = "confirm"
)

// searchSettings are the policy's numbers (see Options for their meaning).
type searchSettings struct {
	start, max, precision float64
	// confirmRounds bounds how often a contradicted confirmation reopens the bisection.
	confirmRounds int
	// window is the measured window near the knee (bisection within nearBracket, confirmation);
	// shortWindow the one far from it (exponential steps, wide brackets).
	window, shortWindow time.Duration
	// minRequests is the fewest requests a window near the knee holds (far from it: a third).
	minRequests int64
	// integer makes every level a whole number (customers): the bracket is done at hi = lo+1.
	integer bool
}

// nearBracket is the bracket width, as a share of its low end, under which a bisection step is
// near the knee and gets the long window.
const nearBracket = 0.25

// fastGrowth is the headroom under which the exponential search quadruples instead of doubling.
const fastGrowth = 0.25

// closeShare is the headroom from which a short (far) window is measured as long as a near one:
// a limit used three quarters or more holds or breaks by the window's luck.
const closeShare = 0.75

// plan is the policy's answer: the next step (rate, phase, window, fewest requests), or the end.
type plan struct {
	done   bool
	result searchResult // when done
	rate   float64
	phase  string
	window time.Duration
	// minRequests is the fewest requests the window must hold: it is measured longer until it does
	// (up to longestWindow), never left unjudged.
	minRequests int64
	near        bool
}

// next is the search policy: given the outcomes of the steps so far (in order), the next step to
// measure, or the search's end and result. It is a pure function (no clock, no target): it replays
// the search over history, and the first step history does not hold is the next one.
func (set searchSettings) next(history []measured) plan {
	s := &searcher{set: set}
	s.measure = func(rate float64, phase string) measured {
		if s.pos < len(history) {
			m := history[s.pos]
			s.pos++
			return m
		}
		s.want = &plan{rate: rate, phase: phase}
		return measured{rate: rate, phase: phase, v: vPending}
	}
	res := s.run()
	if s.want == nil {
		return plan{done: true, result: res}
	}
	p := *s.want
	p.near = p.phase == PhaseConfirm || p.phase == PhaseBisect && s.res.lo > 0 && s.res.hi-s.res.lo <= nearBracket*s.res.lo
	p.window, p.minRequests = set.shortWindow, max(set.minRequests/3, 1)
	if p.near {
		p.window, p.minRequests = set.window, set.minRequests
	}
	if p.phase == PhaseConfirm {
		// The bracket's confirmations are measured longest: near its limit a target's slow
		// requests come in rare bursts (a queue forms and drains), which a short window can miss;
		// and just past saturation a queue grows slowly, so a short window can hold a level a long
		// one breaks. Both ends alike, or a level could hold as one end and break as the other.
		p.window, p.minRequests = answerWindow*p.window, answerWindow*p.minRequests
	}
	return p
}

// answerWindow is how many times the near-knee window a confirmation lasts.
const answerWindow = 2

// longestWindow is how long a window may be measured to hold its fewest requests: beyond it the
// step is judged on what it holds (and says so).
func longestWindow(planned time.Duration) time.Duration { return 3 * planned }

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
	OutcomeWholesale     = "requests failed"
	OutcomeGenerator     = "generator limited"
	OutcomeInterrupted   = "interrupted"
	OutcomeUnstable      = "boundary not confirmed"
	outcomePending       = "pending"
)

// searcher is the search as straight-line code: an exponential search up from start (doubling,
// or quadrupling while far under the SLO's limits; capped at max) until a step breaks, or down
// (halving) when the first one does; then a bisection of [last good, first bad] until
// hi-lo <= precision·lo; then both ends are measured again, each in a window twice as long
// (answerWindow), and that longest measurement decides: a confirmation that contradicts the
// bracket reopens the search on that side. It sees steps only through measure, which next
// answers from history, so the whole policy is a function of the outcomes so far.
type searcher struct {
	set     searchSettings
	measure func(rate float64, phase string) measured
	seen    []measured
	res     searchResult
	pos     int   // steps of history replayed
	want    *plan // the first step history did not hold
	retried int   // transient generator limits measured again
	// confirmed is each confirmed level's confirmation.
	confirmed map[float64]measured
}

// maxRetries bounds how often a search measures a level again after a transient generator limit.
const maxRetries = 3

// step measures rate; ok is false when the search must end (the result says why).
func (s *searcher) step(rate float64, phase string) (pass, ok bool) {
	m := s.measure(rate, phase)
	for m.v == vLimited && m.transient && s.retried < maxRetries {
		s.retried++
		m = s.measure(rate, phase)
	}
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
	case vWholesale:
		s.res.outcome = OutcomeWholesale
	case vLimited:
		s.res.outcome = OutcomeGenerator
	case vPending:
		s.res.outcome = outcomePending
	default:
		s.res.outcome = OutcomeNotConverged
	}
	return false, false
}

func (s *searcher) setHi(m measured) { s.res.hi, s.res.hiBroke = m.rate, m.broke }

// confirm measures a level's confirmation once: a level already confirmed (a first bad rate that
// held its confirmation is the next bracket's good end) keeps that verdict, so no level is
// confirmed twice in a row.
func (s *searcher) confirm(rate float64) (pass, ok bool) {
	if m, done := s.confirmed[rate]; done {
		s.res.last = m
		return m.v == vPass, true
	}
	pass, ok = s.step(rate, PhaseConfirm)
	if ok {
		if s.confirmed == nil {
			s.confirmed = map[float64]measured{}
		}
		s.confirmed[rate] = s.res.last
	}
	return pass, ok
}

func (s *searcher) run() searchResult {
	if !s.exponential(s.set.start) {
		return s.res
	}
	for round := 0; ; round++ {
		if !s.bisect() {
			return s.res
		}
		if round > s.set.confirmRounds {
			s.res.outcome = OutcomeUnstable
			return s.res
		}
		lo, hi := s.res.lo, s.res.hi
		// A confirmation is its level's longest measurement (answerWindow), judged beyond the
		// sample's noise: where it contradicts a shorter one, it decides.
		pass, ok := s.confirm(lo)
		if !ok {
			return s.res
		}
		if !pass {
			// The last good rate broke this time: it is the new upper end; find a good one below.
			s.setHi(s.res.last)
			s.res.lo = s.highest(func(m measured) bool { return m.v == vPass && m.rate < lo && !s.failedAtOrBelow(m.rate) })
			if s.res.lo == 0 && !s.down(lo/2) {
				return s.res
			}
			continue
		}
		pass, ok = s.confirm(hi)
		if !ok {
			return s.res
		}
		if pass {
			// The first bad rate held this time: the boundary is above it.
			s.res.lo = hi
			s.res.hi = 0
			if next := s.lowest(func(m measured) bool { return m.v != vPass && m.rate > hi }); next != nil {
				s.setHi(*next)
			} else if !s.exponential(math.Min(hi*2, s.max())) {
				return s.res
			}
			continue
		}
		s.setHi(s.res.last)
		s.res.outcome, s.res.converged = OutcomeConverged, true
		return s.res
	}
}

// exponential grows from rate until a step breaks (or max holds): ×4 while the last step used
// under a quarter of the SLO's limits, ×2 nearer. When the very first step breaks it halves
// instead until one holds. It returns false when the search is over.
func (s *searcher) exponential(rate float64) bool {
	for {
		pass, ok := s.step(rate, PhaseExponential)
		if !ok {
			return false
		}
		if !pass {
			s.setHi(s.res.last)
			if s.res.lo == 0 {
				return s.down(rate / 2)
			}
			return true
		}
		s.res.lo = rate
		if rate >= s.max() {
			s.res.outcome, s.res.converged = OutcomeMaxHeld, true
			return false
		}
		f := 2.0
		if s.res.last.headroom < fastGrowth {
			f = 4
		}
		rate = math.Min(rate*f, s.max())
	}
}

// down halves from rate until a step holds; below start/64 the search gives up.
func (s *searcher) down(rate float64) bool {
	for ; rate >= s.set.start/64; rate /= 2 {
		if s.set.integer {
			if rate = math.Floor(rate); rate < 1 {
				break
			}
		}
		pass, ok := s.step(rate, PhaseExponential)
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

// bisect narrows [lo, hi] to the precision: at the geometric mean while hi is more than twice lo
// (a wide bracket from a ×4 step), at the middle after.
func (s *searcher) bisect() bool {
	for s.res.hi-s.res.lo > s.set.precision*s.res.lo {
		mid := (s.res.lo + s.res.hi) / 2
		if s.res.hi > 2*s.res.lo {
			mid = math.Sqrt(s.res.lo * s.res.hi)
		}
		if s.set.integer {
			if mid = math.Round(mid); mid <= s.res.lo || mid >= s.res.hi {
				return true // hi = lo+1: no whole number between
			}
		}
		pass, ok := s.step(mid, PhaseBisect)
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

// failedAtOrBelow says a level at or below rate broke, and no confirmation (the longest
// measurement) held at or above that level since: a confirmed level outweighs a shorter step's
// failure of it or of a level below it.
func (s *searcher) failedAtOrBelow(rate float64) bool {
	return slices.ContainsFunc(s.seen, func(m measured) bool { return m.v != vPass && m.rate <= rate && !s.confirmedAtOrAbove(m.rate) })
}

// confirmedAtOrAbove says a level at or above rate held its confirmation.
func (s *searcher) confirmedAtOrAbove(rate float64) bool {
	for r, m := range s.confirmed {
		if r >= rate && m.v == vPass {
			return true
		}
	}
	return false
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
