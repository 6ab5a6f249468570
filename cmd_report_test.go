package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ccload/report"
	"ccload/report/merge"
)

func TestReportCommandReRendersASavedReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rep := gatesCmdReport(t, filepath.Join(dir, "run", "report.json"), 300, 12, true, "")

	// No flags: the console summary, and nothing written.
	code, stdout, stderr := ccload(t, "report", rep)
	if code != exitOK || !strings.Contains(stdout, "ci-gate") || !strings.Contains(stdout, "sendAsync CHAT") {
		t.Fatalf("summary: exit %d\n%s%s", code, stdout, stderr)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "run")); len(entries) != 1 {
		t.Errorf("ccload report with no flags wrote files: %v", entries)
	}

	html, junit, csvPath := filepath.Join(dir, "r.html"), filepath.Join(dir, "x", "j.xml"), filepath.Join(dir, "t.csv")
	code, stdout, stderr = ccload(t, "report", rep, "--html", html, "--junit", junit, "--csv", csvPath)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if b, err := os.ReadFile(html); err != nil || !strings.Contains(string(b), "<svg class=\"chart") || !strings.Contains(string(b), "ci-gate") {
		t.Errorf("--html: %v", err)
	}
	if b, err := os.ReadFile(junit); err != nil || !strings.Contains(string(b), `<testsuite name="ccload ci-gate"`) {
		t.Errorf("--junit: %v\n%s", err, b)
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) < 2 || rows[0][0] != "t" {
		t.Errorf("--csv: %v %q", err, rows)
	}
	if strings.Count(stdout, "wrote ") != 3 {
		t.Errorf("stdout %q", stdout)
	}

	out := filepath.Join(dir, "all")
	if code, _, stderr := ccload(t, "report", "--out", out, rep); code != exitOK {
		t.Fatalf("--out: exit %d %s", code, stderr)
	}
	for _, name := range []string{"report.html", "junit.xml", "timeseries.csv"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("--out: %v", err)
		}
	}

	if code, _, _ := ccload(t, "report", filepath.Join(dir, "missing.json")); code != exitUsage {
		t.Errorf("missing report: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := ccload(t, "report"); code != exitUsage {
		t.Errorf("no report: exit %d, want %d", code, exitUsage)
	}
}

func TestReportCommandRendersAMergedReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var shards []*report.Report
	for i, ms := range []int64{5, 50} {
		path := gatesCmdReport(t, filepath.Join(dir, "shard", string(rune('a'+i))+".json"), 200, ms, i == 1, "")
		r, err := report.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		shards = append(shards, r)
	}
	merged, err := merge.Reports(shards...)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "merged.json")
	if err := report.WriteFileAt(path, merged); err != nil {
		t.Fatal(err)
	}
	html := filepath.Join(dir, "merged.html")
	if code, _, stderr := ccload(t, "report", path, "--html", html); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	// The merged run has 400 requests, and the page says it stands for two shards.
	for _, want := range []string{">400<", "2 merged", `<path class="ln`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("merged report.html lacks %q", want)
		}
	}
}
