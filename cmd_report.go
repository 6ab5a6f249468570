package main

import (
	"context"
	"fmt"
	"io"
)

// cmdReport is a placeholder until its issue lands.
func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "ccload report: not built yet")
	return exitUsage
}
