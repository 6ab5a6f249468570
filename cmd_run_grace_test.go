package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ccload/report"
)

// graceScenario's sessions take about 1.1 s (a reply wait, then a 1 s think); its default grace
// is await_reply 3s + think 1s + target.timeout 2s = 6s.
const graceScenario = `name: grace
auth: {app_key: k, app_secret: s}
target: {timeout: 2s}
load: {model: open, arrivals: uniform, rate: 10, duration: 200ms}
sessions:
  - name: s
    poll: {interval: 50ms}
    steps: [connect, {chat: hi}, {await_reply: 3s}, {think: 1s}, disconnect]
`

func TestRunGraceDefaultAndCut(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sc := filepath.Join(dir, "grace.yaml")
	if err := os.WriteFile(sc, []byte(graceScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(out string, args ...string) (int, string, *report.Report) {
		var so, se bytes.Buffer
		code := ccloadTo(t, append([]string{"run", sc, "--target", "mock", "--out", out, "--no-progress"}, args...), &so, &se)
		rep, err := report.ReadFile(filepath.Join(out, report.FileName))
		if err != nil {
			t.Fatalf("exit %d, no report: %v\n%s", code, err, se.String())
		}
		return code, so.String() + se.String(), rep
	}

	// No --grace: the computed default, long enough for every session to finish.
	code, out, rep := run(filepath.Join(dir, "default"))
	if code != exitOK || rep.GraceS != 6 || rep.StopReason != "completed" || rep.Sessions.Completed != rep.Sessions.Started || rep.Sessions.Started != 2 {
		t.Errorf("default grace: exit %d, grace_s %v, stop_reason %q, sessions %+v; want 0, 6, completed, 2 completed\n%s", code, rep.GraceS, rep.StopReason, rep.Sessions, out)
	}

	// --grace 0 cuts them where the stages end: their own outcome, warned, still exit 0.
	code, out, rep = run(filepath.Join(dir, "cut"), "--grace", "0")
	s := rep.Sessions
	if code != exitOK || rep.StopReason != "grace cut" || rep.Interrupted || s.CutByGrace != 2 || s.Started != 2 || rep.GraceS != 0 {
		t.Errorf("--grace 0: exit %d, stop_reason %q, interrupted %v, grace_s %v, sessions %+v; want 0, grace cut, not interrupted, 2 cut_by_grace\n%s",
			code, rep.StopReason, rep.Interrupted, rep.GraceS, s, out)
	}
	if !strings.Contains(out, "!! GRACE CUT: 2 sessions") {
		t.Errorf("the console does not warn about the cut sessions:\n%s", out)
	}
	// Every customer that had connected (the one that arrived as the stages ended had sent
	// nothing yet) got its DISCONNECT from the teardown, not from the scenario's step.
	var connected, td, own int64
	for _, g := range rep.Groups {
		switch {
		case g.Kind == "endpoint" && g.ControlType == "CONNECT":
			connected += g.OK
		case g.Kind == "endpoint" && g.ControlType == "DISCONNECT":
			own += g.Count
		case g.Kind == "teardown" && g.ControlType == "DISCONNECT":
			td += g.OK
		}
	}
	if connected == 0 || td != connected || own != 0 {
		t.Errorf("%d customers connected, the teardown disconnected %d (ok), the scenario's own DISCONNECT step sent %d; want all by the teardown, none by the step", connected, td, own)
	}
}
