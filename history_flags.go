package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"ccload/history"
	"ccload/report"
	"ccload/report/compare"
)

// historyFlags are --history and --label of the commands that finish a report (run, replay,
// capacity, merge): each records its finished report in the run history when a store is named.
type historyFlags struct {
	loc    *string
	labels labelFlags
	cmd    string
	store  *history.Store
	stderr io.Writer
	rep    *report.Report // the finished report, when the command hands it over through a Finish hook
}

// labelFlags collects repeated --label KEY=VALUE.
type labelFlags []string

func (l *labelFlags) String() string { return strings.Join(*l, ",") }
func (l *labelFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return fmt.Errorf("want KEY=VALUE, e.g. --label env=staging")
	}
	if err := history.CheckLabel(k, v); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "history: "))
	}
	*l = append(*l, s)
	return nil
}

func (l labelFlags) m() map[string]string {
	out := map[string]string{}
	for _, s := range l {
		k, v, _ := strings.Cut(s, "=")
		out[k] = v
	}
	return out
}

// withCI are the labels given, over the CI's own (commit, ref, run: history.CILabels).
func (l labelFlags) withCI() map[string]string {
	labels := history.CILabels(os.Getenv)
	for k, v := range l.m() {
		labels[k] = v
	}
	return labels
}

// addHistoryFlags registers --history and --label on fs.
func addHistoryFlags(fs *flag.FlagSet) *historyFlags {
	h := &historyFlags{cmd: fs.Name()}
	h.loc = fs.String("history", "", "record the finished report in this run history: a SQLite `file` (created when missing) or postgres://user@host/db (default: $"+history.EnvVar+"; docs/history.md)")
	fs.Var(&h.labels, "label", "a `KEY=VALUE` label of the recorded run, repeatable (--label version=1.4.2 --label env=staging); CI's commit and ref are added")
	return h
}

// historyLocation is --history, or $CCLOAD_HISTORY when the flag is not given.
func historyLocation(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	return os.Getenv(history.EnvVar)
}

// start opens the store before anything is sent, so a store that cannot be used (a bad path, a
// newer schema, a foreign database) is bad usage: exit 2, nothing sent. When finish is given (run,
// replay), the finished report is taken from it for done. With no store named it does nothing.
func (h *historyFlags) start(ctx context.Context, finish *func(*report.Report), stderr io.Writer) int {
	h.stderr = stderr
	loc := historyLocation(*h.loc)
	if loc == "" {
		if len(h.labels) > 0 {
			fmt.Fprintf(stderr, "ccload %s: --label needs a history to record into: give --history FILE or set %s\n", h.cmd, history.EnvVar)
			return exitUsage
		}
		return exitOK
	}
	s, err := history.Open(ctx, loc, history.ReadWrite)
	if err != nil {
		fmt.Fprintf(stderr, "ccload %s: --history: %s; nothing was sent\n", h.cmd, historyErr(err))
		return exitUsage
	}
	h.store = s
	if finish != nil {
		prev := *finish
		*finish = func(rep *report.Report) {
			if prev != nil {
				prev(rep)
			}
			h.rep = rep
		}
	}
	return exitOK
}

// done records the finished report (rep, or the one the Finish hook handed over) and returns the
// command's exit code: code, or 3 when the run passed but could not be recorded (its report.json
// is written all the same; the message says why).
func (h *historyFlags) done(rep *report.Report, code int) int {
	if h.store == nil {
		return code
	}
	defer h.store.Close()
	if rep == nil {
		rep = h.rep
	}
	if rep == nil {
		return code
	}
	labels := h.labels.withCI()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // recording outlives a stopped run's ctx
	defer cancel()
	e, err := history.PrepareReport(h.cmd, rep, labels)
	if err == nil {
		e.Verdict = verdictForExit(e.Verdict, code)
		v, _, _, _ := buildInfo()
		e.Version = v
		var id int64
		if id, err = h.store.Record(ctx, e); err == nil {
			fmt.Fprintf(h.stderr, "ccload: recorded as run #%d in %s (%s)\n", id, h.store.Location(), e.Verdict)
			return code
		}
	}
	fmt.Fprintf(h.stderr, "ccload %s: --history: %s; the run was not recorded (its report.json is written)\n", h.cmd, historyErr(err))
	if code == exitOK {
		return exitAborted
	}
	return code
}

// verdictForExit is the report's verdict made to agree with the command's exit code: a run the
// report alone judges a pass but that exited 1 (a failure found after the report) is a fail,
// one that exited 3 (replay: the log not played whole; the report not written) is incomplete.
func verdictForExit(verdict string, code int) string {
	if verdict != history.VerdictPass {
		return verdict
	}
	switch code {
	case exitOK:
		return verdict
	case exitFailed:
		return history.VerdictFail
	}
	return history.VerdictIncomplete
}

// historyErr says what is wrong without the package's prefix.
func historyErr(err error) string {
	return strings.ReplaceAll(err.Error(), "history: ", "")
}

