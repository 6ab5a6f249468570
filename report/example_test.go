package report_test

import (
	"fmt"
	"time"

	"ccload/report"
)

// A collector goroutine owns the Recorder: it registers groups once, records every
// request and session event, and finishes the run into a Report.
func ExampleRecorder() {
	start := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	rec := report.NewRecorder(report.RecorderOptions{Start: start})
	chat := rec.Group("sendAsync", "CHAT")
	for i := range 100 {
		intended := int64(i) * int64(10*time.Millisecond) // ns since start
		rec.Record(&report.Sample{
			Group: chat, Step: report.NoGroup,
			Intended: intended, Start: intended, End: intended + int64(3*time.Millisecond),
			Status: 200, ResultCode: "0",
		})
	}
	r := rec.Finish(start.Add(time.Second), report.Meta{Scenario: "example"})
	g := r.Groups[0]
	fmt.Println(g.Name, g.Count, "requests,", g.RPS, "rps, p99", report.FormatUS(g.ResponseTimeUS.P99))
	fmt.Println(len(r.Timeseries), "point(s) of", r.IntervalS, "s")
	// Output:
	// sendAsync CHAT 100 requests, 100 rps, p99 3.00ms
	// 1 point(s) of 1 s
}

// Shard reports merge exactly: percentiles come from the merged histograms.
func ExampleMerge() {
	start := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	shard := func(latency time.Duration, n int) *report.Report {
		rec := report.NewRecorder(report.RecorderOptions{Start: start})
		g := rec.Group("poll", "")
		for i := range n {
			at := int64(i) * int64(time.Millisecond)
			rec.Record(&report.Sample{Group: g, Step: report.NoGroup, Intended: at, Start: at, End: at + int64(latency), Status: 200})
		}
		return rec.Finish(start.Add(time.Second), report.Meta{Scenario: "example"})
	}
	m, err := report.Merge(shard(time.Millisecond, 980), shard(time.Second, 20))
	if err != nil {
		panic(err)
	}
	l := m.Overall.ResponseTimeUS
	fmt.Println(m.Shards, "shards,", l.Count, "requests, p50", report.FormatUS(l.P50), "p99", report.FormatUS(l.P99))
	// Output:
	// 2 shards, 1000 requests, p50 1.00ms p99 1.00s
}
