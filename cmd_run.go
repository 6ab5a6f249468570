package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vbauerster/cupwriter"

	"ccload/mock"
	"ccload/report"
	"ccload/runner"
	"ccload/scenario"
)

const runUsage = `Usage: ccload run SCENARIO.yaml [flags]

Plays the scenario against its target and writes report.json (and junit.xml,
report.html, timeseries.csv) to the output directory. With no target in the
scenario, or --target mock, it starts the embedded mock on a free loopback port.

Stopping: when the stages end, arrivals stop and running sessions get --grace to
finish. Ctrl-C (SIGINT/SIGTERM/SIGHUP) does the same at once; a second Ctrl-C cancels
every session. The report is written in every case and says how the run ended.

Exit codes: 0 done; 1 a threshold failed (or aborted the run); 2 bad usage or an
invalid scenario (nothing sent); 3 target unreachable, a unique data feeder ran
out of rows, or run interrupted.

Flags:
`

// cmdRun is `ccload run`: it loads the scenario, picks the target (starting the embedded mock
// when needed), runs it with the runner package and prints the summary.
func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("target", "", "base `URL` of the platform, or mock for the embedded mock (default: the scenario's target)")
	out := fs.String("out", "", "output `dir` (default ./ccload-out/<scenario>-<YYYYmmdd-HHMMSS>)")
	duration := fs.Duration("duration", 0, "cut or extend the stages to this long; the last level holds (default: the stages' length)")
	grace := fs.Duration("grace", runner.DefaultGrace, "how long running sessions may finish after arrivals stop")
	noProgress := fs.Bool("no-progress", false, "no progress bars; print a status line every 5 s instead")
	seed := fs.Int64("seed", 0, "seed of every random choice (default: the scenario's seed, or one picked and reported)")
	shard := fs.String("shard", "", "run only slice `I/N` of the arrivals and customers (merge the shards with ccload merge)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), runUsage)
		fs.PrintDefaults()
	}
	pos, code, done := parseArgs(fs, args, stdout, func(pos []string) string {
		if len(pos) != 1 {
			return "want exactly one SCENARIO.yaml"
		}
		return ""
	})
	if done {
		return code
	}
	var err error
	cfg := runner.Config{Duration: *duration, Grace: *grace, Seed: *seed, Stdout: stdout, Stderr: stderr}
	if *grace <= 0 {
		cfg.Grace = -1
	}
	if *shard != "" {
		if cfg.Shard, err = runner.ParseShard(*shard); err != nil {
			fmt.Fprintln(stderr, "ccload run:", err)
			return exitUsage
		}
	}
	if *duration < 0 {
		fmt.Fprintln(stderr, "ccload run: --duration must not be negative")
		return exitUsage
	}

	sc, err := scenario.LoadFile(pos[0])
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	cfg.Scenario = sc

	cfg.BaseURL = *target
	if cfg.BaseURL == "" {
		cfg.BaseURL = sc.Target.URL
	}
	if cfg.BaseURL == "" || cfg.BaseURL == "mock" {
		opts, err := mockOptions(sc.Mock)
		if err != nil {
			fmt.Fprintf(stderr, "%s: mock: %v\n", pos[0], err)
			return exitUsage
		}
		srv, err := mock.NewServer(opts)
		if err != nil {
			fmt.Fprintln(stderr, "ccload run: starting the embedded mock:", err)
			return exitAborted
		}
		defer srv.Close()
		cfg.BaseURL = srv.URL()
		if a := sc.Auth; a.AppKey == "" && a.AccessToken == "" {
			// The mock accepts any credentials; a scenario written for it needs none.
			withAuth := *sc
			withAuth.Auth.AppKey, withAuth.Auth.AppSecret = "ccload-mock", "ccload-mock"
			cfg.Scenario = &withAuth
		}
		fmt.Fprintf(stderr, "ccload: running against the embedded mock at %s\n", cfg.BaseURL)
	}

	cfg.Out = *out
	if cfg.Out == "" {
		cfg.Out = filepath.Join("ccload-out", safeName(sc.Name)+"-"+time.Now().Format("20060102-150405"))
	}
	if err := checkWritable(cfg.Out); err != nil {
		fmt.Fprintf(stderr, "ccload run: --out %s cannot be written (%v); nothing was sent\n", cfg.Out, err)
		return exitUsage
	}
	cfg.Progress = runner.ProgressLines
	if !*noProgress && isTerminal(stderr) && os.Getenv("NO_COLOR") == "" { // NO_COLOR: no escape sequences at all
		cfg.Progress = runner.ProgressBars
	}

	// main's context ends at the first signal (graceful stop); a second one cancels everything.
	kill := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	go func() {
		n := 0
		for range sigs {
			if n++; n == 2 {
				fmt.Fprintln(stderr, "ccload: second signal: cancelling every session")
				close(kill)
				return
			}
			fmt.Fprintf(stderr, "ccload: stopping: arrivals ended, sessions get %s to finish (signal again to cancel them)\n", cfg.Grace)
		}
	}()
	cfg.Kill = kill

	rep, err := runner.Run(ctx, cfg)
	if rep == nil {
		fmt.Fprintln(stderr, "ccload run:", err)
		return exitUsage
	}
	if err != nil {
		fmt.Fprintln(stderr, "ccload run: writing the report:", err)
		return exitAborted
	}
	fmt.Fprintf(stdout, "\nreport: %s\n", filepath.Join(cfg.Out, report.FileName))
	return exitCode(rep)
}

