package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"ccload/gates"
	"ccload/report"
)

// goPrefix is a Go package's prefix where a user reads an error: at the start of a line or
// after the command's own "ccload CMD: ".
var goPrefix = regexp.MustCompile(`(?m)(^|ccload [a-z]+: |: )(runner|scenario|report|traffic|ccapi|gates|capacity|metrics): `)

// TestEveryCommandHelpHasOneLayout: --help of every subcommand prints, to stdout and nothing
// to stderr, "Usage: ccload CMD ...", a blank line, what it does, its exit codes and its flags
// under "Flags:" as the flag package lists them.
func TestEveryCommandHelpHasOneLayout(t *testing.T) {
	t.Parallel()
	for _, c := range commands {
		code, out, errs := ccload(t, c.name, "--help")
		lines := strings.Split(out, "\n")
		switch {
		case code != exitOK || errs != "":
			t.Errorf("%s --help: exit %d, stderr %q", c.name, code, errs)
		case !strings.HasPrefix(lines[0], "Usage: ccload "+c.name) || len(lines) < 3 || lines[1] != "":
			t.Errorf("%s --help: want \"Usage: ccload %s\" then a blank line; got:\n%s", c.name, c.name, out)
		case !regexp.MustCompile(`(?m)^Exit codes: `).MatchString(out):
			t.Errorf("%s --help: no \"Exit codes:\" paragraph:\n%s", c.name, out)
		case !regexp.MustCompile(`(?m)^Flags:\n(  -[a-z]|  \(none besides -h, --help\))`).MatchString(out):
			t.Errorf("%s --help: want \"Flags:\" followed by the flag list:\n%s", c.name, out)
		}
	}
}

// TestSharedFlagsAccepted: every command that has a shared flag accepts it by the same name
// (given before --help: an unknown flag would exit 2 before the help).
func TestSharedFlagsAccepted(t *testing.T) {
	t.Parallel()
	shared := map[string][]string{
		// progress, output directory, target, seed, live metrics, grace: every command that sends load
		"run":      {"--no-progress", "--out=d", "--target=mock", "--user-agent=x", "--seed=1", "--metrics-addr=127.0.0.1:0", "--grace=1s", "--max-rps=5", "--duration=5s", "--start-at=30s", "--shard=0/2"},
		"replay":   {"--no-progress", "--out=d", "--target=mock", "--user-agent=x", "--seed=1", "--metrics-addr=127.0.0.1:0", "--grace=1s", "--max-rps=5", "--duration=5s", "--start-at=30s", "--shard=0/2"},
		"capacity": {"--no-progress", "--out=d", "--target=mock", "--user-agent=x", "--seed=1", "--metrics-addr=127.0.0.1:0", "--grace=1s", "--max-rps=5", "--duration=5s", "--start-at=30s", "--shard=0/2"},
		"report":   {"--out=d"},
		// one file: -o and --output; the older spellings stay
		"merge":   {"-o=f", "--output=f"},
		"fit":     {"-o=f", "--output=f"},
		"compare": {"-o=f", "--output=f", "--json=f"},
	}
	for cmd, flags := range shared {
		for _, f := range flags {
			if code, _, errs := ccload(t, cmd, f, "--help"); code != exitOK {
				t.Errorf("ccload %s %s: exit %d, stderr %q; want the flag accepted", cmd, f, code, errs)
			}
		}
	}
}

// TestOutputAliasesAreOneFlag: compare's --json, -o and --output write the same file.
func TestOutputAliasesAreOneFlag(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	base := gatesCmdReport(t, filepath.Join(dir, "base.json"), 200, 10, false, "p99=10%")
	next := gatesCmdReport(t, filepath.Join(dir, "new.json"), 200, 10, false, "p99=10%")
	for _, f := range []string{"-o", "--output", "--json"} {
		out := filepath.Join(dir, strings.TrimLeft(f, "-")+".json")
		if code, _, errs := ccload(t, "compare", base, next, f, out); code != exitOK {
			t.Fatalf("compare %s: exit %d: %s", f, code, errs)
		}
		if b, err := os.ReadFile(out); err != nil || !bytes.Contains(b, []byte(`"pass"`)) {
			t.Errorf("compare %s %s: wrote %q, %v; want the comparison as JSON", f, out, b, err)
		}
	}
}

