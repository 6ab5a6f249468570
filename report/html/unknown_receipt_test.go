package htmlreport

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"ccload/report"
	"ccload/report/record"
)

// report.html shows the requests of unknown receipt (a tile with their count).
func TestHTMLShowsUnknownReceipt(t *testing.T) {
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	rec := record.New(record.Options{Start: start})
	chat := rec.Group("sendAsync", "CHAT")
	for i := range 9 {
		at := int64(i) * int64(10*time.Millisecond)
		s := report.Sample{Group: chat, Step: report.NoGroup, Intended: at, Start: at, End: at + int64(time.Millisecond), Status: 200, ResultCode: "0"}
		if i < 7 {
			s.Class, s.Status, s.ResultCode = report.ClassUnknownReceipt, 0, ""
		}
		rec.Record(&s)
	}
	r := rec.Finish(start.Add(time.Second), record.Meta{Scenario: "unknown"})
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	i := strings.Index(b.String(), "unknown receipt")
	if i < 0 || !strings.Contains(b.String()[i:min(len(b.String()), i+300)], ">7<") {
		t.Errorf("report.html has no \"unknown receipt\" tile with its count 7")
	}
}
