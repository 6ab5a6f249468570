// Shared CLI helpers, in one file: how every command parses its flags and answers a bad one,
// prints its errors (printError), and defines the flags several commands share (progress,
// outputs, --target and --user-agent, the live-metrics flags, the load-flag checks).

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"time"

	"ccload/ccapi"
	"ccload/dashboard"
	"ccload/metrics"
	"ccload/report/record"
	"ccload/scenario"
	"ccload/traffic"
)

// flagArg finds the name of the flag a flag-package error is about ("-duration" in
// `invalid value "5" for flag -duration: parse error`).
var flagArg = regexp.MustCompile(`^invalid value "(.*)" for flag -([^:]+): `)

// badFlag answers a bad flag the same way in every subcommand: one line naming the problem,
// with a hint where one helps, then where the flags are listed.
func badFlag(fs *flag.FlagSet, err error, w io.Writer) {
	msg := err.Error()
	if m := flagArg.FindStringSubmatch(msg); m != nil {
		value, name := m[1], m[2]
		msg = fmt.Sprintf("--%s %s: %s", name, value, userMessage(errors.New(strings.TrimPrefix(msg, m[0]))))
		if f := fs.Lookup(name); f != nil && isDurationFlag(f) {
			if _, perr := time.ParseDuration(value); perr != nil {
				msg = fmt.Sprintf("--%s %s: a duration needs a unit, e.g. %ss or %sms (units: ns, us, ms, s, m, h)", name, value, value, value)
				if !isNumber(value) {
					msg = fmt.Sprintf("--%s %s: not a duration; write e.g. 30s, 500ms or 1m30s", name, value)
				}
			}
		}
	} else if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		msg = fmt.Sprintf("unknown flag --%s", name)
	}
	fmt.Fprintf(w, "ccload %s: %s; see 'ccload %s --help'\n", fs.Name(), msg, fs.Name())
}

// isDurationFlag reports whether f holds a time.Duration (the flag package's durationValue).
func isDurationFlag(f *flag.Flag) bool {
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return false
	}
	_, ok = g.Get().(time.Duration)
	return ok
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' {
			return false
		}
	}
	return true
}

// parseFlags parses fs quietly (the flag package would print its complaint and the whole
// usage) and leaves the answer to badFlag.
func parseFlags(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	return err
}

var errHelp = flag.ErrHelp

func isHelp(err error) bool { return errors.Is(err, errHelp) }

