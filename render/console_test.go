package render

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"ccload/gates"
	"ccload/report"
	"ccload/report/record"
	"ccload/report/reporttest"
)

func TestSummaryGolden(t *testing.T) {
	for _, c := range []struct {
		name        string
		interrupted bool
		lagUS       int64
	}{
		{"summary.golden", false, 0},
		{"summary_interrupted_lagging.golden", true, 25_000},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSummary(&buf, reporttest.SummaryFixture(c.interrupted, c.lagUS)); err != nil {
				t.Fatal(err)
			}
			reporttest.Golden(t, c.name, buf.Bytes())
		})
	}
}

func TestSummarySaysWhatMatters(t *testing.T) {
	var ok, bad bytes.Buffer
	if err := WriteSummary(&ok, reporttest.SummaryFixture(false, 0)); err != nil {
		t.Fatal(err)
	}
	if err := WriteSummary(&bad, reporttest.SummaryFixture(true, 25_000)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"INTERRUPTED", "WARNING: scheduler lag p99", "the generator, not the target"} {
		if strings.Contains(ok.String(), want) {
			t.Errorf("a clean run's summary says %q", want)
		}
		if !strings.Contains(bad.String(), want) {
			t.Errorf("an interrupted, lagging run's summary does not say %q", want)
		}
	}
	// resultCodes by count: "0" first, then "12" (31) before "13" (14).
	s := ok.String()
	if i0, i12, i13 := strings.Index(s, `"0" `), strings.Index(s, `"12" `), strings.Index(s, `"13" `); !(i0 >= 0 && i0 < i12 && i12 < i13) {
		t.Errorf("resultCodes not sorted by count:\n%s", s)
	}
}

type failingWriter struct{ n int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.n--; f.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestSummaryReportsWriteErrors(t *testing.T) {
	if err := WriteSummary(&failingWriter{n: 3}, reporttest.SummaryFixture(false, 0)); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WriteSummary on a failing writer returned %v", err)
	}
}

func TestFormatUS(t *testing.T) {
	for _, c := range []struct {
		us   int64
		want string
	}{
		{0, "0µs"}, {850, "850µs"}, {1234, "1.23ms"}, {12_345, "12.3ms"}, {9_999, "10.0ms"}, {999_999, "1.00s"},
		{1_520_000, "1.52s"}, {60_000_000, "1m00s"}, {123_000_000, "2m03s"}, {7_380_000_000, "2h03m"},
	} {
		if got := report.FormatUS(c.us); got != c.want {
			t.Errorf("FormatUS(%d) = %q, want %q", c.us, got, c.want)
		}
	}
}

func TestSummaryOfAnEmptyRun(t *testing.T) {
	r := record.New(record.Options{Start: reporttest.Start}).Finish(reporttest.Start.Add(5*time.Second), record.Meta{Scenario: "nothing", StopReason: "unreachable"})
	var buf bytes.Buffer
	if err := WriteSummary(&buf, r); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	for _, want := range []string{"ccload nothing: unreachable in 5.00s", "0 in total", "all"} {
		if !strings.Contains(s, want) {
			t.Errorf("empty summary lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "NaN") || strings.Contains(s, "Inf") {
		t.Errorf("empty summary shows NaN/Inf:\n%s", s)
	}
}

func TestSummaryBannerSaysWhyTheRunStopped(t *testing.T) {
	for _, c := range []struct {
		reason      string
		interrupted bool
		want        string // "" for no banner
	}{
		{"completed", false, ""},
		{"unreachable", false, "!! UNREACHABLE: no request got an HTTP answer\n"},
		{"interrupted", true, "!! INTERRUPTED: the run stopped before its stages ended; running sessions were counted as interrupted.\n"},
		{"aborted: error_rate all <= 1.00%", false, "!! ABORTED: threshold error_rate all <= 1.00% failed\n"},
		{"deadline", false, "!! STOPPED: deadline\n"},
	} {
		r := record.New(record.Options{Start: reporttest.Start}).Finish(reporttest.Start.Add(5*time.Second),
			record.Meta{Scenario: "s", StopReason: c.reason, Interrupted: c.interrupted})
		var buf bytes.Buffer
		if err := WriteSummary(&buf, r); err != nil {
			t.Fatal(err)
		}
		s := buf.String()
		if c.want == "" {
			if strings.Contains(s, "!!") {
				t.Errorf("%s: a banner where none belongs:\n%s", c.reason, s)
			}
			continue
		}
		if !strings.Contains(s, c.want) || strings.Count(s, "!!") != 1 {
			t.Errorf("%s: summary lacks exactly the banner %q:\n%s", c.reason, c.want, s)
		}
	}
}

func TestSummarySaysThresholdsWereNotEvaluated(t *testing.T) {
	r := record.New(record.Options{Start: reporttest.Start}).Finish(reporttest.Start.Add(5*time.Second),
		record.Meta{Scenario: "s", Gates: &gates.Set{Thresholds: []gates.Threshold{{Metric: "error_rate", Max: 0.01, HasMax: true, LimitText: "1%"}}}})
	var buf bytes.Buffer
	if err := WriteSummary(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "thresholds NOT EVALUATED") {
		t.Errorf("summary does not say the scenario's thresholds were not evaluated:\n%s", buf.String())
	}
}

// A session metric nothing measured (no await_agent step: no time to agent) is not printed as a
// row of dashes; the measured ones still are, and a run that measured none prints no table.
func TestSummaryHidesEmptySessionMetricRows(t *testing.T) {
	r := reporttest.SummaryFixture(false, 0)
	r.SessionMetrics.TimeToAgentUS = report.Latency{}
	var b bytes.Buffer
	if err := WriteSummary(&b, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "time to agent") {
		t.Errorf("the empty time-to-agent row is printed:\n%s", out)
	}
	for _, want := range []string{"session metric", "reply latency", "session duration", "scheduler lag"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	r.SessionMetrics.ReplyLatencyUS, r.SessionMetrics.SessionDurationUS, r.SchedulerLagUS = report.Latency{}, report.Latency{}, report.Latency{}
	b.Reset()
	if err := WriteSummary(&b, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "session metric") {
		t.Errorf("a run that measured no session metric prints their table:\n%s", b.String())
	}
}

// The summary says where queued customers stood, and only when some did.
func TestSummaryShowsTheAgentQueue(t *testing.T) {
	r := reporttest.SummaryFixture(false, 0)
	var b bytes.Buffer
	if err := WriteSummary(&b, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "agent queue") {
		t.Errorf("a run without a queue prints one:\n%s", b.String())
	}
	r.SessionMetrics.QueuePosition = report.Latency{Count: 12, Min: 1, P50: 2, Max: 5}
	r.SessionMetrics.QueueWaitEstimateUS = report.Latency{Count: 12, Min: 30_000_000, P50: 60_000_000, Max: 150_000_000}
	b.Reset()
	if err := WriteSummary(&b, r); err != nil {
		t.Fatal(err)
	}
	if want := "agent queue: position p50 2, max 5; estimated wait p50 1m00s, max 2m30s (12 queryQueueInfo answers while queuing)"; !strings.Contains(b.String(), want) {
		t.Errorf("summary lacks %q:\n%s", want, b.String())
	}
}
