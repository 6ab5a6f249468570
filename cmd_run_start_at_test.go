package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseStartAt(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-12-02T14:05:00Z":      now.Add(5 * time.Minute),
		"2026-12-02T15:05:00+01:00": now.Add(5 * time.Minute),
		"2026-12-02T14:00:00.5Z":    now.Add(500 * time.Millisecond),
		"30s":                       now.Add(30 * time.Second),
		"0s":                        now,
	} {
		if got, err := parseStartAt(in, now); err != nil || !got.Equal(want) {
			t.Errorf("parseStartAt(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-5s", "tomorrow", "2026-12-02 14:05"} {
		if _, err := parseStartAt(in, now); err == nil || !strings.Contains(err.Error(), "RFC 3339") {
			t.Errorf("parseStartAt(%q): err %v; want one naming the accepted forms", in, err)
		}
	}
}

func TestRunRefusesBadStartAtAndUnseededShards(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	unseeded := filepath.Join(dir, "unseeded.yaml")
	os.WriteFile(unseeded, []byte("name: u\nload: {stages: [{duration: 1s, rate: 1}]}\nsessions: [{name: s, steps: [connect, disconnect]}]\n"), 0o644)
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{unseeded, "--start-at", "soon"}, `--start-at "soon"`},
		{[]string{unseeded, "--shard", "1/4"}, "unseeded.yaml: --shard 1/4 needs the same seed on every shard"},
	} {
		var so, se bytes.Buffer
		out := filepath.Join(dir, "out")
		code := ccloadTo(t, append([]string{"run"}, append(c.args, "--out", out)...), &so, &se)
		if code != exitUsage || !strings.Contains(se.String(), c.says) {
			t.Errorf("run %q: exit %d, stderr %q; want 2 and %q", c.args, code, se.String(), c.says)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("run %q wrote %s", c.args, out)
		}
	}
}
