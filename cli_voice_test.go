package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// anyGoPrefix is goPrefix's rule with mock added: in a flag's message (not a scenario's, where
// mock: is a key) "mock: " is the mock package speaking.
var anyGoPrefix = regexp.MustCompile(`(?m)(^|ccload [a-z]+: |: )(runner|scenario|report|traffic|ccapi|gates|capacity|metrics|mock|history): `)

// TestCLIConventionFlagValues: a flag value that makes no sense (zero where a duration must pass,
// a share over 1, a kind or URL the mock cannot use, a missing file) is refused with exit 2, in
// one voice: "ccload CMD: --FLAG VALUE: what is wrong ...", no Go package prefix, and nothing
// sent (the mock counting requests is the referee) nor served. A push scenario the embedded mock
// cannot serve is refused the same way.
func TestCLIConventionFlagValues(t *testing.T) {
	srv := e2eMock(t, nil)
	dir := t.TempDir()
	sc := filepath.Join(dir, "sc.yaml")
	os.WriteFile(sc, []byte("name: s\nauth: {app_key: k, app_secret: s}\nload: {rate: 1, duration: 1s}\nsessions: [{name: s, poll: false, steps: [connect, disconnect]}]\n"), 0o644)
	log := filepath.Join(dir, "one.jsonl")
	os.WriteFile(log, []byte(`{"controlType":"CONNECT","from":"c1","mediaType":"TEXT","content":"","received_ms":1000}`+"\n"), 0o644)
	push := filepath.Join(dir, "push.yaml")
	os.WriteFile(push, []byte("name: p\nauth: {app_key: k, app_secret: s}\nchannel: {to: \"1011577355744904195\"}\ntarget: {delivery: push}\nload: {rate: 1, duration: 1s}\nsessions: [{name: s, steps: [connect, disconnect]}]\n"), 0o644)
	missing := filepath.Join(dir, "nosuch.yaml")
	out := filepath.Join(dir, "out")
	capacity := func(args ...string) []string {
		return append([]string{"capacity", sc, "--target", srv.URL(), "--slo", "error_rate<1%", "--out", out}, args...)
	}
	mockCmd := func(args ...string) []string {
		return append([]string{"mock", "--addr", "127.0.0.1:0"}, args...)
	}
	for _, c := range []struct {
		args []string
		says string // after "ccload CMD: "
	}{
		{capacity("--grace", "-1s"), "--grace -1s: a duration cannot be negative"},
		{capacity("--warmup", "0s"), "--warmup 0s: want a positive duration"},
		{capacity("--window", "0s"), "--window 0s: want a positive duration"},
		{capacity("--short-window", "0s"), "--short-window 0s: want a positive duration"},
		{capacity("--budget", "0s"), "--budget 0s: want a positive duration"},
		{capacity("--max-lag", "0s"), "--max-lag 0s: want a positive duration"},
		{capacity("--min-requests", "0"), "--min-requests 0: out of range"},
		{capacity("--start", "-1"), "--start -1: out of range"},
		{mockCmd("--error-rate", "2"), "--error-rate 2: out of range; want 0 to 1"},
		{mockCmd("--error-rate", "-0.5"), "--error-rate -0.5: out of range; want 0 to 1"},
		{mockCmd("--drop-rate", "1.5"), "--drop-rate 1.5: out of range; want 0 to 1"},
		{mockCmd("--malformed-rate", "3"), "--malformed-rate 3: out of range; want 0 to 1"},
		{mockCmd("--error-kind", "99"), `--error-kind "99": want 500, 12 or 13`},
		{mockCmd("--push", "ftp://x"), `--push: the push URL "ftp://x": want an absolute http:// or https:// URL`},
		{mockCmd("--latency", "bogus"), `--latency bogus: distribution "bogus": want a duration`},
		{mockCmd("--token-lifetime", "0s"), "--token-lifetime 0s: want a positive duration"},
		{mockCmd("--cc-token-lifetime", "0s"), "--cc-token-lifetime 0s: want a positive duration"},
		{[]string{"replay", log, "--scenario", missing, "--out", out}, "--scenario: open " + missing + ": no such file or directory; check the path"},
		{[]string{"capacity", push, "--slo", "error_rate<1%", "--out", out}, push + ": the embedded mock cannot be pointed at this push scenario's receiver; run `ccload mock --push"},
		{[]string{"history", "prune", "--keep", "-5", "--history", filepath.Join(dir, "runs.db")}, "--keep -5: want how many of the most recent selected runs to keep, 0 or more"},
		{[]string{"run", sc, "--target", srv.URL(), "--out", out, "--metrics-remote-write", "http://127.0.0.1:9/api/v1/write", "--metrics-push-interval", "0s"}, "--metrics-push-interval 0s: want a positive interval"},
		{[]string{"compare", missing, missing}, "open " + missing + ": no such file or directory; check the path"},
	} {
		code, stdout, errs := ccload(t, c.args...)
		want := "ccload " + c.args[0] + ": " + c.says
		if code != exitUsage || !strings.HasPrefix(errs, want) {
			t.Errorf("ccload %q: exit %d, stderr:\n%s\nwant exit 2 and the first words %q", c.args, code, errs, want)
		}
		if m := anyGoPrefix.FindString(errs); m != "" {
			t.Errorf("ccload %q: a Go package prefix %q in:\n%s", c.args, m, errs)
		}
		if strings.Contains(stdout, "serving on") {
			t.Errorf("ccload %q served: %s", c.args, stdout)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("ccload %q created %s", c.args, out)
			os.RemoveAll(out)
		}
	}
	if n := srv.Stats().Total(); n != 0 {
		t.Errorf("the refused commands sent %d requests; want none", n)
	}
}