// TestCompareTakesThresholdPercentiles: compare reads p98 (and any pNN(.N)) as thresholds do,
// and judges it: 10 ms → 20 ms breaks p98=10% and keeps p98=+15ms.
func TestCompareTakesThresholdPercentiles(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"p98=10%", "p99.5=10%", "service_time.p98=+5ms", "p9999@*=10%", "min=10%"} {
		if _, err := gates.ParseCompareLimits([]string{spec}); err != nil {
			t.Errorf("compare limit %q: %v", spec, err)
		}
		if _, err := gates.ParseMetric("response_time." + strings.Split(strings.TrimPrefix(spec, "service_time."), "=")[0]); err != nil && !strings.Contains(spec, "@") {
			t.Errorf("threshold metric of %q refused: %v", spec, err)
		}
	}
	if _, err := gates.ParseCompareLimits([]string{"p9x=10%"}); err == nil {
		t.Error("p9x=10% accepted")
	}
	dir := t.TempDir()
	base := gatesCmdReport(t, filepath.Join(dir, "base.json"), 200, 10, false, "p99=10%")
	slower := gatesCmdReport(t, filepath.Join(dir, "slower.json"), 200, 20, false, "p99=10%")
	code, out, errs := ccload(t, "compare", base, slower, "--no-scenario-limits", "--max-regression", "p98=10%")
	if code != exitFailed || !strings.Contains(out, "p98") {
		t.Errorf("p98=10%% on 10ms -> 20ms: exit %d, stdout:\n%s\nstderr: %s; want 1 naming p98", code, out, errs)
	}
	if code, out, errs := ccload(t, "compare", base, slower, "--no-scenario-limits", "--max-regression", "p98=+15ms"); code != exitOK {
		t.Errorf("p98=+15ms on 10ms -> 20ms: exit %d\n%s%s", code, out, errs)
	}
}

// TestErrorsSpeakToTheUser: each error of issue 20 item 8 starts "ccload CMD:", carries no Go
// package prefix, says what to do, exits 2 and sends nothing (the mock counts).
func TestErrorsSpeakToTheUser(t *testing.T) {
	t.Parallel()
	srv := e2eMock(t, nil)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	noAuth := write("noauth.yaml", "name: noauth\nseed: 1\nload: {rate: 1, duration: 1s}\nsessions: [{name: s, poll: false, steps: [connect, disconnect]}]\n")
	empty := write("empty.jsonl", "")
	log := write("one.jsonl", `{"controlType":"CONNECT","from":"c1","mediaType":"TEXT","content":"","received_ms":1000}`+"\n")
	base := gatesCmdReport(t, filepath.Join(dir, "base.json"), 200, 10, false, "p99=10%")
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	out := filepath.Join(dir, "out")
	for _, c := range []struct {
		args []string
		says string // after "ccload CMD: "
	}{
		{[]string{"run", noAuth, "--target", srv.URL()}, noAuth + " has no auth: section"},
		{[]string{"run", noAuth, "--target", strings.TrimPrefix(srv.URL(), "http://")}, "--target: needs http:// or https://"},
		{[]string{"run", filepath.Join(dir, "nosuch.yaml")}, filepath.Join(dir, "nosuch.yaml") + ": no such scenario file; check the path"},
		{[]string{"run", noAuth, "--target", srv.URL(), "--max-rps", "-1"}, "--max-rps -1: out of range; want 0 to 1e+07"},
		{[]string{"run", noAuth, "--target", srv.URL(), "--grace", "-1s"}, "--grace -1s: a duration cannot be negative"},
		{[]string{"run", noAuth, "--target", srv.URL(), "--duration", "0s"}, "--duration 0s: want a positive duration"},
		{[]string{"run", noAuth, "--target", srv.URL(), "--start-at", past}, "--start-at " + past + " is in the past"},
		{[]string{"replay", log, "--target", srv.URL(), "--max-rps", "-1"}, "--max-rps -1: out of range; want 0 to 1e+07"},
		{[]string{"replay", log, "--target", srv.URL(), "--grace", "-1s"}, "--grace -1s: a duration cannot be negative"},
		{[]string{"replay", log, "--target", srv.URL(), "--duration", "0s"}, "--duration 0s: want a positive duration"},
		{[]string{"replay", log, "--target", srv.URL(), "--start-at", past}, "--start-at " + past + " is in the past"},
		{[]string{"replay", empty, "--target", srv.URL()}, empty + ": the log holds no request: check that it is JSON lines"},
		{[]string{"replay", log, "--target", srv.URL()}, "the target " + srv.URL() + " needs credentials: give --scenario S.yaml with an auth: section"},
		{[]string{"fit", empty, "-o", filepath.Join(dir, "fit.yaml")}, empty + ": the log holds no request"},
		{[]string{"compare", base, base, "--max-regression", "p99=lots"}, "--max-regression: p99=lots: want a percentage"},
		{[]string{"validate", filepath.Join(dir, "nosuch.yaml")}, filepath.Join(dir, "nosuch.yaml") + ": no such scenario file"},
		{[]string{"capacity", filepath.Join(dir, "nosuch.yaml")}, filepath.Join(dir, "nosuch.yaml") + ": no such scenario file"},
	} {
		code, _, errs := ccload(t, append(c.args, "--out", out)...)
		if c.args[0] == "fit" || c.args[0] == "compare" || c.args[0] == "validate" {
			code, _, errs = ccload(t, c.args...)
		}
		want := "ccload " + c.args[0] + ": " + c.says
		if code != exitUsage || !strings.HasPrefix(errs, want) {
			t.Errorf("ccload %q: exit %d, stderr:\n%s\nwant exit 2 and the first words %q", c.args, code, errs, want)
		}
		if m := goPrefix.FindString(errs); m != "" {
			t.Errorf("ccload %q: a Go package prefix %q in:\n%s", c.args, m, errs)
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

// TestOneLineForABadCommand: an unknown command, merge without -o and completion without a
// shell print one line (what is wrong and where help is), not the whole help.
func TestOneLineForABadCommand(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"nosuch"}, `ccload: unknown command "nosuch"; see 'ccload --help' for the commands`},
		{[]string{"merge", "a.json"}, "ccload merge: -o OUT.json is required: name the merged report's file; see 'ccload merge --help'"},
		{[]string{"merge", "-o", "m.json"}, "ccload merge: no shard reports given: list the shards' report.json files; see 'ccload merge --help'"},
		{[]string{"completion"}, "ccload completion: want one shell: bash, zsh or fish; see 'ccload completion --help'"},
	} {
		code, out, errs := ccload(t, c.args...)
		if code != exitUsage || out != "" || errs != c.want+"\n" {
			t.Errorf("ccload %q: exit %d, stdout %q, stderr %q; want 2 and the one line %q", c.args, code, out, errs, c.want)
		}
	}
}

