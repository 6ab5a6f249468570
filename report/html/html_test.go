package htmlreport

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"ccload/gates"
	"ccload/report"
	"ccload/report/reporttest"
)

func TestWriteHTMLIsSelfContainedAndEscaped(t *testing.T) {
	r := reporttest.RealisticWithThresholds(t)
	r.Groups[0].Name = `<script>alert("x")</script>`
	r.Stages[1].Label = `hold "10/s" <b>`
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{
		`<div class="badge" id="verdict">FAIL</div>`, "checkout-peak", "2026-11-27 09:30:00 UTC",
		`&lt;b&gt;Where is order {{seq}}?&lt;/b&gt; &amp; more`, // the scenario, escaped in a <pre>
		"&lt;script&gt;alert(", "hold &#34;10/s&#34; &lt;b&gt;", // report strings in tables and SVG
		`id="throughput"`, `id="latency"`, `id="spectrum"`, `id="codes"`, `id="errors"`, `id="sessions"`, `id="thresholds"`,
		"p99.999", "error_rate all &lt;= 5.00% over 10s", "70s–80s",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if strings.Contains(page, `<script>alert(`) {
		t.Error("a group name reached the page unescaped")
	}
	// Nothing is loaded from anywhere: no src/href/url() pointing outside, a CSP forbidding it.
	if m := regexp.MustCompile(`(?i)(src|href)\s*=|url\(|@import`).FindString(page); m != "" {
		t.Errorf("report.html refers to an outside resource: %q", m)
	}
	if !strings.Contains(page, "default-src 'none'") {
		t.Error("report.html has no Content-Security-Policy")
	}
	// The charts are drawn in the file, not by script: paths for lines, rects for error bars.
	if n := strings.Count(page, "<svg class=\"chart"); n != 5 {
		t.Errorf("%d charts, want 5", n)
	}
	if n := strings.Count(page, "<path class=\"ln"); n < 12 {
		t.Errorf("only %d chart lines drawn", n)
	}
	if n := strings.Count(page, `<rect class="errbar"`); n < 10 {
		t.Errorf("only %d error bars drawn (the 70–80 s burst must show)", n)
	}
}

func TestWriteHTMLHandlesAnEmptyReport(t *testing.T) {
	var buf bytes.Buffer
	r := &report.Report{Schema: report.Schema, StopReason: "unreachable"}
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{">FAIL<", "no time series in this report", "no response-time histograms"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("empty report.html lacks %q", want)
		}
	}
	buf.Reset()
	r = &report.Report{Schema: report.Schema, StopReason: "interrupted", Interrupted: true}
	if err := WriteHTML(&buf, r); err != nil || !strings.Contains(buf.String(), ">INTERRUPTED<") {
		t.Errorf("interrupted report: err=%v, verdict missing", err)
	}
}

func TestWriteHTMLMergesLongSeriesExactly(t *testing.T) {
	r := reporttest.Realistic(t, 2)
	cols, err := htmlColumns(r, 50) // 120 points → 3 per column
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) != 40 {
		t.Fatalf("%d columns, want 40", len(cols))
	}
	var req int64
	for _, c := range cols {
		req += c.req
	}
	if req != r.Overall.Count {
		t.Errorf("columns hold %d requests, the run %d", req, r.Overall.Count)
	}
	if cols[0].p95 < cols[0].p50 || cols[0].p99 < cols[0].p95 {
		t.Errorf("percentiles out of order: %+v", cols[0])
	}
}

// A report whose scenario sets thresholds but which carries no result for them (a merge that
// could not evaluate them) must not read PASS.
func TestWriteHTMLVerdictWhenThresholdsWereNotEvaluated(t *testing.T) {
	r := reporttest.Realistic(t, 1)
	r.Interrupted, r.StopReason = false, "completed"
	r.Gates = &gates.Set{Thresholds: []gates.Threshold{{Metric: "error_rate", Max: 0.05, HasMax: true, LimitText: "5%"}}}
	r.Thresholds = nil
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if !strings.Contains(page, `<div class="badge" id="verdict">NOT EVALUATED</div>`) || !strings.Contains(page, "thresholds not evaluated") {
		t.Errorf("verdict of a report with unevaluated thresholds is not NOT EVALUATED:\n%.600s", page[strings.Index(page, "<header"):])
	}
	r.Gates = &gates.Set{}
	buf.Reset()
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `<div class="badge" id="verdict">PASS</div>`) {
		t.Error("a completed run whose scenario sets no thresholds is not PASS")
	}
}

