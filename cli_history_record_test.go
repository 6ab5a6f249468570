package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ccload/history"
	"ccload/replay"
)

// recordCLI runs ccload and returns its exit code and its stdout and stderr together.
func recordCLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	code, stdout, stderr := ccload(t, args...)
	return code, stdout + stderr
}

// recordedRuns reads the history at db as `ccload history list` would, newest first.
func recordedRuns(t *testing.T, db string) []*history.Entry {
	t.Helper()
	s, err := history.Open(context.Background(), db, history.ReadOnly)
	if err != nil {
		t.Fatalf("open %s: %v", db, err)
	}
	defer s.Close()
	runs, err := s.List(context.Background(), history.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// writeSessionsLog writes n sessions (CONNECT, DISCONNECT 5 ms later) arriving 1 ms apart, then
// `bad` lines that are not JSON.
func writeSessionsLog(t *testing.T, path string, n, bad int) {
	t.Helper()
	var b strings.Builder
	for i := range n {
		for _, ct := range []string{"CONNECT", "DISCONNECT"} {
			ms := int64(i)
			if ct == "DISCONNECT" {
				ms += 5
			}
			// Lines sorted by time: a DISCONNECT 5 ms later sits among the CONNECTs of later sessions;
			// the reader's --reorder window (2 s) takes that.
			fmt.Fprintf(&b, `{"controlType":%q,"from":"u%d","mediaType":"TEXT","content":"hi","received_ms":%d}`+"\n", ct, i, 1_796_000_000_000+ms)
		}
	}
	for range bad {
		b.WriteString("not json\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A replay whose log turns bad past the read-ahead (so after the run began) exits 3, "did not
// play the whole log", and the history records it as incomplete, as the exit code says, not as
// the pass its thresholds alone would give. A whole log replayed is recorded as a pass.
func TestReplayHistoryRecordsTheExitCode(t *testing.T) {
	t.Parallel() // real time against loopback, like the other end-to-end tests
	dir := t.TempDir()
	db := filepath.Join(dir, "runs.db")

	good := filepath.Join(dir, "good.jsonl")
	writeSessionsLog(t, good, 50, 0)
	code, out := recordCLI(t, "replay", good, "--speed", "10", "--out", filepath.Join(dir, "good"), "--no-progress", "--history", db)
	if code != exitOK || !strings.Contains(out, "(pass)") {
		t.Fatalf("replay of a whole log: exit %d, want 0 recorded as a pass\n%s", code, out)
	}

	late := filepath.Join(dir, "late.jsonl")
	writeSessionsLog(t, late, replay.Lookahead+100, 200) // 200 bad lines (2.3%, over --max-bad 1%), all past the read-ahead
	code, out = recordCLI(t, "replay", late, "--speed", "5", "--out", filepath.Join(dir, "late"), "--no-progress", "--history", db)
	if code != exitAborted || !strings.Contains(out, "did not play the whole log") {
		t.Fatalf("replay of a log bad past the read-ahead: exit %d, want 3 and the reason\n%s", code, out)
	}
	if !strings.Contains(out, "(incomplete)") {
		t.Errorf("the late-failing replay's history line does not say incomplete:\n%s", out)
	}
	runs := recordedRuns(t, db)
	if len(runs) != 2 {
		t.Fatalf("%d runs recorded, want 2", len(runs))
	}
	if runs[0].Command != "replay" || runs[0].Verdict != history.VerdictIncomplete {
		t.Errorf("the late-failing replay is recorded as %s %q, want replay %q (its exit code was 3)", runs[0].Command, runs[0].Verdict, history.VerdictIncomplete)
	}
	if runs[1].Command != "replay" || runs[1].Verdict != history.VerdictPass {
		t.Errorf("the whole replay is recorded as %s %q, want replay %q", runs[1].Command, runs[1].Verdict, history.VerdictPass)
	}
}

// capacityHistoryScenario: 3 requests a session (applyToken, CONNECT, DISCONNECT), no polling.
const capacityHistoryScenario = `name: capacity-history
auth: {app_key: k, app_secret: s}
load: {model: open, arrivals: uniform, rate: 2, duration: 1s}
seed: 1
sessions:
  - name: s
    poll: false
    steps: [connect, disconnect]
`

// capacity --history records the search with the verdict its exit code gives: a search that held
// the SLO up to --max-rate (exit 0) is a pass; one whose --budget ran out before it converged
// (exit 3) is incomplete; one below --require (exit 1) is a fail. Each row is a capacity run.
func TestCapacityHistoryRecordsTheExitCode(t *testing.T) {
	t.Parallel() // real time against loopback, like the other end-to-end tests
	srv := e2eMock(t, nil)
	dir := t.TempDir()
	sc := filepath.Join(dir, "sc.yaml")
	if err := os.WriteFile(sc, []byte(capacityHistoryScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "runs.db")
	search := func(name string, args ...string) (int, string) {
		return recordCLI(t, append([]string{"capacity", sc, "--target", srv.URL(), "--out", filepath.Join(dir, name), "--no-progress",
			"--history", db, "--warmup", "200ms", "--short-window", "500ms", "--window", "500ms", "--min-requests", "1",
			"--grace", "200ms", "--cooldown", "100ms", "--slo", "error_rate<50%",
			"--max-lag", "30s", "--max-cpu", "100%"}, args...)...) // a busy machine must not make a step "not judged"
	}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"held", []string{"--start", "2", "--max-rate", "2"}, exitOK, history.VerdictPass},
		{"required", []string{"--start", "2", "--max-rate", "2", "--require", "5/s"}, exitFailed, history.VerdictFail},
		{"budget", []string{"--start", "2", "--budget", "1s"}, exitAborted, history.VerdictIncomplete},
	}
	for _, c := range cases {
		code, out := search(c.name, c.args...)
		if code != c.code || !strings.Contains(out, "("+c.want+")") {
			t.Errorf("%s: exit %d, want %d recorded as %s\n%s", c.name, code, c.code, c.want, out)
		}
	}
	runs := recordedRuns(t, db)
	if len(runs) != len(cases) {
		t.Fatalf("%d runs recorded, want %d", len(runs), len(cases))
	}
	for i, c := range cases {
		e := runs[len(runs)-1-i] // newest first
		if e.Command != "capacity" || e.Verdict != c.want || e.Scenario != "capacity-history" {
			t.Errorf("%s: recorded as %s %q of %q, want capacity %q of capacity-history", c.name, e.Command, e.Verdict, e.Scenario, c.want)
		}
	}
}
