package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"ccload/gates"
	"ccload/render"
	"ccload/report"
	"ccload/report/compare"
	htmlreport "ccload/report/html"
)

const compareUsage = `Usage: ccload compare BASE.json NEW.json [flags]

Against the run history instead of one BASE.json:
  ccload compare --baseline 'history:last=10,label=env=staging' NEW.json  (docs/history.md)

Compares two reports group by group ("all" and every group both have, matched by
name): p50/p95/p99/max response time, error rate, rps and resultCode shares, with
BASE, NEW and the change. By default only the rows that differ are printed
(worse, better or over a limit); --all prints every row. A percentile change
within the histograms' precision (3 significant digits) is never a regression,
and a group with fewer than 100 requests in either report is never called worse.

ccload compare --baseline 'history:last=10,label=env=staging' NEW.json compares
NEW with the last comparable runs of the history instead (docs/history.md).

Limits gate the comparison: METRIC[@GROUP]=LIMIT, e.g.
  p99=10%             p99 response time may grow by 10% of BASE
  p95@step:ask=+20ms  ... or by 20 ms, for the named step's group
  error_rate=0.1pp    the error rate may grow by 0.1 percentage points
  rps=-5%             throughput may fall by 5%
  code:0@*=0.5pp      the share of resultCode "0" may fall by 0.5pp, in every group
Metrics: any percentile as thresholds write it (p50 p90 p95 p98 p99 p999 p99.9),
max, min, mean (response time; service_time.p99 for service time), error_rate,
rps, code:<resultCode>. Limits come from NEW's
scenario (its compare: section) and from --max-regression, which overrides a
scenario limit on the same metric and group.

--html FILE writes a self-contained page: both runs' percentile spectra and
their time series overlaid, each limit's allowed value marked.

A group with fewer than 100 requests in either report is not judged by any
limit (rps excepted), named or not. A limit exceeded against or from a report
whose generator was the limit (report.json's generator_limit) is inconclusive,
not a regression, unless --force.

Exit codes: 0 every limit held (or none was set); 1 a limit was exceeded;
2 bad usage, a bad limit, or a report that cannot be read; 3 inconclusive: a
limit was exceeded, but a report's generator was the limit (--force judges it).

Flags:
`

// compareFlagList collects a repeatable flag.
type compareFlagList []string

func (l *compareFlagList) String() string     { return strings.Join(*l, ",") }
func (l *compareFlagList) Set(s string) error { *l = append(*l, s); return nil }

// cmdCompare is `ccload compare BASE.json NEW.json`: a regression gate between two reports.
func cmdCompare(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("compare", stderr)
	var limitFlags compareFlagList
	fs.Var(&limitFlags, "max-regression", "regression `limits`, comma-separated or repeated (e.g. p99=10%,error_rate=0.1pp,rps=-5%)")
	jsonOut := addOutputFlag(fs, "also write the comparison as JSON to `FILE`", "json")
	junitOut := fs.String("junit", "", "also write one JUnit testcase per limit to `FILE`")
	noScenario := fs.Bool("no-scenario-limits", false, "ignore the compare: section of NEW's scenario")
	htmlOut := fs.String("html", "", "also write the compare view (both runs' spectra and time series overlaid, limits marked) to `FILE`")
	mdOut := fs.String("markdown", "", "also write a Markdown job summary (verdict, limits, the groups that changed, a link to --html) to `FILE`")
	mdLink := fs.String("link", "", "with --markdown: the compare view's `URL` for the summary's link (default: the --html file, relative to the summary)")
	all := fs.Bool("all", false, "print every row, unchanged ones and groups with too few requests included")
	force := fs.Bool("force", false, "call regressions even when a report's generator, not its target, was the limit")
	bl := addBaselineFlags(fs)
	setUsage(fs, compareUsage)
	pos, code, done := parseArgs(fs, args, stdout, func(pos []string) string {
		if len(pos) != bl.args() {
			return bl.want()
		}
		return ""
	})
	if done {
		return code
	}
	base, next, code := bl.read(ctx, pos, stderr)
	if next == nil {
		return code
	}

	var limits []compare.Limit
	if !*noScenario {
		if next.Gates != nil {
			limits = next.Gates.Compare
		} else if next.ScenarioText != "" {
			fmt.Fprintf(stderr, "ccload compare: %s carries no compiled compare limits (report.json without \"gates\", written by an older ccload): its scenario's compare: section is not applied; give --max-regression\n", pos[len(pos)-1])
		}
	}
	flagLimits, err := gates.ParseCompareLimits(limitFlags)
	if err != nil {
		printError(stderr, "compare", fmt.Errorf("--max-regression: %w", err))
		return exitUsage
	}
	limits = gates.OverrideCompareLimits(limits, flagLimits)

	res := bl.compare(next, limits, compare.Options{Force: *force})
	bl.label(&res, pos)
	if err := render.WriteCompareTextWith(stdout, res, render.CompareTextOptions{All: *all}); err != nil {
		printError(stderr, "compare", err)
		return exitUsage
	}
	code = exitOK
	switch {
	case !res.Pass:
		code = exitFailed
	case res.Inconclusive != "":
		code = exitAborted // inconclusive: the generator was the limit
	}
	for _, o := range []struct {
		path  string
		write func(io.Writer, compare.Result) error
	}{{*jsonOut, compare.WriteJSON}, {*junitOut, render.WriteCompareJUnit}, {*htmlOut, func(w io.Writer, c compare.Result) error {
		return htmlreport.WriteCompareHTML(w, base, next, limits, c)
	}}, {*mdOut, func(w io.Writer, c compare.Result) error {
		return render.WriteCompareMarkdown(w, c, render.MarkdownOptions{HTML: summaryLink(*mdOut, *mdLink, *htmlOut)})
	}}} {
		if o.path == "" {
			continue
		}
		err := report.WriteFileWith(o.path, func(w io.Writer) error { return o.write(w, res) })
		if err != nil {
			printError(stderr, "compare", err)
			code = exitUsage
		}
	}
	return code
}
