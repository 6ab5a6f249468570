package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"ccload/capacity"
	"ccload/render"
	"ccload/report"
	"ccload/runner"
	"ccload/scenario"
)

// cmdCapacity is `ccload capacity`: flags to capacity.Options, the embedded mock when needed,
// the search, then the console summary and the reports (the search renders nothing).
func cmdCapacity(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("capacity", stderr)
	var o capacity.Options
	load := addLoadFlags(fs, loadUsage{
		target:       "base `URL` of the platform, or mock for the embedded mock (default: the scenario's target)",
		out:          "output `dir` (default ./ccload-out/<scenario>-capacity-<YYYYmmdd-HHMMSS>)",
		grace:        "how long a step's sessions may finish after it ends; then they are cut and disconnected (0: at once)",
		graceDefault: capacity.DefaultGrace,
		seed:         "seed of the first step (each step adds its number; default: the scenario's)",
		maxRPS:       "ceiling on this process's requests per second in every step (default: the scenario's target.max_rps, or none); a ceiling under the target's capacity makes the search measure it",
		duration:     "not for capacity: each step's length is --warmup and --window, the whole search's --budget",
		startAt:      "begin the search at `TIME`: RFC 3339 (2026-12-02T14:05:00Z) or a duration from now (30s)",
		shard:        "not for capacity: a search is adaptive and runs in one process (see docs/capacity.md)",
	})
	slo := fs.String("slo", "", "the SLO in the thresholds' language, comma-separated (default: the scenario's thresholds)")
	fs.BoolVar(&o.Customers, "customers", false, "search the concurrently connected customers (closed model) instead of the session rate")
	fs.Float64Var(&o.StartRate, "start", 0, "first step's level, sessions/s or customers (default: the scenario's own peak load)")
	fs.Float64Var(&o.MaxRate, "max-rate", 0, "the highest level the search may ask of the target (default 10000 sessions/s, 1000000 customers)")
	precision := fs.String("precision", "5%", "stop bisecting when the bracket is within this share of its low end")
	fs.DurationVar(&o.Warmup, "warmup", capacity.DefaultWarmup, "start of every step that is discarded")
	fs.DurationVar(&o.Window, "window", capacity.DefaultWindow, "measured window of a step near the knee")
	fs.DurationVar(&o.ShortWindow, "short-window", capacity.DefaultShortWindow, "measured window of a step far from the knee")
	fs.Int64Var(&o.MinRequests, "min-requests", capacity.DefaultMinRequests, "requests a window near the knee holds (it is measured longer until it does)")
	fs.DurationVar(&o.Budget, "budget", capacity.DefaultBudget, "time bound of the whole search; on expiry the best bracket is reported")
	fs.DurationVar(&o.Cooldown, "cooldown", capacity.DefaultCooldown, "pause after a step that broke the SLO; then the search waits until the target's backlog drains")
	fs.DurationVar(&o.MaxLag, "max-lag", capacity.DefaultMaxLag, "scheduler lag p99 above which the generator, not the target, is the limit")
	maxCPU := fs.String("max-cpu", "90%", "share of GOMAXPROCS CPUs above which the generator is the limit")
	maxMem := fs.String("max-memory", "80%", "share of the machine's memory above which the generator is the limit")
	surge := fs.String("surge", "50%", "window error rate that ends the search at once")
	require := fs.String("require", "", "level the target must sustain for junit.xml and the exit code, e.g. 500/s or 2000 (customers)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), capacityUsage)
		fs.PrintDefaults()
	}
	pos, code, done := parseArgs(fs, args, stdout, oneArg("want exactly one SCENARIO.yaml"))
	if done {
		return code
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "ccload capacity: "+format+"\n", a...)
		return exitUsage
	}
	cfg, errs := load.check(fs, stderr)
	given := givenFlags(fs)
	errs = append(errs, capacityRefusals(given, *load.shard)...)
	if err := errors.Join(errs...); err != nil {
		printError(stderr, "capacity", err)
		return exitUsage
	}
	target, out, noProgress, mflags, hist := load.target, load.out, load.noProgress, load.metrics, load.hist
	o.Grace, o.Seed, o.MaxRPS = *load.grace, cfg.Seed, cfg.MaxRPS
	if given["grace"] && o.Grace <= 0 {
		o.Grace = -1 // given as 0: none, as run's (Options' zero means the default)
	}
	var err error
	if msg := capacityShares(&o, *precision, *maxCPU, *maxMem, *surge, *require); msg != "" {
		return bad("%s", msg)
	}
	// parseArgs refused, naming the flag, a negative --start, --max-rate or duration, a
	// --min-requests under 1, and a zero --grace, --warmup, --window, --short-window, --budget
	// or --max-lag (numeric_flags.go).
	if o.Cooldown == 0 {
		o.Cooldown = -1 // none, as asked (Options' zero means the default)
	}

	sc, err := scenario.LoadFile(pos[0])
	if err != nil {
		printError(stderr, "capacity", err)
		return exitUsage
	}
	applyUserAgent(sc, *load.userAgent)
	if o.SLO, err = capacitySLO(sc, pos[0], *slo); err != nil {
		printError(stderr, "capacity", err)
		return exitUsage
	}
	if sc.Load.Model == scenario.Closed && !o.Customers {
		return bad("%s: %v", pos[0], capacity.ErrClosedModel)
	}
	o.Scenario = sc
	o.BaseURL = *target
	if o.BaseURL == "" {
		o.BaseURL = sc.Target.URL
	}
	if o.BaseURL == "" || o.BaseURL == "mock" {
		url, withAuth, stop, code := startEmbeddedMock(sc, pos[0], "ccload capacity", stderr)
		if stop == nil {
			return code
		}
		defer stop()
		o.BaseURL, o.Scenario = url, withAuth
		fmt.Fprintf(stderr, "ccload: searching against the embedded mock at %s (it shares this machine's CPUs)\n", o.BaseURL)
	}
	dir := capacityOutDir(*out, sc.Name)
	o.Log = stderr
	o.Stderr = stderr
	o.Progress = runner.ChooseProgress(*noProgress, isTerminal(stderr), os.Getenv)
	live, lerr := mflags.start("ccload capacity", "0/1", stderr)
	if lerr != nil {
		printError(stderr, "capacity", lerr)
		return exitUsage
	}
	defer live.stop()
	o.Observer = live.observer()
	live.describe(sc.Name, o.SLO)
	o.Log = live.stepLog(stderr)

	if code := hist.start(ctx, nil, stderr); code != exitOK {
		return code
	}
	if !waitStartAt(ctx, cfg.StartAt, stderr) {
		return hist.done(nil, exitAborted)
	}
	res, err := capacity.Run(ctx, o)
	if err != nil {
		printError(stderr, "capacity", err)
		return exitUsage
	}
	rep := res.Report
	live.finish(rep)
	werr := render.WriteCapacity(stdout, rep.Capacity)
	if werr == nil {
		werr = writeCapacityReports(dir, res)
	}
	if werr != nil {
		fmt.Fprintln(stderr, "ccload capacity: writing the report:", werr)
		return exitAborted
	}
	fmt.Fprintf(stdout, "\nreport: %s\n", filepath.Join(dir, report.FileName))
	return hist.done(rep, capacityExit(rep.Capacity))
}
