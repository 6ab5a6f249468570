package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"ccload/report"
	"ccload/runner"
	"ccload/scenario"
)

const mergeUsage = `Usage: ccload merge -o OUT.json SHARD.json...

Merges the report.json files of shards (ccload run --shard I/N) into one report, exactly:
every histogram is decoded and merged and every percentile recomputed from the merge, never
averaged; counts, resultCodes, HTTP statuses, error classes and sessions add up; the time
series are aligned on each shard's start. The scenario's thresholds (from the scenario text the
reports carry) are evaluated again on the merged report, stored in it and printed with the merged
summary; a shard's own verdicts are not carried over, since each judged a slice of the load. When
the scenario text cannot be parsed at merge time (a data file that is not there, say), the merge
goes on and the merged report carries the warning "thresholds not evaluated: ...".

Flags:
  -o FILE   where to write the merged report (required; written atomically)
  --force   merge reports of different scenarios or seeds (normally refused)
  --partial merge an incomplete set of shards; the report lists the missing ones

Shard reports say which shard they are (I of N), the hash of their scenario text and their seed.
A set is refused (exit 2, naming the files) when it holds the same shard twice, shards of
different N, scenarios or seeds, or lacks a shard (unless --partial).

Exit status: 0 merged; 1 merged, but a threshold failed; 2 bad usage, or a report that cannot be
read or merged.
`

// cmdMerge implements `ccload merge -o OUT.json SHARD.json...`.
func cmdMerge(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), mergeUsage) }
	out := fs.String("o", "", "merged report path")
	force := fs.Bool("force", false, "merge reports of different scenarios or seeds")
	partial := fs.Bool("partial", false, "merge an incomplete set of shards")
	files, code, done := parseArgs(fs, args, stdout, func([]string) string { return "" })
	if done {
		return code
	}
	if *out == "" {
		fmt.Fprint(stderr, "ccload merge: -o OUT.json is required\n\n"+mergeUsage)
		return exitUsage
	}
	if len(files) == 0 {
		fmt.Fprint(stderr, "ccload merge: no shard reports given\n\n"+mergeUsage)
		return exitUsage
	}
	reports := make([]*report.Report, 0, len(files))
	for _, f := range files {
		if ctx.Err() != nil {
			return exitAborted
		}
		r, err := report.ReadFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "ccload merge: %v\n", err)
			return exitUsage
		}
		reports = append(reports, r)
	}
	set, err := report.CheckShards(files, reports, report.ShardCheck{Partial: *partial, Force: *force})
	if err != nil {
		fmt.Fprintf(stderr, "ccload merge: %v\n", err)
		return exitUsage
	}
	merged, err := report.MergeWith(report.MergeOptions{Force: *force}, reports...)
	if err != nil {
		fmt.Fprintf(stderr, "ccload merge: %v\n", err)
		return exitUsage
	}
	report.ApplyShards(merged, reports, set)
	failed := evaluateMergedThresholds(merged, stderr)
	if err := report.WriteFileAt(*out, merged); err != nil {
		fmt.Fprintf(stderr, "ccload merge: %v\n", err)
		return exitUsage
	}
	if err := report.WriteSummary(stdout, merged); err != nil {
		fmt.Fprintf(stderr, "ccload merge: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "merged %d reports into %s\n", len(reports), *out)
	if failed > 0 {
		fmt.Fprintf(stderr, "ccload merge: %d of %d thresholds failed on the merged report\n", failed, len(merged.Thresholds))
		return exitFailed
	}
	return exitOK
}

// evaluateMergedThresholds evaluates the scenario's thresholds on a merged report and stores them
// in it; it returns how many failed. The scenario comes from the report's ScenarioText, parsed with
// every ${VAR} answered by a placeholder (no secret is needed, none is printed). When it does not
// parse, the report keeps no thresholds, carries a warning and stderr says why.
func evaluateMergedThresholds(r *report.Report, stderr io.Writer) int {
	r.Thresholds = nil
	if r.ScenarioText == "" {
		return 0
	}
	name := r.File
	if name == "" {
		name = r.Scenario + ".yaml"
	}
	sc, err := parseScenarioAsRun(name, []byte(r.ScenarioText))
	if err != nil {
		msg := "thresholds not evaluated: the scenario as run does not parse at merge time: " + strings.ReplaceAll(err.Error(), "\n", "; ")
		fmt.Fprintf(stderr, "ccload merge: %s\n", msg)
		r.Warnings = append(r.Warnings, msg)
		return 0
	}
	r.Thresholds = report.EvaluateThresholds(r, runner.ThresholdSpecs(sc.Thresholds))
	failed := 0
	for _, t := range r.Thresholds {
		if !t.Pass {
			failed++
		}
	}
	return failed
}

// mergePlaceholder is what a ${VAR} without a default expands to when a scenario is parsed at merge time.
const mergePlaceholder = "ccload-merge-placeholder"

// parseScenarioAsRun parses the scenario text a report carries without the environment it ran in:
// thresholds never depend on it, and no secret is needed or printed at merge time. It first answers
// every ${VAR} as set to "" (so ${VAR:-default} takes the file's default, which is known to be
// valid), then, if that does not parse (an empty value where one is required), as set to a harmless
// placeholder. Of two failures it returns the one with fewer errors.
func parseScenarioAsRun(name string, text []byte) (*scenario.Scenario, error) {
	dir := filepath.Dir(name)
	sc, err := scenario.Parse(name, text, dir, func(string) (string, bool) { return "", true })
	if err == nil {
		return sc, nil
	}
	sc, err2 := scenario.Parse(name, text, dir, func(string) (string, bool) { return mergePlaceholder, true })
	if err2 == nil {
		return sc, nil
	}
	if scenarioErrCount(err2) < scenarioErrCount(err) {
		return nil, err2
	}
	return nil, err
}

// scenarioErrCount counts the problems a scenario parse error lists.
func scenarioErrCount(err error) int {
	var es scenario.Errors
	if errors.As(err, &es) {
		return len(es)
	}
	return 1
}
