package runner

import (
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// fdTimer is a Timer on a Linux timerfd (CLOCK_MONOTONIC) read through Go's netpoller. Go's
// own timers wake an idle process through epoll_wait's timeout, which is whole milliseconds
// (golang/go#53824), so a scheduler sleeping on one starts customers up to about 1 ms late; a
// timerfd becomes readable when its hrtimer expires, which wakes the same epoll_wait at once.
// One goroutine per timer waits in Read (parked in the netpoller: no thread and no CPU while it
// waits) and delivers to C only when the deadline set last has passed, so a Reset or Stop never
// lets an earlier arming fire late.
type fdTimer struct {
	f    *os.File
	rc   syscall.RawConn // f's, kept: SyscallConn allocates
	c    chan time.Time
	done chan struct{} // closed when read returns

	mu       sync.Mutex
	deadline time.Time // when C may fire; zero: stopped
	closed   bool
}

// itimerspec is struct itimerspec: interval, then value.
type itimerspec struct{ interval, value syscall.Timespec }

// newFDTimer returns a timer that fires once after d, or nil when timerfd is not available
// (the caller falls back to a Go timer).
func newFDTimer(d time.Duration) *fdTimer {
	const tfdNonblock, tfdCloexec = syscall.O_NONBLOCK, syscall.O_CLOEXEC
	fd, _, errno := syscall.Syscall(syscall.SYS_TIMERFD_CREATE, 1 /* CLOCK_MONOTONIC */, tfdNonblock|tfdCloexec, 0)
	if errno != 0 {
		return nil
	}
	f := os.NewFile(fd, "timerfd") // non-blocking: os registers it with the netpoller
	if f == nil {
		syscall.Close(int(fd))
		return nil
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil
	}
	t := &fdTimer{f: f, rc: rc, c: make(chan time.Time, 1), done: make(chan struct{})}
	go t.read()
	t.Reset(d)
	return t
}

// read waits for expirations and delivers those of the current deadline.
func (t *fdTimer) read() {
	defer close(t.done)
	var b [8]byte // the expiration count
	for {
		if _, err := t.f.Read(b[:]); err != nil {
			return // closed (Stop after close) or broken: Go timers are not used as a fallback here
		}
		now := time.Now()
		t.mu.Lock()
		if !t.deadline.IsZero() && !now.Before(t.deadline) {
			t.deadline = time.Time{}
			select {
			case t.c <- now:
			default:
			}
		}
		t.mu.Unlock()
	}
}

// arm sets the timerfd to expire after d; mu held.
func (t *fdTimer) arm(d time.Duration) {
	spec := itimerspec{value: syscall.NsecToTimespec(int64(d))}
	t.rc.Control(func(fd uintptr) {
		syscall.Syscall6(syscall.SYS_TIMERFD_SETTIME, fd, 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0)
	})
}

// C delivers the instant the timer fired.
func (t *fdTimer) C() <-chan time.Time { return t.c }

// Reset rearms the timer to fire after d (at once for d <= 0); a fire not yet received is
// dropped. It says whether the timer was armed.
func (t *fdTimer) Reset(d time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	was := !t.deadline.IsZero()
	t.drain()
	if t.closed {
		return was
	}
	t.deadline = time.Now().Add(d)
	t.arm(max(d, 1)) // 0 would disarm
	return was
}

// Stop keeps the timer from firing and drops a fire not yet received; false when it was not
// armed. The timerfd itself stays armed (a syscall saved: the scheduler stops and resets its
// timer on every turn); should it expire, read finds no deadline and delivers nothing.
func (t *fdTimer) Stop() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	was := !t.deadline.IsZero()
	t.deadline = time.Time{}
	t.drain()
	return was
}

// close releases the timerfd and ends its reader; the timer never fires again.
func (t *fdTimer) close() {
	t.mu.Lock()
	t.closed = true
	t.deadline = time.Time{}
	t.drain()
	t.mu.Unlock()
	t.f.Close()
}

func (t *fdTimer) drain() {
	select {
	case <-t.c:
	default:
	}
}