// baselineFlags are compare's --baseline and --history: the baseline as a file, or as the last
// comparable runs of the history (--baseline 'history:last=10,label=env=staging').
type baselineFlags struct {
	spec  *string
	loc   *string
	bases []*report.Report
	ids   []int64
}

// addBaselineFlags registers --baseline and --history on compare's fs.
func addBaselineFlags(fs *flag.FlagSet) *baselineFlags {
	return &baselineFlags{
		spec: fs.String("baseline", "", "judge NEW.json against BASE.json, or against the history's last comparable runs: 'history:last=10,label=env=staging[,verdict=any][,scenario=NAME]' (docs/history.md)"),
		loc:  fs.String("history", "", "the run history --baseline history:... reads: a SQLite `file` or postgres://... (default: $"+history.EnvVar+")"),
	}
}

// args is how many positional arguments compare wants: NEW alone with --baseline, else BASE and NEW.
func (b *baselineFlags) args() int {
	if *b.spec != "" {
		return 1
	}
	return 2
}

// want is the complaint about wrong positional arguments.
func (b *baselineFlags) want() string {
	if *b.spec != "" {
		return "with --baseline, want NEW.json alone"
	}
	return "want BASE.json and NEW.json (or --baseline SPEC NEW.json)"
}

// read loads NEW and the baselines; base is the newest baseline (the one --html overlays). On
// failure next is nil and code is the exit code, the reason printed.
func (b *baselineFlags) read(ctx context.Context, pos []string, stderr io.Writer) (base, next *report.Report, code int) {
	fail := func(format string, a ...any) (*report.Report, *report.Report, int) {
		printError(stderr, "compare", fmt.Errorf(format, a...))
		return nil, nil, exitUsage
	}
	newPath := pos[len(pos)-1]
	next, err := report.ReadFile(newPath)
	if err != nil {
		return fail("%w", err)
	}
	spec := *b.spec
	if !strings.HasPrefix(spec, history.BaselinePrefix) {
		path := spec
		if path == "" {
			path = pos[0]
		}
		base, err := report.ReadFile(path)
		if err != nil {
			return fail("%w", err)
		}
		b.bases = []*report.Report{base}
		return base, next, exitOK
	}
	sel, err := history.ParseBaseline(spec)
	if err != nil {
		return fail("--baseline: %s", historyErr(err))
	}
	loc := historyLocation(*b.loc)
	if loc == "" {
		return fail("--baseline %s needs the history: give --history FILE|postgres://... or set %s", spec, history.EnvVar)
	}
	s, err := history.Open(ctx, loc, history.ReadOnly)
	if err != nil {
		return fail("--history: %s", historyErr(err))
	}
	defer s.Close()
	entries, bases, err := s.Baselines(ctx, sel, next)
	if err != nil {
		return fail("--history: %s", historyErr(err))
	}
	if len(bases) == 0 {
		return fail("no run in %s to compare %s with (%s): record baselines with --history on ccload run, or widen --baseline (verdict=any, fewer labels)", s.Location(), newPath, sel.Describe(next))
	}
	for _, e := range entries {
		b.ids = append(b.ids, e.ID)
	}
	b.bases = bases
	return bases[0], next, exitOK
}

// compare judges next against the baselines: compare.Compare for one, compare.History for several.
func (b *baselineFlags) compare(next *report.Report, limits []compare.Limit, o compare.Options) compare.Result {
	return compare.HistoryWith(b.bases, next, limits, o)
}

// label names the two sides in the printed comparison.
func (b *baselineFlags) label(res *compare.Result, pos []string) {
	res.New.Label = pos[len(pos)-1]
	switch {
	case len(b.ids) == 1:
		res.Base.Label = fmt.Sprintf("history run #%d", b.ids[0])
	case len(b.ids) > 1:
		res.Base.Label = fmt.Sprintf("history: %d runs (#%d newest … #%d oldest), mean ±sd", len(b.ids), b.ids[0], b.ids[len(b.ids)-1])
	case *b.spec != "":
		res.Base.Label = *b.spec
	default:
		res.Base.Label = pos[0]
	}
}

// The flags of `ccload history`.

const historyUsage = `Usage: ccload history list|show|trend|export|prune|add [flags] [args]

Reads and maintains the run history that run, replay, capacity and merge record into with
--history FILE|postgres://... (or $CCLOAD_HISTORY): a SQLite file, or a PostgreSQL database a
team shares (docs/history.md).

  ccload history list  [filters]                 the runs, newest first, one line each
  ccload history show  ID                        one run: identity, labels, counts, every group
  ccload history trend [filters] [--group G] [--html FILE]
                                                 each group's p50/p95/p99, error rate and verdict
                                                 across runs, oldest first; --html writes a page
  ccload history export ID [-o FILE]             the run's report.json, as it was written
  ccload history prune --keep N [filters]        delete all but the N most recent selected runs
  ccload history add REPORT.json [--label K=V]   record a report written earlier

Filters: --scenario NAME|HASH, --label KEY=VALUE (repeatable), --verdict pass|fail|incomplete,
--last N.

Exit codes: 0 done; 2 bad usage, or a store that cannot be read (missing, damaged, of a newer
ccload, or another application's database).

Flags:
`