// TestMockLogSpeaksAsTheCommand: what the mock logs while it serves (here, --record failing on a
// full device) reaches the user as "ccload mock: ...", like every other error, not in the mock
// package's voice ("mock: record: ...").
func TestMockLogSpeaksAsTheCommand(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	m := startMockCommand(t, "--record", "/dev/full")
	url := m.url
	dir := t.TempDir()
	sc := filepath.Join(dir, "sc.yaml")
	// 100 sessions each recording a 600-byte CHAT: past the record file's 64 KiB buffer, so a
	// write fails while the mock serves.
	chat := strings.Repeat("x", 600)
	os.WriteFile(sc, []byte("name: rec\nauth: {app_key: k, app_secret: s}\nload: {model: open, arrivals: uniform, rate: 100, duration: 1s}\nseed: 1\nsessions: [{name: s, poll: false, steps: [connect, {chat: "+chat+"}, disconnect]}]\n"), 0o644)
	code, _, runErr := ccload(t, "run", sc, "--target", url, "--out", filepath.Join(dir, "out"), "--no-progress")
	m.stop(t)
	if code != exitOK {
		t.Fatalf("run against the mock: exit %d\n%s", code, runErr)
	}
	errs := m.stderr.String()
	if !strings.Contains(errs, "record") {
		t.Fatalf("the mock said nothing of the failed record file:\n%s", errs)
	}
	for _, line := range strings.Split(strings.TrimSuffix(errs, "\n"), "\n") {
		if !strings.HasPrefix(line, "ccload mock: ") {
			t.Errorf("a mock stderr line not in the command's voice: %q", line)
		}
	}
	if m := anyGoPrefix.FindString(errs); m != "" {
		t.Errorf("a Go package prefix %q in:\n%s", m, errs)
	}
}

// maxCommandLines is how long a cmd_*.go file may grow (README's Layout: "at most about 150
// lines"): a command file holds its flags, its wiring and its exit codes; logic belongs in the
// package whose job it is, flag helpers in flags.go and the *_flags.go files.
const maxCommandLines = 160

// TestCommandFilesAreThin: no command file is longer than maxCommandLines.
func TestCommandFilesAreThin(t *testing.T) {
	files, err := filepath.Glob("cmd_*.go")
	if err != nil || len(files) < 10 {
		t.Fatalf("%d command files found (%v): run from the module root", len(files), err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue // the tests of a command (e2e_helpers_test.go's naming rule), not the command
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(b, []byte("\n")); n > maxCommandLines {
			t.Errorf("%s has %d lines, over %d: move what is not flags, wiring or exit codes out of it", f, n, maxCommandLines)
		}
	}
}
