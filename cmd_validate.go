package main

import (
	"context"
	"fmt"
	"io"
)

// cmdValidate is a placeholder until its issue lands.
func cmdValidate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "ccload validate: not built yet")
	return exitUsage
}
