// The flags run and replay share: where to send, how fast, where to write, which shard, when to
// begin, the live metrics and the history, declared and checked once for both commands.

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"ccload/report"
	"ccload/runner"
	"ccload/scenario"
)

// loadFlags are run's and replay's shared flags, as parsed.
type loadFlags struct {
	target, userAgent, out, shard, startAt *string
	grace, duration                        *time.Duration
	noProgress                             *bool
	seed                                   *int64
	maxRPS                                 *float64
	metrics                                *metricsFlags
	hist                                   *historyFlags
}

// loadUsage are the help texts (and --grace's default) where run's and replay's flags differ.
type loadUsage struct {
	target, out, grace, seed, maxRPS, duration, startAt, shard string
	graceDefault                                               time.Duration
}

// addLoadFlags defines the shared flags on fs, with the command's own help texts.
func addLoadFlags(fs *flag.FlagSet, u loadUsage) *loadFlags {
	return &loadFlags{
		target:     fs.String("target", "", u.target),
		userAgent:  addUserAgentFlag(fs),
		out:        addOutDirFlag(fs, u.out),
		grace:      fs.Duration("grace", u.graceDefault, u.grace),
		duration:   fs.Duration("duration", 0, u.duration),
		noProgress: addProgressFlag(fs),
		seed:       fs.Int64("seed", 0, u.seed),
		maxRPS:     fs.Float64("max-rps", 0, u.maxRPS),
		startAt:    fs.String("start-at", "", u.startAt),
		shard:      fs.String("shard", "", u.shard),
		metrics:    addMetricsFlags(fs),
		hist:       addHistoryFlags(fs),
	}
}

// check holds the shared flags to their rules, every problem at once, each naming its flag, and
// returns the runner.Config they make (seed, rate ceiling, shard, start) with --target made what
// the runner wants. --grace and --duration are left to the command: their meanings differ.
func (l *loadFlags) check(fs *flag.FlagSet, stderr io.Writer) (runner.Config, []error) {
	var errs []error
	if t, err := checkTargetFlags(*l.target, *l.userAgent); err != nil {
		errs = append(errs, err)
	} else {
		*l.target = t
	}
	errs = append(errs, checkLoadFlags(fs))
	cfg := runner.Config{Seed: *l.seed, Stderr: stderr, MaxRPS: *l.maxRPS}
	if *l.shard != "" {
		var err error
		cfg.Shard, err = runner.ParseShard(*l.shard)
		errs = append(errs, err)
	}
	if *l.startAt != "" {
		var err error
		if _, relErr := time.ParseDuration(*l.startAt); relErr == nil && cfg.Shard.N > 1 {
			// A duration counts from each process's own start, so shards started apart would not line up.
			err = fmt.Errorf("--start-at %s is relative to this process's start, so shards started apart begin apart; use an absolute --start-at, one RFC 3339 instant for every shard (--start-at $(date -u -d '+2 min' +%%Y-%%m-%%dT%%H:%%M:%%SZ))", *l.startAt)
		} else if cfg.StartAt, err = parseStartAt(*l.startAt, time.Now()); err == nil {
			err = checkStartAt(cfg.StartAt, time.Now(), cfg.Shard.N > 1, *l.startAt, fs.Name(), stderr)
		}
		errs = append(errs, err)
	}
	return cfg, errs
}

// play records into the history when one is named, plays sc with cfg (execRun) and returns the
// exit code; late, when given, may change the code once the run's report is written (replay: a
// log found bad after the run began), before the history records it.
func (l *loadFlags) play(ctx context.Context, cmd string, sc *scenario.Scenario, file string, cfg runner.Config, finish func(*report.Report), late func(code int) int, stdout, stderr io.Writer) int {
	if code := l.hist.start(ctx, &finish, stderr); code != exitOK {
		return code
	}
	code := execRun(ctx, cmd, l.metrics, sc, file, cfg, *l.target, *l.out, *l.noProgress, finish, stdout, stderr)
	if late != nil {
		code = late(code)
	}
	return l.hist.done(nil, code)
}
