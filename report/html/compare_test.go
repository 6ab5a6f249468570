package htmlreport

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"ccload/gates"
	"ccload/report"
	"ccload/report/compare"
	"ccload/report/reporttest"
)

// slowerRun is the realistic run with every response time of step:ask's CHATs scaled: the same
// arrivals, counts and errors, only slower where a release made them slower.
func compareFixture(t *testing.T) (base, next *report.Report, limits []compare.Limit, c compare.Result) {
	t.Helper()
	base, next = reporttest.Realistic(t, 1), reporttest.Realistic(t, 2)
	next.Scenario = `checkout-peak <b>`
	limits, err := gates.ParseCompareLimits([]string{"p99=10%", "p95@step:ask=+20ms", "rps=-5%", "max@poll=0%"})
	if err != nil {
		t.Fatal(err)
	}
	c = compare.Compare(base, next, limits)
	c.Base.Label, c.New.Label = "last-release/report.json", "ci-out/report.json"
	return base, next, limits, c
}

func renderCompare(t *testing.T) (string, compare.Result) {
	t.Helper()
	base, next, limits, c := compareFixture(t)
	var b bytes.Buffer
	if err := WriteCompareHTML(&b, base, next, limits, c); err != nil {
		t.Fatal(err)
	}
	return b.String(), c
}

// The compare view overlays both runs on a spectrum for all and for each group a percentile limit
// names, and over time; every limit is a row with its verdict, and each percentile or whole-run
// limit is marked on its chart in the colour of its verdict.
func TestCompareHTMLOverlaysBothRunsAndMarksTheLimits(t *testing.T) {
	page, c := renderCompare(t)
	if len(c.Checks) != 4 {
		t.Fatalf("%d checks, want 4", len(c.Checks))
	}
	charts := regexp.MustCompile(`(?s)<svg class="chart (cmpspectrum|cmptime)".*?</svg>`).FindAllStringSubmatch(page, -1)
	var spectra, times []string
	for _, m := range charts {
		if m[1] == "cmpspectrum" {
			spectra = append(spectra, m[0])
		} else {
			times = append(times, m[0])
		}
	}
	// all, step:ask (p95 limit), poll (max limit); rps is not a latency.
	if len(spectra) != 3 || len(times) != 2 {
		t.Fatalf("%d spectra and %d time charts, want 3 and 2", len(spectra), len(times))
	}
	runLine := regexp.MustCompile(`<g class="run (base|new)"><title>[^<]*</title><path class="ln[^"]*" stroke="(#[0-9a-f]{6})" d="M[\d.]+ [\d.]+L`)
	for i, svg := range append(append([]string{}, spectra...), times...) {
		got := runLine.FindAllStringSubmatch(svg, -1)
		if len(got) != 2 || got[0][1] != "base" || got[1][1] != "new" || got[0][2] == got[1][2] {
			t.Errorf("chart %d: run lines %q, want base and new in two colours", i, got)
		}
	}
	limitMark := regexp.MustCompile(`<g class="limit (pass|fail)"><title>limit ([^·]*) · `)
	verdict := map[string]string{}
	for _, k := range c.Checks {
		verdict[k.Name] = map[bool]string{true: "pass", false: "fail"}[k.Pass]
	}
	marked := map[string]bool{}
	for _, m := range limitMark.FindAllStringSubmatch(page, -1) {
		marked[m[2]] = true
		if verdict[m[2]] != m[1] {
			t.Errorf("limit %s marked %s, its check says %s", m[2], m[1], verdict[m[2]])
		}
	}
	for _, want := range []string{"p99=10%", "p95@step:ask=+20ms", "rps=-5%", "max@poll=0%"} {
		if !marked[want] {
			t.Errorf("limit %s is not marked on any chart", want)
		}
	}
	// p99=10% on all: base's p99 × 1.1 is the most NEW was allowed.
	allowed := gates.FormatUS(float64(reporttest.Realistic(t, 1).Overall.ResponseTimeUS.P99) * 1.1)
	if !strings.Contains(page, "new at most "+allowed) {
		t.Errorf("the p99=10%% mark does not say NEW was allowed %s", allowed)
	}
	if n := strings.Count(page, `<span class="pill `); n != len(c.Checks) {
		t.Errorf("%d limit rows, want %d", n, len(c.Checks))
	}
	if strings.Contains(page, "checkout-peak <b>") || !strings.Contains(page, "checkout-peak &lt;b&gt;") {
		t.Error("a scenario name reached the compare page unescaped")
	}
	if m := regexp.MustCompile(`(?i)(src|href)\s*=|url\(|@import`).FindString(page); m != "" {
		t.Errorf("the compare page refers to an outside resource: %q", m)
	}
}

