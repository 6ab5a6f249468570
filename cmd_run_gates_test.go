package main

// End-to-end tests of the CI gate: scenarios/ci-gate.yaml run by the real binary must pass against
// the default mock and fail with exit 1 against a slow one, writing junit.xml, report.html and
// timeseries.csv beside report.json.

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ccload/mock"
	"ccload/report"
)

// gatesE2ERun runs `ccload run scenarios/ci-gate.yaml --target target` and returns the exit code
// and the output directory.
func gatesE2ERun(t *testing.T, target string) (int, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	r := ccloadWith(t, ccloadOpts{timeout: 90 * time.Second}, "run", "scenarios/ci-gate.yaml", "--target", target, "--out", out, "--no-progress")
	if r.code < 0 {
		t.FailNow()
	}
	t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	return r.code, out
}

// gatesE2EOutputs reads the run's report and checks its other outputs exist; it returns the
// report and junit.xml's failure count.
func gatesE2EOutputs(t *testing.T, out string) (*report.Report, int) {
	t.Helper()
	rep, err := report.ReadFile(filepath.Join(out, report.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{report.HTMLFileName, report.CSVFileName} {
		if fi, err := os.Stat(filepath.Join(out, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, report.JUnitFileName))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("junit.xml: %v", err)
	}
	if doc.Tests != len(rep.Thresholds)+1 {
		t.Errorf("junit.xml has %d testcases for %d thresholds", doc.Tests, len(rep.Thresholds))
	}
	return rep, doc.Failures
}

// TestCIGatePassesAgainstTheDefaultMock: the gate passes against the embedded mock. Its latency
// limits are what a starved machine moves: when the generator was the limit (a CI machine loaded
// far past its CPUs) ccload says the gate is INCONCLUSIVE and exits 3, and the test, which cannot
// judge either, skips with ccload's reason; a threshold that failed still fails it.
func TestCIGatePassesAgainstTheDefaultMock(t *testing.T) {
	realTime(t)
	code, out := gatesE2ERun(t, "mock")
	rep, failures := gatesE2EOutputs(t, out)
	for _, th := range rep.Thresholds {
		if th.Failed() {
			t.Errorf("threshold failed against the default mock: %s = %s (limit %s)", th.Name, th.Display, th.Limit)
		}
	}
	if code == exitAborted && report.Inconclusive(rep) && rep.GeneratorLimit != nil {
		t.Skipf("ccload could not judge the gate on this machine and said so (INCONCLUSIVE %s): %s",
			strings.Join(rep.GeneratorLimit.Inconclusive, ", "), strings.Join(rep.GeneratorLimit.Reasons, "; "))
	}
	if code != exitOK || failures != 0 || len(rep.Thresholds) == 0 {
		t.Fatalf("exit %d, %d junit failures, %d thresholds; want exit 0, no failures", code, failures, len(rep.Thresholds))
	}
}

func TestCIGateFailsAgainstASlowMock(t *testing.T) {
	realTime(t)
	srv := e2eMock(t, func(o *mock.Options) { o.DefaultLatency = mock.Constant(400 * time.Millisecond) })
	code, out := gatesE2ERun(t, srv.URL())
	rep, failures := gatesE2EOutputs(t, out)
	if code != exitFailed {
		t.Fatalf("exit %d against a mock answering in 400 ms, want %d", code, exitFailed)
	}
	var failed []string
	for _, th := range rep.Thresholds {
		if th.Failed() {
			failed = append(failed, th.Name)
		}
	}
	if len(failed) == 0 || failures != len(failed) || !strings.Contains(strings.Join(failed, "\n"), "response_time.p99") {
		t.Errorf("failed thresholds %q (junit failures %d): want response_time.p99 among them", failed, failures)
	}
}

// A run whose only failures are inconclusive (the generator was the limit) exits 3, not 1 and not
// 0; a failure the generator cannot explain still exits 1; thresholds not judged (a shard's slice,
// a small group) fail nothing.
func TestExitCodeOfVerdictsThatCannotBeJudged(t *testing.T) {
	t.Parallel()
	inconclusive := report.ThresholdResult{Name: "p99", NotJudged: report.InconclusivePrefix + "the generator was the limit"}
	notJudged := report.ThresholdResult{Name: "rps", NotJudged: "judged by merge: ..."}
	failed := report.ThresholdResult{Name: "error_rate"}
	for _, c := range []struct {
		name string
		th   []report.ThresholdResult
		want int
	}{
		{"inconclusive only", []report.ThresholdResult{inconclusive, {Pass: true}}, exitAborted},
		{"inconclusive and a real failure", []report.ThresholdResult{inconclusive, failed}, exitFailed},
		{"judged by merge", []report.ThresholdResult{notJudged, {Pass: true}}, exitOK},
	} {
		if got := exitCode(&report.Report{StopReason: "completed", Thresholds: c.th}); got != c.want {
			t.Errorf("%s: exit %d, want %d", c.name, got, c.want)
		}
	}
}
