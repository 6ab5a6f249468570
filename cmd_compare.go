package main

import (
	"context"
	"fmt"
	"io"
)

// cmdCompare is a placeholder until its issue lands.
func cmdCompare(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "ccload compare: not built yet")
	return exitUsage
}
