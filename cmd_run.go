package main

import (
	"context"
	"errors"
	"fmt"
	"io"

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
	fs := newFlagSet("run", stderr)
	load := addLoadFlags(fs, loadUsage{
		target:   "base `URL` of the platform, or mock for the embedded mock (default: the scenario's target)",
		out:      "output `dir` (default ./ccload-out/<scenario>-<YYYYmmdd-HHMMSS>)",
		duration: "cut or extend the stages to this long; the last level holds (default: the stages' length)",
		grace:    "how long running sessions may finish after arrivals stop; 0 cuts them at once (default: the scenario's longest await + longest think + one request timeout)",
		seed:     "seed of every random choice (default: the scenario's seed, or one picked and reported)",
		maxRPS:   "ceiling on this process's requests per second across all customers (default: the scenario's target.max_rps, or none)",
		shard:    "run only slice `I/N` of the arrivals and customers (merge the shards with ccload merge)",
		startAt:  "begin the schedule at `TIME`: RFC 3339 (2026-12-02T14:05:00Z) or a duration from now (30s); shards need the RFC 3339 form to line up",
	})
	webhookListen := fs.String("webhook-listen", "", "push mode: the webhook receiver's `HOST:PORT` (default: the scenario's webhook.listen, or a free loopback port)")
	setUsage(fs, runUsage)
	pos, code, done := parseArgs(fs, args, stdout, oneArg("want exactly one SCENARIO.yaml"))
	if done {
		return code
	}
	cfg, errs := load.check(fs, stderr)
	if err := errors.Join(errs...); err != nil {
		printError(stderr, "run", err)
		return exitUsage
	}
	cfg.Duration, cfg.Grace, cfg.WebhookListen = *load.duration, *load.grace, *webhookListen
	graceGiven := givenFlags(fs)["grace"]
	if graceGiven && *load.grace <= 0 {
		cfg.Grace = -1 // given as 0: none
	}

	sc, err := scenario.LoadFile(pos[0])
	if err != nil {
		printError(stderr, "run", err)
		return exitUsage
	}
	applyUserAgent(sc, *load.userAgent)
	if cfg.Shard.N > 1 && *load.seed == 0 && sc.Seed == 0 {
		fmt.Fprintf(stderr, "ccload run: %s: --shard %s needs the same seed on every shard, and the scenario has no seed: add `seed: N` to it or pass the same --seed to every shard\n", pos[0], cfg.Shard)
		return exitUsage
	}
	if !graceGiven {
		cfg.Grace = runner.DefaultGraceFor(sc)
	}
	return load.play(ctx, "run", sc, pos[0], cfg, nil, nil, stdout, stderr)
}
