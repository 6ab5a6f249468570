package main

import (
	"context"
	"fmt"
	"io"
)

// cmdMerge is a placeholder until its issue lands.
func cmdMerge(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "ccload merge: not built yet")
	return exitUsage
}