// newFlagSet is the one way a command makes its flag set: errors returned, not fatal, and the
// flag package's own output (kept quiet by parseArgs) going to stderr.
func newFlagSet(cmd string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// oneArg is parseArgs' check of a command taking exactly one positional argument: want is the
// complaint otherwise ("want exactly one SCENARIO.yaml").
func oneArg(want string) func(pos []string) string {
	return func(pos []string) string {
		if len(pos) != 1 {
			return want
		}
		return ""
	}
}

// badUsage answers bad positional arguments like badFlag: one line, then where the flags are.
func badUsage(w io.Writer, cmd, msg string) int {
	fmt.Fprintf(w, "ccload %s: %s; see 'ccload %s --help'\n", cmd, msg, cmd)
	return exitUsage
}

// checkWritable makes dir and proves a file can be created in it, so `run` refuses an --out it
// could not write before it sends anything, not after the whole run.
func checkWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".ccload-write-check-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// Errors: one voice for every command.

// pkgPrefix matches Go package prefixes ("runner: ", "report: junit: ") at the start of an
// error or of one of its lines; midPrefix the ones a wrapped error carries after a colon
// (scenario and mock are left there: they are also scenario keys, as in "f.yaml:3:1: mock: ...").
var (
	pkgPrefix = regexp.MustCompile(`(?m)^(?:ccload [a-z]+: |(?:runner|scenario|report|traffic|ccapi|gates|capacity|mock|metrics): )+`)
	midPrefix = regexp.MustCompile(`: (?:(?:runner|report|traffic|ccapi|gates|capacity|metrics): )+`)
)

// userMessage is an error as a user reads it: no "ccload CMD: " of its own (the caller adds
// it) and no Go package prefix.
func userMessage(err error) string {
	msg := pkgPrefix.ReplaceAllString(err.Error(), "")
	return midPrefix.ReplaceAllString(msg, ": ")
}

// printError is the one way a command prints an error: `ccload CMD: what is wrong; what to do`.
// An error of several lines (every problem of a scenario, say) gets the prefix on each line
// that is not an indented continuation.
func printError(w io.Writer, cmd string, err error) {
	msg := userMessage(err)
	if errors.Is(err, os.ErrNotExist) && !strings.Contains(msg, "check the path") {
		msg += "; check the path"
	}
	var b strings.Builder
	for _, line := range strings.Split(msg, "\n") {
		if line != "" && line[0] != ' ' && line[0] != '\t' {
			b.WriteString("ccload " + cmd + ": ")
		}
		b.WriteString(line + "\n")
	}
	io.WriteString(w, b.String())
}

// writeProblems lists a log's bad lines (traffic.Stats.WriteProblems) as errors of cmd, each
// line starting "ccload CMD: ".
func writeProblems(w io.Writer, cmd string, st traffic.Stats, path string) {
	var b strings.Builder
	st.WriteProblems(&b, path)
	if b.Len() > 0 {
		printError(w, cmd, errors.New(strings.TrimSuffix(b.String(), "\n")))
	}
}

// failf prints like printError and returns code, so a command ends with `return failf(...)`.
func failf(w io.Writer, cmd string, code int, format string, a ...any) int {
	printError(w, cmd, fmt.Errorf(format, a...))
	return code
}

// Shared flags: the same spelling and meaning in every command that has them.

// addProgressFlag defines --no-progress for the commands that send load (run, replay, capacity).
func addProgressFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("no-progress", false, "no progress bars; print a status line every 5 s instead")
}

// addOutDirFlag defines --out DIR, where a command that writes several files puts them.
func addOutDirFlag(fs *flag.FlagSet, usage string) *string {
	return fs.String("out", "", usage)
}

// addOutputFlag defines -o and --output FILE (one value, two spellings) for a command that writes
// one file, and the old spellings given in aliases as further names of it.
func addOutputFlag(fs *flag.FlagSet, usage string, aliases ...string) *string {
	p := new(string)
	fs.StringVar(p, "o", "", usage)
	fs.StringVar(p, "output", "", "same as -o")
	for _, a := range aliases {
		fs.StringVar(p, a, "", "same as -o (older spelling)")
	}
	return p
}

// setUsage gives fs the help layout every command shares: the command's text (Usage line,
// what it does, exit codes, ending "Flags:"), then its flags, one per entry, as the flag
// package lists them.
func setUsage(fs *flag.FlagSet, text string) {
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, text)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n == 0 {
			fmt.Fprintln(w, "  (none besides -h, --help)")
			return
		}
		fs.PrintDefaults()
	}
}

// checkStartAt refuses a --start-at instant already past for a single process: it has nothing
// to line up with, so the instant is a mistake. A shard (--shard I/N, N > 1) whose pod started
// late begins at once, as deploy/README.md promises, and says so here (its report warns too).
func checkStartAt(at, now time.Time, sharded bool, given, cmd string, stderr io.Writer) error {
	if !at.Before(now.Add(-time.Second)) { // a second's slack: "0s", or an instant truncated to the second
		return nil
	}
	if sharded {
		fmt.Fprintf(stderr, "ccload %s: --start-at %s passed %s ago: this shard begins at once, behind the others\n", cmd, given, now.Sub(at).Round(time.Millisecond))
		return nil
	}
	return fmt.Errorf("--start-at %s is in the past (now is %s): give a later time, or a duration from now (30s)", given, now.UTC().Format(time.RFC3339))
}

