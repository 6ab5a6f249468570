package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"ccload/scenario"
	"ccload/traffic"
	"go.yaml.in/yaml/v3"
)

// logFlags are the flags every command reading a traffic log shares.
type logFlags struct {
	o      traffic.Options
	format string
	maxBad string
}

func (l *logFlags) register(fs *flag.FlagSet) {
	l.o = traffic.DefaultOptions()
	f := &l.o.Fields
	fs.StringVar(&f.Time, "time-field", f.Time, "the JSON key of each line's receive time")
	fs.StringVar(&l.format, "time-format", "ms", "how the time is written: ms (epoch milliseconds), s (epoch seconds) or rfc3339")
	fs.StringVar(&f.From, "from-field", f.From, "the JSON key of the customer's id (sessions are cut by it)")
	fs.StringVar(&f.ControlType, "control-field", f.ControlType, "the JSON key of the controlType")
	fs.StringVar(&f.MediaType, "media-field", f.MediaType, "the JSON key of the mediaType (absent: TEXT)")
	fs.StringVar(&f.Content, "content-field", f.Content, "the JSON key of the content")
	fs.DurationVar(&l.o.Idle, "idle", l.o.Idle, "a session without a request for this long is closed (DISCONNECT closes it at once)")
	fs.IntVar(&l.o.MaxOpen, "max-open", l.o.MaxOpen, "the most sessions held open at once; past it the longest idle is closed early (bounds memory)")
	fs.IntVar(&l.o.MaxEvents, "max-events", l.o.MaxEvents, "requests kept per session; later ones are counted, not kept (bounds memory)")
	fs.DurationVar(&l.o.Reorder, "reorder", l.o.Reorder, "disorder tolerated between lines; a line earlier than the latest minus this is out of order")
	fs.StringVar(&l.maxBad, "max-bad", "1%", "the share of bad lines (malformed, out of order, unknown controlType, missing field) past which the log is refused")
}

func (l *logFlags) check() error {
	tf, err := traffic.ParseTimeFormat(l.format)
	if err != nil {
		return fmt.Errorf("--time-format: %v", err)
	}
	l.o.TimeFormat = tf
	v, err := parseShare(l.maxBad)
	if err != nil {
		return fmt.Errorf("--max-bad: %v", err)
	}
	l.o.MaxBadShare = v
	return nil
}

// parseShare reads "5%" or "0.05".
func parseShare(s string) (float64, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(t, "%"), 64)
	if err != nil {
		return 0, fmt.Errorf("want a share such as 5%% or 0.05, got %q", s)
	}
	if pct {
		v /= 100
	}
	if v < 0 || v > 1 {
		return 0, fmt.Errorf("want a share in 0..100%%, got %q", s)
	}
	return v, nil
}

// readLog reads and analyses one log; on bad input it writes the problems and returns false.
func readLog(path string, l *logFlags, ao traffic.AnalyzeOptions, stdin io.Reader, stderr io.Writer, cmd string) (*traffic.Analysis, traffic.Stats, bool) {
	rc, err := traffic.Open(path, stdin)
	if err != nil {
		printError(stderr, cmd, err)
		return nil, traffic.Stats{}, false
	}
	defer rc.Close()
	a := traffic.NewAnalysis(ao)
	st, err := traffic.Read(rc, l.o, a.Add)
	writeProblems(stderr, cmd, st, path)
	if err != nil {
		printError(stderr, cmd, fmt.Errorf("%s: %w", path, err))
		if errors.Is(err, traffic.ErrTooManyBad) {
			fmt.Fprintln(stderr, "  fix the lines above, map the fields (--time-field, --from-field, ...) or raise --max-bad")
		}
		return nil, st, false
	}
	return a, st, true
}

