package runner

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"ccload/ccapi"
	"ccload/report"
)

// TestIdleCustomersHoldNoGoroutines connects 10,000 customers (closed model: none is dropped
// however slow the machine) that then think for a minute, and counts the process's goroutines
// while they are all connected: the customers wait in the scheduler's heap, not on goroutines
// of their own.
func TestIdleCustomersHoldNoGoroutines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		if testing.Short() {
			t.Skip("10,000 sessions")
		}
		srv := bubbleMock(t, nil)
		const n, conns = 10000, 32
		sc := parse(t, auth+fmt.Sprintf(`target: {max_connections: %d}
load:
  model: closed
  stages: [{duration: 1s, from: 0, to: %d}, {duration: 10m, customers: %[2]d}]
sessions:
  - name: idle
    poll: {interval: 60s}
    steps: [connect, {think: 60s}, disconnect]
`, conns, n))
		kill := make(chan struct{})
		done := make(chan *report.Report, 1)
		go func() {
			rep, err := Run(context.Background(), srv.target(Config{Scenario: sc, Kill: kill, Grace: time.Minute}))
			if err != nil {
				t.Error(err)
			}
			done <- rep
		}()
		deadline := time.Now().Add(90 * time.Second)
		for srv.Stats().Sessions.Open < n {
			if time.Now().After(deadline) {
				close(kill)
				<-done
				t.Fatalf("only %d of %d customers connected in 90s", srv.Stats().Sessions.Open, n)
			}
			time.Sleep(50 * time.Millisecond)
		}
		g := runtime.NumGoroutine()
		t.Logf("%d goroutines with %d customers connected", g, n)
		close(kill)
		rep := <-done
		// The constant covers the runtime, the test, the collector, the producer, the client and,
		// since this process also runs the mock, its HTTP server's goroutine per open connection
		// (at most conns), plus the transport's own per connection (net/http: 2, h1: none).
		// A goroutine per customer would be 10,000 more.
		perConn := 1 + ccapi.ConnGoroutines("")
		if limit := conns*perConn + 64; g >= limit {
			t.Errorf("%d goroutines with %d customers connected, want fewer than %d (%d connections × %d + 64)", g, n, limit, conns, perConn)
		}
		if rep == nil || rep.Sessions.Started != n || rep.Sessions.Interrupted != n {
			t.Errorf("sessions %+v: want all %d started and interrupted by the kill", rep.Sessions, n)
		}
	})
}

// TestOverloadIsBoundedAndCounted offers 200,000 arrivals in 200 ms (1,000,000/s, more than
// this generator can start) with no max_customers: live customers stay within the live limit,
// the run ends with its stages, and every planned arrival is counted as started or dropped,
// each drop with its reason.
func TestOverloadIsBoundedAndCounted(t *testing.T) {
	if testing.Short() {
		t.Skip("200,000 arrivals")
	}
	srv := testMock(t, nil)
	const limit = 2000
	sc := parse(t, auth+`load: {arrivals: uniform, rate: 1000000, duration: 200ms}
sessions:
  - name: s
    poll: false
    steps: [connect, {think: 10s}, disconnect]
`)
	rep := runOK(t, context.Background(), Config{Scenario: sc, BaseURL: srv.URL(), Grace: -1, LiveLimit: limit})
	s := rep.Sessions
	t.Logf("sessions %+v", s)
	if s.Arrivals != 200000 {
		t.Errorf("%d arrivals counted, want all 200,000 planned", s.Arrivals)
	}
	if s.Started > limit {
		t.Errorf("%d sessions started, want at most the live limit %d (none could end before the stages did)", s.Started, limit)
	}
	var by int64
	for reason, n := range s.DroppedBy {
		if reason != "live_limit" && reason != "late" {
			t.Errorf("dropped for %q: want live_limit or late", reason)
		}
		by += n
	}
	if by != s.Dropped || s.Dropped != s.Arrivals-s.Started {
		t.Errorf("dropped %d, by reason %v (sum %d), arrivals-started %d: want all equal", s.Dropped, s.DroppedBy, by, s.Arrivals-s.Started)
	}
	if got := srv.Stats().ControlTypes["CONNECT"]; got > limit {
		t.Errorf("the mock received %d CONNECTs, want at most %d", got, limit)
	}
}

// TestMaxRPSCapsEveryRequest offers far more than target.max_rps allows; the mock, counting
// what it receives, must see no more than the ceiling times the run's length (plus the one
// request of the limiter's burst), and the waits show in throttle_wait_us.
func TestMaxRPSCapsEveryRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := bubbleMock(t, nil)
		sc := parse(t, auth+`target: {max_rps: 50}
load: {arrivals: uniform, rate: 100, duration: 1s}
sessions:
  - name: s
    poll: false
    steps: [connect, {chat: hi}, {chat: again}, disconnect]
`)
		rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Grace: -1}))
		var got int64
		for _, n := range srv.Stats().Endpoints {
			got += n
		}
		if limit := int64(50*rep.DurationS) + 1; got > limit {
			t.Errorf("the mock received %d requests in %.2fs, over max_rps 50 (at most %d)", got, rep.DurationS, limit)
		}
		if rep.ThrottleWaitUS.Count == 0 {
			t.Errorf("throttle_wait_us is empty: the limiter held no request of %d offered", rep.Requests.Total)
		}
	})
}

// TestHandOverKeepsTheQueuesOrder: a customer due now goes straight to a free worker only when
// nothing parked is due before it and the loop is not handing over customers it took;
// otherwise (or when no worker is free, or it is not due yet) it is parked, so no customer is
// released early or overtakes one due before it.
func TestHandOverKeepsTheQueuesOrder(t *testing.T) {
	clk := newFakeClock()
	r := &run{clock: clk, t0: clk.Now()}
	clk.Advance(time.Second)
	now := r.now()
	s := &scheduler{r: r, due: make(chan *vc, 1)}
	c, d := &vc{k: 1, hidx: -1}, &vc{k: 2, hidx: -1}
	if s.handOver(c, now+1) {
		t.Fatal("a customer due in 1ns was handed over now")
	}
	if !s.handOver(c, now) || len(s.due) != 1 || <-s.due != c || c.wakeAt != now {
		t.Fatal("a customer due now, with the queue empty and a worker free, was not handed over")
	}
	s.due <- d // every worker busy
	if s.handOver(c, now) {
		t.Fatal("handed over with no worker free")
	}
	<-s.due
	s.q.push(d, now-1) // d, parked, is due before c
	if s.handOver(c, now) {
		t.Fatal("c overtook d, parked and due before it")
	}
	s.q.remove(d)
	s.q.push(d, now+int64(time.Hour)) // d due later: c may go
	// As the loop does, pop what is due now (nothing): the queue's cursor moves to now.
	if got := s.q.pop(now, nil); len(got) != 0 {
		t.Fatalf("popped %d customers due an hour later", len(got))
	}
	if !s.handOver(c, now) {
		t.Fatal("c not handed over, with the only parked customer due an hour later")
	}
	<-s.due
	s.handing.Store(true) // the loop has taken customers it has not handed over yet
	if s.handOver(c, now) {
		t.Fatal("c overtook the customers the loop is handing over")
	}
}
