package htmlreport

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"ccload/report/reporttest"
)

// A run with an agent queue draws it over time beside the time to agent, and lists the positions
// queryQueueInfo reported as counts; a run without a queue draws no such chart.
func TestWriteHTMLDrawsTheAgentQueue(t *testing.T) {
	r := reporttest.Realistic(t, 1)
	var plain bytes.Buffer
	if err := WriteHTML(&plain, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), `<svg class="chart queue"`) {
		t.Error("a queue chart for a run that saw no queue")
	}
	for i := range r.Timeseries {
		r.Timeseries[i].QueueLength = int64(i % 7)
		if i%3 == 0 {
			r.Timeseries[i].TimeToAgentMaxUS = int64(i+1) * 250_000
		}
	}
	r.SessionMetrics.QueuePosition.Count, r.SessionMetrics.QueuePosition.P50, r.SessionMetrics.QueuePosition.Max = 40, 3, 6
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	chart := regexp.MustCompile(`(?s)<svg class="chart queue".*?</svg>`).FindString(page)
	if chart == "" {
		t.Fatal("no queue chart")
	}
	if n := strings.Count(chart, `<path class="ln`); n != 1 {
		t.Errorf("%d lines in the queue chart, want 1 (the queue length)", n)
	}
	if n, want := strings.Count(chart, `<circle class="dot"`), (len(r.Timeseries)+2)/3; n != want {
		t.Errorf("%d time-to-agent dots, want %d (one per interval where an agent joined)", n, want)
	}
	// The left axis reaches the longest queue (6); the right one is in time units.
	if !strings.Contains(chart, `class="tick">6</text>`) && !strings.Contains(chart, `class="tick">8</text>`) {
		t.Error("the queue chart's axis does not reach the longest queue")
	}
	if !regexp.MustCompile(`text-anchor="start" class="tick">[\d.]+m?s</text>`).MatchString(chart) {
		t.Error("no right axis in time units for the time to agent")
	}
	if !strings.Contains(page, "queue position (queryQueueInfo, while queuing)</td><td class=\"n\">40</td><td class=\"n\">3</td>") {
		t.Error("the session table lacks the queue positions as counts")
	}
}
