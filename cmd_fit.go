package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
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
	fs.StringVar(&f.To, "to-field", f.To, "the JSON key of the channel configuration ID (fit writes the most frequent into the scenario)")
	fs.StringVar(&f.Channel, "channel-field", f.Channel, "the JSON key of the channel (fit writes the most frequent into the scenario)")
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
	var errs []error
	if l.o.MaxOpen < 1 {
		errs = append(errs, fmt.Errorf("--max-open: want at least 1 session, got %d", l.o.MaxOpen))
	}
	if l.o.MaxEvents < 1 {
		errs = append(errs, fmt.Errorf("--max-events: want at least 1 request, got %d", l.o.MaxEvents))
	}
	if l.o.Idle <= 0 {
		errs = append(errs, fmt.Errorf("--idle: want a duration above 0, such as 30m; got %s", l.o.Idle))
	}
	if l.o.Reorder <= 0 {
		errs = append(errs, fmt.Errorf("--reorder: want a duration above 0, such as 2s; got %s", l.o.Reorder))
	}
	return errors.Join(errs...)
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
	if v < 0 || v > 1 || math.IsNaN(v) {
		return 0, fmt.Errorf("want a share in 0..100%%, got %q", s)
	}
	return v, nil
}

// readLog reads and analyses one log. On bad input it writes the problems and returns
// exitUsage; when ctx is done first (a signal) it returns exitAborted at once, whatever the
// read is waiting for (a pipe whose writer sends nothing is closed under it).
func readLog(ctx context.Context, path string, l *logFlags, ao traffic.AnalyzeOptions, stdin io.Reader, stderr io.Writer, cmd string) (*traffic.Analysis, traffic.Stats, int) {
	interrupted := func() (*traffic.Analysis, traffic.Stats, int) {
		fmt.Fprintf(stderr, "ccload %s: interrupted while reading %s; nothing was written\n", cmd, path)
		return nil, traffic.Stats{}, exitAborted
	}
	rc, err := traffic.OpenContext(ctx, path, stdin)
	if err != nil {
		if ctx.Err() != nil {
			return interrupted()
		}
		printError(stderr, cmd, err)
		return nil, traffic.Stats{}, exitUsage
	}
	defer rc.Close()
	type result struct {
		a   *traffic.Analysis
		st  traffic.Stats
		err error
	}
	done := make(chan result, 1)
	go func() {
		a := traffic.NewAnalysis(ao)
		st, err := traffic.Read(rc, l.o, a.Add)
		done <- result{a, st, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		rc.Close() // unblocks a read waiting on a pipe; the reader then ends on its own
		return interrupted()
	}
	if ctx.Err() != nil {
		return interrupted()
	}
	writeProblems(stderr, cmd, r.st, path)
	if r.err != nil {
		printError(stderr, cmd, fmt.Errorf("%s: %w", path, r.err))
		if errors.Is(r.err, traffic.ErrTooManyBad) {
			fmt.Fprintln(stderr, "  fix the lines above, map the fields (--time-field, --from-field, ...) or raise --max-bad")
		}
		return nil, r.st, exitUsage
	}
	return r.a, r.st, exitOK
}

// cmdFit fits a scenario to a traffic log.
func cmdFit(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var lf logFlags
	lf.register(fs)
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
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	cov, err1 := parseShare(*coverage)
	if err1 == nil && cov <= 0 {
		err1 = fmt.Errorf("want a share above 0%% (session types are kept until they cover it), got %q", *coverage)
	}
	if err1 != nil {
		err1 = fmt.Errorf("--coverage: %v", err1)
	}
	tv, err2 := parseShare(*tol)
	if err2 != nil {
		err2 = fmt.Errorf("--tolerance: %v", err2)
	}
	var err3, err4, err5 error
	if *types < 1 {
		err3 = fmt.Errorf("--types: want at least 1 session type, got %d", *types)
	}
	if math.IsNaN(*ks) || *ks < 0 || *ks >= 1 {
		err4 = fmt.Errorf("--ks: want a KS distance in (0, 1), or 0 for 1.63/sqrt(n); got %v", *ks)
	}
	if *bucket < 0 || (*bucket > 0 && *bucket < time.Millisecond) {
		err5 = fmt.Errorf("--bucket: want at least 1ms, or 0 to choose from the log; got %s", *bucket)
	}
	if err := errors.Join(lf.check(), err1, err2, err3, err4, err5); err != nil {
		printError(stderr, "fit", err)
		return exitUsage
	}
	var bs *baseScenario
	if *base != "" {
		var err error
		if bs, err = readBase(*base); err != nil {
			fmt.Fprintf(stderr, "ccload fit: --base %s: %v; give a scenario file whose target, auth, channel, data, thresholds, compare or mock sections the fitted scenario should use\n", *base, err)
			return exitUsage
		}
	}
	pollFrom := "--poll"
	if !set["poll"] && bs != nil && bs.poll != "" {
		*poll, pollFrom = bs.poll, "the first session of --base "+*base
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
	a, st, code := readLog(ctx, pos[0], &lf, traffic.AnalyzeOptions{Bucket: *bucket}, os.Stdin, stderr, "fit")
	if code != exitOK {
		return code
	}
	fo := traffic.FitOptions{Name: *name, Source: pos[0], Coverage: cov, MaxTypes: *types, KSLimit: *ks,
		Resolution: lf.o.TimeFormat.Resolution(), Tolerance: tv, Poll: *poll, PollFrom: pollFrom}
	if bs != nil {
		fo.NoAuth, fo.NoChannel = bs.has["auth"], bs.has["channel"]
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
		extra, err := bs.sections(r.Stats)
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
				*base, strings.Join(bs.kept, ", "), bytes.Count(buf.Bytes()[:fitted], []byte("\n")), err)
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

// baseScenario is a --base file: its environment sections (where requests go, who sends them,
// what must hold) to append to a fitted scenario, and its first session's poll.
type baseScenario struct {
	path string
	m    *yaml.Node // the document's mapping
	has  map[string]bool
	kept []string
	poll string // "", "off" or an interval
}

// baseKeys are the sections --base contributes.
var baseKeys = []string{"target", "auth", "channel", "data", "thresholds", "compare", "mock"}

func readBase(path string) (*baseScenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("not a scenario (a YAML mapping)")
	}
	b := &baseScenario{path: path, m: doc.Content[0], has: map[string]bool{}}
	m := b.m
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i].Value
		if slices.Contains(baseKeys, k) {
			b.has[k] = true
			b.kept = append(b.kept, k)
		}
		if k == "sessions" && m.Content[i+1].Kind == yaml.SequenceNode && len(m.Content[i+1].Content) > 0 {
			b.poll = basePoll(m.Content[i+1].Content[0])
		}
	}
	if len(b.kept) == 0 {
		return nil, fmt.Errorf("it has none of the sections %s", strings.Join(baseKeys, ", "))
	}
	return b, nil
}

