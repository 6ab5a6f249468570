package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"ccload/gates/evaluate"
	"ccload/report"
	htmlreport "ccload/report/html"
	"ccload/report/record"
	"ccload/scenario"
)

// shardReport writes a one-group shard report with n requests of latency ms each and returns its path.
func shardReport(t *testing.T, dir, scenario string, n int, ms int64) string {
	t.Helper()
	return shardReportOf(t, dir, scenario, "", "", n, ms)
}

// shardReportOf is shardReport for a report that carries its scenario's file name and text.
func shardReportOf(t *testing.T, dir, scenario, file, text string, n int, ms int64) string {
	t.Helper()
	start := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	r := record.New(record.Options{Start: start})
	g := r.Group("sendAsync", "CHAT")
	for i := range n {
		at := int64(i) * int64(time.Millisecond)
		r.Arrival(at)
		r.SessionStarted(at)
		r.Record(&report.Sample{Group: g, Step: report.NoGroup, Intended: at, Start: at, End: at + ms*int64(time.Millisecond), Status: 200, ResultCode: "0"})
		r.SessionEnded(at, report.Completed, ms*int64(time.Millisecond))
	}
	meta := record.Meta{Scenario: scenario, Seed: 1, File: file, ScenarioText: text}
	if sc, err := scenarioOf(file, text); err == nil {
		meta.Gates = sc.Gates()
	}
	rep := r.Finish(start.Add(2*time.Second), meta)
	path, err := report.WriteFile(filepath.Join(dir, scenario+"-"+time.Duration(ms).String()), rep)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// scenarioOf compiles a test scenario as ccload run would, with an empty environment.
func scenarioOf(file, text string) (*scenario.Scenario, error) {
	return scenario.Parse(file, []byte(text), filepath.Dir(file), func(string) (string, bool) { return "x", true })
}

func TestMergeCommandMergesShards(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := shardReport(t, dir, "quickstart", 900, 2)  // 900 requests at 2 ms
	b := shardReport(t, dir, "quickstart", 100, 50) // 100 at 50 ms: together p95 is 50 ms, not an average
	out := filepath.Join(dir, "merged", "report.json")
	code, stdout, stderr := ccload(t, "merge", "-o", out, a, b)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m, err := report.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.Shards != 2 || m.Requests.Total != 1000 || m.Sessions.Completed != 1000 {
		t.Errorf("merged shards %d, requests %d, sessions completed %d", m.Shards, m.Requests.Total, m.Sessions.Completed)
	}
	if p := m.Overall.ResponseTimeUS; p.P50 < 2000 || p.P50 > 2002 || p.P95 < 50000 || p.P95 > 50050 {
		t.Errorf("merged p50 %dµs, p95 %dµs; want 2 ms and 50 ms", p.P50, p.P95)
	}
	for _, want := range []string{"ccload quickstart", "(2 shards merged)", "1,000 in total", "merged 2 reports into " + out} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	// Flags after the files work too.
	out2 := filepath.Join(dir, "again.json")
	if code, _, stderr := ccload(t, "merge", a, b, "-o", out2); code != exitOK {
		t.Errorf("flags after files: exit %d: %s", code, stderr)
	}
}

func TestMergeCommandRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := shardReport(t, dir, "quickstart", 10, 2)
	other := shardReport(t, dir, "soak", 10, 2)
	bad := filepath.Join(dir, "v9.json")
	os.WriteFile(bad, []byte(`{"schema":"ccload/report/v9"}`), 0o644)
	capRep, err := report.ReadFile(shardReport(t, dir, "capsearch", 10, 2))
	if err != nil {
		t.Fatal(err)
	}
	capRep.Capacity = &report.Capacity{Unit: "sessions/s", Outcome: "converged", Sustainable: 16}
	capPath, err := report.WriteFile(filepath.Join(dir, "cap"), capRep)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.json")
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{a}, exitUsage, "-o OUT.json is required"},
		{[]string{"-o", out}, exitUsage, "no shard reports"},
		{[]string{"-o", out, a, filepath.Join(dir, "missing.json")}, exitUsage, "missing.json"},
		{[]string{"-o", out, a, bad}, exitUsage, "ccload/report/v9"},
		{[]string{"-o", out, a, other}, exitUsage, "--force"},
		{[]string{"-o", out, capPath, capPath}, exitUsage, capPath + " is the report of a capacity search"},
		{[]string{"--force", "-o", out, a, capPath}, exitUsage, "capacity reports cannot be merged"},
		{[]string{"--bogus"}, exitUsage, "unknown flag --bogus; see 'ccload merge --help'"},
	} {
		code, _, stderr := ccload(t, append([]string{"merge"}, c.args...)...)
		if code != c.code || !strings.Contains(stderr, c.says) {
			t.Errorf("merge %q: exit %d, stderr %q; want %d and %q", c.args, code, stderr, c.code, c.says)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a refused merge wrote %s", out)
	}
	if code, _, stderr := ccload(t, "merge", "--force", "-o", out, a, other); code != exitOK {
		t.Errorf("--force: exit %d: %s", code, stderr)
	}
	if code, stdout, _ := ccload(t, "merge", "--help"); code != exitOK || !strings.Contains(stdout, "Usage: ccload merge") {
		t.Errorf("--help: exit %d, %q", code, stdout)
	}
}

