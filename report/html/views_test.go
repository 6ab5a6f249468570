package htmlreport

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"ccload/report"
	"ccload/report/reporttest"
)

func renderHTML(t *testing.T, r *report.Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// htmlCharts returns the page's chart SVGs by their class ("throughput", "latency", …).
func htmlCharts(page string) map[string]string {
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(?s)<svg class="chart ([a-z-]+)".*?</svg>`).FindAllStringSubmatch(page, -1) {
		out[m[1]] = m[0]
	}
	return out
}

var graceRect = regexp.MustCompile(`<rect class="grace" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"[^>]*><title>([^<]*)</title>`)

// The realistic run's stages end at 110 s and its sessions had 10 s of grace: every time chart
// shades 110 s–120 s, at the right place on its x axis; without grace_s, or with stages that do
// not say how long they were (an older report), nothing is shaded.
func TestHTMLMarksTheGracePeriod(t *testing.T) {
	r := reporttest.RealisticWithGroupPoints(t, 1)
	charts := htmlCharts(renderHTML(t, r))
	for _, name := range []string{"throughput", "latency", "active", "grouplatency"} {
		c, ok := charts[name]
		if !ok {
			t.Fatalf("no %s chart", name)
		}
		m := graceRect.FindAllStringSubmatch(c, -1)
		if len(m) != 1 {
			t.Errorf("%s chart: %d grace bands, want 1", name, len(m))
			continue
		}
		if !strings.Contains(m[0][3], "10s after the last stage (1m50s–2m)") {
			t.Errorf("%s chart: grace band says %q", name, m[0][3])
		}
		// The plot spans 120 s between x=74 and the right margin: the band covers its last twelfth.
		right := 960 - 24.0
		if name == "active" {
			right = 960 - 64
		}
		x, _ := strconv.ParseFloat(m[0][1], 64)
		w, _ := strconv.ParseFloat(m[0][2], 64)
		wantX, wantW := 74+(right-74)*110/120, (right-74)*10/120
		if d := x - wantX; d > 0.6 || d < -0.6 || w-wantW > 0.6 || w-wantW < -0.6 {
			t.Errorf("%s chart: grace band at x=%v width %v, want x=%.1f width %.1f", name, x, w, wantX, wantW)
		}
	}
	for _, c := range []struct {
		name string
		edit func(*report.Report)
	}{
		{"no grace_s", func(r *report.Report) { r.GraceS = 0 }},
		{"stages without duration_s", func(r *report.Report) {
			for i := range r.Stages {
				r.Stages[i].DurationS = 0
			}
		}},
	} {
		r := reporttest.Realistic(t, 1)
		c.edit(r)
		if n := strings.Count(renderHTML(t, r), `<rect class="grace"`); n != 0 {
			t.Errorf("%s: %d grace bands drawn", c.name, n)
		}
	}
}

var seriesPath = regexp.MustCompile(`<g class="series" data-series="(\d+)"><title>([^<]*) p99</title><path class="ln" stroke="(#[0-9a-f]{6})" d="([^"]*)"/></g>`)

// The per-group chart draws one p99 line per group that sent requests, each through the
// intervals the group was busy in, each in its own colour, with a legend button for each.
func TestHTMLGroupLatencyDrawsEveryGroup(t *testing.T) {
	r := reporttest.RealisticWithGroupPoints(t, 1)
	page := renderHTML(t, r)
	chart := htmlCharts(page)["grouplatency"]
	got := seriesPath.FindAllStringSubmatch(chart, -1)
	if len(got) != len(r.Groups) {
		t.Fatalf("%d group lines, want one per group (%d)", len(got), len(r.Groups))
	}
	names := map[string]bool{}
	for _, m := range got {
		names[m[2]] = true
		if pts := strings.Count(m[4], "L") + strings.Count(m[4], "M"); pts < 100 {
			t.Errorf("group %s: a line through %d points, want one per busy second (~120)", m[2], pts)
		}
	}
	for _, g := range r.Groups {
		if !names[g.Name] {
			t.Errorf("group %s has no line", g.Name)
		}
	}
	if n := strings.Count(page, `<button type="button" class="sel" data-series=`); n != len(r.Groups) {
		t.Errorf("%d legend buttons, want %d", n, len(r.Groups))
	}

	// 14 groups, group i sending i+1 requests a second: the 10 busiest are drawn, the note counts the other 4.
	b := reporttest.NewBuilder(t, 10)
	b.GroupPoints = true
	for i := range 14 {
		g := b.Endpoint(fmt.Sprintf("ep%02d", i), "")
		for sec := range 10 {
			for range i + 1 {
				b.Req(sec, int64(1000*(i+1)), 900, "0", report.ClassOK, g)
			}
		}
	}
	page = renderHTML(t, b.Finish())
	got = seriesPath.FindAllStringSubmatch(htmlCharts(page)["grouplatency"], -1)
	if len(got) != htmlMaxGroupSeries {
		t.Errorf("%d group lines of 14 groups, want the %d busiest", len(got), htmlMaxGroupSeries)
	}
	for _, m := range got {
		if m[2] < "ep04" {
			t.Errorf("group %s, one of the 4 quietest, is drawn", m[2])
		}
	}
	if !strings.Contains(page, "Smaller groups (4) are in the table below.") {
		t.Error("the per-group chart does not say it left 4 groups out")
	}

	r.Timeseries = nil
	if !strings.Contains(renderHTML(t, r), "no per-group time series in this report") {
		t.Error("a report without a time series does not say the per-group chart is empty")
	}
}

// No two series of one chart share a colour, on every chart of the page.
func TestHTMLSeriesColoursAreDistinct(t *testing.T) {
	stroke := regexp.MustCompile(`<path class="ln[^"]*" stroke="(#[0-9a-f]{6})"`)
	for name, c := range htmlCharts(renderHTML(t, reporttest.RealisticWithThresholds(t))) {
		seen := map[string]bool{}
		for _, m := range stroke.FindAllStringSubmatch(c, -1) {
			if seen[m[1]] {
				t.Errorf("%s chart: two series drawn in %s", name, m[1])
			}
			seen[m[1]] = true
		}
	}
	seen := map[string]bool{}
	for _, c := range htmlSeriesPalette {
		if seen[c] {
			t.Errorf("the palette holds %s twice", c)
		}
		seen[c] = true
	}
}

// In a real browser the grace band and the per-group lines are on the page, and a click on a
// legend button hides that group's line (and marks the button) without a script error.
func TestHTMLViewsInHeadlessChromium(t *testing.T) {
	r := reporttest.RealisticWithGroupPoints(t, 1)
	page := renderHTML(t, r)
	// After the page's own script: click the first group's button, as a reader would.
	page = strings.Replace(page, "</body>", `<script>document.querySelector('.legendrow[data-for] button.sel[data-series="0"]').click()</script></body>`, 1)
	file := filepath.Join(t.TempDir(), report.HTMLFileName)
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	d := chromiumDOM(t, file)
	if n := strings.Count(d, `<rect class="grace"`); n != 4 {
		t.Errorf("%d grace bands in the DOM, want one on each of the 4 time charts", n)
	}
	if n := len(regexp.MustCompile(`<g class="series( off)?" data-series="\d+"`).FindAllString(d, -1)); n != len(r.Groups) {
		t.Errorf("%d group lines in the DOM, want %d", n, len(r.Groups))
	}
	if !strings.Contains(d, `<g class="series off" data-series="0"`) || !regexp.MustCompile(`data-series="0" aria-pressed="false"`).MatchString(d) {
		t.Error("clicking the first group's legend button did not hide its line")
	}
	if n := strings.Count(d, `class="series off"`); n != 1 {
		t.Errorf("%d lines hidden by one click, want 1", n)
	}
}
