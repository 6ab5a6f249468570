package metrics

import (
	"testing"
	"time"

	"ccload/report"
	"ccload/report/record"
)

// An unknown receipt (written on a reused connection the target closed before answering) is
// its own outcome in ccload_requests_total, as in report.json: outside requests.total, with
// no latency and no error class.
func TestExporterCountsUnknownReceiptApart(t *testing.T) {
	e := New("0/1")
	rec := record.New(record.Options{Start: start, Observer: e})
	chat := rec.Group("sendAsync", "CHAT")
	for i := range 30 {
		at := int64(i) * 10_000_000
		s := report.Sample{Group: chat, Step: report.NoGroup, Intended: at, Start: at, End: at + 1_000_000, Status: 200, ResultCode: "0"}
		if i%3 == 0 {
			s.Class, s.Status, s.ResultCode = report.ClassUnknownReceipt, 0, ""
		}
		rec.Record(&s)
	}
	rep := rec.Finish(start.Add(time.Second), record.Meta{Scenario: "t"})
	mfs, err := e.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	byOutcome := map[string]float64{}
	var latencies, errs float64
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch mf.GetName() {
			case "ccload_requests_total":
				for _, l := range m.GetLabel() {
					if l.GetName() == "outcome" {
						byOutcome[l.GetValue()] += m.GetCounter().GetValue()
					}
				}
			case "ccload_request_response_seconds":
				latencies += float64(m.GetHistogram().GetSampleCount())
			case "ccload_request_errors_total":
				errs += m.GetCounter().GetValue()
			}
		}
	}
	if rep.Requests.UnknownReceipt != 10 || byOutcome["unknown_receipt"] != 10 || byOutcome["ok"] != float64(rep.Requests.Total) {
		t.Errorf("outcomes %v, report %+v: want 10 unknown_receipt in both, the rest ok = requests.total", byOutcome, rep.Requests)
	}
	if latencies != 20 || errs != 0 {
		t.Errorf("%v latencies and %v errors, want 20 (the answered ones) and none", latencies, errs)
	}
}
