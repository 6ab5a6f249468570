package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"ccload/scenario"
	"ccload/traffic"
)

// cmdFit fits a scenario to a traffic log.
func cmdFit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, lf := newLogFlagSet("fit", stderr)
	out := addOutputFlag(fs, "write the fitted scenario to `FILE` (required)")
	html := fs.String("html", "", "write the fit page (distributions over histograms) to FILE (default: the scenario's name with .fit.html)")
	bucket := fs.Duration("bucket", 0, "width of one point of the arrival curve (0: chosen from the log, about 100 sessions per bucket and at least 4 buckets)")
	types := fs.Int("types", 10, "keep at most this many session types")
	coverage := fs.String("coverage", "95%", "keep session types, most frequent first, until they cover this share of sessions")
	ks := fs.Float64("ks", 0, "KS distance a family must stay under, else the empirical distribution is written (0: 1.63/sqrt(n), the 1% critical value)")
	tol := fs.String("tolerance", "5%", "how far load stages may stay from the arrival curve, relative to each bucket's rate")
	poll := fs.String("poll", "1s", "poll interval written into each session, or off (the log holds sends only); default: --base's first session's poll, else 1s")
	base := fs.String("base", "", "a scenario whose target, auth, channel, data, thresholds, compare and mock sections are copied into the fitted one")
	name := fs.String("name", "", "the scenario's name (default: the output file's name)")
	setUsage(fs, "Usage: ccload fit LOG -o SCENARIO.yaml [flags]\n\nFits a scenario (session mix, think times, load stages) to a traffic log of JSON lines\n(ccload mock --record, or another gateway's with the field flags). LOG may be gzip, or - for stdin.\nThe scenario takes its credentials from CC_APP_KEY and CC_APP_SECRET (default demo, which the\nembedded mock accepts) and its channel configuration from the log.\n\nExit codes: 0 written; 2 bad usage or bad log; 3 interrupted.\n\nFlags:\n")
	pos, code, done := parseArgs(fs, args, stdout, func(pos []string) string {
		if len(pos) != 1 {
			return "want one LOG"
		}
		if *out == "" {
			return "-o SCENARIO.yaml is required"
		}
		return ""
	})
	if done {
		return code
	}
	set := givenFlags(fs)
	var cov, tv float64
	errs := []error{lf.check()}
	if err := shareFlag("coverage", *coverage, &cov); err != nil {
		errs = append(errs, err)
	} else if cov <= 0 {
		errs = append(errs, fmt.Errorf("--coverage: want a share above 0%% (session types are kept until they cover it), got %q", *coverage))
	}
	errs = append(errs, shareFlag("tolerance", *tol, &tv))
	if *types < 1 {
		errs = append(errs, fmt.Errorf("--types: want at least 1 session type, got %d", *types))
	}
	if math.IsNaN(*ks) || *ks < 0 || *ks >= 1 {
		errs = append(errs, fmt.Errorf("--ks: want a KS distance in (0, 1), or 0 for 1.63/sqrt(n); got %v", *ks))
	}
	errs = append(errs, checkBucket(*bucket, "the log"))
	if err := errors.Join(errs...); err != nil {
		printError(stderr, "fit", err)
		return exitUsage
	}
	var bs *traffic.Base
	if *base != "" {
		var err error
		if bs, err = traffic.ReadBase(*base); err != nil {
			fmt.Fprintf(stderr, "ccload fit: --base %s: %v; give a scenario file whose target, auth, channel, data, thresholds, compare or mock sections the fitted scenario should use\n", *base, err)
			return exitUsage
		}
	}
	pollFrom := "--poll"
	if !set["poll"] && bs != nil && bs.Poll != "" {
		*poll, pollFrom = bs.Poll, "the first session of --base "+*base
	}
	if *poll != "off" {
		if d, err := time.ParseDuration(*poll); err != nil || d < 10*time.Millisecond {
			fmt.Fprintf(stderr, "ccload fit: --poll: want a duration of at least 10ms, or off; got %q\n", *poll)
			return exitUsage
		}
	}
	if *name == "" {
		*name = strings.TrimSuffix(filepath.Base(*out), filepath.Ext(*out))
	}
	a, st, code := readLog(ctx, pos[0], lf, traffic.AnalyzeOptions{Bucket: *bucket}, os.Stdin, stderr, "fit")
	if code != exitOK {
		return code
	}
	fo := traffic.FitOptions{Name: *name, Source: pos[0], Coverage: cov, MaxTypes: *types, KSLimit: *ks,
		Resolution: lf.o.TimeFormat.Resolution(), Tolerance: tv, Poll: *poll, PollFrom: pollFrom}
	if bs != nil {
		fo.NoAuth, fo.NoChannel = bs.Has["auth"], bs.Has["channel"]
	}
	r, err := traffic.FitScenario(a, st, fo)
	if err != nil {
		fmt.Fprintf(stderr, "ccload fit: %s: %v\n", pos[0], err)
		return exitUsage
	}
	var buf bytes.Buffer
	if err := r.WriteScenario(&buf); err != nil {
		printError(stderr, "fit", err)
		return exitUsage
	}
	// The fitted scenario must load: checking here means a fit never hands over a broken file.
	// ${ENV} references (the auth block's) are checked when the scenario runs, not here.
	if _, err := scenario.Parse(*out, buf.Bytes(), filepath.Dir(*out), anyEnv); err != nil {
		fmt.Fprintf(stderr, "ccload fit: the fitted scenario does not load (a bug, please report it); nothing was written:\n%v\n", err)
		return exitUsage
	}
	if bs != nil {
		extra, err := bs.Sections(r.Stats)
		if err != nil {
			fmt.Fprintf(stderr, "ccload fit: --base %s: %v\n", *base, err)
			return exitUsage
		}
		fitted := buf.Len()
		fmt.Fprintf(&buf, "# from --base %s:\n%s", *base, extra)
		label := fmt.Sprintf("the sections of %s after the fitted scenario", *base)
		if _, err := scenario.Parse(label, buf.Bytes(), filepath.Dir(*out), anyEnv); err != nil {
			fmt.Fprintf(stderr, "ccload fit: --base %s: with its sections (%s) the fitted scenario does not load; nothing was written.\n"+
				"  Line numbers count from the fitted scenario's first line; its own part is lines 1-%d:\n%v\n",
				*base, strings.Join(bs.Kept, ", "), bytes.Count(buf.Bytes()[:fitted], []byte("\n")), err)
			return exitUsage
		}
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		printError(stderr, "fit", err)
		return exitUsage
	}
	if *html == "" {
		*html = strings.TrimSuffix(*out, filepath.Ext(*out)) + ".fit.html"
	}
	var hb bytes.Buffer
	r.WriteHTML(&hb)
	if err := os.WriteFile(*html, hb.Bytes(), 0o644); err != nil {
		printError(stderr, "fit", err)
		return exitUsage
	}
	r.WriteSummary(stdout)
	fmt.Fprintf(stdout, "\nwrote %s and %s\n", *out, *html)
	return exitOK
}

// anyEnv resolves every ${VAR} to a placeholder: a fitted scenario is checked for its shape
// before the environment it will run in exists.
func anyEnv(string) (string, bool) { return "x", true }
