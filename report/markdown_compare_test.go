package report_test

import (
	"bytes"
	"strings"
	"testing"

	. "ccload/report"
)

// TestCompareMarkdownGolden: `ccload compare --markdown` of the compare test's two runs (limits
// exceeded) and of a run against itself (nothing changed, every limit held).
func TestCompareMarkdownGolden(t *testing.T) {
	base := gatesCompareRun(t, 1, 5, 1000)
	next := gatesCompareRun(t, 1.25, 8, 900)
	limits := gatesLimits(t, "p99=10%,p50@step:ask=30%", "error_rate=0.1pp", "code:0@*=1pp", "rps=-5%", "max=+50ms")
	c := Compare(base, next, limits)
	c.Base.Label, c.New.Label = "last-release/report.json", "ci-out/report.json"
	var b bytes.Buffer
	if err := WriteCompareMarkdown(&b, c, MarkdownOptions{HTML: "compare.html"}); err != nil {
		t.Fatal(err)
	}
	gatesGolden(t, "compare.md.golden", b.Bytes())
	out := b.String()
	if !strings.HasPrefix(out, "## ❌ FAIL · ccload compare") || !strings.Contains(out, "| ❌ **exceeded** | p99=10% |") ||
		!strings.Contains(out, "| ✅ held | p50@step:ask=30% |") || !strings.Contains(out, "[The compare view](compare.html)") {
		t.Errorf("the compare summary lacks its verdict, a limit's state or the link:\n%s", out)
	}

	same := Compare(base, base, limits)
	b.Reset()
	if err := WriteCompareMarkdown(&b, same, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	gatesGolden(t, "compare_same.md.golden", b.Bytes())
	if !strings.HasPrefix(b.String(), "## ✅ PASS") || !strings.Contains(b.String(), "No group changed beyond the measurement's noise.") {
		t.Errorf("a run against itself:\n%s", b.String())
	}
}