// exitCode maps how a run ended to the CLI contract.
func exitCode(rep *report.Report) int {
	switch {
	case rep.StopReason == runner.StopUnreachable:
		return exitAborted
	case strings.HasPrefix(rep.StopReason, runner.StopDataExhausted):
		return exitAborted // the run could not play what the scenario asked, whatever it measured
	case strings.HasPrefix(rep.StopReason, runner.StopAborted):
		return exitFailed
	case rep.Interrupted:
		return exitAborted
	}
	for _, t := range rep.Thresholds {
		if !t.Pass {
			return exitFailed
		}
	}
	return exitOK
}

// mockOptions overlays the scenario's `mock:` settings on the mock's defaults.
func mockOptions(ms *scenario.MockSettings) (mock.Options, error) {
	o := mock.DefaultOptions()
	if ms == nil {
		return o, nil
	}
	var err error
	if ms.Latency != "" {
		if o.DefaultLatency, err = mock.ParseDist(ms.Latency); err != nil {
			return o, fmt.Errorf("latency: %w", err)
		}
	}
	if ms.HandleTime != "" {
		if o.HandleTime, err = mock.ParseDist(ms.HandleTime); err != nil {
			return o, fmt.Errorf("handle_time: %w", err)
		}
	}
	if ms.Stall != "" {
		s, p, ok := strings.Cut(ms.Stall, "/")
		var e1, e2 error
		o.Stall, e1 = time.ParseDuration(s)
		o.StallEvery, e2 = time.ParseDuration(p)
		if !ok || e1 != nil || e2 != nil || o.Stall <= 0 || o.StallEvery <= o.Stall {
			return o, fmt.Errorf("stall %q: want HOLD/EVERY, e.g. 1s/10s (hold shorter than every)", ms.Stall)
		}
	}
	setDur := func(dst *time.Duration, v time.Duration) {
		if v > 0 {
			*dst = v
		}
	}
	setDur(&o.RobotDelay, ms.RobotDelay)
	setDur(&o.AgentReplyDelay, ms.AgentReplyDelay)
	setDur(&o.SessionTimeout, ms.SessionTimeout)
	setDur(&o.TokenLifetime, ms.TokenLifetime)
	setDur(&o.CCTokenLifetime, ms.CCTokenLifetime)
	if ms.Agents > 0 {
		o.Agents = ms.Agents
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"error_rate", ms.ErrorRate}, {"drop_rate", ms.DropRate}, {"malformed_rate", ms.MalformedRate}} {
		if r.v < 0 || r.v > 1 {
			return o, fmt.Errorf("%s %v: want a share between 0 and 1", r.name, r.v)
		}
	}
	o.ErrorRate, o.DropRate, o.MalformedRate = ms.ErrorRate, ms.DropRate, ms.MalformedRate
	if ms.ErrorKind != "" {
		o.ErrorKind = ms.ErrorKind
	}
	if ms.Capacity < 0 {
		return o, fmt.Errorf("capacity %v: want requests per second >= 0", ms.Capacity)
	}
	o.Capacity = ms.Capacity
	return o, nil
}

// safeName turns a scenario name into a directory name.
func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '-'
	}, s)
	if s == "" || s == "." || s == ".." {
		return "run"
	}
	return s
}

// isTerminal reports whether w is a terminal where progress bars can redraw: a character
// device with a known width (a pseudo-terminal of width 0 would show nothing).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	width, _, err := cupwriter.New(f, false).GetTermSize()
	return err == nil && width > 0
}
