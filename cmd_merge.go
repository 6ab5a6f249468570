package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"ccload/gates/evaluate"
	"ccload/render"
	"ccload/report"
	"ccload/report/merge"
)

const mergeUsage = `Usage: ccload merge -o OUT.json SHARD.json...

Merges the report.json files of shards (ccload run --shard I/N) into one report, exactly:
every histogram is decoded and merged and every percentile recomputed from the merge, never
averaged; counts, resultCodes, HTTP statuses, error classes and sessions add up; the time
series are aligned on each shard's start. The scenario's thresholds (compiled in the reports'
"gates"; the scenario is not parsed again) are evaluated again on the merged report, stored in it
and printed with the merged summary; a shard's own verdicts are not carried over, since each
judged a slice of the load (a shard records the rates and counts it cannot judge as "judged by
merge" and exits 0 on them: this merge is the run's verdict). Shards written by a ccload that did not store "gates" merge without
thresholds, and the merged report carries the warning "thresholds not evaluated: ...".

Shard reports say which shard they are (I of N), the hash of their scenario text and their seed.
A set is refused (exit 2, naming the files) when it holds the same shard twice, shards of
different N, scenarios or seeds, or lacks a shard (unless --partial). Reports of ccload
capacity are refused always: a search's steps follow from its own verdicts, so two searches
do not add up to one.

Exit codes: 0 merged; 1 merged, but a threshold failed; 2 bad usage, or a report that cannot be
read or merged; 3 inconclusive: only thresholds the generator's limit can explain failed (a
shard's generator was the limit: report.json's generator_limit).

Flags:
`

// cmdMerge implements `ccload merge -o OUT.json SHARD.json...`.
func cmdMerge(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("merge", stderr)
	setUsage(fs, mergeUsage)
	out := addOutputFlag(fs, "where to write the merged report, `FILE` (required; written atomically)")
	force := fs.Bool("force", false, "merge reports of different scenarios or seeds (normally refused)")
	partial := fs.Bool("partial", false, "merge an incomplete set of shards; the report lists the missing ones")
	hist := addHistoryFlags(fs)
	files, code, done := parseArgs(fs, args, stdout, func([]string) string { return "" })
	if done {
		return code
	}
	if *out == "" {
		return badUsage(stderr, "merge", "-o OUT.json is required: name the merged report's file")
	}
	if len(files) == 0 {
		return badUsage(stderr, "merge", "no shard reports given: list the shards' report.json files")
	}
	reports := make([]*report.Report, 0, len(files))
	for _, f := range files {
		if ctx.Err() != nil {
			return exitAborted
		}
		r, err := report.ReadFile(f)
		if err != nil {
			printError(stderr, "merge", err)
			return exitUsage
		}
		reports = append(reports, r)
	}
	if code := hist.start(ctx, nil, stderr); code != exitOK {
		return code
	}
	set, err := merge.CheckShards(files, reports, merge.ShardCheck{Partial: *partial, Force: *force})
	if err != nil {
		printError(stderr, "merge", err)
		return exitUsage
	}
	merged, err := merge.With(merge.Options{Force: *force}, reports...)
	if err != nil {
		printError(stderr, "merge", err)
		return exitUsage
	}
	merge.ApplyShards(merged, reports, set)
	failed := evaluateMergedThresholds(merged, reports, stderr)
	if err := report.WriteFileAt(*out, merged); err != nil {
		printError(stderr, "merge", err)
		return exitUsage
	}
	if err := render.WriteSummary(stdout, merged); err != nil {
		printError(stderr, "merge", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "merged %d reports into %s\n", len(reports), *out)
	if failed > 0 {
		fmt.Fprintf(stderr, "ccload merge: %d of %d thresholds failed on the merged report\n", failed, len(merged.Thresholds))
		return hist.done(merged, exitFailed)
	}
	if report.Inconclusive(merged) {
		fmt.Fprintf(stderr, "ccload merge: inconclusive: %d thresholds failed while the generator, not the target, was the limit (%s)\n",
			len(merged.GeneratorLimit.Inconclusive), strings.Join(merged.GeneratorLimit.Reasons, "; "))
		return hist.done(merged, exitAborted)
	}
	return hist.done(merged, exitOK)
}

// evaluateMergedThresholds evaluates the thresholds the shards carry compiled (report.json's
// gates) on a merged report and stores them in it; it returns how many failed. Shards written by a
// ccload that did not store gates but judged thresholds (their reports carry results) leave the
// merge without thresholds, with a warning, and stderr says why.
func evaluateMergedThresholds(r *report.Report, shards []*report.Report, stderr io.Writer) int {
	r.Thresholds = nil
	if r.Gates == nil {
		for _, s := range shards {
			if len(s.Thresholds) > 0 {
				msg := report.NotEvaluatedWarning + ": the shard reports carry threshold results but not the compiled thresholds (report.json without \"gates\", written by an older ccload); rerun the shards with this ccload"
				fmt.Fprintf(stderr, "ccload merge: %s\n", msg)
				r.Warnings = append(r.Warnings, msg)
				return 0
			}
		}
		return 0
	}
	evaluate.Judge(r, r.Gates.Thresholds) // the merged report is the whole run: it judges every threshold
	failed := 0
	for _, t := range r.Thresholds {
		if t.Failed() {
			failed++
		}
	}
	return failed
}
