package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"ccload/traffic"
)

// cmdLogdiff compares two traffic logs and gates on how far apart they are.
func cmdLogdiff(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("logdiff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var lf logFlags
	lf.register(fs)
	lim := traffic.DefaultDiffLimits
	bucket := fs.Duration("bucket", time.Minute, "width of one point of the arrival curves")
	share := fs.String("max-share", "5%", "session-type shares at most this many points apart (0: not checked)")
	fs.Float64Var(&lim.KS, "max-ks", lim.KS, "two-sample KS distance of think times per transition, messages per session and durations (0: not checked)")
	median := fs.String("max-median", "10%", "relative distance of medians of think times and durations (0: not checked)")
	rate := fs.String("max-rate", "5%", "relative distance of each bucket's arrival rate (0: not checked)")
	fs.IntVar(&lim.MinSamples, "min-samples", lim.MinSamples, "distributions with fewer samples in either log are shown, not checked")
	setUsage(fs, "Usage: ccload logdiff A B [flags]\n\nCompares two traffic logs (say production and the --record of a fitted scenario's run):\nsession-type shares, think times per transition, messages per session, session durations\nand the arrival curve, side by side.\n\nExit codes: 0 within the limits; 1 a limit failed; 2 bad usage or bad log.\n\nFlags:\n")
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
	var err1, err2, err3 error
	lim.Share, err1 = parseShare(*share)
	lim.Median, err2 = parseShare(*median)
	lim.Rate, err3 = parseShare(*rate)
	if err := errors.Join(lf.check(), err1, err2, err3); err != nil {
		printError(stderr, "logdiff", err)
		return exitUsage
	}
	if *bucket < time.Millisecond {
		fmt.Fprintf(stderr, "ccload logdiff: --bucket: want at least 1ms, got %s\n", *bucket)
		return exitUsage
	}
	ao := traffic.AnalyzeOptions{Bucket: *bucket}
	a, _, ok := readLog(pos[0], &lf, ao, os.Stdin, stderr, "logdiff")
	if !ok {
		return exitUsage
	}
	b, _, ok := readLog(pos[1], &lf, ao, os.Stdin, stderr, "logdiff")
	if !ok {
		return exitUsage
	}
	rows := traffic.Diff(a, b, lim)
	if fails := traffic.WriteDiff(stdout, pos[0], pos[1], rows); fails > 0 {
		fmt.Fprintf(stdout, "\n%d comparisons over their limits\n", fails)
		return exitFailed
	}
	fmt.Fprintln(stdout, "\nall comparisons within their limits")
	return exitOK
}