// TestPrintErrorDropsPackagePrefixes: the one printer keeps the message and drops the prefixes
// a wrapped error still carries, but not a scenario key named like a package.
func TestPrintErrorDropsPackagePrefixes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"runner: ccapi: no credentials":        "ccload run: no credentials\n",
		"--max-regression: report: compare x":  "ccload run: --max-regression: compare x\n",
		"ccload run: --metrics-addr: taken":    "ccload run: --metrics-addr: taken\n",
		"f.yaml:3:1: mock: unknown key `x`":    "ccload run: f.yaml:3:1: mock: unknown key `x`\n",
		"f.yaml:1:1: a\nf.yaml:2:1: b\n  hint": "ccload run: f.yaml:1:1: a\nccload run: f.yaml:2:1: b\n  hint\n",
	} {
		var b bytes.Buffer
		printError(&b, "run", fmt.Errorf("%s", in))
		if b.String() != want {
			t.Errorf("printError(%q) = %q; want %q", in, b.String(), want)
		}
	}
	_ = report.FileName
}

// TestReplayTakesRunsFlags: replay's --duration bounds the arrivals (the mock, counting,
// receives only the first session's requests), --seed is the report's seed and --start-at
// delays the start, as on run.
func TestReplayTakesRunsFlags(t *testing.T) {
	t.Parallel()
	srv := e2eMock(t, nil)
	dir := t.TempDir()
	l := func(ct, from string, ms int64) string {
		return fmt.Sprintf(`{"controlType":%q,"from":%q,"mediaType":"TEXT","content":"hi","received_ms":%d}`, ct, from, 1_796_000_000_000+ms)
	}
	lines := []string{
		l("CONNECT", "c1", 0), l("CHAT", "c1", 100), l("DISCONNECT", "c1", 200),
		l("CONNECT", "c2", 1500), l("CHAT", "c2", 1600), l("DISCONNECT", "c2", 1700),
	}
	log := filepath.Join(dir, "prod.jsonl")
	base := filepath.Join(dir, "base.yaml")
	os.WriteFile(log, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	os.WriteFile(base, []byte("name: b\nauth: {app_key: k, app_secret: s}\nload: {rate: 1, duration: 1s}\nsessions:\n  - poll: false\n    steps: [connect]\n"), 0o644)
	out := filepath.Join(dir, "out")
	start := time.Now()
	code, _, errs := ccload(t, "replay", log, "--scenario", base, "--target", srv.URL(), "--out", out, "--no-progress",
		"--duration", "1s", "--grace", "2s", "--seed", "7", "--max-rps", "1000", "--start-at", "300ms")
	if code != exitOK {
		t.Fatalf("replay: exit %d\n%s", code, errs)
	}
	rep, err := report.ReadFile(filepath.Join(out, report.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Stats().Endpoints["sendAsync"]; got != 3 || rep.Replay == nil || rep.Replay.Arrivals != 1 {
		t.Errorf("--duration 1s: the mock received %d sendAsync, the report says %+v arrivals; want 3 (c1's) and 1", got, rep.Replay)
	}
	if rep.Seed != 7 {
		t.Errorf("--seed 7: report seed %d", rep.Seed)
	}
	if time.Since(start) < 300*time.Millisecond || rep.StartAt.IsZero() {
		t.Errorf("--start-at 300ms: report start_at %v", rep.StartAt)
	}
}

// TestNoCommandErrorSpeaksGo scans the errors of every command on bad input (an unknown flag, a
// missing file, a file that is not what it should be, an invalid scenario): each line starts
// "ccload" and none carries a Go package prefix (runner:, scenario:, report:, traffic:, ccapi:).
func TestNoCommandErrorSpeaksGo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	notJSON := filepath.Join(dir, "not.json")
	os.WriteFile(notJSON, []byte("name: not a report\n"), 0o644)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("load: {rate: 1, duration: 1s}\nsesions: []\n"), 0o644)
	badLog := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(badLog, []byte("not json\nnor this\n"), 0o644)
	runs := [][]string{{"nosuch"}, {"completion", "tcsh"}, {"version", "x"}, {"mock", "--addr", "127.0.0.1:99999"}}
	for _, c := range commands {
		runs = append(runs, []string{c.name, "--nosuch"})
	}
	for _, cmd := range []string{"run", "validate", "capacity"} {
		runs = append(runs, []string{cmd, missing}, []string{cmd, bad}, []string{cmd, notJSON})
	}
	for _, cmd := range []string{"report", "compare", "merge"} {
		for _, f := range []string{missing, notJSON} {
			args := []string{cmd, f}
			switch cmd {
			case "compare":
				args = append(args, f)
			case "merge":
				args = append(args, "-o", filepath.Join(dir, "m.json"))
			}
			runs = append(runs, args)
		}
	}
	for _, f := range []string{missing, badLog} {
		runs = append(runs, []string{"fit", f, "-o", filepath.Join(dir, "f.yaml")}, []string{"logdiff", f, f}, []string{"replay", f, "--out", filepath.Join(dir, "out")})
	}
	for _, args := range runs {
		code, _, errs := ccload(t, args...)
		if code != exitUsage || errs == "" {
			t.Errorf("ccload %q: exit %d, stderr %q; want 2 and an error", args, code, errs)
			continue
		}
		for _, line := range strings.Split(strings.TrimSuffix(errs, "\n"), "\n") {
			if !strings.HasPrefix(line, "ccload") && !strings.HasPrefix(line, " ") {
				t.Errorf("ccload %q: an error line not starting \"ccload\": %q", args, line)
			}
		}
		if m := goPrefix.FindString(errs); m != "" {
			t.Errorf("ccload %q: a Go package prefix %q in:\n%s", args, m, errs)
		}
	}
}

// TestStartAtInThePast: a past instant is refused for one process; a shard whose pod started
// late begins at once and says so (deploy/README.md); "0s" is now, not the past.
func TestStartAtInThePast(t *testing.T) {
	t.Parallel()
	now := time.Now()
	var b bytes.Buffer
	if err := checkStartAt(now.Add(-time.Minute), now, false, "T", "run", &b); err == nil || !strings.Contains(err.Error(), "--start-at T is in the past") {
		t.Errorf("one process, a minute past: %v; want refused", err)
	}
	if err := checkStartAt(now.Add(-time.Minute), now, true, "T", "run", &b); err != nil || !strings.HasPrefix(b.String(), "ccload run: --start-at T passed 1m0s ago: this shard begins at once") {
		t.Errorf("a late shard: %v, stderr %q; want it to begin at once, saying so", err, b.String())
	}
	if at, err := parseStartAt("0s", now); err != nil || checkStartAt(at, time.Now(), false, "0s", "run", &b) != nil {
		t.Errorf("--start-at 0s refused: %v", err)
	}
}
