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
	"ccload/render"
	"ccload/report"
	"ccload/runner"
	"ccload/scenario"
)

const runUsage = `Usage: ccload run SCENARIO.yaml [flags]

Plays the scenario against its target and writes report.json (and junit.xml,
report.html, timeseries.csv) to the output directory. With no target in the
scenario, or --target mock, it starts the embedded mock on a free loopback port.

Stopping: when the stages end, arrivals stop and running sessions get --grace to
finish; the ones still running then are cut (sessions.cut_by_grace, stop_reason
"grace cut"). Ctrl-C (SIGINT/SIGTERM/SIGHUP) does the same at once; a second Ctrl-C
cancels every session. Every customer still connected when its session is cut is
sent a DISCONNECT (within 2 s in all). The report is written in every case and says
how the run ended.

Exit codes: 0 done; 1 a threshold failed (or aborted the run); 2 bad usage or an
invalid scenario (nothing sent); 3 target unreachable, a unique data feeder ran
out of rows, run interrupted, or inconclusive (the generator, not the target,
was the limit, and only thresholds its delay can move failed).

Flags:
`

// cmdRun is `ccload run`: it loads the scenario, picks the target (starting the embedded mock
// when needed), runs it with the runner package and prints the summary.
func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("target", "", "base `URL` of the platform, or mock for the embedded mock (default: the scenario's target)")
	out := addOutDirFlag(fs, "output `dir` (default ./ccload-out/<scenario>-<YYYYmmdd-HHMMSS>)")
	duration := fs.Duration("duration", 0, "cut or extend the stages to this long; the last level holds (default: the stages' length)")
	grace := fs.Duration("grace", 0, "how long running sessions may finish after arrivals stop; 0 cuts them at once (default: the scenario's longest await + longest think + one request timeout)")
	noProgress := addProgressFlag(fs)
	seed := fs.Int64("seed", 0, "seed of every random choice (default: the scenario's seed, or one picked and reported)")
	maxRPS := fs.Float64("max-rps", 0, "ceiling on this process's requests per second across all customers (default: the scenario's target.max_rps, or none)")
	shard := fs.String("shard", "", "run only slice `I/N` of the arrivals and customers (merge the shards with ccload merge)")
	mflags := addMetricsFlags(fs)
	userAgent := addUserAgentFlag(fs)
	webhookListen := fs.String("webhook-listen", "", "push mode: the webhook receiver's `HOST:PORT` (default: the scenario's webhook.listen, or a free loopback port)")
	startAt := fs.String("start-at", "", "begin the schedule at `TIME`: RFC 3339 (2026-12-02T14:05:00Z) or a duration from now (30s); shards need the RFC 3339 form to line up")
	hist := addHistoryFlags(fs)
	setUsage(fs, runUsage)
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
	if *target, err = checkTargetFlags(*target, *userAgent); err != nil {
		printError(stderr, "run", err)
		return exitUsage
	}
	if err := checkLoadFlags(fs); err != nil {
		printError(stderr, "run", err)
		return exitUsage
	}
	cfg := runner.Config{Duration: *duration, Grace: *grace, Seed: *seed, Stderr: stderr, MaxRPS: *maxRPS}
	cfg.WebhookListen = *webhookListen
	graceGiven := false
	fs.Visit(func(f *flag.Flag) { graceGiven = graceGiven || f.Name == "grace" })
	if graceGiven && *grace <= 0 {
		cfg.Grace = -1 // given as 0: none
	}
	if *shard != "" {
		if cfg.Shard, err = runner.ParseShard(*shard); err != nil {
			printError(stderr, "run", err)
			return exitUsage
		}
	}
	if *startAt != "" {
		if cfg.StartAt, err = parseStartAt(*startAt, time.Now()); err == nil {
			err = checkStartAt(cfg.StartAt, time.Now(), cfg.Shard.N > 1, *startAt, "run", stderr)
		}
		if err != nil {
			printError(stderr, "run", err)
			return exitUsage
		}
		if _, relErr := time.ParseDuration(*startAt); relErr == nil && cfg.Shard.N > 1 {
			// A duration counts from each process's own start, so shards started apart would not line up.
			fmt.Fprintf(stderr, "ccload run: --start-at %s is relative to this process's start, so shards started apart begin apart; give every shard one RFC 3339 instant (--start-at $(date -u -d '+2 min' +%%Y-%%m-%%dT%%H:%%M:%%SZ))\n", *startAt)
			return exitUsage
		}
	}
	if *duration < 0 {
		fmt.Fprintln(stderr, "ccload run: --duration must not be negative")
		return exitUsage
	}

	sc, err := scenario.LoadFile(pos[0])
	if err != nil {
		printError(stderr, "run", err)
		return exitUsage
	}
	applyUserAgent(sc, *userAgent)
	if cfg.Shard.N > 1 && *seed == 0 && sc.Seed == 0 {
		fmt.Fprintf(stderr, "ccload run: %s: --shard %s needs the same seed on every shard, and the scenario has no seed: add `seed: N` to it or pass the same --seed to every shard\n", pos[0], cfg.Shard)
		return exitUsage
	}
	if !graceGiven {
		cfg.Grace = runner.DefaultGraceFor(sc)
	}
	var finish func(*report.Report)
	if code := hist.start(ctx, &finish, stderr); code != exitOK {
		return code
	}
	return hist.done(nil, execRun(ctx, "run", mflags, sc, pos[0], cfg, *target, *out, *noProgress, finish, stdout, stderr))
}

