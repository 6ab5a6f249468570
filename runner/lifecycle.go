package runner

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"ccload/report"
)

// TeardownLimit bounds the run's teardown: the DISCONNECTs sent, concurrently up to the
// connection limit, to every customer still connected when the run cut its sessions.
const TeardownLimit = 2 * time.Second

// lifecycle is the end of a run as one value: its phase, why it stopped, the grace period,
// the cut and the teardown. It owns the three contexts of a run — arrivals (the producer),
// sessions (the customers) and teardown (the DISCONNECTs after a cut) — and every rule that
// ends them, on the run's Clock, so a test drives it with a fake clock.
//
// The order is fixed: Stop ends arrivals (a hard stop cuts at once); after the producer
// returns, Grace arms the grace timer; when it fires (or a hard stop comes) Cut cancels the
// sessions, records the cut instant and starts the teardown's clock (TeardownLimit).
type lifecycle struct {
	clock Clock
	t0    time.Time

	arrivals, sessions, teardown context.Context
	endArrivals, endSessions     context.CancelFunc
	endTeardown                  context.CancelFunc

	cutOnce  sync.Once
	cutAt    atomic.Int64 // ns since t0 of the cut (0: not cut)
	graceCut atomic.Bool  // the cut was the grace period running out on a run nobody stopped
	grace    Timer

	// Customers the run could not disconnect: cut ones whose teardown came too late or failed
	// (tdLeft), failed ones whose abandon DISCONNECT failed (abLeft).
	tdLeft, abLeft atomic.Int64

	mu     sync.Mutex // guards reason, phase
	reason report.Stop
	// stopped says reason was set by Stop (the zero Stop is "completed").
	stopped bool
	phase   string
}

// newLifecycle starts a run's lifecycle at t0 on clock (nil: the wall clock).
func newLifecycle(clock Clock, t0 time.Time) *lifecycle {
	if clock == nil {
		clock = realClock{}
	}
	l := &lifecycle{clock: clock, t0: t0, phase: "running"}
	// The contexts are the run's own: the caller's ctx only asks for a graceful Stop.
	l.arrivals, l.endArrivals = context.WithCancel(context.Background())
	l.sessions, l.endSessions = context.WithCancel(context.Background())
	l.teardown, l.endTeardown = context.WithCancel(context.Background())
	return l
}

// now is the run's age in ns.
func (l *lifecycle) now() int64 { return int64(l.clock.Now().Sub(l.t0)) }

// Stop ends the run early for reason (the first reason wins): arrivals end at once, and with
// hard the running sessions are cut too instead of getting the grace period.
func (l *lifecycle) Stop(reason report.Stop, hard bool) {
	l.mu.Lock()
	if !l.stopped {
		l.stopped, l.reason = true, reason
		l.phase = "stopping: " + reason.String()
	}
	l.mu.Unlock()
	l.endArrivals()
	if hard {
		l.Cut()
	}
}

// Reason is why the run stopped (the zero Stop, completed, when nobody stopped it).
func (l *lifecycle) Reason() (report.Stop, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reason, l.stopped
}

// Grace arms the grace period once arrivals have ended: the sessions still running after wait
// are cut — cut_by_grace when nobody stopped the run (or its data ran out), interrupted after a
// signal, an abort or a kill.
func (l *lifecycle) Grace(wait time.Duration) {
	l.setPhase("grace: sessions finishing")
	l.grace = l.clock.AfterFunc(wait, func() {
		if r, stopped := l.Reason(); !stopped || r.Kind == report.ReasonDataExhausted {
			l.graceCut.Store(true)
		}
		l.Cut()
	})
}

// Drained says every customer has ended: the grace timer is no longer needed.
func (l *lifecycle) Drained() {
	if l.grace != nil {
		l.grace.Stop()
	}
}

// Cut cancels every session at once; the first cut records its instant (so a customer that
// was due then but waited for a worker counts its request not sent) and starts the teardown's
// clock: the DISCONNECTs of customers still connected get TeardownLimit from the cut.
func (l *lifecycle) Cut() {
	l.cutOnce.Do(func() {
		l.cutAt.CompareAndSwap(0, max(l.now(), 1))
		l.setPhase("teardown: disconnecting the customers still connected")
		l.clock.AfterFunc(TeardownLimit, l.endTeardown)
	})
	l.endSessions()
}

// CutAt is the cut's instant (ns since t0), 0 before any cut.
func (l *lifecycle) CutAt() int64 { return l.cutAt.Load() }

// CutOutcome is how a session the run cut ends: cut_by_grace when the grace period cut a run
// nobody stopped, interrupted otherwise.
func (l *lifecycle) CutOutcome() report.Outcome {
	if l.graceCut.Load() {
		return report.CutByGrace
	}
	return report.Interrupted
}

// close releases the contexts once the run is over.
func (l *lifecycle) close() {
	l.endArrivals()
	l.endSessions()
	l.endTeardown()
}

// setPhase names what the run is doing, for the progress display (a stop's phase stays).
func (l *lifecycle) setPhase(p string) {
	l.mu.Lock()
	if !l.stopped {
		l.phase = p
	}
	l.mu.Unlock()
}

// Phase is what the run is doing.
func (l *lifecycle) Phase() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.phase
}

// final is the run's stop reason once its report is built: a grace cut of a run that was not
// stopped says so, and a run no request of which got an HTTP answer is unreachable.
func (l *lifecycle) final(cutByGrace int64, unreachable bool) report.Stop {
	r, stopped := l.Reason()
	if !stopped && cutByGrace > 0 {
		r = report.Stop{Kind: report.ReasonGraceCut}
	}
	if unreachable && r.Kind != report.ReasonInterrupted {
		r = report.Stop{Kind: report.ReasonUnreachable}
	}
	return r
}
