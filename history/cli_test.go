package history

import (
	"bytes"
	"encoding/json"
	"testing"

	"ccload/report"
)

// TestPrepareAddAndListJSON: a report added afterwards is recorded as the kind of run it is, and
// `history list --json` prints it as one JSON line holding its verdict, counts and groups.
func TestPrepareAddAndListJSON(t *testing.T) {
	var raw bytes.Buffer
	if err := report.WriteJSON(&raw, synth(t, 1, 200, 1, 0, day0)); err != nil {
		t.Fatal(err)
	}
	e, err := PrepareAdd(raw.Bytes(), map[string]string{"env": "staging"})
	if err != nil {
		t.Fatal(err)
	}
	if e.Command != "run" || e.Verdict != VerdictPass || e.Labels["env"] != "staging" {
		t.Errorf("added as %q, verdict %q, labels %v; want run, pass, env=staging", e.Command, e.Verdict, e.Labels)
	}
	var out bytes.Buffer
	if err := WriteListJSON(&out, []*Entry{e, e}); err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("%d lines for 2 runs:\n%s", len(lines), out.String())
	}
	var got struct {
		Scenario, Verdict, Command string
		Requests                   int64
		Groups                     map[string]map[string]any
	}
	if err := json.Unmarshal(lines[0], &got); err != nil {
		t.Fatal(err)
	}
	if got.Scenario != "ci-gate" || got.Verdict != VerdictPass || got.Command != "run" || got.Requests != 200 || got.Groups["all"]["requests"] != float64(200) {
		t.Errorf("list --json line %s", lines[0])
	}
}

// TestTrendTitle: trend's page is titled by the runs' scenario, or by every scenario they hold
// when no --scenario narrowed them.
func TestTrendTitle(t *testing.T) {
	runs := []*Entry{{Scenario: "a"}, {Scenario: "b"}, {Scenario: "a"}}
	if got := TrendTitle(runs, false); got != "ccload history: a, b" {
		t.Errorf("two scenarios: %q", got)
	}
	if got := TrendTitle(runs[:1], false); got != "ccload history: a" {
		t.Errorf("one scenario: %q", got)
	}
	if got := TrendTitle(runs, true); got != "ccload history: a" {
		t.Errorf("--scenario given: %q", got)
	}
}

// TestVerdictOfALateReplayError: a replay report whose log was found bad after the run began
// (replay.error with the log's counts) is incomplete, as ccload replay's exit 3 says, so that
// `history add` of its report.json agrees with `replay --history`; a threshold that failed
// still makes it a fail, and a replay section without an error changes nothing.
func TestVerdictOfALateReplayError(t *testing.T) {
	r := synth(t, 1, 200, 1, 0, day0)
	if v := Verdict(r); v != VerdictPass {
		t.Fatalf("the synthetic run: %s", v)
	}
	r.Replay = &report.Replay{Log: "prod.jsonl", Speed: 1, Scale: 1, Lines: 8592, Complete: true}
	if v := Verdict(r); v != VerdictPass {
		t.Errorf("a whole replay: %s, want pass", v)
	}
	r.Replay.Complete, r.Replay.Error = false, "too many bad lines: 200 of 8592 lines"
	if v := Verdict(r); v != VerdictIncomplete {
		t.Errorf("a replay whose log failed late: %s, want incomplete", v)
	}
	r.Thresholds = []report.ThresholdResult{{Metric: "error_rate", Pass: false}}
	if v := Verdict(r); v != VerdictFail {
		t.Errorf("a late-failing replay whose threshold failed: %s, want fail", v)
	}
}
