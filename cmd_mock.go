package main

import (
	"context"
	"fmt"
	"io"
)

// cmdMock is a placeholder until its issue lands.
func cmdMock(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "ccload mock: not built yet")
	return exitUsage
}
