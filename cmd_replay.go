package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"ccload/runner"
	"ccload/scenario"
	"ccload/traffic"
)

// cmdReplay plays the sessions of a traffic log against a target, keeping their order and gaps.
func cmdReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var lf logFlags
	lf.register(fs)
	var ro traffic.ReplayOptions
	fs.Float64Var(&ro.Speed, "speed", 1, "divide every gap and arrival time by this (2: twice as fast)")
	fs.DurationVar(&ro.From, "from", 0, "replay the sessions starting this long after the log's first session or later")
	fs.DurationVar(&ro.To, "to", 0, "... and before this long after it (0: to the end)")
	fs.IntVar(&ro.Scale, "scale", 1, "play each session this many times with fresh identities, copies spread evenly over the window")
	fs.BoolVar(&ro.KeepContent, "keep-content", false, "send the logged from and content (default: fresh ids, random text of the same length, placeholder cards and media)")
	base := fs.String("scenario", "", "a scenario whose target, auth, channel, thresholds and mock sections the replay uses (default: the embedded mock)")
	target := fs.String("target", "", "base `URL` of the platform, or mock (overrides --scenario's target)")
	userAgent := addUserAgentFlag(fs)
	out := fs.String("out", "", "output `dir` (default ./ccload-out/replay-<YYYYmmdd-HHMMSS>)")
	grace := fs.Duration("grace", runner.DefaultGrace, "how long running sessions may finish after the last arrival")
	noProgress := fs.Bool("no-progress", false, "no progress bars; print a status line every 5 s instead")
	mflags := addMetricsFlags(fs)
	shard := fs.String("shard", "", "replay only slice `I/N` of the logged sessions (merge the shards with ccload merge)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: ccload replay LOG [flags]\n\nPlays each session of a traffic log as a virtual customer: its requests in order, with their\ngaps, arriving at the logged times shifted to now. Writes the same outputs as ccload run, with\nlatency measured from each request's logged (intended) time. Exit codes as ccload run.\n\nFlags:")
		fs.PrintDefaults()
	}
	pos, code, done := parseArgs(fs, args, stdout, func(pos []string) string {
		if len(pos) != 1 {
			return "want one LOG"
		}
		return ""
	})
	if done {
		return code
	}
	var errs []error
	errs = append(errs, lf.check())
	if t, err := checkTargetFlags(*target, *userAgent); err != nil {
		errs = append(errs, err)
	} else {
		*target = t
	}
	if ro.Speed <= 0 {
		errs = append(errs, fmt.Errorf("--speed must be greater than 0, got %v", ro.Speed))
	}
	if ro.Scale < 1 {
		errs = append(errs, fmt.Errorf("--scale must be at least 1, got %d", ro.Scale))
	}
	if ro.Scale > 1 && ro.KeepContent {
		errs = append(errs, errors.New("--scale needs fresh identities: not with --keep-content"))
	}
	if ro.From < 0 || ro.To < 0 || (ro.To > 0 && ro.To <= ro.From) {
		errs = append(errs, fmt.Errorf("--from %s --to %s: want 0 <= from < to (to 0: the end)", ro.From, ro.To))
	}
	cfg := runner.Config{Grace: *grace, Stdout: stdout, Stderr: stderr}
	if *grace <= 0 {
		cfg.Grace = -1
	}
	if *shard != "" {
		var err error
		cfg.Shard, err = runner.ParseShard(*shard)
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(stderr, "ccload replay: %v\n", err)
		return exitUsage
	}
	rc, err := traffic.Open(pos[0], os.Stdin)
	if err != nil {
		fmt.Fprintf(stderr, "ccload replay: %v\n", err)
		return exitUsage
	}
	defer rc.Close()
	lf.o.KeepLines = ro.KeepContent
	var sessions []*traffic.Session
	st, err := traffic.Read(rc, lf.o, func(s *traffic.Session) { sessions = append(sessions, s) })
	st.WriteProblems(stderr, pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "ccload replay: %s: %v\n", pos[0], err)
		return exitUsage
	}
	plan, err := traffic.BuildReplay(sessions, ro)
	if err != nil {
		fmt.Fprintf(stderr, "ccload replay: %s: %v\n", pos[0], err)
		return exitUsage
	}
	data := plan.YAML
	dir := "."
	if *base != "" {
		extra, err := baseSections(*base)
		if err != nil {
			fmt.Fprintf(stderr, "ccload replay: --scenario: %v\n", err)
			return exitUsage
		}
		data = append(append(data, "# from --scenario "+*base+":\n"...), extra...)
		dir = filepath.Dir(*base)
	}
	sc, err := scenario.Parse("replay of "+pos[0], data, dir, os.LookupEnv)
	if err != nil {
		fmt.Fprintf(stderr, "ccload replay: the log cannot be replayed as logged (with --keep-content, fix these or drop the flag):\n%v\n", err)
		return exitUsage
	}
	if *userAgent != "" {
		sc.Target.UserAgent = *userAgent
	}
	for k, at := range plan.Arrivals {
		cfg.Plan = append(cfg.Plan, runner.Planned{At: at, Session: plan.Sessions[k]})
	}
	plan.WritePlanSummary(stderr)
	if *out == "" {
		*out = filepath.Join("ccload-out", "replay-"+time.Now().Format("20060102-150405"))
	}
	return execRun(ctx, "replay", mflags, sc, pos[0], cfg, *target, *out, *noProgress, stdout, stderr)
}
