package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"ccload/ccapi"
	"ccload/replay"
	"ccload/report"
	"ccload/scenario"
	"ccload/traffic"
)

// sessionsOf reads a recorded log into its sessions by from.
func sessionsOf(t *testing.T, path string) map[string]*traffic.Session {
	t.Helper()
	f, err := traffic.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	o := traffic.DefaultOptions()
	o.KeepLines = true
	out := map[string]*traffic.Session{}
	if _, err := traffic.Read(f, o, func(s *traffic.Session) { out[s.From] = s }); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

// TestReplay replays a recorded log against a second recording mock: per customer the order
// of controlTypes is the same and every gap is the logged one divided by --speed, within
// 5 ms plus the replay's largest scheduler lag. A replay without --keep-content sends none
// of the log's identities or texts.
func TestReplay(t *testing.T) {
	realTime(t)
	dir := t.TempDir()
	log1, log2, log3 := filepath.Join(dir, "prod.jsonl"), filepath.Join(dir, "replay.jsonl"), filepath.Join(dir, "fresh.jsonl")
	url, stop := recordingMock(t, log1)
	if res := e2eRun(t, nil, "testdata/replay-source.yaml", "--target", url); res.code != 0 {
		t.Fatalf("source run: exit %d", res.code)
	}
	stop()
	base := filepath.Join(dir, "base.yaml")
	os.WriteFile(base, []byte("auth: {app_key: rp-key, app_secret: rp-secret}\n"), 0o644)

	replay := func(log string, args ...string) e2eResult {
		url, stop := recordingMock(t, log)
		defer stop()
		res := e2eReplay(t, append([]string{log1, "--scenario", base, "--target", url}, args...)...)
		if res.code != 0 || res.rep == nil {
			t.Fatalf("replay %v: exit %d", args, res.code)
		}
		return res
	}
	const speed = 2
	res := replay(log2, "--keep-content", "--speed", "2")
	stop()
	lag := time.Duration(res.rep.SchedulerLagUS.Max) * time.Microsecond
	a, b := sessionsOf(t, log1), sessionsOf(t, log2)
	if len(a) < 10 || len(b) != len(a) {
		t.Fatalf("%d sessions logged, %d replayed", len(a), len(b))
	}
	// A replayed request goes out at its intended time plus the generator's lag, or later when
	// the customer's previous request was still in flight (lag does not count that wait); and the
	// mock stamps received_ms after the request's own trip. Both are bounded by the longest
	// service time ccload measured, so the bound is 5 ms + lag + two service times.
	svc := time.Duration(res.rep.Overall.ServiceTimeUS.Max) * time.Microsecond
	tol := 5*time.Millisecond + lag + 2*svc
	worst := time.Duration(0)
	for from, s := range a {
		r := b[from]
		if r == nil {
			t.Errorf("customer %s was not replayed", from)
			continue
		}
		if len(r.Events) != len(s.Events) {
			t.Errorf("%s: %d requests replayed, %d logged", from, len(r.Events), len(s.Events))
			continue
		}
		for i := range s.Events {
			if s.Events[i].Control != r.Events[i].Control || s.Events[i].Content != r.Events[i].Content {
				t.Errorf("%s request %d: replayed %s %q, logged %s %q", from, i, r.Events[i].Control, r.Events[i].Content, s.Events[i].Control, s.Events[i].Content)
			}
			if i == 0 {
				continue
			}
			want := time.Duration(s.Events[i].T-s.Events[i-1].T) / speed
			got := time.Duration(r.Events[i].T - r.Events[i-1].T)
			d := (got - want).Abs()
			worst = max(worst, d)
			if d > tol {
				t.Errorf("%s gap %d: %s replayed, %s logged/%d (tolerance 5ms + lag %s + 2×service max %s)", from, i, got, want*speed, speed, lag, svc)
			}
		}
	}
	t.Logf("%d customers, worst gap error %s, scheduler lag max %s, service max %s", len(a), worst, lag, svc)

	// By default no identity or text of the log goes out; lengths and kinds are kept.
	replay(log3)
	c := sessionsOf(t, log3)
	raw, _ := os.ReadFile(log3)
	var chats int
	for from, s := range a {
		if c[from] != nil {
			t.Errorf("from %s was sent without --keep-content", from)
		}
		for _, e := range s.Events {
			if e.Control == ccapi.Chat && e.Media == ccapi.Text && e.ContentLen > 0 {
				chats++
				if bytes.Contains(raw, []byte(`"content":"`+e.Content+`"`)) {
					t.Errorf("logged text %q was sent without --keep-content", e.Content)
				}
			}
		}
	}
	if len(c) != len(a) || chats == 0 {
		t.Errorf("%d sessions replayed with fresh ids, %d logged; %d texts checked", len(c), len(a), chats)
	}
	lens := func(m map[string]*traffic.Session) map[string]int {
		out := map[string]int{}
		for _, s := range m {
			for _, e := range s.Events {
				out[string(e.Control)+"/"+string(e.Media)] += e.ContentLen
			}
		}
		return out
	}
	la, lc := lens(a), lens(c)
	for k, v := range la {
		if strings.HasPrefix(k, "CHAT/TEXT") && lc[k] != v {
			t.Errorf("%s: %d content bytes replayed, %d logged", k, lc[k], v)
		}
	}
}

// writeLog writes n sessions of one shape, arriving every `every` ms: CONNECT, CHATs at the
// given offsets (ms), DISCONNECT at end ms. It returns the requests written.
func writeLog(t *testing.T, path string, n int, every int64, chats []int64, end int64) int64 {
	t.Helper()
	type line struct {
		t    int64
		text string
	}
	var ls []line
	add := func(from, ct string, ms int64) {
		ls = append(ls, line{ms, fmt.Sprintf(`{"controlType":%q,"from":%q,"mediaType":"TEXT","content":"hi there","received_ms":%d}`, ct, from, 1_796_000_000_000+ms)})
	}
	for i := range n {
		from, t0 := fmt.Sprintf("u%d", i), int64(i)*every
		add(from, "CONNECT", t0)
		for _, c := range chats {
			add(from, "CHAT", t0+c)
		}
		add(from, "DISCONNECT", t0+end)
	}
	sort.SliceStable(ls, func(i, j int) bool { return ls[i].t < ls[j].t })
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l.text + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return int64(len(ls))
}

// A replayed customer polls as the --scenario's first session says, while connected, and the
// logged sends still go out exactly as logged: the mock, the referee, counts every send of the
// log once and polls at about one per interval of connected time per customer. poll: false
// sends none.
//
// Serial: the poll count is the generator keeping its 100 ms ticks, which a starved machine
// delays (beside the parallel tests, under -race, it saw 14 polls of 200).
func TestReplayPolls(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "prod.jsonl")
	const n = 20
	sends := writeLog(t, log, n, 25, []int64{300, 600}, 1000) // each customer connected ~1 s
	for _, c := range []struct {
		poll      string
		speed     string
		perCust   float64 // expected polls per customer
		low, high float64
	}{
		{"{interval: 100ms}", "1", 10, 0.6, 1.2}, // ticks at 0.1 .. 1.0 s after CONNECT
		{"false", "4", 0, 0, 0},
	} {
		base := filepath.Join(dir, "base.yaml")
		os.WriteFile(base, []byte("name: b\nauth: {app_key: rp-key, app_secret: rp-secret}\nload: {rate: 1, duration: 1s}\nsessions:\n  - poll: "+c.poll+"\n    steps: [connect]\n"), 0o644)
		srv := e2eMock(t, nil)
		res := e2eReplay(t, log, "--scenario", base, "--target", srv.URL(), "--speed", c.speed, "--grace", "5s")
		if res.code != 0 || res.rep == nil {
			t.Fatalf("poll %s: exit %d\n%s", c.poll, res.code, res.stderr)
		}
		st := srv.Stats()
		t.Logf("poll %s: %d polls, %d sends", c.poll, st.Endpoints["poll"], st.Endpoints["sendAsync"])
		want := c.perCust * n
		if got := float64(st.Endpoints["poll"]); got < c.low*want || got > c.high*want {
			if gl := res.rep.GeneratorLimit; gl != nil { // ccload says its own ticks were late: no verdict on their count
				t.Logf("poll %s: %v polls from %d customers (want %.0f), not judged: the run's report says the generator was the limit (%s)", c.poll, got, n, want, strings.Join(gl.Reasons, "; "))
			} else {
				t.Errorf("poll %s: the mock saw %v polls from %d customers, want %.0f (%.1f-%.1f×)", c.poll, got, n, want, c.low, c.high)
			}
		}
		if got := st.Endpoints["sendAsync"]; got != sends || st.ControlTypes["CHAT"] != 2*n || st.ControlTypes["CONNECT"] != n {
			t.Errorf("poll %s: the mock saw %d sends (%v), the log has %d", c.poll, got, st.ControlTypes, sends)
		}
		var polls int64
		for _, g := range res.rep.Groups {
			if g.Kind == "endpoint" && g.Endpoint == "poll" {
				polls += g.Count
			}
		}
		if polls != st.Endpoints["poll"] || res.rep.Sessions.Completed != n {
			t.Errorf("poll %s: report.json has %d polls and %d completed sessions; the mock saw %d polls, the log has %d sessions", c.poll, polls, res.rep.Sessions.Completed, st.Endpoints["poll"], n)
		}
	}
}

