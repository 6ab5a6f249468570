// Command profile runs a scenario through the runner exactly as `ccload run`
// does, with a CPU (and optionally heap) profile of the whole generator, so the
// pprof top entries in docs/perf.md come from the real hot path.
//
//	go run ./bench/profile --scenario bench/chat.yaml --target http://127.0.0.1:18090 \
//	    --duration 5s --cpu /tmp/ccload.cpu
//	go tool pprof -top /tmp/ccload.cpu
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"ccload/runner"
	"ccload/scenario"
)

func main() {
	scen := flag.String("scenario", "bench/chat.yaml", "scenario file")
	target := flag.String("target", "http://127.0.0.1:18090", "target base URL (loopback)")
	duration := flag.Duration("duration", 5*time.Second, "run length")
	cpu := flag.String("cpu", "", "write a CPU profile here")
	heap := flag.String("heap", "", "write a heap profile here at the end")
	memRate := flag.Int("memrate", 0, "runtime.MemProfileRate (0: default)")
	flag.Parse()
	if *duration <= 0 || *duration > 10*time.Minute {
		fail("--duration must be in (0, 10m]")
	}
	if *memRate > 0 {
		runtime.MemProfileRate = *memRate
	}

	s, err := scenario.LoadFile(*scen)
	if err != nil {
		fail("%v", err)
	}
	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			fail("%v", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fail("%v", err)
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := runner.Run(context.Background(), runner.Config{
		Scenario: s,
		BaseURL:  *target,
		Duration: *duration,
		Grace:    -1,
		Progress: runner.ProgressNone,
	})
	if err != nil {
		fail("%v", err)
	}
	fmt.Printf("requests %d in %.1fs: %.0f/s\n", rep.Requests.Total, rep.DurationS, float64(rep.Requests.Total)/rep.DurationS)
	if *heap != "" {
		f, err := os.Create(*heap)
		if err != nil {
			fail("%v", err)
		}
		defer f.Close()
		pprof.WriteHeapProfile(f)
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "profile: "+format+"\n", args...)
	os.Exit(2)
}
