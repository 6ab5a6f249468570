package report_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"ccload/render"
	"ccload/report"
	"ccload/report/merge"
	"ccload/report/reporttest"
)

// replayed is a realistic report with a sound replay section: 100 lines (95 requests, 1 blank,
// 4 bad), 40 sessions, its arrivals those the run took.
func replayed(t *testing.T, seed uint64) *report.Report {
	r := reporttest.Realistic(t, seed)
	r.Replay = &report.Replay{Log: "prod.jsonl", Speed: 2, Scale: 1, Complete: true,
		Lines: 100, Requests: 95, Blank: 1, Bad: 4,
		Sessions: 40, Selected: 35, SkippedNoConnect: 2, OutsideWindow: 3,
		Arrivals: r.Sessions.Arrivals, ArrivalRequests: 80, WindowS: 12.5, MaxOpen: 7, MaxPending: 3,
		Problems: map[string]report.ReplayProblem{
			report.ReplayMalformed:  {Count: 3, FirstLines: []int64{4, 9, 50}},
			report.ReplayOutOfOrder: {Count: 1, FirstLines: []int64{70}},
			report.ReplayNoConnect:  {Count: 2, FirstLines: []int64{12, 13}},
		}}
	return r
}

// A replay section reads back when its sums hold, and each kind of damage is refused at its path.
func TestReplaySectionInvariants(t *testing.T) {
	if err := roundTrip(t, replayed(t, 1)); err != nil {
		t.Fatalf("a sound replay section is refused: %v", err)
	}
	for _, c := range []struct {
		name, path string
		damage     func(x *report.Replay, r *report.Report)
	}{
		{"lines outside the partition", "replay.lines", func(x *report.Replay, r *report.Report) { x.Lines++ }},
		{"sessions outside the partition", "replay.sessions", func(x *report.Replay, r *report.Report) { x.NotReached++ }},
		{"bad not the bad kinds' sum", "replay.bad", func(x *report.Replay, r *report.Report) { x.Bad, x.Requests = 5, 94 }},
		{"negative count", "replay.outside_window", func(x *report.Replay, r *report.Report) { x.OutsideWindow, x.Selected = -1, 36 }},
		{"more invalid than selected", "replay.invalid", func(x *report.Replay, r *report.Report) { x.Invalid = 36 }},
		{"unknown kind", `replay.problems["oops"]`, func(x *report.Replay, r *report.Report) { x.Problems["oops"] = report.ReplayProblem{Count: 1} }},
		{"lines past the log", `replay.problems["out_of_order"].first_lines[0]`, func(x *report.Replay, r *report.Report) {
			x.Problems[report.ReplayOutOfOrder] = report.ReplayProblem{Count: 1, FirstLines: []int64{101}}
		}},
		{"more lines than the count", `replay.problems["no_connect"].count`, func(x *report.Replay, r *report.Report) {
			x.Problems[report.ReplayNoConnect] = report.ReplayProblem{Count: 1, FirstLines: []int64{12, 13}}
		}},
		{"speed 0", "replay.speed", func(x *report.Replay, r *report.Report) { x.Speed = 0 }},
		{"arrivals the whole run did not take", "replay.arrivals", func(x *report.Replay, r *report.Report) { x.Arrivals++ }},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := replayed(t, 1)
			c.damage(r.Replay, r)
			if err := roundTrip(t, r); err == nil || !strings.Contains(err.Error(), "at "+c.path+":") {
				t.Fatalf("err = %v; want the path %s", err, c.path)
			}
		})
	}
	// An interrupted run took fewer arrivals than it was handed: that is no damage.
	r := replayed(t, 1)
	r.Replay.Arrivals++
	r.Interrupted, r.StopReason = true, "interrupted"
	if err := roundTrip(t, r); err != nil {
		t.Errorf("an interrupted replay is refused: %v", err)
	}
}

// Every shard reads the whole log, so the merge keeps the section of the one that read furthest
// (never a sum), and refuses shards of different replays or a replay with a run.
func TestMergeReplaySections(t *testing.T) {
	a, b := replayed(t, 1), replayed(t, 2)
	b.Replay.Lines, b.Replay.Blank, b.Replay.Complete = 90, 1, false // b stopped earlier
	b.Replay.Requests = 85
	m, err := merge.Reports(b, a)
	if err != nil {
		t.Fatal(err)
	}
	if x := m.Replay; x == nil || x.Lines != 100 || !x.Complete || x.Problems[report.ReplayMalformed].Count != 3 || x.Arrivals != a.Replay.Arrivals {
		t.Errorf("merged replay section %+v: want a's, the shard that read the whole log", m.Replay)
	}
	m.Replay.Problems[report.ReplayMalformed] = report.ReplayProblem{Count: 9}
	if a.Replay.Problems[report.ReplayMalformed].Count != 3 {
		t.Error("the merge shares its problems with a shard's report")
	}

	c := replayed(t, 3)
	c.Replay.Speed = 4
	if _, err := merge.Reports(a, c); !errors.Is(err, merge.ErrReplay) {
		t.Errorf("merged replays at speed 2 and 4: err %v", err)
	}
	run := reporttest.Realistic(t, 4)
	if _, err := merge.Reports(a, run); !errors.Is(err, merge.ErrReplay) {
		t.Errorf("merged a replay with a run: err %v", err)
	}
	if m, err := merge.Reports(reporttest.Realistic(t, 1), run); err != nil || m.Replay != nil {
		t.Errorf("runs merged into a report with a replay section (%v)", err)
	}
}

// The console summary has one replay line, with the problems by line number, and says when
// the log was not read whole.
func TestReplayConsoleLine(t *testing.T) {
	r := replayed(t, 1)
	r.Replay.Complete = false
	var b bytes.Buffer
	if err := render.WriteSummary(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"replay    prod.jsonl: 100 lines (4 bad), 40 sessions: 35 selected, 2 without CONNECT, 3 outside the window, 0 not reached;",
		"INCOMPLETE",
		"problems: malformed ×3 (line 4, 9, 50); out_of_order ×1 (line 70); no_connect ×2 (line 12, 13)",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	if err := render.WriteSummary(&b, reporttest.Realistic(t, 1)); err != nil || strings.Contains(b.String(), "replay ") {
		t.Errorf("a run's summary has a replay line (%v)", err)
	}
}
