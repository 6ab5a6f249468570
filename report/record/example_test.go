package record_test

import (
	"ccload/report"
	"ccload/report/record"
	"fmt"
	"time"
)

// A collector goroutine owns the Recorder: it registers groups once, records every
// request and session event, and finishes the run into a Report.
func ExampleRecorder() {
	start := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	rec := record.New(record.Options{Start: start})
	chat := rec.Group("sendAsync", "CHAT")
	for i := range 100 {
		intended := int64(i) * int64(10*time.Millisecond) // ns since start
		rec.Record(&report.Sample{
			Group: chat, Step: report.NoGroup,
			Intended: intended, Start: intended, End: intended + int64(3*time.Millisecond),
			Status: 200, ResultCode: "0",
		})
	}
	r := rec.Finish(start.Add(time.Second), record.Meta{Scenario: "example"})
	g := r.Groups[0]
	fmt.Println(g.Name, g.Count, "requests,", g.RPS, "rps, p99", report.FormatUS(g.ResponseTimeUS.P99))
	fmt.Println(len(r.Timeseries), "point(s) of", r.IntervalS, "s")
	// Output:
	// sendAsync CHAT 100 requests, 100 rps, p99 3.00ms
	// 1 point(s) of 1 s
}
