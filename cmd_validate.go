package main

import (
	"context"
	"fmt"
	"io"

	"ccload/scenario"
)

const validateUsage = `Usage: ccload validate SCENARIO.yaml...

Checks each scenario file without sending anything: YAML syntax, unknown keys, types,
the reference document's field rules for literal values, templates, distributions,
stages, data files, ${ENV} references and thresholds. For each valid file it prints a
plan: the session mix, the requests one session sends by endpoint and controlType
(polls included), and the peak arrival rate or customers with the resulting requests/s.

Exit codes: 0 when every file is valid; 2 otherwise, with every error as
ccload validate: file:line:col: key.path: message.

Flags:
`

// cmdValidate implements `ccload validate FILE...`.
func cmdValidate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("validate", stderr)
	setUsage(fs, validateUsage)
	files, code, done := parseArgs(fs, args, stdout, func(pos []string) string {
		if len(pos) == 0 {
			return "no scenario file given"
		}
		return ""
	})
	if done {
		return code
	}
	for i, path := range files {
		if ctx.Err() != nil {
			return exitAborted
		}
		sc, err := scenario.LoadFile(path)
		if err != nil {
			printError(stderr, "validate", err)
			code = exitUsage
			continue
		}
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fmt.Fprintf(stdout, "%s: valid\n", path)
		if err := sc.Plan().Write(stdout); err != nil {
			printError(stderr, "validate", err)
			return exitAborted
		}
	}
	return code
}