// execRun plays a loaded scenario with cfg (run's and replay's common path): the embedded
// mock when there is no target, the output directory, signals, the report and the exit code.
// finish, when set, is handed the finished report before it is written or summarised, so the
// command adds what only it knows once the run is over (replay: its log's accounting).
func execRun(ctx context.Context, command string, mflags *metricsFlags, sc *scenario.Scenario, file string, cfg runner.Config, target, out string, noProgress bool, finish func(*report.Report), stdout, stderr io.Writer) int {
	cfg.Scenario = sc

	shardLabel := "0/1"
	if cfg.Shard.N > 0 {
		shardLabel = cfg.Shard.String()
	}
	live, err := mflags.start("ccload "+command, shardLabel, stderr)
	if err != nil {
		printError(stderr, command, err)
		return exitUsage
	}
	defer live.stop()
	cfg.Observer = live.observer()
	live.describe(sc.Name, sc.Thresholds)

	cfg.BaseURL = target
	if cfg.BaseURL == "" {
		cfg.BaseURL = sc.Target.URL
	}
	if cfg.BaseURL != "" && cfg.BaseURL != "mock" && sc.Auth.AppKey == "" && sc.Auth.AccessToken == "" {
		if command == "replay" { // the log holds no credentials: they come from --scenario
			fmt.Fprintf(stderr, "ccload replay: the target %s needs credentials: give --scenario S.yaml with an auth: section (auth: {app_key: ${APP_KEY}, app_secret: ${APP_SECRET}}), or drop --target for the embedded mock; nothing was sent\n", scenario.RedactURL(cfg.BaseURL))
			return exitUsage
		}
		fmt.Fprintf(stderr, "ccload %s: %s has no auth: section, and the target %s needs credentials: add auth: {app_key: ${APP_KEY}, app_secret: ${APP_SECRET}} (or auth.access_token) to it, or drop --target for the embedded mock; nothing was sent\n", command, file, scenario.RedactURL(cfg.BaseURL))
		return exitUsage
	}
	pushURL, code := listenWebhook(&cfg, sc, command, stderr)
	if code != exitOK {
		return code
	}
	if cfg.BaseURL == "" || cfg.BaseURL == "mock" {
		url, withAuth, stop, code := startEmbeddedMock(sc, file, "ccload "+command, stderr, pushURL)
		if stop == nil {
			return code
		}
		defer stop()
		cfg.BaseURL, cfg.Scenario = url, withAuth
		fmt.Fprintf(stderr, "ccload: running against the embedded mock at %s\n", cfg.BaseURL)
	}

	if cfg.Scenario.Target.InsecureSkipVerify && strings.HasPrefix(cfg.BaseURL, "https://") {
		// Once per run: the target's identity is not checked, so the results may be another server's.
		fmt.Fprintf(stderr, "ccload %s: WARNING: target.insecure_skip_verify is set: the target's certificate is not verified (give its CA as target.ca_file instead)\n", command)
	}
	if out == "" {
		out = filepath.Join("ccload-out", safeName(sc.Name)+"-"+time.Now().Format("20060102-150405"))
	}
	if err := checkWritable(out); err != nil {
		fmt.Fprintf(stderr, "ccload %s: --out %s cannot be written (%v): pick a writable directory; nothing was sent\n", command, out, err)
		return exitUsage
	}
	cfg.Progress = runner.ChooseProgress(noProgress, isTerminal(stderr), os.Getenv)

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

	if d := time.Until(cfg.StartAt); d > 0 {
		fmt.Fprintf(stderr, "ccload: waiting %s, until %s (--start-at), to begin\n", d.Round(time.Millisecond), cfg.StartAt.UTC().Format(time.RFC3339Nano))
	}
	rep, err := runner.Run(ctx, cfg)
	live.finish(rep)
	if rep == nil {
		printError(stderr, command, err)
		return exitUsage
	}
	if finish != nil {
		finish(rep)
	}
	err = render.WriteDir(out, rep)
	if serr := render.WriteSummary(stdout, rep); err == nil {
		err = serr
	}
	if err != nil {
		printError(stderr, command, fmt.Errorf("writing the report: %w", err))
		return exitAborted
	}
	fmt.Fprintf(stdout, "\nreport: %s\n", filepath.Join(out, report.FileName))
	return exitCode(rep)
}

