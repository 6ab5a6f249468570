package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"ccload/history"
	"ccload/replay"
	"ccload/report"
)

// plantedFrom and plantedText stand for a production identity and a customer's text: neither
// may reach report.json, report.html or the console.
const plantedFrom, plantedText = "PLANTED-prod-7781", "PLANTED-secret-text"

// problemLog is a log with one malformed line (2), one session without CONNECT (its first line
// 4), and one line out of time order (7: 3.1 s before line 6, past the 2 s reorder window).
func problemLog(t *testing.T, dir string) string {
	t.Helper()
	const t0 = 1_796_000_000_000
	l := func(ct, from string, ms int64) string {
		return fmt.Sprintf(`{"controlType":%q,"from":%q,"mediaType":"TEXT","content":%q,"received_ms":%d}`, ct, from, plantedText, t0+ms)
	}
	lines := []string{
		l("CONNECT", plantedFrom+"-1", 0),
		`{"controlType":"CHAT","from":"` + plantedFrom + `-9", not json`,
		l("CHAT", plantedFrom+"-1", 100),
		l("CHAT", plantedFrom+"-2", 150), // this customer never sent CONNECT
		l("CONNECT", plantedFrom+"-3", 200),
		l("DISCONNECT", plantedFrom+"-1", 3500),
		l("CHAT", plantedFrom+"-3", 400), // out of order
		l("DISCONNECT", plantedFrom+"-3", 3600),
	}
	path := filepath.Join(dir, "prod.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A replayed log's problems are in report.json, by line number: the malformed line, the line out
// of order and the session without CONNECT are counted there, the rest of the log is replayed (the
// mock, the referee, counts exactly its sends), and no logged identity or text is in the report,
// the HTML page or the console. Past --max-bad the same log is refused: exit 2, nothing sent, no report.
func TestReplayReportsLogAccounting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := problemLog(t, dir)
	base := filepath.Join(dir, "base.yaml")
	os.WriteFile(base, []byte("name: b\nauth: {app_key: rp-key, app_secret: rp-secret}\nload: {rate: 1, duration: 1s}\nsessions:\n  - poll: false\n    steps: [connect]\n"), 0o644)

	srv := e2eMock(t, nil)
	res := e2eReplay(t, log, "--scenario", base, "--target", srv.URL(), "--speed", "4", "--grace", "5s", "--max-bad", "50%")
	if res.code != 0 || res.rep == nil {
		t.Fatalf("exit %d, want 0\n%s", res.code, res.stderr)
	}
	st := srv.Stats()
	if st.Endpoints["sendAsync"] != 5 || st.ControlTypes["CONNECT"] != 2 || st.ControlTypes["DISCONNECT"] != 2 {
		t.Errorf("the mock saw %d sends (%v); the log's two replayable sessions hold 5", st.Endpoints["sendAsync"], st.ControlTypes)
	}
	x := res.rep.Replay
	if x == nil {
		t.Fatal("report.json has no replay section")
	}
	want := report.Replay{Log: log, Speed: 4, Scale: 1, Complete: true,
		Lines: 8, Requests: 6, Bad: 2, Sessions: 3, Selected: 2, SkippedNoConnect: 1, Arrivals: 2, ArrivalRequests: 5, WindowS: 0.05}
	got := *x
	got.Problems, got.MaxOpen, got.MaxPending = nil, 0, 0
	if !reflect.DeepEqual(got, want) {
		t.Errorf("replay section\n got %+v\nwant %+v", got, want)
	}
	for k, w := range map[string]report.ReplayProblem{
		report.ReplayMalformed:  {Count: 1, FirstLines: []int64{2}},
		report.ReplayOutOfOrder: {Count: 1, FirstLines: []int64{7}},
		report.ReplayNoConnect:  {Count: 1, FirstLines: []int64{4}},
	} {
		if p := x.Problems[k]; p.Count != w.Count || !slices.Equal(p.FirstLines, w.FirstLines) {
			t.Errorf("problems[%s] = %+v, want %+v", k, p, w)
		}
	}
	if len(x.Problems) != 3 || res.rep.Sessions.Arrivals != 2 || res.rep.Sessions.Completed != 2 {
		t.Errorf("problems %v, sessions %+v: want 3 kinds, 2 arrivals completed", x.Problems, res.rep.Sessions)
	}
	if !strings.Contains(res.stdout, "replay    "+log+": 8 lines (2 bad), 3 sessions: 2 selected, 1 without CONNECT") ||
		!strings.Contains(res.stdout, "malformed ×1 (line 2)") || !strings.Contains(res.stdout, "out_of_order ×1 (line 7)") {
		t.Errorf("the console summary lacks the replay's line:\n%s", res.stdout)
	}
	page, err := os.ReadFile(filepath.Join(res.out, "report.html"))
	if err != nil || !strings.Contains(string(page), `<section id="replay">`) || !strings.Contains(string(page), "first: line 7") {
		t.Errorf("report.html lacks the replay table (%v)", err)
	}
	raw, err := os.ReadFile(filepath.Join(res.out, report.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"report.json": string(raw), "report.html": string(page), "stdout": res.stdout, "stderr": res.stderr} {
		if strings.Contains(text, "PLANTED") {
			t.Errorf("%s holds a logged identity or text (PLANTED...)", name)
		}
	}

	// Past the bad-line share (default 1%: 2 of 8 lines) the log is refused before anything is sent.
	srv2 := e2eMock(t, nil)
	res = e2eReplay(t, log, "--scenario", base, "--target", srv2.URL())
	if res.code != 2 || res.rep != nil || srv2.Stats().Endpoints["sendAsync"] != 0 || !strings.Contains(res.stderr, "too many bad lines") || !strings.Contains(res.stderr, "line 2") {
		t.Errorf("a log past --max-bad: exit %d (want 2), report %v, %d sends (want none)\n%s", res.code, res.rep != nil, srv2.Stats().Endpoints["sendAsync"], res.stderr)
	}
}

// An interrupted replay of a log longer than its lookahead still writes one complete report: the
// replay section holds the counts read so far, says the read was not complete, and keeps every
// partition (report.ReadFile validates it); the run took no more arrivals than were handed to it.
func TestReplayInterruptedReportsCountsSoFar(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := filepath.Join(dir, "prod.jsonl")
	const n = replay.Lookahead + 1000
	writeLog(t, log, n, 10, nil, 20) // 100 sessions/s for 50 s
	base := filepath.Join(dir, "base.yaml")
	os.WriteFile(base, []byte("name: b\nauth: {app_key: rp-key, app_secret: rp-secret}\nload: {rate: 1, duration: 1s}\nsessions:\n  - poll: false\n    steps: [connect]\n"), 0o644)
	srv := e2eMock(t, nil)
	res := e2eExec(t, ccloadOpts{started: func(p *os.Process) {
		go func() {
			// SIGINT once the replay is under way (the mock saw 10 CONNECTs: the lookahead was
			// prefilled before the first), not at a time from the process's start, which a loaded
			// machine may spend starting it.
			for deadline := time.Now().Add(30 * time.Second); srv.Stats().ControlTypes["CONNECT"] < 10 && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			p.Signal(syscall.SIGINT)
		}()
	}}, "replay", log, "--scenario", base, "--target", srv.URL(), "--grace", "2s")
	if res.code != 3 || res.rep == nil || !res.rep.Interrupted {
		t.Fatalf("exit %d (want 3), report %v\n%s", res.code, res.rep != nil, res.stderr)
	}
	x := res.rep.Replay
	if x == nil || x.Complete || x.Lines == 0 || x.Lines >= 2*n || x.Arrivals < replay.Lookahead || res.rep.Sessions.Arrivals > x.Arrivals || res.rep.Sessions.Arrivals == 0 {
		t.Errorf("replay section %+v, sessions.arrivals %d: want the counts so far, not complete", x, res.rep.Sessions.Arrivals)
	}
	if got := srv.Stats().ControlTypes["CONNECT"]; got != res.rep.Sessions.Started {
		t.Errorf("the mock saw %d CONNECTs, report.json started %d sessions", got, res.rep.Sessions.Started)
	}
}

// Bad lines past the lookahead are found while the replay runs: the run plays what came before
// them, and report.json says the log was refused part-way (replay.error, a warning, the lines by
// number); the command exits 3, as documented.
func TestReplayLateProblemsInReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := filepath.Join(dir, "prod.jsonl")
	const n = replay.Lookahead + 100
	writeLog(t, log, n, 10, nil, 5) // CONNECT, DISCONNECT: 2n lines
	f, _ := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
	for range 200 { // 2.3% of the lines, all past the lookahead
		f.WriteString("not json\n")
	}
	f.Close()
	base := filepath.Join(dir, "base.yaml")
	os.WriteFile(base, []byte("name: b\nauth: {app_key: rp-key, app_secret: rp-secret}\nload: {rate: 1, duration: 1s}\nsessions:\n  - poll: false\n    steps: [connect]\n"), 0o644)
	srv := e2eMock(t, nil)
	// 30 s of grace: the mock runs in this -race test process beside the parallel tests, and at
	// 5 s a loaded CI machine cut 2,295 of the 4,196 sessions (the counts are what this asserts).
	res := e2eReplay(t, log, "--scenario", base, "--target", srv.URL(), "--speed", "50", "--grace", "30s")
	if res.code != 3 || res.rep == nil {
		t.Fatalf("exit %d (want 3), report %v\n%s", res.code, res.rep != nil, res.stderr)
	}
	x := res.rep.Replay
	p := x.Problems[report.ReplayMalformed]
	if x.Complete || !strings.Contains(x.Error, "too many bad lines") || p.Count != 200 || p.FirstLines[0] != 2*n+1 || x.Arrivals != n || res.rep.Sessions.Completed != n {
		t.Errorf("replay section %+v (malformed %+v), sessions %+v: want %d sessions played, the bad lines from %d, refused part-way", x, p, res.rep.Sessions, n, 2*n+1)
	}
	if !slices.ContainsFunc(res.rep.Warnings, func(w string) bool { return strings.HasPrefix(w, "replay: too many bad lines") }) {
		t.Errorf("no warning says the log was refused part-way: %q", res.rep.Warnings)
	}
	if got := srv.Stats().ControlTypes["CONNECT"]; got != n {
		t.Errorf("the mock saw %d CONNECTs, want %d", got, n)
	}
}

// A log piped in through standard input that is never closed keeps the reader blocked after the
// replay is interrupted: ccload replay waits 2 s for it, then says so (stderr, report.json's
// replay.error and a warning) and exits 3, and the history records the run as incomplete, not as
// a pass: an unfinished read never looks like a whole log played.
func TestReplayReaderThatDoesNotStopIsNotASuccess(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := filepath.Join(dir, "prod.jsonl")
	// 1,000 sessions/s: the reader holds the last 2 s (its reorder window) until more lines come,
	// and hands out the rest, a few more than its read-ahead, so the replay starts; the run soon
	// takes those few, and the reader waits on the pipe.
	const n = replay.Lookahead + 2050
	writeLog(t, log, n, 1, nil, 20)
	text, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close() // only once the command has ended: until then the pipe stays open
	written := make(chan struct{})
	go func() { pw.Write(text); close(written) }()
	base := filepath.Join(dir, "base.yaml")
	os.WriteFile(base, []byte("name: b\nauth: {app_key: rp-key, app_secret: rp-secret}\nload: {rate: 1, duration: 1s}\nsessions:\n  - poll: false\n    steps: [connect]\n"), 0o644)
	db := filepath.Join(dir, "runs.db")
	srv := e2eMock(t, nil)
	res := e2eExec(t, ccloadOpts{stdin: pr, started: func(p *os.Process) {
		go func() {
			// SIGINT once the reader waits on the pipe: every line is written and the run has
			// taken more arrivals than the reader could hand out past its read-ahead (the mock saw
			// 200 CONNECTs), so the reader has read all it can. Not at a time from the process's
			// start: at 1.5 s a loaded CI machine was still filling the lookahead, and the reader,
			// still busy, stopped when asked.
			<-written
			for deadline := time.Now().Add(30 * time.Second); srv.Stats().ControlTypes["CONNECT"] < 200 && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
			p.Signal(syscall.SIGINT)
		}()
	}}, "replay", "-", "--scenario", base, "--target", srv.URL(), "--grace", "1s", "--history", db)
	if res.code != exitAborted || res.rep == nil || !strings.Contains(res.stderr, "ccload replay: -: the log reader did not stop within 2 s") {
		t.Fatalf("exit %d (want 3), report %v, stderr %q: want the reader that did not stop named", res.code, res.rep != nil, res.stderr)
	}
	if x := res.rep.Replay; x == nil || x.Complete || x.Error != replay.ErrReaderStuck {
		t.Errorf("replay section %+v: want not complete, error %q", x, replay.ErrReaderStuck)
	}
	if !slices.Contains(res.rep.Warnings, "replay: "+replay.ErrReaderStuck) {
		t.Errorf("warnings %q: want one saying the reader did not stop", res.rep.Warnings)
	}
	if runs := recordedRuns(t, db); len(runs) != 1 || runs[0].Verdict == history.VerdictPass {
		t.Errorf("history %+v: want the one replay recorded, not as a pass", runs)
	}
}
