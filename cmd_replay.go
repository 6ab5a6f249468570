package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"ccload/replay"
	"ccload/report"
	"ccload/runner"
	"ccload/traffic"
)

// cmdReplay plays the sessions of a traffic log against a target, keeping their order and gaps.
func cmdReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, lf := newLogFlagSet("replay", stderr)
	var ro traffic.ReplayOptions
	fs.Float64Var(&ro.Speed, "speed", 1, "divide every gap and arrival time by this (2: twice as fast)")
	fs.DurationVar(&ro.From, "from", 0, "replay the sessions starting this long after the log's first session or later")
	fs.DurationVar(&ro.To, "to", 0, "... and before this long after it (0: to the end)")
	fs.IntVar(&ro.Scale, "scale", 1, "play each session this many times with fresh identities, the copies interleaved evenly between it and the next session")
	fs.BoolVar(&ro.KeepContent, "keep-content", false, "send the logged from and content (default: fresh ids, random text of the same length, placeholder cards and media)")
	base := fs.String("scenario", "", "a scenario whose target, auth, channel, thresholds and mock sections the replay uses, and whose first session's poll the customers follow (default: the embedded mock, polling every 1s)")
	load := addLoadFlags(fs, loadUsage{
		target:       "base `URL` of the platform, or mock (overrides --scenario's target)",
		out:          "output `dir` (default ./ccload-out/replay-<YYYYmmdd-HHMMSS>)",
		grace:        "how long running sessions may finish after the last arrival",
		graceDefault: runner.DefaultGrace,
		seed:         "seed of every random choice (fresh identities and texts; default: one picked and reported)",
		maxRPS:       "ceiling on this process's requests per second across all customers (default: --scenario's target.max_rps, or none)",
		duration:     "replay only the sessions arriving within this long of the start (the log window from --from, at --speed, as --to would); running sessions then get --grace (default: the whole log)",
		startAt:      "begin the replay at `TIME`: RFC 3339 (2026-12-02T14:05:00Z) or a duration from now (30s), so shards line up",
		shard:        "replay only slice `I/N` of the logged sessions (merge the shards with ccload merge)",
	})
	setUsage(fs, "Usage: ccload replay LOG [flags]\n\nPlays each session of a traffic log as a virtual customer: its requests in order, with their\ngaps, arriving at the logged times shifted to now. Writes the same outputs as ccload run, with\nlatency measured from each request's logged (intended) time.\n\nExit codes: as ccload run (0 done, 1 a threshold failed, 2 bad usage or a log refused, 3 unreachable,\ninterrupted, or the whole log not played).\n\nFlags:\n")
	pos, code, done := parseArgs(fs, args, stdout, oneArg("want one LOG"))
	if done {
		return code
	}
	cfg, errs := load.check(fs, stderr)
	errs = append([]error{lf.check(), ro.Check()}, errs...)
	if cfg.Grace = *load.grace; *load.grace <= 0 {
		cfg.Grace = -1
	}
	if err := errors.Join(errs...); err != nil {
		printError(stderr, "replay", err)
		return exitUsage
	}
	if d := *load.duration; d > 0 { // --duration bounds the replayed window: the log time it spans at --speed
		if to := ro.From + time.Duration(float64(d)*ro.Speed); ro.To == 0 || to < ro.To {
			ro.To = to
		}
	}
	rc, err := traffic.Open(pos[0], os.Stdin)
	if err != nil {
		printError(stderr, "replay", err)
		return exitUsage
	}
	defer rc.Close()
	lf.o.KeepLines = ro.KeepContent
	if ro.Poll, err = replay.Poll(*base); err != nil {
		printError(stderr, "replay", fmt.Errorf("--scenario: %w", err))
		return exitUsage
	}
	// The head scenario: target, auth, channel, thresholds and mock from --scenario.
	var extra []byte
	if *base != "" {
		if extra, err = traffic.BaseSections(*base); err != nil {
			printError(stderr, "replay", fmt.Errorf("--scenario: %w", err))
			return exitUsage
		}
	}
	sc, err := replay.Head(pos[0], *base, extra, os.LookupEnv)
	if err != nil {
		printError(stderr, "replay", err)
		return exitUsage
	}
	applyUserAgent(sc, *load.userAgent)
	src := replay.Start(rc, pos[0], lf.o, ro, sc)
	defer src.Stop()
	// Read ahead before anything is sent: a log that fits in the lookahead is checked whole
	// (bad lines, sessions that break the field rules) and refused with exit 2, as before.
	if !src.Prefill(ctx) {
		return exitAborted
	}
	if src.Finished() {
		st, err := src.Result()
		if err == nil && st.Invalid > 0 {
			err = fmt.Errorf("the log cannot be replayed as logged (with --keep-content, fix these or drop the flag):\n%v", st.FirstInvalid)
		}
		if err != nil {
			// Refused: what is wrong, line by line, so the log's owner can fix it. A log that is
			// replayed has its problems in the report instead, by line number only.
			writeProblems(stderr, "replay", st.Read, pos[0])
			printError(stderr, "replay", fmt.Errorf("%s: %w", pos[0], err))
			return exitUsage
		}
		cfg.SourceSpan = st.Window // the whole log is known: the progress display's total
	} else if ro.To > 0 {
		cfg.SourceSpan = time.Duration(float64(ro.To-ro.From) / ro.Speed)
	}
	cfg.Source = src
	// The report is finished only once the reader has stopped, so its replay section holds the
	// log's final counts, even when the run was stopped first (then the counts so far).
	late := ""
	finish := func(rep *report.Report) { late = src.Finish(rep, pos[0], ro) }
	if *load.out == "" {
		*load.out = filepath.Join("ccload-out", "replay-"+time.Now().Format("20060102-150405"))
	}
	return load.play(ctx, "replay", sc, pos[0], cfg, finish, func(code int) int {
		if late == "" {
			return code
		}
		// Found past the lookahead while the replay ran, or a reader that never ended: the run
		// did not play the whole log, or cannot tell that it did. Never a success.
		if late != replay.ErrReaderStuck {
			late = "the run did not play the whole log: " + late
		}
		fmt.Fprintf(stderr, "ccload replay: %s: %s (report.json replay.error)\n", pos[0], late)
		if code == exitOK {
			return exitAborted
		}
		return code
	}, stdout, stderr)
}
