package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"ccload/report"
)

const mergeUsage = `Usage: ccload merge -o OUT.json SHARD.json...

Merges the report.json files of shards (ccload run --shard I/N) into one report, exactly:
every histogram is decoded and merged and every percentile recomputed from the merge, never
averaged; counts, resultCodes, HTTP statuses, error classes and sessions add up; the time
series are aligned on each shard's start. It prints the merged summary.

Flags:
  -o FILE   where to write the merged report (required; written atomically)
  --force   merge reports of different scenarios (normally refused)

Exit status: 0 merged; 2 bad usage, or a report that cannot be read or merged.
`

// cmdMerge implements `ccload merge -o OUT.json SHARD.json...`.
func cmdMerge(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), mergeUsage) }
	out := fs.String("o", "", "merged report path")
	force := fs.Bool("force", false, "merge reports of different scenarios")
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
	merged, err := report.MergeWith(report.MergeOptions{Force: *force}, reports...)
	if err != nil {
		fmt.Fprintf(stderr, "ccload merge: %v\n", err)
		return exitUsage
	}
	if err := report.WriteFileAt(*out, merged); err != nil {
		fmt.Fprintf(stderr, "ccload merge: %v\n", err)
		return exitUsage
	}
	if err := report.WriteSummary(stdout, merged); err != nil {
		fmt.Fprintf(stderr, "ccload merge: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "merged %d reports into %s\n", len(reports), *out)
	return exitOK
}
