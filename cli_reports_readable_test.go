package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestEveryReportReadsBack: every report.json a command writes (run, replay, capacity, merge;
// completed, interrupted, failed and degenerate runs included) is accepted by `ccload report`.
func TestEveryReportReadsBack(t *testing.T) {
	t.Parallel()
	srv := e2eMock(t, nil)
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const rest = "channel: {to: \"1\"}\nseed: 3\nsessions:\n  - poll: false\n    steps: [connect, {chat: hi}, disconnect]\nthresholds:\n  - {metric: error_rate, max: 5%}\n"
	sc := write("s.yaml", "name: s\nauth: {app_key: k, app_secret: s}\nload: {rate: 10, duration: 1s}\n"+rest)
	long := write("long.yaml", "name: long\nauth: {app_key: k, app_secret: s}\nload: {rate: 10, duration: 30s}\n"+rest)
	noAuth := write("noauth.yaml", "name: noauth\nload: {rate: 10, duration: 1s}\n"+rest)
	log := filepath.Join(dir, "prod.jsonl")
	writeLog(t, log, 5, 10, []int64{20}, 40)
	out := func(name string) string { return filepath.Join(dir, "out-"+name) }
	capFlags := []string{"--warmup", "200ms", "--window", "500ms", "--min-requests", "1", "--grace", "200ms", "--max-rate", "20"}

	cases := []struct {
		name   string
		args   []string
		cancel time.Duration // interrupt the command this long after it starts (0: never)
	}{
		{"run", []string{"run", sc, "--target", srv.URL(), "--out", out("run"), "--no-progress"}, 0},
		{"run-interrupted", []string{"run", long, "--target", srv.URL(), "--out", out("run-interrupted"), "--no-progress"}, 700 * time.Millisecond},
		{"run-unreachable", []string{"run", sc, "--target", "http://127.0.0.1:1", "--out", out("run-unreachable"), "--no-progress"}, 0},
		{"shard-1", []string{"run", sc, "--target", srv.URL(), "--shard", "0/2", "--out", out("shard-1"), "--no-progress"}, 0},
		{"shard-2", []string{"run", sc, "--target", srv.URL(), "--shard", "1/2", "--out", out("shard-2"), "--no-progress"}, 0},
		{"replay", []string{"replay", log, "--scenario", sc, "--target", srv.URL(), "--speed", "10", "--out", out("replay"), "--no-progress"}, 0},
		{"capacity", append([]string{"capacity", sc, "--target", srv.URL(), "--budget", "4s", "--out", out("capacity")}, capFlags...), 0},
		{"capacity-no-step-fits", append([]string{"capacity", sc, "--target", srv.URL(), "--budget", "500ms", "--out", out("capacity-no-step-fits")}, capFlags...), 0},
		{"capacity-no-auth", append([]string{"capacity", noAuth, "--target", srv.URL(), "--budget", "3s", "--out", out("capacity-no-auth")}, capFlags...), 0},
		{"capacity-interrupted", append([]string{"capacity", sc, "--target", srv.URL(), "--budget", "30s", "--out", out("capacity-interrupted")}, capFlags...), 400 * time.Millisecond},
		{"merge", []string{"merge", "-o", filepath.Join(out("merge"), "report.json"), filepath.Join(out("shard-1"), "report.json"), filepath.Join(out("shard-2"), "report.json")}, 0},
	}
	for _, c := range cases {
		var o ccloadOpts
		if c.cancel > 0 {
			o.started = func(p *os.Process) { time.AfterFunc(c.cancel, func() { p.Signal(os.Interrupt) }) }
		}
		r := ccloadWith(t, o, c.args...)
		code, e := r.code, r.stderr
		path := filepath.Join(out(c.name), "report.json")
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: exit %d and no report.json (%v)\n%s", c.name, code, err, e)
			continue
		}
		if (c.name == "run-interrupted" || c.name == "run-unreachable") && code != exitAborted {
			t.Errorf("%s: exit %d, want 3 (the case must be what it is named)\n%s", c.name, code, e)
		}
		var ro, re bytes.Buffer
		if rc := ccloadTo(t, []string{"report", path}, &ro, &re); rc != exitOK {
			t.Errorf("%s (exit %d): ccload report refuses its report.json: exit %d\n%s", c.name, code, rc, re.String())
		}
	}
}