// parseStartAt reads --start-at: an RFC 3339 instant, or a duration (>= 0) from now.
func parseStartAt(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(d), nil
	}
	return time.Time{}, fmt.Errorf("--start-at %q: want an RFC 3339 time (2026-12-02T14:05:00Z) or a duration from now (30s)", s)
}

// givenFlags are the names of the flags set on the command line.
func givenFlags(fs *flag.FlagSet) map[string]bool {
	m := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { m[f.Name] = true })
	return m
}

// checkLoadFlags refuses the negative or zero values of run's and replay's load flags that make
// no sense, naming the flag (the caller exits 2 before anything is sent). A flag not given is
// not checked: its default stands.
func checkLoadFlags(fs *flag.FlagSet) error {
	given := givenFlags(fs)
	var errs []error
	if f := fs.Lookup("max-rps"); f != nil && given["max-rps"] {
		if v, _ := f.Value.(flag.Getter).Get().(float64); v < 0 {
			errs = append(errs, fmt.Errorf("--max-rps %v: want a positive requests/s ceiling, or leave it out for none", v))
		}
	}
	if f := fs.Lookup("grace"); f != nil && given["grace"] {
		if v, _ := f.Value.(flag.Getter).Get().(time.Duration); v < 0 {
			errs = append(errs, fmt.Errorf("--grace %s: must not be negative; 0 cuts the running sessions at once", v))
		}
	}
	if f := fs.Lookup("duration"); f != nil && given["duration"] {
		if v, _ := f.Value.(flag.Getter).Get().(time.Duration); v <= 0 {
			errs = append(errs, fmt.Errorf("--duration %s: want a positive duration, e.g. 30s (leave it out to play the whole plan)", v))
		}
	}
	return errors.Join(errs...)
}

// --target and --user-agent (run, replay, capacity).

// addUserAgentFlag defines --user-agent for run, replay and capacity, so a user can tag the
// generator's traffic in the target's logs without editing the scenario.
func addUserAgentFlag(fs *flag.FlagSet) *string {
	return fs.String("user-agent", "", "User-Agent header of every request (default: the scenario's target.user_agent, or ccload/<version>)")
}

// checkTargetFlags holds --target and --user-agent to the rules of the scenario's target.url and
// target.user_agent, naming the flag as the position, so a bad value is refused (exit 2) before
// anything is read or sent, and the message never echoes a password. It returns --target as
// the runner wants it ("" and "mock" pass unchanged).
func checkTargetFlags(target, userAgent string) (string, error) {
	if target != "" && target != "mock" {
		t, err := scenario.CheckTargetURL(target)
		if err != nil {
			return "", fmt.Errorf("--target: %w", err)
		}
		target = t
	}
	if err := ccapi.CheckUserAgent(userAgent); err != nil {
		return "", fmt.Errorf("--user-agent: %w", err)
	}
	return target, nil
}

// applyUserAgent makes --user-agent, when given, override the scenario's target.user_agent.
func applyUserAgent(sc *scenario.Scenario, userAgent string) {
	if userAgent != "" {
		sc.Target.UserAgent = userAgent
	}
}

// The live-metrics flags (run, replay, capacity).

// metricsFlags are the live-metrics flags shared by every command that sends load.
type metricsFlags struct {
	addr        *string
	remoteWrite *string
	interval    *time.Duration
	dashboard   *string
}

// addMetricsFlags registers --metrics-addr, --metrics-remote-write and --metrics-push-interval on fs.
func addMetricsFlags(fs *flag.FlagSet) *metricsFlags {
	return &metricsFlags{
		addr:        fs.String("metrics-addr", "", "serve live Prometheus metrics on `host:port`/metrics during the run, e.g. 127.0.0.1:9464"),
		remoteWrite: fs.String("metrics-remote-write", "", "push the live metrics to this Prometheus remote-write `URL` periodically and once more at exit"),
		interval:    fs.Duration("metrics-push-interval", metrics.DefaultPushInterval, "how often --metrics-remote-write pushes"),
		dashboard:   fs.String("dashboard", "", "serve a live dashboard of the run on http://`host:port`/ (charts updated every second), e.g. 127.0.0.1:8089"),
	}
}