// gateScenario is a scenario whose p99 threshold the 50 ms shard fails and whose error-rate threshold
// every shard passes. Its ${VARS} have no default: merge must not need them.
const gateScenario = `name: gate
auth:
  app_key: ${MERGE_TEST_APP_KEY}
  app_secret: ${MERGE_TEST_APP_SECRET}
load:
  stages:
    - {duration: 2s, rate: 5}
sessions:
  - name: chat
    steps:
      - connect
      - chat: hello
      - disconnect
thresholds:
  - {metric: response_time.p99, max: 10ms}
  - {metric: error_rate, max: 1%}
`

func TestMergeCommandEvaluatesTheScenarioThresholds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "gate.yaml")
	a := shardReportOf(t, dir, "gate", file, gateScenario, 900, 2)
	b := shardReportOf(t, dir, "gate", file, gateScenario, 100, 50) // merged p99 is 50 ms: over 10 ms
	out := filepath.Join(dir, "merged.json")
	code, stdout, stderr := ccload(t, "merge", "-o", out, a, b)
	if code != exitFailed {
		t.Fatalf("a failed threshold on the merged report: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFailed, stdout, stderr)
	}
	m, err := report.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Thresholds) != 2 {
		t.Fatalf("merged report has %d thresholds, want 2: %+v", len(m.Thresholds), m.Thresholds)
	}
	p99, errRate := m.Thresholds[0], m.Thresholds[1]
	if p99.Metric != "response_time.p99" || p99.Pass || p99.Value < 50_000 {
		t.Errorf("p99 threshold %+v: want a failure at 50 ms", p99)
	}
	if errRate.Metric != "error_rate" || !errRate.Pass {
		t.Errorf("error_rate threshold %+v: want a pass", errRate)
	}
	for _, want := range []string{"FAIL  response_time.p99 all <= 10ms", "PASS  error_rate all <= 1%"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "1 of 2 thresholds failed") {
		t.Errorf("stderr %q does not say a threshold failed", stderr)
	}
	if strings.Contains(stdout+stderr, "MERGE_TEST_APP") {
		t.Errorf("merge complained about the scenario's environment:\n%s\n%s", stdout, stderr)
	}
	var page bytes.Buffer
	if err := htmlreport.WriteHTML(&page, m); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(page.String(), `id="verdict">FAIL<`) {
		t.Error("report.html of the merged report does not say FAIL")
	}

	// Both shards fast: the thresholds pass and merge exits 0.
	c := shardReportOf(t, filepath.Join(dir, "fast"), "gate", file, gateScenario, 100, 3)
	if code, stdout, stderr := ccload(t, "merge", "-o", filepath.Join(dir, "pass.json"), a, c); code != exitOK || !strings.Contains(stdout, "PASS  response_time.p99") {
		t.Errorf("passing thresholds: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// Shards written by a ccload that judged thresholds but did not store them compiled ("gates")
// merge without thresholds, and every view says so rather than PASS.
func TestMergeCommandSaysWhenItCannotEvaluateThresholds(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "gate.yaml")
	old := func(path string) string {
		r, err := report.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		r.Thresholds = evaluate.Thresholds(r, r.Gates.Thresholds)
		r.Gates = nil
		if err := report.WriteFileAt(path, r); err != nil {
			t.Fatal(err)
		}
		return path
	}
	a := old(shardReportOf(t, dir, "gate", file, gateScenario, 900, 2))
	b := old(shardReportOf(t, dir, "gate", file, gateScenario, 100, 50))
	out := filepath.Join(dir, "merged.json")
	code, stdout, stderr := ccload(t, "merge", "-o", out, a, b)
	if code != exitOK {
		t.Fatalf("exit %d, want the merge to go on: %s", code, stderr)
	}
	if !strings.Contains(stderr, "thresholds not evaluated") {
		t.Errorf("stderr %q does not say the thresholds were not evaluated", stderr)
	}
	m, err := report.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Thresholds) != 0 || !slices.ContainsFunc(m.Warnings, func(w string) bool { return strings.HasPrefix(w, "thresholds not evaluated: ") }) {
		t.Errorf("merged report: thresholds %+v, warnings %q", m.Thresholds, m.Warnings)
	}
	if !strings.Contains(stdout, "thresholds NOT EVALUATED") {
		t.Errorf("summary does not say the thresholds were not evaluated:\n%s", stdout)
	}
	var page bytes.Buffer
	if err := htmlreport.WriteHTML(&page, m); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(page.String(), `id="verdict">PASS<`) || !strings.Contains(page.String(), `id="verdict">NOT EVALUATED<`) {
		t.Error("report.html of a merge whose thresholds were not evaluated does not say NOT EVALUATED")
	}
}
