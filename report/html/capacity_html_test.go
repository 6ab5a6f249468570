package htmlreport

import (
	"bytes"
	"ccload/report"
	"ccload/report/reporttest"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestCapacityHTMLDrawsTheCurveAndBracket checks the section in the page's source: one point per
// step, the two curves, the bracket between the sustainable and the breaking rate.
func TestCapacityHTMLDrawsTheCurveAndBracket(t *testing.T) {
	r := reporttest.Capacity(t)
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	checkCapacityPage(t, b.String(), r.Capacity)
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
	r := reporttest.Capacity(t)
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
}
