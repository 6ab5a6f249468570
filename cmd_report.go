package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"ccload/render"
	"ccload/report"
	htmlreport "ccload/report/html"
)

const reportUsage = `Usage: ccload report REPORT.json [flags]

Re-renders a saved report.json, a single run's or a merged one. With no flags it
prints the console summary and writes nothing; each flag writes one output
(atomically). The thresholds are those evaluated when the report was made.

Exit codes: 0 rendered; 2 bad usage, or a report that cannot be read or written.

Flags:
`

// cmdReport is `ccload report REPORT.json [--html F] [--junit F] [--csv F] [--out DIR]`.
func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("report", stderr)
	htmlOut := fs.String("html", "", "write the self-contained HTML report to `FILE`")
	junitOut := fs.String("junit", "", "write the thresholds as JUnit XML to `FILE`")
	csvOut := fs.String("csv", "", "write the time series as CSV to `FILE`")
	dirOut := addOutDirFlag(fs, "write report.html, junit.xml and timeseries.csv into `DIR`")
	mdOut := fs.String("markdown", "", "write a Markdown job summary (verdict, thresholds, sessions, groups, a link to the HTML) to `FILE`")
	mdLink := fs.String("link", "", "with --markdown: the HTML report's `URL` for the summary's link (default: the --html or --out file, relative to the summary)")
	setUsage(fs, reportUsage)
	pos, code, done := parseArgs(fs, args, stdout, oneArg("want exactly one REPORT.json"))
	if done {
		return code
	}
	rep, err := report.ReadFile(pos[0])
	if err != nil {
		printError(stderr, "report", err)
		return exitUsage
	}
	type output struct {
		path  string
		write func(io.Writer, *report.Report) error
	}
	outs := []output{{*htmlOut, htmlreport.WriteHTML}, {*junitOut, render.WriteJUnit}, {*csvOut, render.WriteCSV}}
	if *dirOut != "" {
		outs = append(outs, output{filepath.Join(*dirOut, report.HTMLFileName), htmlreport.WriteHTML},
			output{filepath.Join(*dirOut, report.JUnitFileName), render.WriteJUnit},
			output{filepath.Join(*dirOut, report.CSVFileName), render.WriteCSV})
	}
	if *mdOut != "" {
		outs = append(outs, output{*mdOut, markdownWriter(*mdOut, *mdLink, *htmlOut, *dirOut)})
	}
	wrote := 0
	code = exitOK
	for _, o := range outs {
		if o.path == "" {
			continue
		}
		wrote++
		if err := report.WriteOutputFile(o.path, rep, o.write); err != nil {
			printError(stderr, "report", err)
			code = exitUsage
			continue
		}
		fmt.Fprintln(stdout, "wrote", o.path)
	}
	if wrote == 0 {
		if err := render.WriteSummary(stdout, rep); err != nil {
			printError(stderr, "report", err)
			return exitUsage
		}
	}
	return code
}
