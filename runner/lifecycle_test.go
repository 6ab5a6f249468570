package runner

import (
	"testing"
	"time"

	"ccload/report"
)

// The end of a run on a fake clock: what a user reads in report.json (stop_reason,
// interrupted, each cut session's outcome) and when the cut and the teardown's bound come.
func TestLifecycleGraceCutsOnTime(t *testing.T) {
	clk := newFakeClock()
	l := newLifecycle(clk, clk.Now())
	clk.Advance(10 * time.Second) // the stages play
	l.endArrivals()
	l.Grace(5 * time.Second)
	clk.Advance(5*time.Second - time.Nanosecond)
	if l.sessions.Err() != nil || l.CutAt() != 0 {
		t.Fatalf("sessions cut %v at %d before the grace period ran out", l.sessions.Err(), l.CutAt())
	}
	clk.Advance(time.Nanosecond)
	if l.sessions.Err() == nil {
		t.Fatal("the grace period ran out and the sessions were not cut")
	}
	if got, want := time.Duration(l.CutAt()), 15*time.Second; got != want {
		t.Errorf("cut at %s, want %s (the end of the stages plus the grace period)", got, want)
	}
	if o := l.CutOutcome(); o != report.CutByGrace {
		t.Errorf("a session the grace period cut on a run nobody stopped ends %v, want cut_by_grace", o)
	}
	if l.teardown.Err() != nil {
		t.Fatal("the teardown ended at the cut: it gets TeardownLimit")
	}
	clk.Advance(TeardownLimit - time.Nanosecond)
	if l.teardown.Err() != nil {
		t.Fatal("the teardown ended before TeardownLimit")
	}
	clk.Advance(time.Nanosecond)
	if l.teardown.Err() == nil {
		t.Fatal("the teardown outlived TeardownLimit")
	}
	stop := l.final(3, false)
	if stop.String() != report.StopGraceCut || stop.Interrupted() {
		t.Errorf("stop_reason %q interrupted %v, want %q, not interrupted", stop, stop.Interrupted(), report.StopGraceCut)
	}
}

func TestLifecycleStops(t *testing.T) {
	for _, tc := range []struct {
		name        string
		stop        report.Stop
		hard        bool
		cut         report.Outcome // how the sessions the grace period (or the stop) cut end
		reason      string
		interrupted bool
	}{
		{"signal: arrivals end, sessions get the grace period", report.Stop{Kind: report.ReasonInterrupted}, false, report.Interrupted, "interrupted", true},
		{"kill: everything is cut at once", report.Stop{Kind: report.ReasonInterrupted}, true, report.Interrupted, "interrupted", true},
		{"abort_on_fail", report.Stop{Kind: report.ReasonAborted, Detail: "fast"}, true, report.Interrupted, "aborted: fast", true},
		{"data exhausted: the running sessions go on", report.Stop{Kind: report.ReasonDataExhausted, Detail: "users"}, false, report.CutByGrace, "data exhausted: feeder users", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			l := newLifecycle(clk, clk.Now())
			clk.Advance(time.Second)
			l.Stop(tc.stop, tc.hard)
			l.Stop(report.Stop{Kind: report.ReasonUnreachable}, false) // the first reason wins
			if l.arrivals.Err() == nil {
				t.Fatal("a stop did not end arrivals")
			}
			if cut := l.sessions.Err() != nil; cut != tc.hard {
				t.Fatalf("sessions cut: %v, want %v (hard stop)", cut, tc.hard)
			}
			l.Grace(2 * time.Second)
			clk.Advance(2 * time.Second)
			if l.sessions.Err() == nil {
				t.Fatal("sessions outlived the grace period")
			}
			if o := l.CutOutcome(); o != tc.cut {
				t.Errorf("cut sessions end %v, want %v", o, tc.cut)
			}
			stop := l.final(0, false)
			if stop.String() != tc.reason || stop.Interrupted() != tc.interrupted {
				t.Errorf("stop_reason %q interrupted %v, want %q %v", stop, stop.Interrupted(), tc.reason, tc.interrupted)
			}
			if p := report.ParseStop(stop.String()); p != stop {
				t.Errorf("stop_reason %q reads back as %+v", stop, p)
			}
		})
	}
}

// A run whose every request went unanswered ends unreachable (and interrupted) unless a signal
// stopped it first.
func TestLifecycleUnreachable(t *testing.T) {
	clk := newFakeClock()
	l := newLifecycle(clk, clk.Now())
	if s := l.final(0, true); s.Kind != report.ReasonUnreachable || !s.Interrupted() {
		t.Errorf("no answer: %q interrupted %v, want unreachable, interrupted", s, s.Interrupted())
	}
	l.Stop(report.Stop{Kind: report.ReasonInterrupted}, false)
	if s := l.final(0, true); s.Kind != report.ReasonInterrupted {
		t.Errorf("stopped by a signal: %q, want interrupted", s)
	}
}
