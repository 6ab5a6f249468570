package report_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"ccload/render"
	"ccload/report"
	"ccload/report/merge"
	"ccload/report/record"
)

// unknownReceiptReport is a run where 4 of 12 requests were written on a connection the
// target closed before answering.
func unknownReceiptReport() *report.Report {
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	rec := record.New(record.Options{Start: start})
	chat := rec.Group("sendAsync", "CHAT")
	for i := range 12 {
		at := int64(i) * int64(10*time.Millisecond)
		s := report.Sample{Group: chat, Step: report.NoGroup, Intended: at, Start: at, End: at + int64(time.Millisecond), Status: 200, ResultCode: "0"}
		if i%3 == 0 {
			s.Class, s.Status, s.ResultCode = report.ClassUnknownReceipt, 0, ""
		}
		rec.Record(&s)
	}
	return rec.Finish(start.Add(time.Second), record.Meta{Scenario: "unknown"})
}

// An unknown receipt is counted apart in report.json (outside total, count, errors and
// latency), passes validation, merges, and is shown by the console and JUnit outputs.
func TestUnknownReceiptCountedApartEverywhere(t *testing.T) {
	r := unknownReceiptReport()
	q := r.Requests
	if q.UnknownReceipt != 4 || q.Total != 8 || q.OK != 8 || r.Overall.Count != 8 || len(r.Overall.Errors) != 0 || r.Overall.ResponseTimeUS.Count != 8 {
		t.Fatalf("requests %+v, overall count %d errors %v latencies %d: want 4 unknown receipts outside total 8, no error",
			q, r.Overall.Count, r.Overall.Errors, r.Overall.ResponseTimeUS.Count)
	}
	var js bytes.Buffer
	if err := report.WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), `"unknown_receipt": 4`) {
		t.Errorf("report.json has no \"unknown_receipt\": 4")
	}
	back, err := report.ReadJSON(&js)
	if err != nil {
		t.Fatalf("report.json refused by ReadJSON: %v", err)
	}
	m, err := merge.Reports(back, unknownReceiptReport())
	if err != nil {
		t.Fatal(err)
	}
	if m.Requests.UnknownReceipt != 8 || m.Overall.UnknownReceipt != 8 {
		t.Errorf("merged unknown_receipt %d (overall %d), want 8", m.Requests.UnknownReceipt, m.Overall.UnknownReceipt)
	}
	var con, ju bytes.Buffer
	if err := render.WriteSummary(&con, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(con.String(), "unknown receipt  4") {
		t.Errorf("console summary does not show the unknown receipts:\n%s", con.String())
	}
	if err := render.WriteJUnit(&ju, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ju.String(), `<property name="requests_unknown_receipt" value="4">`) {
		t.Errorf("junit.xml has no requests_unknown_receipt property:\n%s", ju.String())
	}
	// A report whose overall does not add up is refused.
	bad := unknownReceiptReport()
	bad.Requests.UnknownReceipt, bad.Overall.UnknownReceipt = 3, 3
	if err := report.Validate(bad); err == nil || !strings.Contains(err.Error(), "unknown_receipt") {
		t.Errorf("Validate of requests.unknown_receipt != the groups' sum: %v, want an error naming it", err)
	}
}
