package runner

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// startAtScenario sends one CONNECT and one DISCONNECT per session, 10 sessions a second for 300 ms.
const startAtScenario = auth + `
load:
  stages: [{duration: 300ms, rate: 10}]
sessions:
  - name: s
    poll: false
    steps: [connect, disconnect]
`

// firstSeen wraps the mock and notes when the first request reached it.
func firstSeen(t *testing.T) (*memTarget, func() time.Time) {
	t.Helper()
	srv := bubbleMock(t, nil)
	var mu sync.Mutex
	var first time.Time
	ts := memServe(t, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		if first.IsZero() {
			first = time.Now()
		}
		mu.Unlock()
		srv.Handler().ServeHTTP(w, req)
	}))
	return ts, func() time.Time { mu.Lock(); defer mu.Unlock(); return first }
}

func TestStartAtBeginsTheScheduleAtThatInstant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		front, first := firstSeen(t)
		at := time.Now().Add(400 * time.Millisecond)
		rep := runOK(t, context.Background(), front.target(Config{Scenario: parse(t, startAtScenario), Seed: 1, StartAt: at}))
		if !rep.StartedAt.Equal(at) || !rep.StartAt.Equal(at) {
			t.Errorf("started_at %v, start_at %v; want both %v", rep.StartedAt, rep.StartAt, at)
		}
		if f := first(); f.IsZero() || f.Before(at) {
			t.Errorf("first request reached the target at %v; want at or after start_at %v", f, at)
		}
		if rep.Sessions.Arrivals != 3 || rep.Interrupted {
			t.Errorf("arrivals %d, interrupted %v; want 3 and a completed run", rep.Sessions.Arrivals, rep.Interrupted)
		}
		if len(rep.Warnings) > 0 {
			t.Errorf("warnings on an on-time start: %q", rep.Warnings)
		}
	})
}

func TestStopWhileWaitingForStartAtSendsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		front, first := firstSeen(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // the stop comes before the instant
		rep := runOK(t, ctx, front.target(Config{Scenario: parse(t, startAtScenario), Seed: 1, StartAt: time.Now().Add(time.Hour)}))
		if !first().IsZero() || rep.Requests.Total != 0 || rep.Sessions.Arrivals != 0 {
			t.Errorf("a run stopped before start_at sent %d requests (%d arrivals)", rep.Requests.Total, rep.Sessions.Arrivals)
		}
		if !rep.Interrupted || rep.StopReason != "interrupted" {
			t.Errorf("interrupted %v, stop_reason %q; want an interrupted run", rep.Interrupted, rep.StopReason)
		}
	})
}

func TestStartAtLongPastBeginsNowAndWarns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		front, _ := firstSeen(t)
		at := time.Now().Add(-time.Minute)
		rep := runOK(t, context.Background(), front.target(Config{Scenario: parse(t, startAtScenario), Seed: 1, StartAt: at}))
		if !rep.StartedAt.After(at.Add(lateStart)) || rep.Sessions.Arrivals != 3 {
			t.Errorf("started_at %v (start_at %v), arrivals %d; want a full run begun now", rep.StartedAt, at, rep.Sessions.Arrivals)
		}
		if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "schedule is shifted") {
			t.Errorf("warnings %q; want one saying the schedule is shifted", rep.Warnings)
		}
	})
}
