package merge_test

import (
	"ccload/report"
	"ccload/report/merge"
	"ccload/report/record"
	"fmt"
	"time"
)

// Shard reports merge exactly: percentiles come from the merged histograms.
func ExampleReports() {
	start := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	shard := func(latency time.Duration, n int) *report.Report {
		rec := record.New(record.Options{Start: start})
		g := rec.Group("poll", "")
		for i := range n {
			at := int64(i) * int64(time.Millisecond)
			rec.Record(&report.Sample{Group: g, Step: report.NoGroup, Intended: at, Start: at, End: at + int64(latency), Status: 200})
		}
		return rec.Finish(start.Add(time.Second), record.Meta{Scenario: "example"})
	}
	m, err := merge.Reports(shard(time.Millisecond, 980), shard(time.Second, 20))
	if err != nil {
		panic(err)
	}
	l := m.Overall.ResponseTimeUS
	fmt.Println(m.Shards, "shards,", l.Count, "requests, p50", report.FormatUS(l.P50), "p99", report.FormatUS(l.P99))
	// Output:
	// 2 shards, 1000 requests, p50 1.00ms p99 1.00s
}
