package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ccload/ccapi"
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