// liveMetrics is a started exporter: its Observer goes into runner.Config, stop runs after the run.
type liveMetrics struct {
	obs    record.Observer
	srv    *metrics.Server
	rw     *metrics.RemoteWriter
	dash   *dashboard.Server // --dashboard (dashboard_flags.go)
	stderr io.Writer
}

// start validates the flags and starts what they ask for; an error is bad usage (exit 2, nothing sent).
// It returns nil when no metrics flag is set.
func (m *metricsFlags) start(cmd, shard string, stderr io.Writer) (*liveMetrics, error) {
	if *m.addr == "" && *m.remoteWrite == "" && *m.dashboard == "" {
		return nil, nil
	}
	if *m.addr == "" && *m.remoteWrite == "" {
		return startDashboardOnly(m, cmd, stderr)
	}
	if *m.interval <= 0 {
		return nil, fmt.Errorf("%s: --metrics-push-interval %s: want a positive interval, e.g. %s", cmd, *m.interval, metrics.DefaultPushInterval)
	}
	exp := metrics.New(shard)
	lm := &liveMetrics{obs: exp, stderr: stderr}
	if *m.remoteWrite != "" {
		rw, err := metrics.NewRemoteWriter(*m.remoteWrite, *m.interval, exp.Gatherer(), func(f string, a ...any) {
			fmt.Fprintf(stderr, f+"\n", a...)
		})
		if err != nil {
			return nil, fmt.Errorf("%s: --metrics-remote-write: %v", cmd, err)
		}
		lm.rw = rw
	}
	if *m.addr != "" {
		if _, _, err := net.SplitHostPort(*m.addr); err != nil {
			return nil, fmt.Errorf("%s: --metrics-addr %q: want host:port, e.g. 127.0.0.1:9464", cmd, *m.addr)
		}
		srv, err := metrics.Serve(*m.addr, exp)
		if err != nil {
			return nil, fmt.Errorf("%s: --metrics-addr: %v (pick a free port)", cmd, err)
		}
		lm.srv = srv
		fmt.Fprintf(stderr, "ccload: serving live metrics on http://%s/metrics\n", srv.Addr())
	}
	if err := lm.startDashboard(*m.dashboard, cmd); err != nil {
		if lm.srv != nil {
			_, _ = lm.srv.Close(context.Background())
		}
		return nil, err
	}
	if lm.rw != nil {
		lm.rw.Start()
	}
	return lm, nil
}

// observer is nil-safe: a command without metrics flags passes a nil Observer.
func (lm *liveMetrics) observer() record.Observer {
	if lm == nil {
		return nil
	}
	return dashboard.Join(lm.obs, lm.dashObserver())
}

// stop flushes the last values: one final remote-write push, and a wait for a last scrape of
// --metrics-addr (bounded by metrics.MaxFinalWait) so Prometheus sees the final counts.
func (lm *liveMetrics) stop() {
	if lm == nil {
		return
	}
	lm.stopDashboard()
	if lm.rw != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := lm.rw.Stop(ctx); err == nil {
			fmt.Fprintln(lm.stderr, "ccload: final metrics pushed")
		}
		cancel()
	}
	if lm.srv != nil {
		if w := lm.srv.FinalWait(); w > 0 {
			fmt.Fprintf(lm.stderr, "ccload: waiting up to %s for a last scrape of /metrics\n", w.Round(time.Second))
		}
		ctx, cancel := context.WithTimeout(context.Background(), metrics.MaxFinalWait)
		_, _ = lm.srv.Close(ctx)
		cancel()
	}
}
