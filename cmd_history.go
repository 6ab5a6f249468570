package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"ccload/history"
	"ccload/report"
)

func init() {
	commands = append(commands, struct {
		name string
		command
	}{"history", command{"list, show, trend, export and prune the run history (--history)", cmdHistory}})
}

// cmdHistory is `ccload history SUBCOMMAND`: it reads and maintains the run history.
func cmdHistory(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newHistoryFlags()
	f.fs.SetOutput(stderr)
	if len(args) == 0 {
		f.fs.Usage()
		return exitUsage
	}
	var sub string
	pos, code, done := parseArgs(f.fs, args, stdout, historyArgs(&sub))
	if done {
		return code
	}
	pos = pos[1:]
	flt, id, err := f.check(sub, pos)
	if err != nil {
		return badUsage(stderr, "history", err.Error())
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
			if err := history.WriteListJSON(stdout, runs); err != nil {
				return fail(err)
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
			title := history.TrendTitle(runs, *f.scenario != "")
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
		labels := f.labels.withCI()
		e, err := history.PrepareAdd(raw, labels)
		if err != nil {
			return fail(fmt.Errorf("%s: %w", pos[0], err))
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
