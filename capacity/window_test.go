package capacity

import (
	"testing"
	"time"

	"ccload/report"
	"ccload/report/record"
)

// TestWindowIsExactlyWhatCameAfterTheWarmup: a window cut from two snapshots of one recorder equals,
// count for count and percentile for percentile, a recorder that saw only the window's samples.
func TestWindowIsExactlyWhatCameAfterTheWarmup(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	whole := record.New(record.Options{Start: t0})
	only := record.New(record.Options{Start: t0})
	type rec struct {
		r          *record.Recorder
		group, stp report.GroupID
	}
	recs := []rec{{r: whole}, {r: only}}
	for i := range recs {
		recs[i].group = recs[i].r.Group("sendAsync", "CHAT")
		recs[i].stp = recs[i].r.StepGroup("ask")
	}
	sample := func(i int, x rec) {
		at := int64(i) * int64(time.Millisecond)
		s := report.Sample{Group: x.group, Step: report.NoGroup, Intended: at, Start: at + 100_000, End: at + int64(1+i%97)*1_000_000, Status: 200, ResultCode: "0"}
		if i%3 == 0 {
			s.Step = x.stp
		}
		if i%10 == 0 {
			s.ResultCode, s.Class = "12", report.ClassApp
		}
		x.r.Arrival(at)
		x.r.SessionStarted(at)
		x.r.Record(&s)
		if i%10 == 0 {
			x.r.StepFailed(x.r.Failure("s", "steps[1] chat", "resultCode 12"), true)
		}
		if i%50 == 0 {
			x.r.QueueInfo(at, int64(1+i%7), int64(i)*1000)
			x.r.QueueAnswer("0")
			x.r.DropArrivals(at, 1, "max_customers")
		}
	}
	const warm, total = 1000, 3000
	for i := range warm {
		sample(i, recs[0])
	}
	snap := whole.Snapshot(t0.Add(warm*time.Millisecond), record.Meta{})
	for i := warm; i < total; i++ {
		sample(i, recs[0])
		sample(i, recs[1])
	}
	end := t0.Add(total * time.Millisecond)
	later := whole.Snapshot(end, record.Meta{})
	want := only.Snapshot(end, record.Meta{})
	win, err := windowOf(snap, later)
	if err != nil {
		t.Fatal(err)
	}
	if win.Sessions.Arrivals != want.Sessions.Arrivals || win.Overall.Count != want.Overall.Count || win.Overall.AppErrors != want.Overall.AppErrors ||
		win.Overall.ResultCodes["12"] != want.Overall.ResultCodes["12"] {
		t.Errorf("window counts %+v %+v, want %+v", win.Sessions, win.Overall.RequestCounts, want.Overall.RequestCounts)
	}
	if got, w := win.Overall.ResponseTimeUS, want.Overall.ResponseTimeUS; got.P50 != w.P50 || got.P99 != w.P99 || got.Max != w.Max || got.Count != w.Count {
		t.Errorf("window response time %+v, want %+v", got, w)
	}
	if got, w := win.SchedulerLagUS.P99, want.SchedulerLagUS.P99; got != w {
		t.Errorf("window lag p99 %d, want %d", got, w)
	}
	var ask *report.Group
	for i := range win.Groups {
		if win.Groups[i].Name == "step:ask" {
			ask = &win.Groups[i]
		}
	}
	for _, g := range want.Groups {
		if g.Name == "step:ask" && (ask == nil || ask.ServiceTimeUS.P95 != g.ServiceTimeUS.P95 || ask.Count != g.Count) {
			t.Errorf("step:ask in the window %+v, want %+v", ask, g)
		}
	}
	// What windowOf once left out: queue metrics, failure reasons, dropped-arrival reasons.
	if got, w := win.SessionMetrics.QueuePosition, want.SessionMetrics.QueuePosition; got.Count != w.Count || got.P99 != w.P99 || w.Count == 0 {
		t.Errorf("window queue_position %+v, want %+v", got, w)
	}
	if got, w := win.SessionMetrics.QueueWaitEstimateUS, want.SessionMetrics.QueueWaitEstimateUS; got.Count != w.Count || got.P50 != w.P50 {
		t.Errorf("window queue_wait_estimate_us %+v, want %+v", got, w)
	}
	if got, w := win.SessionMetrics.QueueAnswers, want.SessionMetrics.QueueAnswers; got != w || w.Queuing == 0 {
		t.Errorf("window queue_answers %+v, want %+v", got, w)
	}
	if len(win.FailureReasons) != 1 || len(want.FailureReasons) != 1 || win.FailureReasons[0] != want.FailureReasons[0] {
		t.Errorf("window failure_reasons %+v, want %+v", win.FailureReasons, want.FailureReasons)
	}
	if got, w := win.Sessions.DroppedBy["max_customers"], want.Sessions.DroppedBy["max_customers"]; got != w || w == 0 {
		t.Errorf("window dropped_by max_customers %d, want %d", got, w)
	}
	if d := win.DurationS; d < 1.99 || d > 2.01 {
		t.Errorf("window %.3f s, want 2", d)
	}
}
