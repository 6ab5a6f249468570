package runner

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"ccload/mock"
)

// TestWorkersBusyMeasuresTheWaitForAConnection: 4 connected customers polling every 100 ms at a
// target that serves 5 requests/s. With one connection (max_connections: 1) the exchange worker is
// always busy with the target's queue, and the scheduler waits for it with customers due: Config.
// WorkersBusy adds that wait up, within the run's length. With 64 connections every customer has
// a worker of its own, and it never waits: the lag of such a run is not the connections'. In a
// synctest bubble, so the target's queue is the same on every machine.
func TestWorkersBusyMeasuresTheWaitForAConnection(t *testing.T) {
	for _, tc := range []struct {
		conns   int
		blocked bool
	}{{1, true}, {64, false}} {
		t.Run(fmt.Sprint(tc.conns), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := bubbleMock(t, func(o *mock.Options) { o.Capacity = 5 })
				sc := parse(t, auth+fmt.Sprintf(`target: {max_connections: %d}
load: {model: closed, stages: [{duration: 2s, customers: 4}]}
sessions:
  - name: polls
    poll: {interval: 100ms}
    steps: [connect, {think: 1m}, disconnect]
`, tc.conns))
				busy := &WorkersBusy{}
				rep, err := Run(context.Background(), srv.target(Config{Scenario: sc, Seed: 1, Grace: -1, WorkersBusy: busy}))
				if err != nil {
					t.Fatal(err)
				}
				b := busy.Blocked()
				if tc.blocked && (b <= 0 || b > time.Duration(rep.DurationS*float64(time.Second))) {
					t.Errorf("%d connection(s): the scheduler waited %s for a free worker in a %.1fs run; want some, at most the run", tc.conns, b, rep.DurationS)
				}
				if !tc.blocked && b != 0 {
					t.Errorf("%d connections for 4 customers: the scheduler waited %s for a free worker, want none", tc.conns, b)
				}
			})
		})
	}
}
