package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `ccload report --markdown` and `ccload compare --markdown` write the job summary, linked to the
// HTML page written beside it (or to --link), and compare's exit code is unchanged by it.
func TestMarkdownSummariesFromTheCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	base := gatesCmdReport(t, filepath.Join(dir, "base", "report.json"), 300, 10, false, "")
	next := gatesCmdReport(t, filepath.Join(dir, "new", "report.json"), 300, 12, true, "")

	md := filepath.Join(dir, "summary", "run.md")
	code, _, stderr := ccload(t, "report", next, "--markdown", md, "--out", filepath.Join(dir, "new"))
	if code != exitOK {
		t.Fatalf("report --markdown: exit %d %s", code, stderr)
	}
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); !strings.Contains(s, "ccload run · ci-gate") || !strings.Contains(s, "[The HTML report](../new/report.html)") ||
		!strings.Contains(s, "| all | 300 | 10.0% |") {
		t.Errorf("report --markdown:\n%s", s)
	}

	cmd := filepath.Join(dir, "cmp.md")
	code, _, stderr = ccload(t, "compare", base, next, "--max-regression", "error_rate=0.1pp", "--markdown", cmd,
		"--link", "https://ci.example/artifacts/compare.html")
	if code != exitFailed {
		t.Errorf("compare with an exceeded limit and --markdown: exit %d, want %d (%s)", code, exitFailed, stderr)
	}
	b, err = os.ReadFile(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); !strings.HasPrefix(s, "## ❌ FAIL · ccload compare") || !strings.Contains(s, "| ❌ **exceeded** | error\\_rate=0.1pp |") ||
		!strings.Contains(s, "(https://ci.example/artifacts/compare.html)") {
		t.Errorf("compare --markdown:\n%s", s)
	}
}
