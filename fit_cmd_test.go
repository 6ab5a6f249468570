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

// Bad logs are refused with exit 2, naming the file and what is wrong, and nothing is written.
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
			code = dispatch(context.Background(), []string{"logdiff", c.log, c.log}, &so, &se)
			if code != exitUsage {
				t.Errorf("logdiff: exit %d, want 2", code)
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