// cmdFit fits a scenario to a traffic log.
func cmdFit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var lf logFlags
	lf.register(fs)
	out := addOutputFlag(fs, "write the fitted scenario to `FILE` (required)")
	html := fs.String("html", "", "write the fit page (distributions over histograms) to FILE (default: the scenario's name with .fit.html)")
	bucket := fs.Duration("bucket", time.Minute, "width of one point of the arrival curve")
	types := fs.Int("types", 10, "keep at most this many session types")
	coverage := fs.String("coverage", "95%", "keep session types, most frequent first, until they cover this share of sessions")
	ks := fs.Float64("ks", 0, "KS distance a family must stay under, else the empirical distribution is written (0: 1.63/sqrt(n), the 1% critical value)")
	tol := fs.String("tolerance", "5%", "how far load stages may stay from the arrival curve, relative to each bucket's rate")
	poll := fs.String("poll", "1s", "poll interval written into each session, or off (the log holds sends only)")
	base := fs.String("base", "", "a scenario whose target, auth, channel, data, thresholds, compare and mock sections are copied into the fitted one")
	name := fs.String("name", "", "the scenario's name (default: the output file's name)")
	setUsage(fs, "Usage: ccload fit LOG -o SCENARIO.yaml [flags]\n\nFits a scenario (session mix, think times, load stages) to a traffic log of JSON lines\n(ccload mock --record, or another gateway's with the field flags). LOG may be gzip, or - for stdin.\n\nExit codes: 0 written; 2 bad usage or bad log.\n\nFlags:\n")
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
	cov, err1 := parseShare(*coverage)
	tv, err2 := parseShare(*tol)
	if err := errors.Join(lf.check(), err1, err2); err != nil {
		printError(stderr, "fit", err)
		return exitUsage
	}
	if *poll != "off" {
		if d, err := time.ParseDuration(*poll); err != nil || d < 10*time.Millisecond {
			fmt.Fprintf(stderr, "ccload fit: --poll: want a duration of at least 10ms, or off; got %q\n", *poll)
			return exitUsage
		}
	}
	if *bucket < time.Millisecond {
		fmt.Fprintf(stderr, "ccload fit: --bucket: want at least 1ms, got %s\n", *bucket)
		return exitUsage
	}
	if *name == "" {
		*name = strings.TrimSuffix(filepath.Base(*out), filepath.Ext(*out))
	}
	a, st, ok := readLog(pos[0], &lf, traffic.AnalyzeOptions{Bucket: *bucket}, os.Stdin, stderr, "fit")
	if !ok {
		return exitUsage
	}
	r, err := traffic.FitScenario(a, st, traffic.FitOptions{Name: *name, Source: pos[0], Coverage: cov, MaxTypes: *types,
		KSLimit: *ks, Resolution: lf.o.TimeFormat.Resolution(), Tolerance: tv, Poll: *poll})
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
	if _, err := scenario.Parse(*out, buf.Bytes(), filepath.Dir(*out), noEnv); err != nil {
		fmt.Fprintf(stderr, "ccload fit: the fitted scenario does not load (a bug, please report it):\n%v\n", err)
		return exitUsage
	}
	if *base != "" {
		extra, err := baseSections(*base)
		if err != nil {
			fmt.Fprintf(stderr, "ccload fit: --base: %v\n", err)
			return exitUsage
		}
		fmt.Fprintf(&buf, "# from --base %s:\n%s", *base, extra)
		// ${ENV} references of the base are checked when the scenario runs, not here.
		if _, err := scenario.Parse(*out, buf.Bytes(), filepath.Dir(*out), func(string) (string, bool) { return "x", true }); err != nil {
			fmt.Fprintf(stderr, "ccload fit: with the sections of --base %s the scenario does not load (thresholds naming steps of the base?):\n%v\n", *base, err)
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

// baseSections are the environment sections of a scenario file (where requests go, who sends
// them, what must hold), as YAML to append to a fitted scenario. ${ENV} references stay unexpanded.
func baseSections(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: not a scenario (a YAML mapping)", path)
	}
	keep := map[string]bool{"target": true, "auth": true, "channel": true, "data": true, "thresholds": true, "compare": true, "mock": true}
	out := &yaml.Node{Kind: yaml.MappingNode}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if keep[m.Content[i].Value] {
			out.Content = append(out.Content, m.Content[i], m.Content[i+1])
		}
	}
	if len(out.Content) == 0 {
		return nil, nil
	}
	return yaml.Marshal(out)
}

func noEnv(string) (string, bool) { return "", false }
