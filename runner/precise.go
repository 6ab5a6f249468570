package runner

import (
	"os"
	"time"
)

// Coalescing of precise wake-ups. A timerfd wake-up costs about twice a Go timer's in CPU (a
// timerfd_settime, the netpoller's wake-up, a read; bench/timerlag), and the Go timer, late by
// up to a millisecond, often finds several due at once where the timerfd wakes for each. While
// due times come faster than one per coalesceSlack (measured over paceWindow), a wake-up is
// armed coalesceSlack past the first due time, so one wake-up releases every one due in that
// slack: nothing is released early (the loops release only what is due by now), the first is
// at most coalesceSlack later than it would be, and the wake-ups fall from one per due time to
// at most about one per coalesceSlack. At 2,000 arrivals/s (one per 500 µs) there is no slack;
// at 6,667 session arrivals/s (bench/goal-20k.yaml) there is.
const (
	coalesceSlack = 250 * time.Microsecond
	paceWindow    = 10 * time.Millisecond
)

// wakeTimer is the timer a loop sleeps on until the next due time (the scheduler's loop, the
// open-model producer), with its coalescing state. Only a timerfd coalesces: a Go timer (a
// fake or bubble clock, or CCLOAD_TIMER=go) is armed for exactly what it is asked.
type wakeTimer struct {
	Timer
	release  func()
	coalesce bool
	from     int64 // the current pace window's start (run time)
	n        int64 // due times released in it
	slack    time.Duration
}

// preciseTimer returns the timer the scheduler and the open-model producer sleep on until the
// next intended start; release frees it. With a Clock whose time is the kernel's (kernelClock)
// on Linux it is a timerfd (fdTimer: wakes within tens of µs, where a Go timer can be a
// millisecond late); elsewhere, with a Clock whose time is not the kernel's (a test's fake
// clock, a synctest bubble's), or with CCLOAD_TIMER=go (to compare the two), it is the Clock's
// timer. CCLOAD_TIMER=exact keeps the timerfd but never coalesces (to measure what coalescing
// buys).
func (r *run) preciseTimer(d time.Duration) *wakeTimer {
	mode := os.Getenv("CCLOAD_TIMER")
	if k, ok := r.clock.(kernelClock); ok && k.kernelTime() && mode != "go" {
		if t := newFDTimer(d); t != nil {
			return &wakeTimer{Timer: t, release: t.close, coalesce: mode != "exact"}
		}
	}
	t := r.clock.NewTimer(d)
	return &wakeTimer{Timer: t, release: func() { t.Stop() }}
}

// sleep arms the timer for the next due time, d from now: d plus the slack while due times
// come fast.
func (w *wakeTimer) sleep(d time.Duration) {
	if d > 0 {
		d += w.slack
	}
	w.Reset(d)
}

// released notes that n due times were released at now (run time); at the end of each pace
// window it sets the slack for the next: coalesceSlack when they came faster than one per
// coalesceSlack, none otherwise.
func (w *wakeTimer) released(now int64, n int) {
	if !w.coalesce {
		return
	}
	w.n += int64(n)
	if el := now - w.from; el >= int64(paceWindow) {
		w.slack = 0
		if w.n*int64(coalesceSlack) > el {
			w.slack = coalesceSlack
		}
		w.from, w.n = now, 0
	}
}
