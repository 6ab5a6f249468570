package runner

import (
	"context"
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

// TestPreciseTimerChoice: the real clock on Linux gets the timerfd timer; CCLOAD_TIMER=go and a
// test's Clock get the Clock's own.
func TestPreciseTimerChoice(t *testing.T) {
	r := &run{clock: realClock{}}
	tm, release := r.preciseTimer(time.Hour)
	if _, ok := tm.(*fdTimer); !ok {
		t.Errorf("real clock: %T, want *fdTimer", tm)
	}
	release()
	t.Setenv("CCLOAD_TIMER", "go")
	tm, release = r.preciseTimer(time.Hour)
	if _, ok := tm.(*fdTimer); ok {
		t.Error("CCLOAD_TIMER=go: got the timerfd timer")
	}
	release()
}

// TestArrivalsAllHandedOverOnTimerfd plays 400 arrivals (open model, uniform, with think
// times the scheduler's timer wakes) on the timerfd timer, then the same on Go's timers,
// against the mock: every arrival ends in exactly one outcome (started and completed, or
// dropped as late when a loaded machine put the producer behind), and the mock received every
// request the report counts, per endpoint.
func TestArrivalsAllHandedOverOnTimerfd(t *testing.T) {
	for _, timer := range []string{"", "go"} {
		t.Run("timer="+timer, func(t *testing.T) {
			t.Setenv("CCLOAD_TIMER", timer)
			srv := testMock(t, nil)
			sc := parse(t, auth+`
load: {model: open, arrivals: uniform, rate: 400, duration: 1s}
sessions:
  - name: s
    poll: false
    steps: [connect, {think: 3ms}, {chat: hi}, {think: 1ms}, {chat: again}, disconnect]
`)
			rep := runOK(t, context.Background(), Config{Scenario: sc, BaseURL: srv.URL(), Seed: 1, Grace: time.Minute})
			s := rep.Sessions
			if s.Arrivals != 400 || s.Started+s.Dropped != 400 || s.Completed != s.Started || s.Dropped != s.DroppedBy["late"] || s.Started == 0 {
				t.Errorf("sessions %+v: want 400 arrivals, each completed or dropped as late", s)
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
