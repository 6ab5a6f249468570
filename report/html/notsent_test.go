package htmlreport

import (
	"bytes"
	"strings"
	"testing"

	"ccload/report"
)

// Requests that never reached the target, and those the run cut off, are shown beside the
// request counts with their reasons, and only when there were some.
func TestWriteHTMLShowsNotSentAndCut(t *testing.T) {
	r := &report.Report{Schema: report.Schema, StopReason: "completed", DurationS: 1}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), ">not sent<") {
		t.Error("a report with nothing unsent shows a not-sent tile")
	}
	q := report.RequestCounts{Total: 7, OK: 4, Cut: 3, NotSent: 12, NotSentBy: map[string]int64{"canceled_waiting": 10, "client_validation": 2}}
	r.Requests, r.Overall.RequestCounts, r.Overall.Count = q, q, 4
	buf.Reset()
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{">not sent<", ">12<", "canceled_waiting 10, client_validation 2, 3 cut by the run"} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
}
