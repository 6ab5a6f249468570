package history

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"ccload/internal/browsertest"
)

// trendRuns records five runs (one failed, one with a drifting p99) and lists them back.
func trendRuns(t *testing.T) []*Entry {
	t.Helper()
	s := open(t, filepath.Join(t.TempDir(), "runs.db"))
	ctx := context.Background()
	for i, scale := range []float64{1, 1.05, 1.1, 1.3, 1.2} {
		r := synth(t, uint64(300+i), 300, scale, 0.01*float64(i), day0.Add(time.Duration(i)*24*time.Hour))
		if i == 3 {
			r.Interrupted, r.StopReason = true, "interrupted"
		}
		if _, err := s.Record(ctx, mustPrepare(t, r, map[string]string{"version": "1.4." + string(rune('0'+i))})); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := s.List(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

func TestTrendText(t *testing.T) {
	runs := trendRuns(t)
	var b bytes.Buffer
	if err := WriteTrendText(&b, runs, []string{"sendAsync CHAT"}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 7 || lines[0] != "sendAsync CHAT" || !strings.Contains(lines[2], "version=1.4.0") || !strings.Contains(lines[6], "version=1.4.4") {
		t.Fatalf("trend of one group, oldest first:\n%s", out)
	}
	if !strings.Contains(lines[5], "incomplete") {
		t.Errorf("the interrupted run's verdict is not shown: %s", lines[5])
	}
	// Every value shown is the run's own p99 as recorded.
	for i, e := range oldestFirst(runs) {
		g, _ := e.group("sendAsync CHAT")
		if !strings.Contains(lines[2+i], us(g.P99)) {
			t.Errorf("run #%d: line %q lacks its p99 %s", e.ID, lines[2+i], us(g.P99))
		}
	}
}

// historyChromium finds Chromium ($CHROMIUM, chromium, chromium-browser). Under CI=true a
// missing browser fails the test: .ci/run installs Debian's chromium.
func historyChromium(t *testing.T) string {
	if p := browsertest.Chromium(); p != "" {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium under CI=true: .ci/run installs it; the trend page must be checked in a browser")
	}
	t.Skip("no chromium or chromium-browser on PATH (.ci/run installs Debian's chromium): the trend page was not checked in a browser")
	return ""
}

var consoleProblem = regexp.MustCompile(`(?i)CONSOLE[:(]\d+\)?\].*|Uncaught .*|violates the following Content Security Policy.*`)

// TestTrendHTMLInHeadlessChromium opens the trend page in a real browser: it loads with no
// console message, and the DOM the browser built holds one chart pair per group with one dot
// per run and metric, each dot coloured by its run's verdict.
func TestTrendHTMLInHeadlessChromium(t *testing.T) {
	bin := historyChromium(t)
	runs := trendRuns(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "trend.html")
	var b bytes.Buffer
	if err := WriteTrendHTML(&b, "ccload history: ci-gate", runs, nil); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(page, b.Bytes(), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
		"--disable-extensions", "--enable-logging=stderr", "--v=0", "--user-data-dir="+t.TempDir(),
		"--virtual-time-budget=2000", "--dump-dom", "file://"+page)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Fatalf("chromium did not finish within 60 s\n%s", errb.Bytes())
		}
		t.Fatalf("chromium: %v\n%s", err, errb.Bytes())
	}
	if bad := consoleProblem.FindAll(errb.Bytes(), -1); len(bad) > 0 {
		t.Errorf("console messages while loading the trend page: %q", bad)
	}
	dom := out.String()
	groups := strings.Count(dom, `<section class="group"`)
	charts := strings.Count(dom, `<svg class="chart"`)
	dots := strings.Count(dom, "<circle")
	lines := strings.Count(dom, "<polyline")
	if groups != 2 || charts != 4 || lines != 8 {
		t.Errorf("the browser's DOM has %d groups, %d charts, %d lines; want 2, 4, 8", groups, charts, lines)
	}
	// 5 runs × (p50, p95, p99, error rate) × 2 groups.
	if dots != 40 {
		t.Errorf("%d dots, want 40 (5 runs × 4 metrics × 2 groups)", dots)
	}
	if n := strings.Count(dom, `<circle class="v-incomplete"`); n != 8 {
		t.Errorf("%d dots of the incomplete run, want 8", n)
	}
	if !strings.Contains(dom, "run #4 ") || !strings.Contains(dom, "(incomplete)") {
		t.Error("the dots' titles do not name the runs and their verdicts")
	}
}
