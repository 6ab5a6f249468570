package render

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"ccload/gates"
	"ccload/gates/evaluate"
	"ccload/report"
	"ccload/report/compare"
	"ccload/report/reporttest"
)

// markdownFixture is the console summary's fixture run with thresholds judged on it: one passes
// (p99 ≤ 5 s), one fails (error rate ≤ 1%: the fixture's is about 2%), one windowed.
func markdownFixture(interrupted bool) *report.Report {
	r := reporttest.SummaryFixture(interrupted, 0)
	r.Thresholds = evaluate.Thresholds(r, []gates.Threshold{
		{Metric: "response_time.p99", Max: 5e6, HasMax: true, LimitText: "5s"},
		{Metric: "error_rate", Max: 0.01, HasMax: true, LimitText: "1%"},
		{Metric: "error_rate", Max: 0.05, HasMax: true, LimitText: "5%", Over: 10 * time.Second},
	})
	return r
}

// TestMarkdownSummaryGolden: `ccload report --markdown` of a failing and of an interrupted run.
func TestMarkdownSummaryGolden(t *testing.T) {
	for _, c := range []struct {
		golden      string
		interrupted bool
	}{{"summary.md.golden", false}, {"summary_interrupted.md.golden", true}} {
		var b bytes.Buffer
		if err := WriteMarkdown(&b, markdownFixture(c.interrupted), MarkdownOptions{HTML: "report.html"}); err != nil {
			t.Fatal(err)
		}
		reporttest.Golden(t, c.golden, b.Bytes())
		out := b.String()
		want := "## ❌ FAIL"
		if c.interrupted {
			want = "## ⚠️ INTERRUPTED"
		}
		if !strings.HasPrefix(out, want) || !strings.Contains(out, "[The HTML report](report.html)") {
			t.Errorf("%s: the summary does not open with %q or lacks the HTML link:\n%s", c.golden, want, out)
		}
		if !regexp.MustCompile(`(?m)^\| ❌ \*\*fail\*\* \| error\\_rate all \\<= 1\.00% \| 2\.\d\d% \|`).MatchString(out) {
			t.Errorf("%s: the failed threshold is not marked failed:\n%s", c.golden, out)
		}
	}
}

// A name with Markdown syntax in it cannot break the summary's tables or inject a link.
func TestMarkdownEscapesReportText(t *testing.T) {
	r := markdownFixture(false)
	r.Scenario = "a|b [x](http://evil) <script>"
	r.Groups[0].Name = "step:a|b"
	var b bytes.Buffer
	if err := WriteMarkdown(&b, r, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, `a\|b \[x\](http://evil) \<script\>`) || strings.Contains(out, "<script>") {
		t.Errorf("report text became Markdown or HTML:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| step:a") {
			if n := len(regexp.MustCompile(`(^|[^\\])\|`).FindAllString(line, -1)); n != 7 {
				t.Errorf("group row has %d cell separators, want 7: %s", n, line)
			}
		}
	}
	if strings.Contains(out, "The HTML report") {
		t.Error("a link to the HTML report without one given")
	}
}

// The summary says what ccload could not judge as report.html does: a threshold not judged
// (too few requests) is no failure, and a run whose only failure is inconclusive (the generator
// was the limit) is INCONCLUSIVE, never FAIL.
func TestMarkdownSaysWhatWasNotJudged(t *testing.T) {
	r := markdownFixture(false)
	r.Thresholds = []report.ThresholdResult{
		{Name: "p99 ok", Metric: "response_time.p99", Group: "all", Pass: true, Display: "1s", Limit: "<= 5s"},
		{Name: "small group", Metric: "error_rate", Group: "step:ask", Display: "2%", Limit: "<= 1%", NotJudged: "not judged: 61 requests, fewer than 100"},
	}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, r, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.HasPrefix(out, "## ✅ PASS") || !strings.Contains(out, "| ➖ not judged | small group |") || strings.Contains(out, "❌") {
		t.Errorf("a run with a threshold not judged:\n%s", out)
	}
	r.Thresholds[1].NotJudged = report.InconclusivePrefix + "the generator, not the target, was the limit"
	r.GeneratorLimit = &report.GeneratorLimit{Reasons: []string{"scheduler lag p99 60ms"}, Inconclusive: []string{"small group"}}
	b.Reset()
	if err := WriteMarkdown(&b, r, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.HasPrefix(out, "## ⚠️ INCONCLUSIVE") || !strings.Contains(out, "| ⚠️ inconclusive | small group |") {
		t.Errorf("a generator-limited run whose only failure is inconclusive:\n%s", out)
	}

	c := compare.Result{Pass: true, Checks: []compare.Check{{Name: "p99=10%", Metric: "p99", Group: "all", NotJudged: "not judged: 60 requests in base, 61 in new (fewer than 100)"}}}
	b.Reset()
	if err := WriteCompareMarkdown(&b, c, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.HasPrefix(out, "## ✅ PASS") || !strings.Contains(out, "| ➖ not judged | p99=10% |") {
		t.Errorf("a compare whose only limit was not judged (exit 0):\n%s", out)
	}
	c.Checks[0].NotJudged, c.Inconclusive = report.InconclusivePrefix+"new's generator was the limit", "new's generator was the limit"
	b.Reset()
	if err := WriteCompareMarkdown(&b, c, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.HasPrefix(out, "## ⚠️ INCONCLUSIVE") || !strings.Contains(out, "| ⚠️ inconclusive | p99=10% |") {
		t.Errorf("an inconclusive compare (exit 3):\n%s", out)
	}
}

// Requests of unknown receipt are outside total and errors: the summary names them, as the
// console and report.html do, so no request goes unaccounted.
func TestMarkdownCountsUnknownReceipt(t *testing.T) {
	r := markdownFixture(false)
	r.Requests.UnknownReceipt = 7
	var b bytes.Buffer
	if err := WriteMarkdown(&b, r, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "7 of unknown receipt") {
		t.Errorf("the summary does not count the 7 requests of unknown receipt:\n%s", b.String())
	}
}
