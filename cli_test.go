package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestBadFlagOneLine: every subcommand answers a bad flag the same way, with one line that
// names it and points to --help, and exit 2.
func TestBadFlagOneLine(t *testing.T) {
	t.Parallel()
	for _, c := range commands {
		if c.name == "version" || c.name == "completion" {
			continue
		}
		var out, errb bytes.Buffer
		code := ccloadTo(t, []string{c.name, "--no-such-flag"}, &out, &errb)
		want := "ccload " + c.name + ": unknown flag --no-such-flag; see 'ccload " + c.name + " --help'\n"
		if code != exitUsage || errb.String() != want || out.Len() != 0 {
			t.Errorf("ccload %s --no-such-flag: exit %d, stderr %q, stdout %q; want exit 2 and stderr %q", c.name, code, errb.String(), out.String(), want)
		}
	}
}

// TestDurationNeedsAUnit: `--duration 5` says what is missing instead of "parse error".
func TestDurationNeedsAUnit(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	code := ccloadTo(t, []string{"run", "--duration", "5", "scenarios/quickstart.yaml"}, &out, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), "--duration 5: a duration needs a unit, e.g. 5s") || strings.Count(errb.String(), "\n") != 1 {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

// TestVersion: `ccload version` names the version, commit, build date and Go version.
func TestVersion(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := ccloadTo(t, []string{"version"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "ccload ") || !strings.HasPrefix(lines[1], "commit ") ||
		!strings.HasPrefix(lines[2], "built ") || lines[3] != runtime.Version() {
		t.Errorf("version output:\n%s", out.String())
	}
}

// TestVersionStampedByMake: the Makefile's -ldflags reach `ccload version`.
func TestVersionStampedByMake(t *testing.T) {
	realTime(t)
	code, out, _ := ccload(t, "version") // the binary is built with e2eLDFlags, the Makefile's -X flags
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if want := "ccload v9.8.7\ncommit abc123\nbuilt 2026-12-02T00:00:00Z\n"; !strings.HasPrefix(string(out), want) {
		t.Errorf("got %q, want it to start with %q", out, want)
	}
}

// TestCompletion: each shell's script lists every command and each command's flags (bash's is
// also checked by bash itself when it is installed).
func TestCompletion(t *testing.T) {
	t.Parallel()
	for _, sh := range []string{"bash", "zsh", "fish"} {
		var out, errb bytes.Buffer
		if code := ccloadTo(t, []string{"completion", sh}, &out, &errb); code != exitOK {
			t.Fatalf("%s: exit %d: %s", sh, code, errb.String())
		}
		s := out.String()
		for _, c := range commands {
			if !strings.Contains(s, c.name) {
				t.Errorf("%s completion lacks the command %s", sh, c.name)
			}
		}
		for _, f := range []string{"start-at", "max-rate", "metrics-addr", "speed", "capacity"} {
			if !strings.Contains(s, f) {
				t.Errorf("%s completion lacks the flag %s", sh, f)
			}
		}
		if sh == "bash" {
			if _, err := exec.LookPath("bash"); err == nil {
				f := filepath.Join(t.TempDir(), "c.bash")
				os.WriteFile(f, out.Bytes(), 0o644)
				if o, err := exec.Command("bash", "-n", f).CombinedOutput(); err != nil {
					t.Errorf("bash -n: %v\n%s", err, o)
				}
			}
		}
	}
	var out, errb bytes.Buffer
	if code := ccloadTo(t, []string{"completion", "tcsh"}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "want bash, zsh or fish") {
		t.Errorf("tcsh: exit %d, %q", code, errb.String())
	}
}
