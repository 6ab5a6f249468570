package render_test

import (
	"bytes"
	"strings"
	"testing"

	"ccload/render"
	"ccload/report/compare"
	"ccload/report/reporttest"
)

// TestCompareMarkdownGolden: `ccload compare --markdown` of the compare test's two runs (limits
// exceeded) and of a run against itself (nothing changed, every limit held).
func TestCompareMarkdownGolden(t *testing.T) {
	base := reporttest.CompareRun(t, 1, 5, 1000)
	next := reporttest.CompareRun(t, 1.25, 8, 900)
	limits := reporttest.Limits(t, "p99=10%,p50@step:ask=30%", "error_rate=0.1pp", "code:0@*=1pp", "rps=-5%", "max=+50ms")
	c := compare.Compare(base, next, limits)
	c.Base.Label, c.New.Label = "last-release/report.json", "ci-out/report.json"
	var b bytes.Buffer
	if err := render.WriteCompareMarkdown(&b, c, render.MarkdownOptions{HTML: "compare.html"}); err != nil {
		t.Fatal(err)
	}
	reporttest.Golden(t, "compare.md.golden", b.Bytes())
	out := b.String()
	if !strings.HasPrefix(out, "## ❌ FAIL · ccload compare") || !strings.Contains(out, "| ❌ **exceeded** | p99=10% |") ||
		!strings.Contains(out, "| ✅ held | p50@step:ask=30% |") || !strings.Contains(out, "[The compare view](compare.html)") {
		t.Errorf("the compare summary lacks its verdict, a limit's state or the link:\n%s", out)
	}

	same := compare.Compare(base, base, limits)
	b.Reset()
	if err := render.WriteCompareMarkdown(&b, same, render.MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	reporttest.Golden(t, "compare_same.md.golden", b.Bytes())
	if !strings.HasPrefix(b.String(), "## ✅ PASS") || !strings.Contains(b.String(), "No group changed beyond the measurement's noise.") {
		t.Errorf("a run against itself:\n%s", b.String())
	}
}
