package runner

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"ccload/report"
)

// TestSnapshotsAreTakenAtTheirAges: OnSnapshot gets one report per listed age, in order, each
// holding what was recorded by then, and the final report holds at least as much.
func TestSnapshotsAreTakenAtTheirAges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := bubbleMock(t, nil)
		sc := parse(t, auth+`
load: {model: open, arrivals: uniform, rate: 20, duration: 1500ms}
sessions:
  - name: s
    poll: false
    steps: [connect, disconnect]
`)
		var ats []time.Duration
		var snaps []*report.Report
		rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 1,
			Snapshots: []time.Duration{500 * time.Millisecond, time.Second},
			OnSnapshot: func(at time.Duration, snap *report.Report) {
				ats = append(ats, at)
				snaps = append(snaps, snap)
			}}))
		if len(snaps) != 2 || ats[0] != 500*time.Millisecond || ats[1] != time.Second {
			t.Fatalf("snapshots at %v, want 500ms and 1s", ats)
		}
		a, b := snaps[0], snaps[1]
		if a.DurationS < 0.5 || b.DurationS < 1 || b.DurationS >= rep.DurationS {
			t.Errorf("snapshot ages %.3f s and %.3f s, run %.3f s", a.DurationS, b.DurationS, rep.DurationS)
		}
		// A collector late past both ages (a starved machine) takes both at once: <=, not <.
		if !(a.Sessions.Arrivals > 0 && a.Sessions.Arrivals <= b.Sessions.Arrivals && b.Sessions.Arrivals < rep.Sessions.Arrivals) {
			t.Errorf("arrivals %d, %d, final %d: want each snapshot to hold what came by its age", a.Sessions.Arrivals, b.Sessions.Arrivals, rep.Sessions.Arrivals)
		}
		if a.Overall.ResponseHistogram == "" || a.Requests.Total > b.Requests.Total {
			t.Errorf("the first snapshot carries no histogram, or more requests (%d) than the second (%d)", a.Requests.Total, b.Requests.Total)
		}
	})
}

// TestSnapshotCountsEverySampleHandedOver: samples reach the collector in per-worker batches
// (evshard.go); a snapshot must still count every request the target answered before it, not
// only the batches that filled. One worker (max_connections: 1, so its shard crosses the flush
// point several times) and the mock as referee: at each snapshot the report's request count is
// the mock's count of answers written so far (no exchange is in flight then: arrivals fall
// between the collector's 100 ms ticks and the exchanges take no time on the in-memory net),
// and the final report's is the mock's total.
func TestSnapshotCountsEverySampleHandedOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := bubbleMock(t, nil)
		sc := parse(t, auth+`
target: {max_connections: 1}
load: {model: open, arrivals: uniform, rate: 73, duration: 2s}
sessions:
  - name: s
    poll: false
    steps: [connect, disconnect]
`)
		answered := func() int64 {
			var n int64
			for _, v := range srv.Stats().HTTPStatus {
				n += v
			}
			return n
		}
		var got, want []int64
		rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 1,
			Snapshots: []time.Duration{500 * time.Millisecond, 1500 * time.Millisecond},
			OnSnapshot: func(at time.Duration, snap *report.Report) {
				got = append(got, snap.Requests.Total)
				want = append(want, answered())
			}}))
		if len(got) != 2 {
			t.Fatalf("%d snapshots, want 2", len(got))
		}
		for i := range got {
			if got[i] != want[i] || got[i] == 0 {
				t.Errorf("snapshot %d counts %d requests; the mock had answered %d", i, got[i], want[i])
			}
		}
		if got[1] <= flushAt {
			t.Errorf("only %d requests by the second snapshot: the worker's batch never reached the flush point (%d)", got[1], flushAt)
		}
		if n := answered(); rep.Requests.Total != n {
			t.Errorf("report counts %d requests, the mock answered %d", rep.Requests.Total, n)
		}
	})
}
