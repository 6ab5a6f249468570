package runner

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestFDTimerFiresNotEarly: a timerfd timer fires once its deadline has passed, never before,
// and Reset to a nearer deadline supersedes a farther one.
func TestFDTimerFiresNotEarly(t *testing.T) {
	tm := newFDTimer(time.Hour)
	if tm == nil {
		t.Fatal("timerfd_create failed on Linux")
	}
	defer tm.close()
	for range 20 {
		set := time.Now()
		tm.Reset(2 * time.Millisecond)
		select {
		case at := <-tm.C():
			if at.Before(set.Add(2 * time.Millisecond)) {
				t.Fatalf("fired at +%v, before its 2ms deadline", at.Sub(set))
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a 2ms timer did not fire in 30s")
		}
	}
}

// TestFDTimerStopAndReset: a stopped timer delivers nothing, and a fire of an earlier arming
// does not leak through a Reset (the scheduler would start customers early).
func TestFDTimerStopAndReset(t *testing.T) {
	tm := newFDTimer(time.Millisecond)
	if tm == nil {
		t.Fatal("timerfd_create failed on Linux")
	}
	defer tm.close()
	time.Sleep(20 * time.Millisecond) // it fired; the fire waits in C
	if !(len(tm.C()) == 1) {
		t.Fatal("a 1ms timer had not fired after 20ms")
	}
	tm.Reset(time.Hour) // drops the waiting fire
	tm.Reset(time.Millisecond)
	tm.Stop()
	time.Sleep(20 * time.Millisecond)
	select {
	case <-tm.C():
		t.Fatal("a stopped timer fired")
	default:
	}
	tm.Reset(time.Hour)
	time.Sleep(20 * time.Millisecond)
	select {
	case <-tm.C():
		t.Fatal("a timer reset to 1h fired within 20ms")
	default:
	}
}

// TestFDTimerCloseEndsReader: close ends the reader goroutine and the timer never fires again.
func TestFDTimerCloseEndsReader(t *testing.T) {
	tm := newFDTimer(time.Millisecond)
	if tm == nil {
		t.Fatal("timerfd_create failed on Linux")
	}
	tm.close()
	select {
	case <-tm.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the reader goroutine did not end after close")
	}
	tm.Reset(time.Millisecond)
	time.Sleep(10 * time.Millisecond)
	if len(tm.C()) != 0 {
		t.Error("a closed timer fired")
	}
}

// TestPreciseTimerChoice: a Clock whose time is the kernel's gets the timerfd timer, which
// coalesces (CCLOAD_TIMER=exact: it does not); CCLOAD_TIMER=go, a fake clock and a synctest
// bubble's clock get the Clock's own, which never adds slack.
func TestPreciseTimerChoice(t *testing.T) {
	r := &run{clock: realClock{}}
	tm := r.preciseTimer(time.Hour)
	if _, ok := tm.Timer.(*fdTimer); !ok || !tm.coalesce {
		t.Errorf("real clock: %T (coalescing %v), want a coalescing *fdTimer", tm.Timer, tm.coalesce)
	}
	tm.release()
	for name, c := range map[string]Clock{"fake clock": newFakeClock(), "bubble clock": bubbleClock{}} {
		r := &run{clock: c}
		tm := r.preciseTimer(time.Hour)
		if _, ok := tm.Timer.(*fdTimer); ok || tm.coalesce {
			t.Errorf("%s: got the timerfd timer (coalescing %v)", name, tm.coalesce)
		}
		tm.release()
	}
	t.Setenv("CCLOAD_TIMER", "exact")
	tm = r.preciseTimer(time.Hour)
	if _, ok := tm.Timer.(*fdTimer); !ok || tm.coalesce {
		t.Errorf("CCLOAD_TIMER=exact: %T (coalescing %v), want a *fdTimer that does not coalesce", tm.Timer, tm.coalesce)
	}
	tm.release()
	t.Setenv("CCLOAD_TIMER", "go")
	tm = r.preciseTimer(time.Hour)
	if _, ok := tm.Timer.(*fdTimer); ok || tm.coalesce {
		t.Error("CCLOAD_TIMER=go: got the timerfd timer")
	}
	tm.release()
}

// TestWakeTimerSlackFollowsTheRate: due times faster than one per coalesceSlack turn the
// slack on for the next window, slower ones turn it off again, and a Go timer never gets any.
// The run times are given, not measured.
func TestWakeTimerSlackFollowsTheRate(t *testing.T) {
	w := &wakeTimer{coalesce: true}
	at := int64(0)
	step := func(gap time.Duration, n int) {
		for range n {
			at += int64(gap)
			w.released(at, 1)
		}
	}
	step(500*time.Microsecond, 100) // 2,000/s
	if w.slack != 0 {
		t.Errorf("2,000 due times/s: slack %v, want none", w.slack)
	}
	step(100*time.Microsecond, 400) // 10,000/s
	if w.slack != coalesceSlack {
		t.Errorf("10,000 due times/s: slack %v, want %v", w.slack, coalesceSlack)
	}
	step(time.Millisecond, 100) // 1,000/s
	if w.slack != 0 {
		t.Errorf("back to 1,000 due times/s: slack %v, want none", w.slack)
	}
	step(100*time.Microsecond, 300)
	at += int64(time.Second) // a quiet second, then one: the window's rate is low
	w.released(at, 1)
	if w.slack != 0 {
		t.Errorf("after a quiet second: slack %v, want none", w.slack)
	}
	g := &wakeTimer{}
	at = 0
	for range 1000 {
		at += int64(10 * time.Microsecond)
		g.released(at, 1)
	}
	if g.slack != 0 {
		t.Errorf("a Go timer got slack %v", g.slack)
	}
}

// TestCoalescedWakeUpsReleaseEveryDueInOrder drives a timerfd wakeTimer as the scheduler's loop
// does, with 2,000 due times 100 µs apart (fast enough for slack): every due time is released,
// in order, and none before it is due; the timer never fires before the time it was armed for.
func TestCoalescedWakeUpsReleaseEveryDueInOrder(t *testing.T) {
	r := &run{clock: realClock{}, t0: time.Now()}
	w := r.preciseTimer(time.Hour)
	defer w.release()
	if !w.coalesce {
		t.Fatal("timerfd_create failed on Linux")
	}
	const n = 2000
	due := make([]int64, n)
	base := r.now() + int64(time.Millisecond)
	for i := range due {
		due[i] = base + int64(i)*int64(100*time.Microsecond)
	}
	next, wakes, slacked := 0, 0, false
	for next < n {
		now := r.now()
		k := next
		for next < n && due[next] <= now {
			next++
		}
		if next > k {
			w.released(now, next-k)
		}
		if next == n {
			break
		}
		slacked = slacked || w.slack > 0
		armed := time.Now().Add(time.Duration(due[next] - r.now()))
		w.sleep(time.Duration(due[next] - r.now()))
		select {
		case fired := <-w.C():
			if fired.Before(armed) {
				t.Fatalf("woke %v before due time %d", armed.Sub(fired), next)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("due time %d of %d not released in 30 s", next, n)
		}
		wakes++
		if got := r.now(); got < due[next] {
			t.Fatalf("woke at %d, before due time %d at %d", got, next, due[next])
		}
	}
	t.Logf("%d due times in %d wake-ups (slack seen: %v)", n, wakes, slacked)
}

// TestArrivalsAllHandedOverOnTimerfd plays open-model arrivals (uniform, with think times the
// scheduler's timer wakes) on the timerfd timer, coalescing and exact, then on Go's timers,
// against the mock: 400 at 400/s, and 2,000 at 5,000/s, fast enough for the coalescing slack.
// Every arrival ends in exactly one outcome (started and completed, or dropped as late when a
// loaded machine put the producer behind), and the mock received every request the report
// counts, per endpoint.
func TestArrivalsAllHandedOverOnTimerfd(t *testing.T) {
	for _, tc := range []struct {
		timer   string
		rate, n int64
	}{{"", 400, 400}, {"go", 400, 400}, {"", 5000, 2000}, {"exact", 5000, 2000}} {
		t.Run(fmt.Sprintf("timer=%s/rate=%d", tc.timer, tc.rate), func(t *testing.T) {
			t.Setenv("CCLOAD_TIMER", tc.timer)
			n := tc.n
			srv := testMock(t, nil)
			sc := parse(t, auth+`
load: {model: open, arrivals: uniform, rate: `+fmt.Sprint(tc.rate)+`, duration: `+fmt.Sprintf("%gs", float64(n)/float64(tc.rate))+`}
sessions:
  - name: s
    poll: false
    steps: [connect, {think: 3ms}, {chat: hi}, {think: 1ms}, {chat: again}, disconnect]
`)
			rep := runOK(t, context.Background(), Config{Scenario: sc, BaseURL: srv.URL(), Seed: 1, Grace: time.Minute})
			s := rep.Sessions
			if s.Arrivals != n || s.Started+s.Dropped != n || s.Completed != s.Started || s.Dropped != s.DroppedBy["late"] || s.Started == 0 {
				t.Errorf("sessions %+v: want %d arrivals, each completed or dropped as late", s, n)
			}
			st := srv.Stats()
			if st.Endpoints["sendAsync"] != 4*s.Started {
				t.Errorf("the mock received %d sendAsync for %d sessions of 4 messages", st.Endpoints["sendAsync"], s.Started)
			}
			var received int64
			for _, n := range st.Endpoints {
				received += n
			}
			if rep.Requests.Total != received {
				t.Errorf("requests.total %d, the mock received %d", rep.Requests.Total, received)
			}
		})
	}
}
