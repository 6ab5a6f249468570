package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"ccload/history"
	"ccload/report"
)

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

Exit codes: 0 done; 2 bad usage, or a store that cannot be read (missing, damaged,
of a newer ccload, or another application's database).

Flags:
`

func init() {
	commands = append(commands, struct {
		name string
		command
	}{"history", command{"list, show, trend, export and prune the run history (--history)", cmdHistory}})
}

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

// cmdHistory is `ccload history SUBCOMMAND`: it reads and maintains the run history.
func cmdHistory(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newHistoryFlags()
	f.fs.SetOutput(stderr)
	if len(args) == 0 {
		f.fs.Usage()
		return exitUsage
	}
	wantArgs := map[string]int{"list": 0, "trend": 0, "prune": 0, "show": 1, "export": 1, "add": 1}
	var sub string
	pos, code, done := parseArgs(f.fs, args, stdout, func(pos []string) string {
		// Flags may stand anywhere: the first positional argument is the subcommand.
		if len(pos) == 0 {
			return "want a subcommand: list, show, trend, export, prune or add"
		}
		sub = pos[0]
		n, ok := wantArgs[sub]
		switch {
		case !ok:
			return fmt.Sprintf("unknown subcommand %q (want list, show, trend, export, prune or add)", sub)
		case len(pos)-1 == n:
			return ""
		case n == 0:
			return fmt.Sprintf("history %s takes no arguments, only flags", sub)
		case sub == "add":
			return "history add wants one REPORT.json"
		}
		return fmt.Sprintf("history %s wants one run ID (ccload history list shows them)", sub)
	})
	if done {
		return code
	}
	pos = pos[1:]
	flt, err := f.filter()
	if err != nil {
		return badUsage(stderr, "history", err.Error())
	}
	var id int64
	if sub == "show" || sub == "export" {
		if id, err = strconv.ParseInt(strings.TrimPrefix(pos[0], "#"), 10, 64); err != nil || id < 1 {
			return badUsage(stderr, "history", fmt.Sprintf("%s %q: want a run ID, a number (ccload history list shows them)", sub, pos[0]))
		}
	}
	if sub == "prune" && *f.keep < 0 {
		return badUsage(stderr, "history", "prune needs --keep N (how many of the most recent selected runs to keep)")
	}
	loc := historyLocation(*f.loc)
	if loc == "" {
		return badUsage(stderr, "history", "no history named: give --history FILE|postgres://... or set "+history.EnvVar)
	}
	mode := history.ReadOnly
	if sub == "add" {
		mode = history.ReadWrite
	}
	s, err := history.Open(ctx, loc, mode)
	if err != nil {
		fmt.Fprintf(stderr, "ccload history: %s\n", historyErr(err))
		return exitUsage
	}
	defer s.Close()
	fail := func(err error) int {
		fmt.Fprintf(stderr, "ccload history %s: %s\n", sub, historyErr(err))
		return exitUsage
	}
	switch sub {
	case "list":
		runs, err := s.List(ctx, flt)
		if err != nil {
			return fail(err)
		}
		if *f.jsonOut {
			enc := json.NewEncoder(stdout)
			for _, e := range runs {
				if err := enc.Encode(historyJSON(e)); err != nil {
					return fail(err)
				}
			}
			return exitOK
		}
		if len(runs) == 0 {
			fmt.Fprintf(stdout, "no runs in %s match\n", s.Location())
			return exitOK
		}
		if err := history.WriteList(stdout, runs); err != nil {
			return fail(err)
		}
	case "show":
		e, err := s.Get(ctx, id)
		if err != nil {
			return fail(err)
		}
		if err := history.WriteShow(stdout, e); err != nil {
			return fail(err)
		}
	case "export":
		e, err := s.Get(ctx, id)
		if err != nil {
			return fail(err)
		}
		if *f.out == "" {
			_, err = stdout.Write(e.Report)
		} else {
			err = report.WriteFileWith(*f.out, func(w io.Writer) error { _, err := w.Write(e.Report); return err })
		}
		if err != nil {
			return fail(err)
		}
	case "trend":
		if flt.Last == 0 {
			flt.Last = 50
		}
		runs, err := s.List(ctx, flt)
		if err != nil {
			return fail(err)
		}
		if len(runs) == 0 {
			fmt.Fprintf(stdout, "no runs in %s match\n", s.Location())
			return exitOK
		}
		var groups []string
		if len(f.group) > 0 {
			groups = f.group
		}
		if err := history.WriteTrendText(stdout, runs, groups); err != nil {
			return fail(err)
		}
		if *f.html != "" {
			title := "ccload history: " + runs[0].Scenario
			if *f.scenario == "" && len(distinctScenarios(runs)) > 1 {
				title = "ccload history: " + strings.Join(distinctScenarios(runs), ", ")
			}
			err := report.WriteFileWith(*f.html, func(w io.Writer) error { return history.WriteTrendHTML(w, title, runs, groups) })
			if err != nil {
				return fail(err)
			}
			fmt.Fprintf(stdout, "\ntrend page: %s\n", *f.html)
		}
	case "prune":
		n, err := s.Prune(ctx, flt, *f.keep)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "pruned %d runs from %s\n", n, s.Location())
	case "add":
		raw, err := os.ReadFile(pos[0])
		if err != nil {
			return fail(err)
		}
		labels := history.CILabels(os.Getenv)
		for k, v := range f.labels.m() {
			labels[k] = v
		}
		e, err := history.Prepare("", raw, labels)
		if err != nil {
			return fail(fmt.Errorf("%s: %w", pos[0], err))
		}
		r, _ := report.ReadJSON(bytes.NewReader(e.Report))
		e.Command = history.Kind(r) // what recorded it is unknown: the kind of run it is
		if e.Command == "run" && e.Shards > 1 && e.Shard == "" {
			e.Command = "merge"
		}
		v, _, _, _ := buildInfo()
		e.Version = v
		id, err := s.Record(ctx, e)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "recorded %s as run #%d in %s (%s)\n", pos[0], id, s.Location(), e.Verdict)
	}
	return exitOK
}

func distinctScenarios(runs []*history.Entry) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range runs {
		if !seen[e.Scenario] {
			seen[e.Scenario] = true
			out = append(out, e.Scenario)
		}
	}
	return out
}

// historyJSON is one line of `history list --json`.
func historyJSON(e *history.Entry) map[string]any {
	groups := map[string]any{}
	for _, g := range e.Groups {
		groups[g.Name] = map[string]any{"requests": g.Requests, "errors": g.Errors, "error_rate": g.ErrorRate, "rps": g.RPS,
			"p50_us": g.P50, "p90_us": g.P90, "p95_us": g.P95, "p99_us": g.P99, "p999_us": g.P999, "max_us": g.MaxUS}
	}
	return map[string]any{"id": e.ID, "recorded_at": e.RecordedAt, "command": e.Command, "scenario": e.Scenario,
		"scenario_sha256": e.ScenarioSHA256, "started_at": e.StartedAt, "duration_s": e.DurationS, "stop_reason": e.StopReason,
		"verdict": e.Verdict, "shard": e.Shard, "shards": e.Shards, "labels": e.Labels, "requests": e.Requests, "ok": e.OK,
		"errors": e.Errors, "not_sent": e.NotSent, "sessions_started": e.SessionsStarted, "sessions_failed": e.SessionsFailed,
		"report_sha256": e.ReportSHA256, "ccload_version": e.Version, "groups": groups}
}
