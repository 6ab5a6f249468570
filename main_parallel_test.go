package main

import (
	"flag"
	"os"
	"strconv"
	"testing"
)

// realTimeParallel is how many realTime tests run at once when -parallel is not given. They
// wait on real time far more than they compute (`time go test -race -count=1 .`: 28 s of user+sys
// CPU in 2 min 34 s of wall time, 2026-12-02), so GOMAXPROCS (the default, 2 in CI) left the
// cores idle, and the 48 s fit round trip could start last and run alone.
// (6 was tried on 2026-12-07: no faster, and more contention for the -race replay test.)
const realTimeParallel = 4

// TestMain raises -parallel to realTimeParallel unless the command line set it.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		if err := flag.Set("test.parallel", strconv.Itoa(realTimeParallel)); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
