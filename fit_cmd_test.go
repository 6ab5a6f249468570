package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad logs are refused by fit, logdiff and replay with exit 2, naming the file and what is
// wrong; nothing is written or sent.
func TestFitBadLogs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	good := func(from, ct string, ms int) string {
		return fmt.Sprintf(`{"controlType":%q,"from":%q,"mediaType":"TEXT","content":"x","received_ms":%d}`+"\n", ct, from, ms)
	}
	var many strings.Builder
	for i := range 50 {
		many.WriteString(good(fmt.Sprint("c", i), "CONNECT", 1_000_000+i))
	}
	cases := []struct {
		name, log, want string
	}{
		{"empty", write("empty.jsonl", ""), "holds no request"},
		{"directory", dir, "is a directory"},
		{"device", "/dev/zero", "not a regular file"},
		{"missing", filepath.Join(dir, "nope.jsonl"), "no such file"},
		{"malformed", write("bad.jsonl", many.String()+"{not json\n"+"{\"from\":\"a\"\n"), "line 51: "},
		{"unknown controlType", write("ct.jsonl", many.String()+good("z", "SHOUT", 1_000_100)), `line 51: "SHOUT"`},
		{"unsorted", write("order.jsonl", many.String()+good("z", "CONNECT", 1)), "line 51: received_ms is"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, c.name+".yaml")
			var so, se bytes.Buffer
			code := dispatch(context.Background(), []string{"fit", c.log, "-o", out}, &so, &se)
			if code != exitUsage || !strings.Contains(se.String(), c.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, se.String(), c.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written", out)
			}
			for _, args := range [][]string{{"logdiff", c.log, c.log}, {"replay", c.log, "--no-progress", "--out", filepath.Join(dir, "rp-"+c.name)}} {
				se.Reset()
				if code := dispatch(context.Background(), args, &so, &se); code != exitUsage || !strings.Contains(se.String(), c.want) {
					t.Errorf("%s: exit %d, stderr %q; want 2 and %q", args[0], code, se.String(), c.want)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "rp-"+c.name)); err == nil {
				t.Errorf("replay wrote a report for a bad log")
			}
		})
	}
	// Below the bad-line limit, the same problems are reported but the fit goes on.
	log := write("some.jsonl", many.String()+"{not json\n")
	var so, se bytes.Buffer
	if code := dispatch(context.Background(), []string{"fit", log, "-o", filepath.Join(dir, "ok.yaml"), "--max-bad", "5%"}, &so, &se); code != 0 ||
		!strings.Contains(se.String(), "1 × malformed line (first: line 51:") {
		t.Fatalf("exit %d, stderr %q", code, se.String())
	}
}

// logdiff exits 1 when two logs differ past a limit, and says which comparison failed.
func TestLogdiffLimits(t *testing.T) {
	dir := t.TempDir()
	mk := func(name string, chatShare int) string {
		var b strings.Builder
		for i := range 100 {
			t0 := 1_000_000 + i*100
			b.WriteString(fmt.Sprintf(`{"controlType":"CONNECT","from":"c%d","received_ms":%d}`+"\n", i, t0))
			ct := "INPUT"
			if i < chatShare {
				ct = "CHAT"
			}
			b.WriteString(fmt.Sprintf(`{"controlType":%q,"from":"c%d","content":"hi","received_ms":%d}`+"\n", ct, i, t0+40))
			b.WriteString(fmt.Sprintf(`{"controlType":"DISCONNECT","from":"c%d","received_ms":%d}`+"\n", i, t0+90))
		}
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(b.String()), 0o644)
		return p
	}
	a, b := mk("a.jsonl", 50), mk("b.jsonl", 60)
	var so, se bytes.Buffer
	if code := dispatch(context.Background(), []string{"logdiff", a, a, "--bucket", "1s"}, &so, &se); code != 0 {
		t.Fatalf("a log against itself: exit %d\n%s%s", code, so.String(), se.String())
	}
	so.Reset()
	code := dispatch(context.Background(), []string{"logdiff", a, b, "--bucket", "1s"}, &so, &se)
	if code != exitFailed || !strings.Contains(so.String(), "CONNECT CHAT+ DISCONNECT") || !strings.Contains(so.String(), "10 pts") ||
		!strings.Contains(so.String(), "FAIL") {
		t.Fatalf("shares 50%% vs 60%%: exit %d\n%s", code, so.String())
	}
	// A looser limit passes the same logs.
	if code := dispatch(context.Background(), []string{"logdiff", a, b, "--bucket", "1s", "--max-share", "11%"}, &so, &se); code != 0 {
		t.Fatalf("--max-share 11%%: exit %d", code)
	}
}
