package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Numeric flags that make no sense (NaN, infinities, negative durations and counts, absurd
// sizes) are refused naming the flag, with exit 2, and nothing reaches the target.
func TestNumericFlagsRefusedNothingSent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := e2eMock(t, nil)
	sc := filepath.Join(dir, "s.yaml")
	os.WriteFile(sc, []byte("name: s\ntarget: {url: \""+srv.URL()+"\"}\nauth: {app_key: k, app_secret: s}\nchannel: {to: \"1\"}\n"+
		"load: {rate: 2, duration: 1s}\nsessions:\n  - poll: false\n    steps: [connect, disconnect]\nthresholds:\n  - error_rate < 5%\n"), 0o644)
	log := filepath.Join(dir, "prod.jsonl")
	writeLog(t, log, 5, 10, []int64{20}, 40)
	for _, c := range []struct {
		args []string
		flag string
	}{
		{[]string{"replay", log, "--target", srv.URL(), "--speed", "NaN"}, "--speed"},
		{[]string{"replay", log, "--target", srv.URL(), "--speed", "Inf"}, "--speed"},
		{[]string{"replay", log, "--target", srv.URL(), "--speed", "-Inf"}, "--speed"},
		{[]string{"replay", log, "--target", srv.URL(), "--speed", "1e-300"}, "--speed"},
		{[]string{"replay", log, "--target", srv.URL(), "--scale", "1000000000"}, "--scale"},
		{[]string{"replay", log, "--target", srv.URL(), "--grace", "-1s"}, "--grace"},
		{[]string{"replay", log, "--target", srv.URL(), "--from", "-5s"}, "--from"},
		{[]string{"run", sc, "--max-rps", "NaN"}, "--max-rps"},
		{[]string{"run", sc, "--max-rps", "+Inf"}, "--max-rps"},
		{[]string{"run", sc, "--duration", "-1s"}, "--duration"},
		{[]string{"run", sc, "--grace", "-3s"}, "--grace"},
		{[]string{"run", sc, "--duration", "100000h"}, "--duration"},
		{[]string{"run", sc, "--metrics-push-interval", "-1s"}, "--metrics-push-interval"},
		{[]string{"capacity", sc, "--start", "NaN"}, "--start"},
		{[]string{"capacity", sc, "--max-rate", "Inf"}, "--max-rate"},
		{[]string{"capacity", sc, "--budget", "-3m"}, "--budget"},
		{[]string{"capacity", sc, "--cooldown", "-1s"}, "--cooldown"},
		{[]string{"capacity", sc, "--min-requests", "-4"}, "--min-requests"},
		{[]string{"mock", "--addr", "127.0.0.1:0", "--error-rate", "NaN"}, "--error-rate"},
		{[]string{"mock", "--addr", "127.0.0.1:0", "--capacity", "Inf"}, "--capacity"},
		{[]string{"mock", "--addr", "127.0.0.1:0", "--agents", "-2"}, "--agents"},
		{[]string{"mock", "--addr", "127.0.0.1:0", "--robot-delay", "-1s"}, "--robot-delay"},
	} {
		// A command that wrongly starts is killed by the hang guard (and fails the test).
		r := ccloadWith(t, ccloadOpts{timeout: 30 * time.Second}, c.args...)
		code, msg := r.code, r.stderr
		if code != exitUsage || !strings.Contains(msg, "ccload "+c.args[0]+": "+c.flag+" ") || strings.Count(msg, "\n") != 1 {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 and one line naming %s", c.args, code, msg, c.flag)
		}
	}
	// Two bad flags: both named, each on a line of the command's.
	var out, errb bytes.Buffer
	if code := ccloadTo(t, []string{"run", sc, "--grace", "-3s", "--max-rps", "Inf"}, &out, &errb); code != exitUsage ||
		!strings.Contains(errb.String(), "ccload run: --grace -3s") || !strings.Contains(errb.String(), "ccload run: --max-rps +Inf") {
		t.Errorf("two bad flags: exit %d, stderr %q", code, errb.String())
	}
	if n := srv.Stats().Total(); n != 0 {
		t.Errorf("the target received %d requests; want none (every command was refused)", n)
	}
}
