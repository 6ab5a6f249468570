package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"ccload/mock"
)

// Every subcommand answers a bad flag the same way: one line naming it, then "see --help".
func TestBadFlagOneLineThenSeeHelp(t *testing.T) {
	for _, c := range commands {
		var out, errb bytes.Buffer
		code := dispatch(context.Background(), []string{c.name, "--no-such-flag"}, &out, &errb)
		lines := strings.Split(strings.TrimSuffix(errb.String(), "\n"), "\n")
		if code != exitUsage || len(lines) != 2 || !strings.HasPrefix(lines[0], "ccload "+c.name+": ") ||
			!strings.Contains(lines[0], "no-such-flag") || lines[1] != "see 'ccload "+c.name+" --help'" {
			t.Errorf("%s: exit %d, stderr:\n%s", c.name, code, errb.String())
		}
	}
}

// A duration flag given a bare number says it needs a unit.
func TestDurationNeedsAUnit(t *testing.T) {
	for _, args := range [][]string{{"run", "--duration", "5", "x.yaml"}, {"mock", "--robot-delay", "5"}} {
		var out, errb bytes.Buffer
		if code := dispatch(context.Background(), args, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "needs a unit, e.g. 5s") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errb.String())
		}
	}
}

func TestVersion(t *testing.T) {
	var out, errb bytes.Buffer
	if code := dispatch(context.Background(), []string{"version"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"ccload ", "commit:", "built:", "go version: go1."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in:\n%s", want, out.String())
		}
	}
}

// The -ldflags of `make build` reach `ccload version`.
func TestVersionLdflags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "ccload")
	ld := "-X main.version=v9.8.7 -X main.commit=abc123 -X main.buildDate=2026-12-02T00:00:00Z"
	if out, err := exec.Command("go", "build", "-ldflags", ld, "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.Contains(string(out), "ccload v9.8.7\ncommit:     abc123\nbuilt:      2026-12-02T00:00:00Z") {
		t.Fatalf("%v:\n%s", err, out)
	}
}

// The completion scripts hold every command and the flags of their --help; bash parses them.
func TestCompletion(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		var out, errb bytes.Buffer
		if code := dispatch(context.Background(), []string{"completion", sh}, &out, &errb); code != exitOK {
			t.Fatalf("%s: exit %d %s", sh, code, errb.String())
		}
		for _, c := range commands {
			if !strings.Contains(out.String(), c.name) {
				t.Errorf("%s: no command %s", sh, c.name)
			}
		}
		if !strings.Contains(out.String(), "duration") || !strings.Contains(out.String(), "no-scenario-limits") {
			t.Errorf("%s: run's and compare's flags are missing:\n%s", sh, out.String())
		}
		if sh == "bash" {
			if _, err := exec.LookPath("bash"); err == nil {
				cmd := exec.Command("bash", "-n")
				cmd.Stdin = &out
				if msg, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("bash -n: %v %s", err, msg)
				}
			}
		}
	}
	var out, errb bytes.Buffer
	if code := dispatch(context.Background(), []string{"completion", "tcsh"}, &out, &errb); code != exitUsage {
		t.Errorf("tcsh: exit %d", code)
	}
}

// An --out that cannot be written is refused before anything reaches the target.
func TestRunUnwritableOutSendsNothing(t *testing.T) {
	var hits atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer ts.Close()
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	sc := filepath.Join(dir, "s.yaml")
	y := "target: {url: \"" + ts.URL + "\"}\nauth: {app_key: k, app_secret: s}\nchannel: {to: \"1\"}\nload: {rate: 5, duration: 1s}\nsessions:\n  - steps: [connect, disconnect]\n"
	if err := os.WriteFile(sc, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := dispatch(context.Background(), []string{"run", sc, "--out", filepath.Join(blocker, "sub"), "--no-progress"}, &out, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), "--out") || hits.Load() != 0 {
		t.Fatalf("exit %d, %d requests reached the target; stderr:\n%s", code, hits.Load(), errb.String())
	}
}

// SIGHUP stops a run like SIGTERM: the report is written and says it was interrupted.
func TestRunSIGHUPWritesAnInterruptedReport(t *testing.T) {
	srv := e2eMock(t, func(o *mock.Options) { o.RobotDelay = 20 * time.Millisecond })
	res := e2eRun(t, func(p *os.Process) {
		time.Sleep(1500 * time.Millisecond)
		if err := p.Signal(syscall.SIGHUP); err != nil {
			t.Error(err)
		}
	}, "testdata/e2e/long.yaml", "--target", srv.URL(), "--grace", "500ms")
	if res.code != exitAborted || res.rep == nil || !res.rep.Interrupted {
		t.Fatalf("exit %d, report %v: want 3 and an interrupted report", res.code, res.rep != nil)
	}
	e2eInvariants(t, res.rep)
}