// basePoll reads a session's poll: false is off, true the default 1s, {interval: D} is D.
func basePoll(sess *yaml.Node) string {
	if sess.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(sess.Content); i += 2 {
		if sess.Content[i].Value != "poll" {
			continue
		}
		v := sess.Content[i+1]
		switch v.Kind {
		case yaml.ScalarNode:
			switch strings.ToLower(v.Value) {
			case "false", "off", "no":
				return "off"
			case "true", "on", "yes":
				return "1s"
			}
		case yaml.MappingNode:
			for j := 0; j+1 < len(v.Content); j += 2 {
				if v.Content[j].Value == "interval" {
					return v.Content[j+1].Value
				}
			}
			return "1s"
		}
	}
	return ""
}

// sections are the base's sections as YAML. A channel section without `to` or `channel` gets
// the log's most frequent values (the fitted scenario leaves its own channel out when the
// base has one). ${ENV} references stay unexpanded.
func (b *baseScenario) sections(st traffic.Stats) ([]byte, error) {
	out := &yaml.Node{Kind: yaml.MappingNode}
	m := b.m
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if !b.has[k.Value] {
			continue
		}
		if k.Value == "channel" && v.Kind == yaml.MappingNode {
			v.Style &^= yaml.FlowStyle
			for _, f := range []struct {
				key string
				t   traffic.Tally
			}{{"channel", st.Channel}, {"to", st.To}} {
				val, n, all := f.t.Top()
				if n == 0 || mapHas(v, f.key) {
					continue
				}
				v.Content = append(v.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: f.key},
					&yaml.Node{Kind: yaml.ScalarNode, Value: val, Style: yaml.DoubleQuotedStyle,
						LineComment: fmt.Sprintf("from the log (in %d of %d requests with a %s); %s has none", n, all, f.key, b.path)})
			}
		}
		out.Content = append(out.Content, k, v)
	}
	return yaml.Marshal(out)
}

func mapHas(m *yaml.Node, key string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return true
		}
	}
	return false
}

// anyEnv resolves every ${VAR} to a placeholder: a fitted scenario is checked for its shape
// before the environment it will run in exists.
func anyEnv(string) (string, bool) { return "x", true }

// baseSections are the environment sections of a scenario file (where requests go, who sends
// them, what must hold), as YAML to append to a generated scenario (replay's --scenario).
// ${ENV} references stay unexpanded.
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
	out := &yaml.Node{Kind: yaml.MappingNode}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if slices.Contains(baseKeys, m.Content[i].Value) {
			out.Content = append(out.Content, m.Content[i], m.Content[i+1])
		}
	}
	if len(out.Content) == 0 {
		return nil, nil
	}
	return yaml.Marshal(out)
}
