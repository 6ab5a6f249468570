package traffic

import (
	"container/heap"
	"container/list"
	"io"
)

// Problem kind of ReadOrdered.
const ProblemHeld = "session closed early (pending-session cap)"

// EndHeld: closed early by OrderedOptions.MaxPending, to release the sessions that began after it.
const EndHeld EndReason = "held"

// DefaultMaxPending is ReadOrdered's default bound on closed sessions held back for order.
const DefaultMaxPending = 100_000

// OrderedStats is what ReadOrdered saw besides the reader's Stats.
type OrderedStats struct {
	// MaxPending is the most closed sessions held back at once, waiting for an earlier-starting
	// session still open: with the reader's open sessions, all ReadOrdered keeps.
	MaxPending int
	// Held counts sessions closed early because MaxPending was reached.
	Held int64
}

// ReadOrdered reads a log like Read, but hands its sessions to fn in the order they began
// (their first request), each as soon as no session beginning earlier can still appear: a
// session closes long after it began (at its DISCONNECT, or after Options.Idle), so closed
// sessions wait until every session still open began after them. No session not yet opened
// can begin before the latest time read less Options.Reorder (earlier lines are refused), and
// none still open before the moment the oldest of them opened less Reorder.
//
// Memory is bounded by the reader's own bound (MaxOpen × MaxEvents) plus maxPending closed
// sessions held back (0: DefaultMaxPending): past it, the session open longest is closed early
// (counted as ProblemHeld, reason EndHeld) so the ones after it can go (so at most maxPending+2
// are held at once). fn returns false to
// stop reading (the sessions still held are dropped, not handed over).
func ReadOrdered(in io.Reader, o Options, maxPending int, fn func(*Session) bool) (Stats, OrderedStats, error) {
	o.defaults()
	if maxPending <= 0 {
		maxPending = DefaultMaxPending
	}
	var ost OrderedStats
	var h byStart
	r := &reader{o: o, open: map[string]*open{}, idle: list.New(), order: list.New(),
		st: Stats{Problems: map[string]*Problem{}}}
	done := false
	r.fn = func(s *Session) {
		heap.Push(&h, s)
		ost.MaxPending = max(ost.MaxPending, len(h))
	}
	release := func(w int64) {
		for !done && len(h) > 0 && h[0].Events[0].T < w {
			if !fn(heap.Pop(&h).(*Session)) {
				done, r.stop = true, true
			}
		}
	}
	r.after = func() {
		for {
			w := r.maxT - int64(o.Reorder)
			if e := r.order.Front(); e != nil {
				w = min(w, e.Value.(*open).opened-int64(o.Reorder))
			}
			release(w)
			if done || len(h) <= maxPending || r.order.Len() == 0 {
				return
			}
			v := r.order.Front().Value.(*open)
			if v.opened >= r.maxT {
				return // the reorder window holds them back, not an open session: closing one would not help
			}
			ost.Held++
			r.problem(ProblemHeld, v.s.Events[0].Line, "from %q closed with %d requests after %d later sessions waited for it", v.s.From, len(v.s.Events), len(h))
			r.close(v, EndHeld)
		}
	}
	st, err := r.read(in)
	// At the end every session is closed: the rest go in order.
	for !done && len(h) > 0 {
		if !fn(heap.Pop(&h).(*Session)) {
			done = true
		}
	}
	return st, ost, err
}

// byStart is a min-heap of sessions by their first request's time.
type byStart []*Session

func (h byStart) Len() int           { return len(h) }
func (h byStart) Less(i, j int) bool { return h[i].Events[0].T < h[j].Events[0].T }
func (h byStart) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *byStart) Push(x any)        { *h = append(*h, x.(*Session)) }
func (h *byStart) Pop() any {
	old := *h
	s := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return s
}
