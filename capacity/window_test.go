package capacity

import (
	"testing"
	"time"

	"ccload/report"
)

// TestWindowIsExactlyWhatCameAfterTheWarmup: a window cut from two snapshots of one recorder equals,
// count for count and percentile for percentile, a recorder that saw only the window's samples.
func TestWindowIsExactlyWhatCameAfterTheWarmup(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	whole := report.NewRecorder(report.RecorderOptions{Start: t0})
	only := report.NewRecorder(report.RecorderOptions{Start: t0})
	type rec struct {
		r          *report.Recorder
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
	}
	const warm, total = 1000, 3000
	for i := range warm {
		sample(i, recs[0])
	}
	snap := whole.Snapshot(t0.Add(warm*time.Millisecond), report.Meta{})
	for i := warm; i < total; i++ {
		sample(i, recs[0])
		sample(i, recs[1])
	}
	end := t0.Add(total * time.Millisecond)
	later := whole.Snapshot(end, report.Meta{})
	want := only.Snapshot(end, report.Meta{})
	win, err := windowOf(snap, later)
	if err != nil {
		t.Fatal(err)
	}
	if win.Sessions.Arrivals != total-warm || win.Overall.Count != want.Overall.Count || win.Overall.AppErrors != want.Overall.AppErrors ||
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
	if d := win.DurationS; d < 1.99 || d > 2.01 {
		t.Errorf("window %.3f s, want 2", d)
	}
}
