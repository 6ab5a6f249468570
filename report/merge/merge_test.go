package merge_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"ccload/report"
	"ccload/report/merge"
	"ccload/report/record"
	"ccload/report/reporttest"
)

func TestMergeIsExact(t *testing.T) {
	t.Parallel()
	single, shards := reporttest.SplitStream(t, 21, 20, 3, nil)
	merged, err := merge.Reports(shards...)
	if err != nil {
		t.Fatal(err)
	}
	if merged.Shards != 3 {
		t.Errorf("shards = %d, want 3", merged.Shards)
	}
	// Apart from the shard count, the merge is the report one recorder would have written.
	merged.Shards = 1
	a, _ := json.MarshalIndent(merged, "", " ")
	b, _ := json.MarshalIndent(single, "", " ")
	if string(a) != string(b) {
		t.Errorf("merged report differs from the single recorder's:\n%s", firstDiff(string(a), string(b)))
	}
	// Spelled out, what a reader checks: percentiles are equal, not close.
	if merged.Overall.ResponseTimeUS != single.Overall.ResponseTimeUS || merged.SchedulerLagUS != single.SchedulerLagUS ||
		merged.SessionMetrics != single.SessionMetrics {
		t.Errorf("merged percentiles differ from the single recorder's")
	}
}

// firstDiff shows where two long strings part.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(i-300, 0)
	return "merged: ..." + a[lo:min(i+200, len(a))] + "\nsingle: ..." + b[lo:min(i+200, len(b))]
}

func TestMergeAlignsDifferentIntervals(t *testing.T) {
	t.Parallel()
	// One shard downsampled to 4 s points (12 points: 2 s from 12 s, 4 s from 24 s), the other
	// kept 1 s points: the merge uses 4 s.
	single, shards := reporttest.SplitStream(t, 22, 30, 2, []record.Options{{MaxPoints: 12}, {}})
	if shards[0].IntervalS != 4 || shards[1].IntervalS != 1 {
		t.Fatalf("fixture intervals %g and %g", shards[0].IntervalS, shards[1].IntervalS)
	}
	merged, err := merge.Reports(shards...)
	if err != nil {
		t.Fatal(err)
	}
	if merged.IntervalS != 4 {
		t.Errorf("merged interval %g, want 4", merged.IntervalS)
	}
	want := downsample(t, downsample(t, single.Timeseries))
	if len(merged.Timeseries) != len(want) {
		t.Fatalf("%d merged points, want %d", len(merged.Timeseries), len(want))
	}
	for i, p := range merged.Timeseries {
		w := want[i]
		if p.T != w.T || p.Requests != w.Requests || p.Errors != w.Errors || p.P50US != w.P50US || p.P99US != w.P99US || p.Arrivals != w.Arrivals {
			t.Errorf("point %d: %+v\nwant %+v", i, p, w)
		}
	}
}

