package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"ccload/report"
	"ccload/traffic"
)

// cmdLogdiff compares two traffic logs and gates on how far apart they are, beyond the
// sampling noise of what each log holds.
func cmdLogdiff(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, lf := newLogFlagSet("logdiff", stderr)
	lim := traffic.DefaultDiffLimits
	bucket := fs.Duration("bucket", 0, "width of one point of the arrival curves (0: chosen from A, about 100 sessions per bucket and at least 4 buckets)")
	share := fs.String("max-share", "5%", "session-type shares at most this many points apart, beyond noise (0: not checked)")
	fs.Float64Var(&lim.KS, "max-ks", lim.KS, "two-sample KS distance of think times per transition, messages per session and durations, beyond the KS critical value (0: not checked)")
	median := fs.String("max-median", "10%", "relative distance of medians of think times and durations, beyond their confidence intervals (0: not checked)")
	rate := fs.String("max-rate", "5%", "relative distance of each bucket's arrival rate and of the whole log's, beyond Poisson noise (0: not checked)")
	fs.IntVar(&lim.MinSamples, "min-samples", lim.MinSamples, "distributions and shares with fewer samples in either log are shown, not judged")
	alpha := fs.String("alpha", "1%", "the chance that two logs of one process fail for sampling noise alone, over all checks together")
	speed := fs.Float64("speed", 1, "B is a replay of A at this --speed: B's times are multiplied by it before comparing")
	jsonOut := fs.String("json", "", "also write the comparison as JSON to `FILE`")
	junitOut := fs.String("junit", "", "also write one JUnit testcase per check to `FILE`")
	htmlOut := fs.String("html", "", "also write the comparison as a self-contained page to `FILE`")
	setUsage(fs, `Usage: ccload logdiff A B [flags]

Compares two traffic logs (say production and the --record of a fitted scenario's run, or of
a replay with --speed): session-type shares, think times per transition, messages per session,
session durations and the arrival curve, side by side. Each check allows its limit plus the
sampling noise of its two samples: Poisson noise for arrival counts, the two-sample KS critical
value at the samples' sizes, the medians' confidence intervals; a check with too little data is
shown as such and never failed.

Exit codes: 0 within the limits; 1 a limit failed; 2 bad usage or bad log; 3 interrupted.

Flags:
`)
	pos, code, done := parseArgs(fs, args, stdout, func(pos []string) string {
		if len(pos) != 2 {
			return "want two logs, A and B"
		}
		if pos[0] == "-" && pos[1] == "-" {
			return "only one of A and B can be standard input"
		}
		return ""
	})
	if done {
		return code
	}
	errs := []error{shareFlag("max-share", *share, &lim.Share), shareFlag("max-median", *median, &lim.Median), shareFlag("max-rate", *rate, &lim.Rate)}
	var err error
	if lim.Alpha, err = parseShare(*alpha); err != nil || lim.Alpha <= 0 || lim.Alpha >= 0.5 {
		errs = append(errs, fmt.Errorf("--alpha: want a chance above 0 and below 50%%, such as 1%%; got %q", *alpha))
	}
	if math.IsNaN(lim.KS) || lim.KS < 0 || lim.KS >= 1 {
		errs = append(errs, fmt.Errorf("--max-ks: want a KS distance in [0, 1) (0: not checked), such as 0.1; got %v", lim.KS))
	}
	if lim.MinSamples < 2 {
		errs = append(errs, fmt.Errorf("--min-samples: want at least 2, got %d", lim.MinSamples))
	}
	if math.IsNaN(*speed) || math.IsInf(*speed, 0) || *speed <= 0 || *speed > 1e6 {
		errs = append(errs, fmt.Errorf("--speed: want the replay's speed, above 0 and at most 1e6, such as 2; got %v", *speed))
	}
	errs = append(errs, checkBucket(*bucket, "A"))
	if err := errors.Join(append([]error{lf.check()}, errs...)...); err != nil {
		printError(stderr, "logdiff", err)
		return exitUsage
	}
	a, _, code := readLog(ctx, pos[0], lf, traffic.AnalyzeOptions{Bucket: *bucket}, os.Stdin, stderr, "logdiff")
	if code != exitOK {
		return code
	}
	b, _, code := readLog(ctx, pos[1], lf, traffic.AnalyzeOptions{Bucket: *bucket, Speed: *speed}, os.Stdin, stderr, "logdiff")
	if code != exitOK {
		return code
	}
	res := traffic.Diff(a, b, lim)
	res.A.Label, res.B.Label = pos[0], pos[1]
	if err := traffic.WriteDiff(stdout, res); err != nil {
		fmt.Fprintf(stderr, "ccload logdiff: %v\n", err)
		return exitUsage
	}
	code = exitOK
	if !res.Pass {
		code = exitFailed
	}
	for _, o := range []struct {
		path  string
		write func(io.Writer) error
	}{
		{*jsonOut, func(w io.Writer) error { return traffic.WriteDiffJSON(w, res) }},
		{*junitOut, func(w io.Writer) error { return traffic.WriteDiffJUnit(w, res) }},
		{*htmlOut, func(w io.Writer) error { return traffic.WriteDiffHTML(w, res, a, b) }},
	} {
		if o.path == "" {
			continue
		}
		if err := report.WriteFileWith(o.path, o.write); err != nil {
			fmt.Fprintln(stderr, "ccload logdiff:", err)
			code = exitUsage
		}
	}
	return code
}
