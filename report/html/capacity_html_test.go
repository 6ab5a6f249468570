package htmlreport

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"ccload/report"
	"ccload/report/reporttest"
)

// TestCapacityHTMLDrawsTheCurveAndBracket checks the section in the page's source: one point per
// step, the two curves, the bracket between the sustainable and the breaking rate.
func TestCapacityHTMLDrawsTheCurveAndBracket(t *testing.T) {
	r := capacityWithLimit(t)
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	checkCapacityPage(t, b.String(), r.Capacity)
	checkSLOLine(t, b.String(), r.Capacity)
	r.Capacity = nil
	b.Reset()
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), `id="capacity"`) {
		t.Error("a report without a capacity search shows a capacity section")
	}
}

// checkCapacityPage asserts what a reader of the capacity section sees.
func checkCapacityPage(t *testing.T, page string, c *report.Capacity) {
	t.Helper()
	if n := len(regexp.MustCompile(`<circle class="step (pass|fail|nj)"`).FindAllString(page, -1)); n != len(c.Steps) {
		t.Errorf("%d step points, want %d", n, len(c.Steps))
	}
	if n := len(regexp.MustCompile(`<path class="ln[^"]*" stroke="#[0-9a-f]{6}" d="M[0-9.]+ [0-9.]+(L[0-9.]+ [0-9.]+){5,}"`).FindAllString(page, -1)); n < 2 {
		t.Errorf("%d curves through the steps' rates, want p50 and p99", n)
	}
	m := regexp.MustCompile(`<rect class="bracket" id="capacity-bracket" x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no bracket on the chart")
	}
	// The bracket spans sustainable .. breaking on the rate axis: its x positions are where those
	// rates' step points are drawn.
	x, _ := strconv.ParseFloat(m[1], 64)
	w, _ := strconv.ParseFloat(m[2], 64)
	cx := func(rate float64) float64 {
		for _, st := range c.Steps {
			if st.Rate == rate {
				re := regexp.MustCompile(`<title>step ` + strconv.Itoa(st.N) + ` [^<]*</title><circle class="step \w+" cx="([0-9.]+)"`)
				if mm := re.FindStringSubmatch(page); mm != nil {
					v, _ := strconv.ParseFloat(mm[1], 64)
					return v
				}
			}
		}
		return -1
	}
	if lo, hi := cx(c.Sustainable), cx(c.Breaking); lo < 0 || hi < 0 || abs(lo-x) > 0.2 || abs(hi-(x+w)) > 0.2 {
		t.Errorf("bracket x %.1f..%.1f, step points at %.1f (sustainable) and %.1f (breaking)", x, x+w, lo, hi)
	}
	for _, want := range []string{"sustainable " + report.FormatRate(c.Sustainable), "breaks " + report.FormatRate(c.Breaking), `id="capacity-steps"`, "knee at"} {
		if !strings.Contains(page, want) {
			t.Errorf("the capacity section does not show %q", want)
		}
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// TestCapacityHTMLInHeadlessChromium opens a capacity run's report.html in a real browser: no
// console error, the script ran, and the rendered DOM has the curve, its step points (with their
// tooltips moved by the script) and the bracket.
func TestCapacityHTMLInHeadlessChromium(t *testing.T) {
	r := capacityWithLimit(t)
	page := filepath.Join(t.TempDir(), report.HTMLFileName)
	if err := report.WriteOutputFile(page, r, WriteHTML); err != nil {
		t.Fatal(err)
	}
	d := chromiumDOM(t, page)
	if n := len(regexp.MustCompile(`<g data-tip="step \d+ `).FindAllString(d, -1)); n != len(r.Capacity.Steps) {
		t.Errorf("%d step points with tooltips in the rendered DOM, want %d", n, len(r.Capacity.Steps))
	}
	if !strings.Contains(d, `id="capacity-bracket"`) || !strings.Contains(d, "sustainable 16.0") {
		t.Errorf("the rendered page has no marked bracket")
	}
	checkSLOLine(t, d, r.Capacity)
}

// capacityWithLimit is the capacity fixture with its SLO's limit (response_time.p99 <= 100ms).
func capacityWithLimit(t *testing.T) *report.Report {
	r := reporttest.Capacity(t)
	r.Capacity.Limits = []report.CapacityLimit{{Name: "response_time.p99 all <= 100ms", Metric: "response_time.p99", Group: "all", Max: 100_000}}
	return r
}

// checkSLOLine asserts the chart draws the SLO's p99 limit where a reader checks the steps against
// it: every step whose p99 kept the limit is drawn on or under the line, every one that broke it above.
func checkSLOLine(t *testing.T, page string, c *report.Capacity) {
	t.Helper()
	m := regexp.MustCompile(`<line class="slo" id="capacity-slo-0" x1="[0-9.]+" x2="[0-9.]+" y1="([0-9.]+)" y2="([0-9.]+)"`).FindStringSubmatch(page)
	if m == nil || m[1] != m[2] {
		t.Fatalf("no horizontal SLO limit line on the chart: %v", m)
	}
	y, _ := strconv.ParseFloat(m[1], 64)
	if !strings.Contains(page, "SLO response_time.p99 all &lt;= 100ms") {
		t.Error("the SLO line is not labelled with its threshold")
	}
	for _, st := range c.Steps {
		mm := regexp.MustCompile(`step ` + strconv.Itoa(st.N) + ` [^<"]*(?:</title>|">)<circle class="step \w+" cx="[0-9.]+" cy="([0-9.]+)"`).FindStringSubmatch(page)
		if mm == nil {
			t.Errorf("step %d has no point", st.N)
			continue
		}
		cy, _ := strconv.ParseFloat(mm[1], 64)
		if under := st.P99US <= 100_000; under != (cy >= y-0.2) {
			t.Errorf("step %d (p99 %s) drawn at y %.1f, SLO line at %.1f: on the wrong side", st.N, report.FormatUS(st.P99US), cy, y)
		}
	}
}
