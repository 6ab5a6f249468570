package metrics

import (
	"testing"
	"time"

	"ccload/report"
	"ccload/report/record"
)

// A request that waited for the run's max_rps limiter waited by the tester's choice, not the
// generator's: ccload_scheduler_lag_seconds leaves that wait out, as report.json's
// scheduler_lag_us does (the generator is not called the limit for a ceiling it was given).
func TestSchedulerLagLeavesTheMaxRPSWaitOut(t *testing.T) {
	e := New("0/1")
	rec := record.New(record.Options{Start: start, Observer: e})
	chat := rec.Group("sendAsync", "CHAT")
	for i := range 20 {
		at := int64(i) * 10_000_000
		wait := int64(200 * time.Millisecond) // every request held by max_rps, none late otherwise
		rec.Record(&report.Sample{Group: chat, Step: report.NoGroup, Intended: at, Start: at + wait, End: at + wait + 1_000_000,
			Throttled: wait, Status: 200, ResultCode: "0"})
	}
	rep := rec.Finish(start.Add(time.Second), record.Meta{Scenario: "t"})
	mfs, err := e.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n, sum float64
	for _, mf := range mfs {
		if mf.GetName() == "ccload_scheduler_lag_seconds" {
			for _, m := range mf.GetMetric() {
				n += float64(m.GetHistogram().GetSampleCount())
				sum += m.GetHistogram().GetSampleSum()
			}
		}
	}
	if n != 20 || sum > 1e-6 || rep.SchedulerLagUS.Max != 0 {
		t.Errorf("lag: %v samples summing %vs, report.json's max %dµs; want 20 samples of 0 in both", n, sum, rep.SchedulerLagUS.Max)
	}
}
