package report_test

import (
	"encoding/json"
	"testing"

	"ccload/report"
	"ccload/report/record"
	"ccload/report/reporttest"
)

// Each outcome's counter is the report.json field of its name, so every user that ranges over
// Outcomes (the recorder, the accounting checks, merge, the metrics' outcome label) reads and
// writes the field a user sees.
func TestOutcomesNameTheirFields(t *testing.T) {
	for i, o := range report.Outcomes {
		var s report.SessionCounts
		*s.Of(o) = int64(10 + i)
		var got map[string]any
		data, _ := json.Marshal(s)
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatal(err)
		}
		if got[o.String()] != float64(10+i) {
			t.Errorf("outcome %s: its counter is not report.json's %q: %s", o, o.String(), data)
		}
		if s.Ended() != int64(10+i) {
			t.Errorf("outcome %s: Ended() = %d, want %d", o, s.Ended(), 10+i)
		}
	}
	a := report.SessionCounts{Arrivals: 10, Started: 8, Completed: 5, CutByGrace: 3, Dropped: 2, DroppedBy: map[string]int64{"late": 2}}
	b := report.SessionCounts{Arrivals: 4, Started: 4, Completed: 4, Dropped: 0}
	d := a.Sub(b)
	if d.Arrivals != 6 || d.Started != 4 || d.Completed != 1 || d.CutByGrace != 3 || d.Dropped != 2 || d.DroppedBy["late"] != 2 {
		t.Errorf("window %+v", d)
	}
	b.Add(d)
	if b.Ended() != a.Ended() || b.Started != a.Started {
		t.Errorf("b + (a - b) = %+v, want %+v", b, a)
	}
}

// The recorder counts an outcome it does not know as interrupted, never loses it.
func TestUnknownOutcomeCountsInterrupted(t *testing.T) {
	r := record.New(record.Options{Start: reporttest.Start})
	r.Arrival(0)
	r.SessionStarted(0)
	r.SessionEnded(1, report.NumOutcomes+3, 1)
	if s := r.Finish(reporttest.Start.Add(1), record.Meta{}).Sessions; s.Interrupted != 1 || s.Ended() != 1 {
		t.Errorf("sessions %+v, want the unknown outcome counted interrupted", s)
	}
}