// The compare page in a real browser: no console or script errors, its script runs, and the
// overlaid lines and limit marks are in the DOM.
func TestCompareHTMLInHeadlessChromium(t *testing.T) {
	page, c := renderCompare(t)
	file := filepath.Join(t.TempDir(), "compare.html")
	if err := os.WriteFile(file, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	d := chromiumDOM(t, file)
	want := "FAIL"
	if c.Pass {
		want = "PASS"
	}
	if !strings.Contains(d, `id="verdict">`+want+`<`) {
		t.Errorf("the verdict %s is not on the rendered page", want)
	}
	if n := len(regexp.MustCompile(`<g class="run (base|new)" data-tip="`).FindAllString(d, -1)); n != 10 {
		t.Errorf("%d run lines with tooltips in the DOM, want 10 (2 on each of 5 charts)", n)
	}
	if n := len(regexp.MustCompile(`<g class="limit (pass|fail)" data-tip="limit `).FindAllString(d, -1)); n != 5 {
		t.Errorf("%d limit marks in the DOM, want 5 (p99 on its spectrum and over time, p95@step:ask, max@poll, rps over time)", n)
	}
}

// A limit exceeded while a report's generator was the limit is INCONCLUSIVE on the page, as in
// the text, JSON and JUnit outputs, not NOT JUDGED (which says the group was too small).
func TestCompareHTMLMarksInconclusiveLimits(t *testing.T) {
	base, next, limits, c := compareFixture(t)
	c.Checks[0].Pass, c.Checks[0].NotJudged = false, report.InconclusivePrefix+"new's generator was the limit"
	c.Inconclusive = "new's generator was the limit"
	var b bytes.Buffer
	if err := WriteCompareHTML(&b, base, next, limits, c); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `<span class="pill skip">INCONCLUSIVE</span>`) {
		t.Error("the inconclusive limit's row has no INCONCLUSIVE pill")
	}
}

// A limit on a group too small to judge is not "held": the verdict and the limits' heading say
// how many held and how many were not judged, as the console does.
func TestCompareHTMLCountsLimitsNotJudged(t *testing.T) {
	limits := reporttest.Limits(t, "p99=10%", "p99@step:ask=10%")
	small := reporttest.CompareRun(t, 1, 0, 150) // 75 requests in step:ask: fewer than compare.MinSamples
	c := compare.Compare(small, small, limits)
	if _, notJudged, _ := c.Tally(); notJudged != 1 {
		t.Fatalf("want step:ask's limit not judged: %+v", c.Checks)
	}
	var b bytes.Buffer
	if err := WriteCompareHTML(&b, small, small, limits, c); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Contains(page, "all 2 limits held") || strings.Contains(page, "all held") {
		t.Errorf("the page says every limit held though one was not judged")
	}
	for _, want := range []string{"1 of 2 limits held, 1 not judged (too few requests)", "Limits · 1 held, 1 not judged"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// With p99@* and p99@step:ask both set, step:ask's p99@step:ask=0% check is marked at its own
// limit (new at most base), not at the first p99 limit's (twice base), and p99@*'s check there at its own.
func TestCompareHTMLMarksEachLimitAtItsOwnValue(t *testing.T) {
	base, next := reporttest.CompareRun(t, 1, 0, 1000), reporttest.CompareRun(t, 1.25, 0, 1000)
	limits := reporttest.Limits(t, "p99@*=100%", "p99@step:ask=0%")
	c := compare.Compare(base, next, limits)
	var b bytes.Buffer
	if err := WriteCompareHTML(&b, base, next, limits, c); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`<title>limit p99@step:ask=0% · base ([^,]+), new at most ([^;]+);`).FindStringSubmatch(b.String())
	if m == nil || m[1] != m[2] {
		t.Errorf("p99@step:ask=0%% is not marked at base's value: %q", m)
	}
	m = regexp.MustCompile(`<title>limit p99@step:ask=100% · base ([^,]+), new at most ([^;]+);`).FindStringSubmatch(b.String())
	if m == nil || m[1] == m[2] {
		t.Errorf("p99@*=100%% is not marked on step:ask at twice base's value: %q", m)
	}
}
