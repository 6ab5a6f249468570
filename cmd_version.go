package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Set by the Makefile with -ldflags -X; a plain `go build` or `go install` falls back to the
// module and VCS stamps of debug.ReadBuildInfo.
var (
	version   = ""
	commit    = ""
	buildDate = ""
)

// buildInfo is what `ccload version` prints: version, commit, build date, Go version.
func buildInfo() (v, c, d, goVersion string) {
	v, c, d = version, commit, buildDate
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if c == "" {
					c = s.Value
				}
			case "vcs.time":
				if d == "" {
					d = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if modified && c != "" && c == vcsRevision(bi) {
			c += "-dirty"
		}
	}
	if v == "" {
		v = "dev"
	}
	if c == "" {
		c = "unknown"
	}
	if d == "" {
		d = "unknown"
	}
	return v, c, d, runtime.Version()
}

func vcsRevision(bi *debug.BuildInfo) string {
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			return s.Value
		}
	}
	return ""
}

func cmdVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(stdout, "Usage: ccload version\n\nPrints ccload's version, commit, build date and Go version.\n\nExit codes: 0 printed; 2 bad usage.\n\nFlags:\n  (none besides -h, --help)")
		return exitOK
	}
	if len(args) > 0 {
		fmt.Fprintf(stderr, "ccload version: unexpected argument %q; see 'ccload version --help'\n", args[0])
		return exitUsage
	}
	v, c, d, g := buildInfo()
	fmt.Fprintf(stdout, "ccload %s\ncommit %s\nbuilt %s\n%s\n", v, c, d, g)
	return exitOK
}
