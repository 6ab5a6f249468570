package runner

import (
	"sync/atomic"
	"time"
)

// WorkersBusy measures how long a run's scheduler held a due customer because every exchange
// worker (one per connection, target.max_connections) was busy. Past a target's saturation its
// queue holds every connection and due customers wait for one: scheduler lag the target caused.
// A starved generator lags without it (its scheduler is late to run, not blocked on workers), so
// ccload capacity reads it to tell the two apart (Config.WorkersBusy).
type WorkersBusy struct{ ns atomic.Int64 }

// Blocked is the total time so far the scheduler waited for a free worker with a customer due.
func (w *WorkersBusy) Blocked() time.Duration { return time.Duration(w.ns.Load()) }

// hand gives a due customer to a worker; when every worker is busy and the due channel full
// (as many customers waiting as there are workers) it waits for one, and that wait is added to
// Config.WorkersBusy. The customer is late, not lost. Customers waiting in the channel before it
// fills are not counted: the measure sees a target's queue once it holds every connection and
// as many customers again wait for one, as past a saturation they soon do.
func (s *scheduler) hand(c *vc) {
	w := s.r.cfg.WorkersBusy
	if w == nil {
		s.due <- c
		return
	}
	select {
	case s.due <- c:
		return
	default:
	}
	t0 := s.r.now()
	s.due <- c
	w.ns.Add(max(s.r.now()-t0, 0))
}
