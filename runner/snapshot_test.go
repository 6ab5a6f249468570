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
