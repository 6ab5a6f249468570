// Package browsertest finds the Chromium the browser tests of report/html, dashboard and
// history open their pages in, so the three look for it the same way.
package browsertest

import (
	"os"
	"os/exec"
)

// Chromium is the browser to run: $CHROMIUM, then chromium or chromium-browser on PATH ("" when
// none is found; .ci/run installs Debian's chromium).
func Chromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}