// A replay streams its log: of a log with more sessions than the lookahead holds, every
// session arrives once and every logged send reaches the target once (the mock counts), while
// the reader keeps only a bounded number of sessions at a time (report.json's replay section).
func TestReplayStreamsLog(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := filepath.Join(dir, "prod.jsonl")
	const n = 4500                                    // > replay.Lookahead (4,096)
	sends := writeLog(t, log, n, 10, []int64{20}, 40) // 100 sessions/s of the log
	base := filepath.Join(dir, "base.yaml")
	os.WriteFile(base, []byte("name: b\nauth: {app_key: rp-key, app_secret: rp-secret}\nload: {rate: 1, duration: 1s}\nsessions:\n  - poll: false\n    steps: [connect]\n"), 0o644)
	srv := e2eMock(t, nil)
	// --speed 30: 3,000 sessions/s (each CONNECT, CHAT, DISCONNECT), 1.5 s.
	res := e2eReplay(t, log, "--scenario", base, "--target", srv.URL(), "--speed", "30", "--grace", "30s") // grace: under -race on a busy machine 3,000 sessions/s finish late; the counts are what is asserted
	if res.code != 0 || res.rep == nil {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	st := srv.Stats()
	s := res.rep.Sessions
	if s.Arrivals != n || s.Started != n || s.Completed != n || st.Endpoints["sendAsync"] != sends || res.rep.Requests.Total < sends {
		t.Errorf("%d arrivals, %d started, %d completed, %d requests; the mock saw %d sends; the log has %d sessions, %d requests",
			s.Arrivals, s.Started, s.Completed, res.rep.Requests.Total, st.Endpoints["sendAsync"], n, sends)
	}
	x := res.rep.Replay
	if x == nil || !x.Complete || x.Sessions != n || x.Selected != n || x.Arrivals != n || x.Requests != sends {
		t.Fatalf("report.json's replay section %+v: want the whole log, %d sessions, %d requests", x, n, sends)
	}
	open, held := x.MaxOpen, x.MaxPending
	// 100 sessions/s of 40 ms each, and the 2 s reorder window: a few hundred at most, not 4,500.
	if open == 0 || open > 100 || held > 1000 {
		t.Errorf("the reader held %d sessions open and %d back at most: not bounded\n%s", open, held, res.stderr)
	}
}

// The replay source reads ahead only its lookahead before the run: bad lines past it are found
// while the replay runs, and reported after it (the command then exits 3), never hidden.
func TestReplaySourceFindsLateProblems(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := filepath.Join(dir, "prod.jsonl")
	writeLog(t, log, replay.Lookahead+100, 10, nil, 5) // CONNECT, DISCONNECT: 8,392 lines
	f, _ := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0)
	for range 200 { // 2.3% of the lines, all past the lookahead
		f.WriteString("not json\n")
	}
	f.Close()
	head, err := scenario.Parse("head", []byte("load: {rate: 1, duration: 1s}\nsessions: [{poll: false, steps: [connect]}]\n"), ".", nil)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := traffic.Open(log, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	src := replay.Start(rc, log, traffic.DefaultOptions(), traffic.ReplayOptions{Speed: 1}, head)
	defer src.Stop()
	if !src.Prefill(context.Background()) || src.Finished() {
		t.Fatalf("the reader finished the log before the run: the lookahead is not bounded")
	}
	n := 0
	for {
		if _, ok := src.Next(context.Background()); !ok {
			break
		}
		n++
	}
	src.Stop()
	st, err := src.Result()
	if n != replay.Lookahead+100 || !errors.Is(err, traffic.ErrTooManyBad) || st.Read.Problem(traffic.ProblemMalformed).Count != 200 {
		t.Errorf("%d arrivals handed out (want %d), error %v, %d malformed lines", n, replay.Lookahead+100, err, st.Read.Problem(traffic.ProblemMalformed).Count)
	}
	// The report's section says so: the bad lines by number, the read not complete, and why.
	x := src.Section(log, traffic.ReplayOptions{Speed: 1}, src.Finished())
	lines := int64(2 * (replay.Lookahead + 100))
	p := x.Problems[report.ReplayMalformed]
	if x.Complete || !strings.Contains(x.Error, "too many bad lines") || p.Count != 200 || len(p.FirstLines) != 5 || p.FirstLines[0] != lines+1 || x.Arrivals != int64(n) || x.Lines != lines+200 {
		t.Errorf("replay section %+v (malformed %+v): want incomplete, too many bad lines, 200 malformed from line %d, %d arrivals", x, p, lines+1, n)
	}
	if err := report.Validate(&report.Report{Replay: x, Sessions: report.SessionCounts{Arrivals: int64(n), Started: int64(n), Completed: int64(n)}, DurationS: 1, Shards: 1}); err != nil {
		t.Errorf("the section breaks report.json's invariants: %v", err)
	}
}

// A relative --start-at counts from each process's own start, so it cannot line up shards of a
// replay started apart: `replay --shard 1/2 --start-at 3s` is refused as run refuses it, naming
// the flag and the absolute form, exit 2, and the target, counting what it receives, gets nothing.
func TestReplayShardsNeedAnAbsoluteStartAt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := filepath.Join(dir, "prod.jsonl")
	writeLog(t, log, 4, 100, []int64{50}, 200)
	base := filepath.Join(dir, "base.yaml")
	os.WriteFile(base, []byte("auth: {app_key: rp-key, app_secret: rp-secret}\n"), 0o644)
	srv := e2eMock(t, nil)
	out := filepath.Join(dir, "out")
	code, _, stderr := ccload(t, "replay", log, "--scenario", base, "--target", srv.URL(), "--shard", "1/2", "--start-at", "3s", "--out", out)
	if code != exitUsage || !strings.HasPrefix(stderr, "ccload replay: --start-at 3s is relative") || !strings.Contains(stderr, "use an absolute --start-at") {
		t.Errorf("replay --shard 1/2 --start-at 3s: exit %d, stderr %q; want 2 and `ccload replay: --start-at 3s is relative ...; use an absolute --start-at ...`", code, stderr)
	}
	if n := srv.Stats().Total(); n != 0 {
		t.Errorf("the refused replay sent %d requests, want none", n)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("the refused replay wrote %s", out)
	}
}
