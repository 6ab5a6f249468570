package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"ccload/capacity"
	"ccload/render"
	"ccload/report"
	"ccload/runner"
	"ccload/scenario"
)

const capacityUsage = `Usage: ccload capacity SCENARIO.yaml [flags]

Finds the highest open-model session arrival rate the target sustains under an
SLO, keeping the scenario's session mix; with --customers, the most
concurrently connected customers it holds (closed model: each customer lives
the scenario's sessions back to back, polling at the scenario's interval).

The search starts from --start (default: the scenario's own peak load), grows
(x4 while far under the SLO's limits, x2 nearer, capped by --max-rate) until
the SLO breaks, bisects until the bracket is within --precision, then measures
both ends again. Each step discards --warmup (with --customers: the ramp to the
count) and measures a window: --short-window far from the knee, --window near
it, longer until it holds --min-requests (a third far from the knee), at most
three times its plan, then it is judged on what it holds. A window ends early
when its verdict is certain (errors past --surge, a latency percentile at twice
its limit). The SLO is the scenario's thresholds, or --slo in the same
language: 'response_time.p99<300ms,error_rate<1%,step:ask service_time.p95<200ms'.

The search stops at once, naming the HTTP status and the target's message,
when 99% of a kind of request fail. A step is not judged when the generator
was the limit (scheduler lag p99 over --max-lag and over a tenth of the
response-time p99, arrivals dropped at max_customers, the process over
--max-cpu of its CPUs or --max-memory of the machine's): the search stops and
says so. After a step that broke the SLO the search pauses --cooldown.

Writes report.json (its capacity section holds every step, histograms
included), report.html (the curve with the bracket and the SLO's limit),
junit.xml (passes when --require was met) and steps/NN-LEVEL/ (each step's
own report).

Exit codes: 0 converged, or the SLO held up to --max-rate (and --require, when
given, was met); 1 the search converged below --require, or no level tried kept
the SLO; 2 bad usage or an invalid scenario or SLO (nothing sent); 3 the
generator was the limit, requests failed wholesale, the budget ran out, errors
surged, the boundary did not confirm, the target was unreachable, or interrupted.

Flags:
`

// cmdCapacity is `ccload capacity`: flags to capacity.Options, the embedded mock when needed,
// the search, then the console summary and the reports (the search renders nothing).
func cmdCapacity(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("capacity", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o capacity.Options
	target := fs.String("target", "", "base `URL` of the platform, or mock for the embedded mock (default: the scenario's target)")
	userAgent := addUserAgentFlag(fs)
	out := fs.String("out", "", "output `dir` (default ./ccload-out/<scenario>-capacity-<YYYYmmdd-HHMMSS>)")
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
	fs.DurationVar(&o.Grace, "grace", capacity.DefaultGrace, "how long a step's sessions may finish after it ends; then they are cut and disconnected")
	fs.DurationVar(&o.Cooldown, "cooldown", capacity.DefaultCooldown, "pause after a step that broke the SLO, so the target recovers")
	fs.DurationVar(&o.MaxLag, "max-lag", capacity.DefaultMaxLag, "scheduler lag p99 above which the generator, not the target, is the limit")
	maxCPU := fs.String("max-cpu", "90%", "share of GOMAXPROCS CPUs above which the generator is the limit")
	maxMem := fs.String("max-memory", "80%", "share of the machine's memory above which the generator is the limit")
	surge := fs.String("surge", "50%", "window error rate that ends the search at once")
	noProgress := addProgressFlag(fs)
	mflags := addMetricsFlags(fs)
	hist := addHistoryFlags(fs)
	require := fs.String("require", "", "level the target must sustain for junit.xml and the exit code, e.g. 500/s or 2000 (customers)")
	seed := fs.Int64("seed", 0, "seed of the first step (each step adds its number; default: the scenario's)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), capacityUsage)
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
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "ccload capacity: "+format+"\n", a...)
		return exitUsage
	}
	var err error
	if *target, err = checkTargetFlags(*target, *userAgent); err != nil {
		return bad("%v", err)
	}
	if o.Precision, err = parseShare(*precision); err != nil || o.Precision <= 0 || o.Precision >= 1 {
		return bad("--precision %q: want a share between 0 and 100%%, e.g. 5%%", *precision)
	}
	if o.MaxCPU, err = parseShare(*maxCPU); err != nil || o.MaxCPU <= 0 {
		return bad("--max-cpu %q: want a share, e.g. 90%%", *maxCPU)
	}
	if o.MaxMemory, err = parseShare(*maxMem); err != nil || o.MaxMemory <= 0 || o.MaxMemory > 1 {
		return bad("--max-memory %q: want a share between 0 and 100%%, e.g. 80%%", *maxMem)
	}
	if o.Surge, err = parseShare(*surge); err != nil || o.Surge <= 0 || o.Surge > 1 {
		return bad("--surge %q: want a share between 0 and 100%%, e.g. 50%%", *surge)
	}
	if *require != "" {
		v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(*require), "/s"), 64)
		if err != nil || v <= 0 {
			return bad("--require %q: want a session rate, e.g. 500/s (or a count of customers with --customers)", *require)
		}
		o.Require = v
	}
	if o.StartRate < 0 || o.MaxRate < 0 || o.Warmup <= 0 || o.Window <= 0 || o.ShortWindow <= 0 || o.MinRequests < 1 || o.Budget <= 0 || o.MaxLag <= 0 {
		return bad("--warmup, --window, --short-window, --min-requests, --budget and --max-lag must be positive, --start and --max-rate not negative")
	}
	if o.Cooldown == 0 {
		o.Cooldown = -1 // none, as asked (Options' zero means the default)
	}
	if o.Grace <= 0 {
		o.Grace = time.Nanosecond
	}
	o.Seed = *seed

	sc, err := scenario.LoadFile(pos[0])
	if err != nil {
		printError(stderr, "capacity", err)
		return exitUsage
	}
	applyUserAgent(sc, *userAgent)
	o.SLO = sc.Thresholds
	if *slo != "" {
		if o.SLO, err = scenario.ParseSLO(sc, *slo); err != nil {
			printError(stderr, "capacity", err)
			return exitUsage
		}
	}
	if len(o.SLO) == 0 {
		return bad("%s sets no thresholds: give the SLO with --slo 'response_time.p99<300ms,error_rate<1%%'", pos[0])
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
	dir := *out
	if dir == "" {
		dir = filepath.Join("ccload-out", safeName(sc.Name)+"-capacity-"+time.Now().Format("20060102-150405"))
	}
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

// writeCapacityReports writes the search's report and outputs into dir, and each step's own
// report and outputs into dir/steps/NN-LEVEL/.
func writeCapacityReports(dir string, res *capacity.Result) error {
	if err := render.WriteDir(dir, res.Report); err != nil {
		return err
	}
	for i, r := range res.Steps {
		if r == nil || i >= len(res.Report.Capacity.Steps) {
			continue
		}
		sdir := filepath.Join(dir, "steps", fmt.Sprintf("%02d-%s", i+1, report.FormatRate(res.Report.Capacity.Steps[i].Rate)))
		if err := render.WriteDir(sdir, r); err != nil {
			return err
		}
	}
	return nil
}

// capacityExit maps a search's end to the CLI contract.
func capacityExit(c *report.Capacity) int {
	switch {
	case c.Required > 0 && c.RequireMet:
		return exitOK
	case !c.Converged && c.Outcome != capacity.OutcomeNoSustainable:
		return exitAborted
	case c.Required > 0:
		return exitFailed
	case c.Outcome == capacity.OutcomeNoSustainable:
		return exitFailed
	}
	return exitOK
}
