package htmlreport

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"ccload/report"
	"ccload/report/reporttest"
)

// A replay's page has a small table of what it took from its log — lines, sessions, arrivals
// and each problem with its count and first lines — its log name escaped; a run's page has none.
func TestWriteHTMLShowsTheReplayTable(t *testing.T) {
	r := reporttest.Realistic(t, 1)
	var plain bytes.Buffer
	if err := WriteHTML(&plain, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), `id="replay"`) {
		t.Error("a replay table for a run")
	}
	r.Replay = &report.Replay{Log: "<prod>.jsonl", Speed: 1, Scale: 1, Lines: 10, Requests: 8, Bad: 2, Sessions: 3, Selected: 2, SkippedNoConnect: 1,
		Arrivals: 2, Error: "traffic: too many bad lines: 2 of 10 lines",
		Problems: map[string]report.ReplayProblem{report.ReplayMalformed: {Count: 2, FirstLines: []int64{3, 8}}}}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	sec := regexp.MustCompile(`(?s)<section id="replay">.*?</section>`).FindString(buf.String())
	for _, want := range []string{"&lt;prod&gt;.jsonl", "incomplete", "too many bad lines", `<td>lines</td><td class="n">10</td>`, "8 requests, 0 blank, 2 bad",
		"2 selected (0 invalid), 1 without CONNECT", `<td>malformed</td><td class="n">2</td><td>first: line 3, 8</td>`} {
		if !strings.Contains(sec, want) {
			t.Errorf("replay section lacks %q:\n%s", want, sec)
		}
	}
	if strings.Contains(sec, "<prod>") {
		t.Error("the log's name is not escaped")
	}
}
