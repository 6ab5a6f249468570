package runner

import "time"

// grid is a customer's periodic exchange schedule: the poll grid (every poll interval while it
// polls) and the queue grid (every queue interval while await_agent waits in the queue). It
// holds only the next tick; the interval is the session's (every), so a parked customer
// carries one int64 per grid.
type grid struct{ next int64 }

// startAfter puts the first tick one interval after t (a CONNECT's end, or the moment polls
// start on the session's timeline).
func (g *grid) startAfter(t, every int64) { g.next = t + every }

// due says whether the tick has come by now.
func (g grid) due(now int64) bool { return g.next <= now }

// skipPast moves the grid on after an exchange of it that ended at end: the next tick, or,
// when the exchange was slow, the first tick after end — the ticks it missed are skipped, not
// burst.
func (g *grid) skipPast(end, every int64) {
	g.next += every
	if g.next <= end {
		g.next += ((end-g.next)/every + 1) * every
	}
}

// every is a session's grid interval in ns: d, or def when d is not set.
func every(d, def time.Duration) int64 {
	if d > 0 {
		return int64(d)
	}
	return int64(def)
}