func TestMergeShiftsShardsThatStartedLater(t *testing.T) {
	mk := func(start time.Time, n int) *report.Report {
		r := record.New(record.Options{Start: start})
		g := r.Group("poll", "")
		for i := range n {
			at := int64(i) * int64(time.Second/10)
			r.Record(&report.Sample{Group: g, Step: report.NoGroup, Intended: at, Start: at, End: at + 1e6, Status: 200, ResultCode: "0"})
		}
		return r.Finish(start.Add(time.Duration(n)*time.Second/10), record.Meta{Scenario: "s"})
	}
	a := mk(reporttest.Start, 30)                        // t = 0..3 s
	b := mk(reporttest.Start.Add(2*time.Second+1e8), 10) // starts 2.1 s later, lasts 1 s
	m, err := merge.Reports(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if !m.StartedAt.Equal(reporttest.Start) || !m.EndedAt.Equal(reporttest.Start.Add(31*time.Second/10)) || m.DurationS != 3.1 {
		t.Errorf("merged span %v..%v (%gs)", m.StartedAt, m.EndedAt, m.DurationS)
	}
	var reqs []int64
	for _, p := range m.Timeseries {
		reqs = append(reqs, p.Requests)
	}
	if len(reqs) != 3 || reqs[0] != 10 || reqs[1] != 10 || reqs[2] != 20 {
		t.Errorf("merged requests per second %v, want [10 10 20] (b's second lands at t=2)", reqs)
	}
	if m.Overall.RPS != 40/3.1 {
		t.Errorf("rps %g, want %g (over the merged span)", m.Overall.RPS, 40/3.1)
	}
}

func TestMergeRefusesDifferentScenariosUnlessForced(t *testing.T) {
	t.Parallel()
	a, b := reporttest.SummaryFixture(false, 0), reporttest.SummaryFixture(true, 0)
	b.Scenario = "other"
	if _, err := merge.Reports(a, b); !errors.Is(err, merge.ErrScenarioMismatch) || !strings.Contains(err.Error(), `"other"`) {
		t.Errorf("Merge of different scenarios: %v", err)
	}
	m, err := merge.With(merge.Options{Force: true}, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Scenario != "quickstart" || !m.Interrupted || m.StopReason != "interrupted" || m.Requests.Total != 5996 || m.Requests.NotSent != 4 {
		t.Errorf("forced merge: scenario %q interrupted %v stop %q total %d", m.Scenario, m.Interrupted, m.StopReason, m.Requests.Total)
	}
	if !strings.Contains(strings.Join(m.Warnings, "\n"), "different scenarios") {
		t.Errorf("forced merge does not warn: %q", m.Warnings)
	}
}

func TestMergeRefusesReportsWithoutHistograms(t *testing.T) {
	t.Parallel()
	a, b := reporttest.SummaryFixture(false, 0), reporttest.SummaryFixture(false, 0)
	b.Groups[0].ResponseHistogram = ""
	if _, err := merge.Reports(a, b); err == nil || !strings.Contains(err.Error(), "cannot be merged exactly") {
		t.Errorf("merging a report stripped of a histogram: %v", err)
	}
	b = reporttest.SummaryFixture(false, 0)
	b.SchedulerLagUS.Histogram = "not base64!"
	if _, err := merge.Reports(a, b); err == nil {
		t.Errorf("merging a corrupt histogram succeeded")
	}
	if _, err := merge.Reports(); err == nil {
		t.Errorf("merging nothing succeeded")
	}
}

func TestMergeDropsTheShardWarning(t *testing.T) {
	mk := func(shard string) *report.Report {
		r := record.New(record.Options{Start: reporttest.Start})
		return r.Finish(reporttest.Start.Add(time.Second), record.Meta{Scenario: "s", Warnings: []string{report.ShardWarning(shard), "a real warning"}})
	}
	m, err := merge.Reports(mk("0/2"), mk("1/2"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range m.Warnings {
		if strings.Contains(w, "one slice") {
			t.Errorf("merged report still says it is a slice: %q", w)
		}
	}
	if !slices.ContainsFunc(m.Warnings, func(w string) bool { return strings.HasSuffix(w, "a real warning") }) {
		t.Errorf("merged report lost the shards' other warnings: %q", m.Warnings)
	}
}

func TestMergeKeepsGroupsOfEveryShard(t *testing.T) {
	mk := func(endpoint string) *report.Report {
		r := record.New(record.Options{Start: reporttest.Start})
		g := r.Group(endpoint, "")
		r.Record(&report.Sample{Group: g, Step: report.NoGroup, End: 1e6, Status: 200, ResultCode: "0"})
		return r.Finish(reporttest.Start.Add(time.Second), record.Meta{Scenario: "s"})
	}
	m, err := merge.Reports(mk("send"), mk("poll"), mk("send"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Groups) != 2 || m.Groups[0].Name != "poll" || m.Groups[0].Count != 1 || m.Groups[1].Name != "send" || m.Groups[1].Count != 2 {
		t.Errorf("groups %+v", m.Groups)
	}
	if w := report.CheckInvariants(m); len(w) != 0 {
		t.Errorf("merged report breaks invariants: %q", w)
	}
}

// downsample is report.Downsample of points the recorder wrote, which always decode.
func downsample(t *testing.T, pts []report.Point) []report.Point {
	t.Helper()
	out, err := report.Downsample(pts)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
