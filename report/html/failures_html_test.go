package htmlreport

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"ccload/report"
)

func TestWriteHTMLSaysWhySessionsFailed(t *testing.T) {
	r := &report.Report{Schema: report.Schema, StopReason: "completed", DurationS: 1,
		Sessions: report.SessionCounts{Arrivals: 8, Started: 8, Completed: 2, Failed: 6},
		FailureReasons: []report.FailureReason{
			{Session: "talk", Step: "step:ask", Reason: "resultCode 13", Count: 4, SessionsFailed: 4},
			{Session: "talk", Step: "applyToken", Reason: "token fetch failed", Count: 2, SessionsFailed: 2},
			{Session: "tolerant", Step: "steps[1] chat", Reason: `http 503 <b>`, Count: 3},
		}}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	i := strings.Index(page, `<section id="failures">`)
	if i < 0 || !strings.Contains(page[i:], "<h2>Why sessions failed</h2>") {
		t.Fatal("report.html has no \"Why sessions failed\" section")
	}
	sec := page[i : i+strings.Index(page[i:], "</section>")]
	row := regexp.MustCompile(`<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td class="n[^"]*">([^<]*)</td><td class="n">([^<]*)</td><td class="n">([^<]*)</td></tr>`)
	var got []string
	for _, m := range row.FindAllStringSubmatch(sec, -1) {
		got = append(got, strings.Join(m[1:], " | "))
	}
	want := []string{
		"talk | step:ask | resultCode 13 | 4 | 66.7% | 4",
		"talk | applyToken | token fetch failed | 2 | 33.3% | 2",
		"tolerant | steps[1] chat | http 503 &lt;b&gt; | 0 | 0% | 3",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("failure rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A run where nothing failed shows no such section.
	r.FailureReasons, r.Sessions.Failed = nil, 0
	buf.Reset()
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), `id="failures"`) {
		t.Error("a run without failures shows a failures section")
	}
}