// historyCmdFlags are the flags every history subcommand accepts.
type historyCmdFlags struct {
	fs       *flag.FlagSet
	loc      *string
	scenario *string
	labels   labelFlags
	verdict  *string
	last     *int
	group    groupFlags
	html     *string
	out      *string
	keep     *int
	jsonOut  *bool
}

type groupFlags []string

func (g *groupFlags) String() string     { return strings.Join(*g, ",") }
func (g *groupFlags) Set(s string) error { *g = append(*g, s); return nil }

func newHistoryFlags() *historyCmdFlags {
	fs := flag.NewFlagSet("history", flag.ContinueOnError)
	f := &historyCmdFlags{fs: fs}
	f.loc = fs.String("history", "", "the run history: a SQLite `file` or postgres://user@host/db (default: $"+history.EnvVar+")")
	f.scenario = fs.String("scenario", "", "only runs of this scenario `NAME` or hash (a prefix of its sha256)")
	fs.Var(&f.labels, "label", "only runs with this `KEY=VALUE` label (repeatable: all must match); with add, the run's labels")
	f.verdict = fs.String("verdict", "", "only runs of this verdict: pass, fail or incomplete")
	f.last = fs.Int("last", 0, "only the `N` most recent selected runs (default: all; trend: 50)")
	fs.Var(&f.group, "group", "trend: this group `NAME` only (repeatable; \"all\" is the whole run; default: every group)")
	f.html = fs.String("html", "", "trend: also write a self-contained page of the charts to `FILE`")
	f.out = fs.String("o", "", "export: write the report to `FILE` (default: standard output)")
	f.keep = fs.Int("keep", -1, "prune: how many (`N`) of the most recent selected runs to keep (required)")
	f.jsonOut = fs.Bool("json", false, "list: print the runs as JSON lines")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), historyUsage)
		fs.PrintDefaults()
	}
	return f
}

// check holds the flags and arguments of history's subcommand sub to their rules: the filter
// they select, and the run ID show and export name (pos: the subcommand's own arguments).
func (f *historyCmdFlags) check(sub string, pos []string) (flt history.Filter, id int64, err error) {
	if flt, err = f.filter(); err != nil {
		return flt, 0, err
	}
	if sub == "show" || sub == "export" {
		if id, err = strconv.ParseInt(strings.TrimPrefix(pos[0], "#"), 10, 64); err != nil || id < 1 {
			return flt, 0, fmt.Errorf("%s %q: want a run ID, a number (ccload history list shows them)", sub, pos[0])
		}
	}
	if keep := *f.keep; sub == "prune" && keep < 0 && givenFlags(f.fs)["keep"] {
		return flt, 0, fmt.Errorf("--keep %d: want how many of the most recent selected runs to keep, 0 or more", keep)
	}
	if sub == "prune" && *f.keep < 0 {
		return flt, 0, errors.New("prune needs --keep N (how many of the most recent selected runs to keep)")
	}
	return flt, id, nil
}

func (f *historyCmdFlags) filter() (history.Filter, error) {
	flt := history.Filter{Scenario: *f.scenario, Labels: f.labels.m(), Last: *f.last}
	switch *f.verdict {
	case "":
	case history.VerdictPass, history.VerdictFail, history.VerdictIncomplete:
		flt.Verdicts = []string{*f.verdict}
	default:
		return flt, fmt.Errorf("--verdict %s: want pass, fail or incomplete", *f.verdict)
	}
	if *f.last < 0 {
		return flt, errors.New("--last must not be negative")
	}
	return flt, nil
}

// historyArgs is parseArgs' check of history's positional arguments: the subcommand (stored in
// *sub; flags may stand anywhere, the first positional argument is it) and its own arguments.
func historyArgs(sub *string) func(pos []string) string {
	wantArgs := map[string]int{"list": 0, "trend": 0, "prune": 0, "show": 1, "export": 1, "add": 1}
	return func(pos []string) string {
		if len(pos) == 0 {
			return "want a subcommand: list, show, trend, export, prune or add"
		}
		*sub = pos[0]
		n, ok := wantArgs[*sub]
		switch {
		case !ok:
			return fmt.Sprintf("unknown subcommand %q (want list, show, trend, export, prune or add)", *sub)
		case len(pos)-1 == n:
			return ""
		case n == 0:
			return fmt.Sprintf("history %s takes no arguments, only flags", *sub)
		case *sub == "add":
			return "history add wants one REPORT.json"
		}
		return fmt.Sprintf("history %s wants one run ID (ccload history list shows them)", *sub)
	}
}
