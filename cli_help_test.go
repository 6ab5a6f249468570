package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestHelpGoesToStdoutOnce: `ccload X --help` prints the usage once, on stdout, and exits 0;
// a bad flag prints the complaint and the usage on stderr and exits 2.
func TestHelpGoesToStdoutOnce(t *testing.T) {
	t.Parallel()
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := ccloadTo(t, []string{c.name, "--help"}, &out, &errb); code != exitOK {
				t.Fatalf("exit %d, want 0", code)
			}
			if errb.Len() != 0 {
				t.Errorf("--help wrote to stderr:\n%s", errb.String())
			}
			if n := strings.Count(out.String(), "Usage"); n != 1 {
				t.Errorf("usage printed %d times on stdout:\n%s", n, out.String())
			}
			out.Reset()
			errb.Reset()
			if code := ccloadTo(t, []string{c.name, "--no-such-flag"}, &out, &errb); code != exitUsage {
				t.Fatalf("bad flag: exit %d, want 2", code)
			}
			if !strings.Contains(errb.String(), "no-such-flag") {
				t.Errorf("bad flag: stderr does not name the flag:\n%s", errb.String())
			}
		})
	}
}
