package runner

import "time"

// Clock is the run's time: the scheduler, the producers, the collector and the lifecycle read
// it and wait on it, so the end of a run (grace, cut, teardown) can be driven by a fake clock
// in tests instead of real time. Config.Clock nil is the real clock.
type Clock interface {
	// Now is the current instant.
	Now() time.Time
	// NewTimer returns a timer that fires once after d.
	NewTimer(d time.Duration) Timer
	// AfterFunc calls f on its own goroutine (or, for a fake clock, from the call that moves
	// time past it) after d.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a Clock's timer: time.Timer's operations, its channel behind a method.
type Timer interface {
	// C delivers the instant the timer fired (nil for an AfterFunc timer).
	C() <-chan time.Time
	// Reset rearms the timer to fire after d.
	Reset(d time.Duration) bool
	// Stop keeps the timer from firing; false when it already fired or was stopped.
	Stop() bool
}

// kernelClock is a Clock that says whether its time is the kernel's monotonic clock. Only
// then may the scheduler and the producer sleep on a timerfd (precise.go), which the kernel
// wakes: a Clock that does not implement it, or says false (a fake clock, the wall clock
// inside a synctest bubble), gets its own timers.
type kernelClock interface {
	kernelTime() bool
}

// realClock is the wall clock.
type realClock struct{}

func (realClock) kernelTime() bool { return true }

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

func (realClock) AfterFunc(d time.Duration, f func()) Timer {
	return realTimer{time.AfterFunc(d, f)}
}

type realTimer struct{ t *time.Timer }

func (t realTimer) C() <-chan time.Time        { return t.t.C }
func (t realTimer) Reset(d time.Duration) bool { return t.t.Reset(d) }
func (t realTimer) Stop() bool                 { return t.t.Stop() }
