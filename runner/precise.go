package runner

import (
	"os"
	"time"
)

// preciseTimer returns the timer the scheduler and the open-model producer sleep on until the
// next intended start, and the call that releases it. On the real clock on Linux it is a timerfd
// (fdTimer: wakes within tens of µs, where a Go timer can be a millisecond late); elsewhere,
// with a test's Clock or synctest bubble (Config.goTimers), or with CCLOAD_TIMER=go (to compare
// the two), it is the Clock's timer.
func (r *run) preciseTimer(d time.Duration) (Timer, func()) {
	if _, real := r.clock.(realClock); real && !r.cfg.goTimers && os.Getenv("CCLOAD_TIMER") != "go" {
		if t := newFDTimer(d); t != nil {
			return t, t.close
		}
	}
	t := r.clock.NewTimer(d)
	return t, func() { t.Stop() }
}
