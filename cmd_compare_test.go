package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ccload/gates"
	"ccload/report"
	"ccload/report/compare"
	"ccload/report/record"
)

// gatesCmdReport writes a report of n CHAT requests answering in ms milliseconds (every tenth
// failing with resultCode 12 when failing is set), judged by compareLimits (as --max-regression
// writes them; the scenario's compare: section compiled), and returns its path.
func gatesCmdReport(t *testing.T, path string, n int, ms int64, failing bool, compareLimits string) string {
	t.Helper()
	start := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	r := record.New(record.Options{Start: start})
	g := r.Group("sendAsync", "CHAT")
	for i := range n {
		at := int64(i) * int64(10*time.Millisecond)
		code, class := "0", report.ClassOK
		if failing && i%10 == 0 {
			code, class = "12", report.ClassApp
		}
		r.Record(&report.Sample{Group: g, Step: report.NoGroup, Intended: at, Start: at, End: at + ms*int64(time.Millisecond),
			Status: 200, ResultCode: code, Class: class})
	}
	limits, err := gates.ParseCompareLimits([]string{compareLimits})
	if err != nil {
		t.Fatal(err)
	}
	meta := record.Meta{Scenario: "ci-gate", Seed: 1, ScenarioText: "name: ci-gate\n", Gates: &gates.Set{Compare: limits}}
	rep := r.Finish(start.Add(time.Duration(n)*10*time.Millisecond), meta)
	if err := report.WriteFileAt(path, rep); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCompareCommandGatesOnLimits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const withLimits = "p99=10%,error_rate=0.1pp"
	base := gatesCmdReport(t, filepath.Join(dir, "base.json"), 500, 10, false, withLimits)
	slower := gatesCmdReport(t, filepath.Join(dir, "slower.json"), 500, 20, false, withLimits)
	same := gatesCmdReport(t, filepath.Join(dir, "same.json"), 500, 10, false, withLimits)

	// NEW's scenario says p99 may grow by 10%: 10 ms → 20 ms fails, with the JSON and JUnit written.
	js, ju := filepath.Join(dir, "out", "cmp.json"), filepath.Join(dir, "out", "cmp.xml")
	page := filepath.Join(dir, "out", "cmp.html")
	code, stdout, stderr := ccload(t, "compare", base, slower, "--json", js, "--junit", ju, "--html", page)
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFailed, stdout, stderr)
	}
	for _, want := range []string{"REGRESSION (limit p99=10%)", "FAIL: 1 of 2 limits exceeded", "sendAsync CHAT"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	var res compare.Result
	if b, err := os.ReadFile(js); err != nil || json.Unmarshal(b, &res) != nil || res.Pass || len(res.Checks) != 2 {
		t.Errorf("--json: %v %+v", err, res)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if b, err := os.ReadFile(ju); err != nil || xml.Unmarshal(b, &doc) != nil || doc.Tests != 2 || doc.Failures != 1 {
		t.Errorf("--junit: %v %+v", err, doc)
	}
	// --html: the compare view, its verdict and the exceeded limit marked on the spectrum.
	if b, err := os.ReadFile(page); err != nil || !strings.Contains(string(b), `id="verdict">FAIL<`) || !strings.Contains(string(b), `<g class="limit fail"><title>limit p99=10%`) {
		t.Errorf("--html: %v, the page lacks the FAIL verdict or the exceeded p99 limit's mark", err)
	}

	// A flag overrides the scenario's limit on the same metric.
	if code, stdout, _ := ccload(t, "compare", "--max-regression", "p99=150%", base, slower); code != exitOK {
		t.Errorf("p99=150%%: exit %d\n%s", code, stdout)
	}
	// The same run twice is no regression.
	if code, stdout, _ := ccload(t, "compare", base, same); code != exitOK || !strings.Contains(stdout, "PASS: all 2 limits held") ||
		!strings.Contains(stdout, "no differences beyond noise") || strings.Contains(stdout, "  p99 ") {
		t.Errorf("identical runs: exit %d, want 0 and no rows printed\n%s", code, stdout)
	}
	// --all prints every row of them.
	if code, stdout, _ := ccload(t, "compare", base, same, "--all"); code != exitOK || !strings.Contains(stdout, "  p99 ") || strings.Contains(stdout, "hidden") {
		t.Errorf("identical runs, --all: exit %d, want every row\n%s", code, stdout)
	}
	// A NEW report written before report.json stored its gates: its scenario's limits are not
	// applied (the scenario is not parsed again), and stderr says so.
	r, err := report.ReadFile(slower)
	if err != nil {
		t.Fatal(err)
	}
	r.Gates = nil
	oldNew := filepath.Join(dir, "old.json")
	if err := report.WriteFileAt(oldNew, r); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := ccload(t, "compare", base, oldNew); code != exitOK || !strings.Contains(stdout, "no limits set") || !strings.Contains(stderr, "carries no compiled compare limits") {
		t.Errorf("old NEW report: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// Without limits there is nothing to gate on.
	if code, stdout, _ := ccload(t, "compare", base, slower, "--no-scenario-limits"); code != exitOK || !strings.Contains(stdout, "no limits set") {
		t.Errorf("no limits: exit %d\n%s", code, stdout)
	}
}

func TestCompareCommandUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	base := gatesCmdReport(t, filepath.Join(dir, "base.json"), 50, 10, false, "")
	notJSON := filepath.Join(dir, "x.json")
	if err := os.WriteFile(notJSON, []byte("not a report"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{base},
		{base, filepath.Join(dir, "missing.json")},
		{base, notJSON},
		{base, base, "--max-regression", "p99=fast"},
		{base, base, "--max-regression", "latency=10%"},
	} {
		if code, _, stderr := ccload(t, append([]string{"compare"}, args...)...); code != exitUsage || stderr == "" {
			t.Errorf("%q: exit %d (want %d), stderr %q", args, code, exitUsage, stderr)
		}
	}
	if code, stdout, _ := ccload(t, "compare", "--help"); code != exitOK || !strings.Contains(stdout, "METRIC[@GROUP]=LIMIT") {
		t.Errorf("--help: exit %d\n%s", code, stdout)
	}
}

// compare refuses to call a regression from a report whose generator was the limit: exit 3,
// INCONCLUSIVE, the reason in --json and the compare view; --force calls it (exit 1). A scenario
// limit on a group of 61 requests is not judged (one sample-size rule with thresholds).
func TestCompareCommandSaysInconclusiveAndNotJudged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	base := gatesCmdReport(t, filepath.Join(dir, "base.json"), 500, 10, false, "p99=10%")
	slower := gatesCmdReport(t, filepath.Join(dir, "slower.json"), 500, 20, false, "p99=10%")
	r, err := report.ReadFile(slower)
	if err != nil {
		t.Fatal(err)
	}
	r.GeneratorLimit = &report.GeneratorLimit{Reasons: []string{"scheduler lag p99 158.6ms over 50.0ms"}, LagP99US: 158_600}
	if err := report.WriteFileAt(slower, r); err != nil {
		t.Fatal(err)
	}
	js, page := filepath.Join(dir, "cmp.json"), filepath.Join(dir, "cmp.html")
	code, stdout, stderr := ccload(t, "compare", base, slower, "--json", js, "--html", page)
	if code != exitAborted || !strings.Contains(stdout, "INCONCLUSIVE: 1 of 1 limits exceeded, but new's generator, not its target, was the limit") {
		t.Errorf("generator-limited new: exit %d, want 3 and INCONCLUSIVE\n%s%s", code, stdout, stderr)
	}
	var res compare.Result
	if b, err := os.ReadFile(js); err != nil || json.Unmarshal(b, &res) != nil || res.Inconclusive == "" || res.Checks[0].NotJudged == "" {
		t.Errorf("--json: inconclusive %q, checks %+v (%v)", res.Inconclusive, res.Checks, err)
	}
	if b, _ := os.ReadFile(page); !strings.Contains(string(b), `id="verdict">INCONCLUSIVE<`) {
		t.Error("the compare view does not say INCONCLUSIVE")
	}
	if code, stdout, _ := ccload(t, "compare", base, slower, "--force"); code != exitFailed || !strings.Contains(stdout, "REGRESSION") {
		t.Errorf("--force: exit %d, want 1\n%s", code, stdout)
	}

	// 61 requests, p95 twice as slow, a scenario limit naming the group: not judged, exit 0.
	few, fewSlow := gatesCmdReport(t, filepath.Join(dir, "few.json"), 61, 10, false, "p95@sendAsync CHAT=10%"),
		gatesCmdReport(t, filepath.Join(dir, "fewslow.json"), 61, 20, false, "p95@sendAsync CHAT=10%")
	code, stdout, _ = ccload(t, "compare", few, fewSlow)
	if code != exitOK || !strings.Contains(stdout, "NOT JUDGED") || strings.Contains(stdout, "FAIL") {
		t.Errorf("a limit on a 61-request group: exit %d, want 0 and NOT JUDGED, no FAIL\n%s", code, stdout)
	}
}