// exitCode maps how a run ended to the CLI contract.
func exitCode(rep *report.Report) int {
	switch report.ParseStop(rep.StopReason).Kind {
	case report.ReasonUnreachable:
		return exitAborted
	case report.ReasonDataExhausted:
		return exitAborted // the run could not play what the scenario asked, whatever it measured
	case report.ReasonAborted:
		return exitFailed
	}
	if rep.Interrupted {
		return exitAborted
	}
	for _, t := range rep.Thresholds {
		if t.Failed() {
			return exitFailed
		}
	}
	if report.Inconclusive(rep) {
		return exitAborted // inconclusive: the generator was the limit (report.json's generator_limit)
	}
	return exitOK
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

// startEmbeddedMock starts the scenario's embedded mock on a free loopback port for a command
// that sends load. It returns the mock's URL and the scenario to play (given placeholder
// credentials when it has none: the mock accepts any, and a scenario written for it needs
// none), and stop; when stop is nil the command ends with code, the error already printed.
//
// pushURL, when given, makes the mock push its downlink messages there (a push-mode scenario).
func startEmbeddedMock(sc *scenario.Scenario, file, cmd string, stderr io.Writer, pushURL ...string) (url string, withAuth *scenario.Scenario, stop func(), code int) {
	opts, err := mockOptions(sc.Mock)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s: mock: %s\n", cmd, file, userMessage(err))
		return "", nil, nil, exitUsage
	}
	// The scenario's static tokens stand for tokens the platform issued: the mock accepts them.
	opts.StaticAccessToken, opts.StaticCCToken = sc.Auth.AccessToken, sc.Auth.CCMessagingToken
	if sc.UsesPush() && (len(pushURL) == 0 || pushURL[0] == "") {
		fmt.Fprintf(stderr, "%s: %s cannot point the embedded mock at a push scenario's receiver; run `ccload mock --push http://HOST:PORT/webhooks/v1/messages`, give the scenario webhook: {listen: HOST:PORT}, and pass --target\n", file, cmd)
		return "", nil, nil, exitUsage
	}
	if len(pushURL) > 0 && pushURL[0] != "" {
		opts.PushURL = pushURL[0]
		if opts.PushChannels, err = embeddedPushChannels(sc); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", file, err)
			return "", nil, nil, exitUsage
		}
	}
	srv, err := mock.NewServer(opts)
	if err != nil {
		fmt.Fprintln(stderr, cmd+": starting the embedded mock:", userMessage(err))
		return "", nil, nil, exitAborted
	}
	withAuth = sc
	if a := sc.Auth; a.AppKey == "" && a.AccessToken == "" {
		c := *sc
		c.Auth.AppKey, c.Auth.AppSecret = "ccload-mock", "ccload-mock"
		withAuth = &c
	}
	return srv.URL(), withAuth, func() { srv.Close() }, exitOK
}
