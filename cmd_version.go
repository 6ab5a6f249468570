package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Set by the Makefile with -ldflags -X (make build); empty in a plain `go build` or `go install`,
// where versionInfo falls back to what the Go toolchain stamped into the binary.
var (
	version   string
	commit    string
	buildDate string
)

// versionInfo returns the version, commit and build date, from -ldflags or else debug.ReadBuildInfo.
func versionInfo() (v, c, d string) {
	v, c, d = version, commit, buildDate
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && c == "":
				c = s.Value
			case s.Key == "vcs.time" && d == "":
				d = s.Value
			case s.Key == "vcs.modified" && s.Value == "true" && c != "" && commit == "":
				c += "-dirty"
			}
		}
	}
	for _, p := range []*string{&v, &c, &d} {
		if *p == "" {
			*p = "unknown"
		}
	}
	return v, c, d
}

// cmdVersion is `ccload version`: what a bug report needs to name the binary.
func cmdVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "--help" {
			fmt.Fprintln(stdout, "Usage: ccload version\n\nPrints the version, commit, build date and Go version of this binary.")
			return exitOK
		}
		return badUsage(stderr, "version", fmt.Sprintf("unexpected argument %q (it takes none)", args[0]))
	}
	v, c, d := versionInfo()
	fmt.Fprintf(stdout, "ccload %s\ncommit:     %s\nbuilt:      %s\ngo version: %s %s/%s\n", v, c, d, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}
