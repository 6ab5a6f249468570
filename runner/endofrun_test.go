package runner

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"ccload/report"
)

// countArrivals is an Observer that counts arrivals, so a test knows how far the producer got.
type countArrivals struct{ n atomic.Int64 }

func (o *countArrivals) Request(*report.Sample, string, string, string) {}
func (o *countArrivals) Arrival()                                       { o.n.Add(1) }
func (o *countArrivals) Dropped()                                       {}
func (o *countArrivals) SessionEnded(report.Outcome)                    {}
func (o *countArrivals) Active(int64)                                   {}

// The end of a whole run on a fake clock, no real time and no request: ten customers arrive
// over a 10 s stage and think for a minute; the grace period (2 s) after the stage runs out on
// the run's clock and cuts them all as cut_by_grace; each owed nothing (it was thinking, not
// connected), so nothing is sent, not even a teardown DISCONNECT.
func TestEndOfRunOnAFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sc := parse(t, `auth: {access_token: a, ccmessaging_token: c}
load: {model: open, arrivals: uniform, rate: 1, duration: 10s}
sessions:
  - name: thinker
    poll: false
    steps: [{think: 60s}, connect, disconnect]
`)
		clk := newFakeClock()
		obs := &countArrivals{}
		done := make(chan *report.Report, 1)
		go func() {
			// Port 9 (discard) on loopback: never contacted, since no customer gets to send.
			rep, err := Run(context.Background(), Config{Scenario: sc, BaseURL: "http://127.0.0.1:9", Clock: clk, Grace: 2 * time.Second, Observer: obs, Seed: 1})
			if err != nil {
				t.Error(err)
			}
			done <- rep
		}()
		var rep *report.Report
		deadline := time.Now().Add(30 * time.Second) // a bound on the loop, not a measurement
		for rep == nil {
			select {
			case rep = <-done:
				continue
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("the run did not end; %d arrivals, fake time %s", obs.n.Load(), clk.Now().Sub(newFakeClock().Now()))
			}
			clk.Advance(100 * time.Millisecond)
			time.Sleep(time.Millisecond) // let the producer and the scheduler take the fired timers
		}
		s := rep.Sessions
		if s.Arrivals != 10 || s.Started != 10 || s.CutByGrace != 10 || s.Ended() != 10 {
			t.Errorf("sessions %+v: want 10 arrivals, all started and cut_by_grace", s)
		}
		if rep.StopReason != report.StopGraceCut || rep.Interrupted {
			t.Errorf("stop_reason %q interrupted %v, want %q, not interrupted", rep.StopReason, rep.Interrupted, report.StopGraceCut)
		}
		if rep.Requests.Total != 0 || rep.Requests.NotSent != 0 || len(rep.Groups) != 0 {
			t.Errorf("requests %+v groups %d: a thinking customer owes nothing at the cut", rep.Requests, len(rep.Groups))
		}
		// The cut comes at the stage's end plus the grace period, on the run's clock (the fake
		// clock moves in 100 ms steps, so the run may end one step later).
		if rep.DurationS < 12 || rep.DurationS > 12.2 {
			t.Errorf("the run lasted %.2f s of the run's clock, want 12 (10 s stage + 2 s grace)", rep.DurationS)
		}
	})
}
