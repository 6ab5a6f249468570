package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateExamples runs `ccload validate` on every shipped scenario: exit 0 and a plan each.
func TestValidateExamples(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	var out, errw strings.Builder
	if code := ccloadTo(t, append([]string{"validate"}, files...), &out, &errw); code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errw.String())
	}
	for _, f := range files {
		if !strings.Contains(out.String(), f+": valid\n") {
			t.Errorf("no plan for %s", f)
		}
	}
	for _, want := range []string{"quickstart: open model for 15s against the embedded mock", "peak: 4 sessions/s, ~7 concurrent customers -> ~36 requests/s", "SESSION", "queryQueueInfo"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestValidateInvalid checks exit 2 and file:line:col errors for every bad file, and that
// valid files given alongside still get their plan.
func TestValidateInvalid(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("load: {rate: 1, duration: 1s}\nsesions: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errw strings.Builder
	code := ccloadTo(t, []string{"validate", bad, "scenarios/quickstart.yaml"}, &out, &errw)
	if code != exitUsage {
		t.Fatalf("exit %d, want %d", code, exitUsage)
	}
	want := "ccload validate: " + bad + ":1:1: sessions: missing: a scenario needs at least one session\n" +
		"ccload validate: " + bad + ":2:1: sesions: unknown key `sesions`; did you mean `sessions`?"
	if !strings.HasPrefix(errw.String(), want) {
		t.Errorf("stderr:\n%s\nwant prefix:\n%s", errw.String(), want)
	}
	if !strings.Contains(out.String(), "scenarios/quickstart.yaml: valid") {
		t.Errorf("the valid file got no plan:\n%s", out.String())
	}
}

func TestValidateUsage(t *testing.T) {
	t.Parallel()
	var out, errw strings.Builder
	if code := ccloadTo(t, []string{"validate", "--help"}, &out, &errw); code != exitOK || !strings.Contains(out.String(), "Usage: ccload validate") {
		t.Errorf("--help: exit %d, stdout %q", code, out.String())
	}
	out.Reset()
	if code := ccloadTo(t, []string{"validate"}, &out, &errw); code != exitUsage || !strings.Contains(errw.String(), "no scenario file") {
		t.Errorf("no args: exit %d, stderr %q", code, errw.String())
	}
}