// A stage whose rate --duration scaled is labelled "0.5→0.583 sessions/s" on the charts, not with
// the float's sixteen digits; report.json keeps the exact label.
func TestWriteHTMLRoundsStageLabels(t *testing.T) {
	r := reporttest.Realistic(t, 1)
	r.Stages = []report.StageMark{{T: 0, Target: 0.5, Label: "stage 1: 0→0.5 sessions/s"}, {T: 60, Target: 0.583333333333334, Label: "stage 2: 0.5→0.583333333333334 sessions/s"}}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if strings.Contains(page, "0.58333") {
		t.Error("report.html prints the stage rate 0.583333333333334 unrounded")
	}
	if !strings.Contains(page, ">stage 2: 0.5→0.583 sessions/s</text>") {
		t.Error("report.html has no stage label \"stage 2: 0.5→0.583 sessions/s\"")
	}
}

// Arrivals per second have their own (right) axis on the active-customers chart: in the realistic
// run sessions last about 40 s, so customers outnumber arrivals a second about ninefold, and on a
// shared axis the arrivals line stays near the floor (y=169 of 30..186). Its peak reaches the upper
// half of the plot.
func TestWriteHTMLArrivalsHaveTheirOwnAxis(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHTML(&buf, reporttest.Realistic(t, 1)); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	chart := regexp.MustCompile(`(?s)<svg class="chart active".*?</svg>`).FindString(page)
	if chart == "" {
		t.Fatal("no active-customers chart")
	}
	if !regexp.MustCompile(`text-anchor="start" class="tick">\d+/s</text>`).MatchString(chart) {
		t.Error("the active chart has no right axis labelled in arrivals per second")
	}
	m := regexp.MustCompile(`<path class="ln dashed" stroke="[^"]+" d="([^"]+)"`).FindStringSubmatch(chart)
	if m == nil {
		t.Fatal("no arrivals line")
	}
	const top, bot = 30.0, 220 - 34.0 // the plot area of newHTMLSVG(…, 960, 220)
	peak := bot
	for _, pt := range regexp.MustCompile(`[ML][\d.]+ ([\d.]+)`).FindAllStringSubmatch(m[1], -1) {
		y, _ := strconv.ParseFloat(pt[1], 64)
		peak = min(peak, y)
	}
	if peak > (top+bot)/2 {
		t.Errorf("the arrivals line peaks at y=%.1f, below the middle of the plot (%.1f): it shares the customers' axis", peak, (top+bot)/2)
	}
}

func TestWriteHTMLWarnsAboutSessionsCutByGrace(t *testing.T) {
	r := reporttest.RealisticWithThresholds(t)
	r.StopReason, r.GraceS = "grace cut", 30
	r.Sessions.Completed -= 3
	r.Sessions.CutByGrace = 3
	r.Warnings = append(r.Warnings, "3 sessions were still running when the grace period (30s) after the last stage ran out: cut, counted as cut_by_grace")
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{"3 sessions cut by the grace period", "cut by grace", "counted as cut_by_grace"} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html of a grace cut lacks %q", want)
		}
	}
}

// A report.json whose thresholds say inconclusive but that has no generator_limit (hand-edited,
// or cut down by a tool) still renders: the verdict counts the inconclusive thresholds itself.
func TestWriteHTMLInconclusiveWithoutGeneratorLimit(t *testing.T) {
	r := reporttest.RealisticWithThresholds(t)
	r.GeneratorLimit = nil
	for i := range r.Thresholds {
		r.Thresholds[i].Pass, r.Thresholds[i].NotJudged = false, report.InconclusivePrefix+"the generator was the limit"
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	if v, _, note := Verdict(r); v != "INCONCLUSIVE" || !strings.Contains(note, fmt.Sprintf("%d of %d", len(r.Thresholds), len(r.Thresholds))) {
		t.Errorf("verdict %s (%s), want INCONCLUSIVE counting every threshold", v, note)
	}
}
