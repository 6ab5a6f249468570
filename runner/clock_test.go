package runner

import (
	"sort"
	"sync"
	"time"
)

// fakeClock is a Clock that moves only when a test calls Advance: its timers fire (channel
// timers deliver, AfterFunc timers run their function on the calling goroutine) as time passes them.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

type fakeTimer struct {
	c     *fakeClock
	at    time.Time
	ch    chan time.Time
	f     func()
	armed bool
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	return c.add(&fakeTimer{c: c, ch: make(chan time.Time, 1)}, d)
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) Timer {
	return c.add(&fakeTimer{c: c, f: f}, d)
}

func (c *fakeClock) add(t *fakeTimer, d time.Duration) *fakeTimer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t.at, t.armed = c.now.Add(d), true
	c.timers = append(c.timers, t)
	return t
}

// Advance moves time on by d, firing every timer due by then in order of their instants.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	for {
		sort.SliceStable(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
		var due *fakeTimer
		for _, t := range c.timers {
			if t.armed && !t.at.After(end) {
				due = t
				break
			}
		}
		if due == nil {
			break
		}
		due.armed = false
		c.now = due.at
		c.mu.Unlock()
		if due.f != nil {
			due.f()
		} else {
			select {
			case due.ch <- due.at:
			default:
			}
		}
		c.mu.Lock()
	}
	c.now = end
	c.mu.Unlock()
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.armed
	t.at, t.armed = t.c.now.Add(d), true
	return was
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.armed
	t.armed = false
	return was
}
