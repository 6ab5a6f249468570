package runner

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"ccload/report/record"
	"ccload/scenario"
)

func TestStatusLineEveryPeriod(t *testing.T) {
	var buf bytes.Buffer
	d := &lines{w: &buf, period: 5 * time.Second}
	st := status{
		live:    record.LiveStats{Requests: 5230, Errors: 3, RPS: 212, P99: 1200 * time.Microsecond, Active: 41, SessionsCompleted: 459, SessionsFailed: 2, Dropped: 1},
		elapsed: 4 * time.Second, total: time.Minute, stage: 1, stages: 2, level: 20, unit: "sessions/s", cap: 50, phase: "running",
	}
	d.update(st)
	if buf.Len() != 0 {
		t.Fatalf("printed before the first period: %q", buf.String())
	}
	st.elapsed = 5 * time.Second
	d.update(st)
	st.elapsed = 6 * time.Second
	d.update(st)
	got := buf.String()
	if strings.Count(got, "\n") != 1 {
		t.Fatalf("want one line per 5 s, got %q", got)
	}
	for _, want := range []string{"0:05/1:00", "stage 1/2", "20.0 sessions/s", "customers 41/50", "459 done", "2 failed", "1 dropped", "212 req/s", "5230 requests", "3 errors", "p99 1.20ms"} {
		if !strings.Contains(got, want) {
			t.Errorf("status line %q lacks %q", got, want)
		}
	}
}

func TestParseShard(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Shard
		ok   bool
	}{{"0/1", Shard{0, 1}, true}, {"2/4", Shard{2, 4}, true}, {"4/4", Shard{}, false}, {"-1/2", Shard{}, false}, {"1", Shard{}, false}, {"a/b", Shard{}, false}, {"0/0", Shard{}, false}} {
		got, err := ParseShard(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseShard(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestClock(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0:00", 65 * time.Second: "1:05", 3723 * time.Second: "1:02:03"} {
		if got := clock(d); got != want {
			t.Errorf("clock(%v) = %q, want %q", d, got, want)
		}
	}
}

// Bars (escape sequences that redraw) only on a terminal, with progress wanted and NO_COLOR unset
// or empty; plain status lines in every other case.
func TestChooseProgressHonoursNoColor(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "NO_COLOR" {
				return v
			}
			return ""
		}
	}
	for _, c := range []struct {
		name                 string
		noProgress, terminal bool
		noColor              string
		want                 Progress
	}{
		{"terminal", false, true, "", ProgressBars},
		{"terminal, NO_COLOR=1", false, true, "1", ProgressLines},
		{"terminal, NO_COLOR=0 (any non-empty value)", false, true, "0", ProgressLines},
		{"not a terminal", false, false, "", ProgressLines},
		{"--no-progress on a terminal", true, true, "", ProgressLines},
	} {
		if got := ChooseProgress(c.noProgress, c.terminal, env(c.noColor)); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// A streamed replay shows its log's span as the total when known, and the elapsed time alone
// (no "/0:00", no 24 h stand-in stage) when not; its stand-in stages are never shown.
func TestStatusOfAStreamedPlan(t *testing.T) {
	stand := scenario.Load{Model: scenario.Open, Stages: []scenario.Stage{{Duration: 24 * time.Hour, From: 1, To: 1}}}
	for _, tt := range []struct {
		span      time.Duration
		want, not string
	}{
		{span: 90 * time.Second, want: "ccload 0:05/1:30 replaying |", not: "24:00:00"},
		{span: 0, want: "ccload 0:05 replaying |", not: "/"},
	} {
		r := &run{cfg: Config{Source: &sliceSource{}, SourceSpan: tt.span}, load: stand, life: newLifecycle(nil, time.Time{})}
		var buf bytes.Buffer
		d := &lines{w: &buf, period: 5 * time.Second}
		d.update(r.status(record.LiveStats{}, 5*time.Second))
		got := buf.String()
		if !strings.Contains(got, tt.want) || strings.Contains(strings.SplitN(got, "|", 2)[0], tt.not) || strings.Contains(got, "stage") {
			t.Errorf("span %s: status line %q, want %q and no %q or stage", tt.span, got, tt.want, tt.not)
		}
	}
}
