// Command profile runs a scenario through the runner exactly as `ccload run`
// does, with a CPU (and optionally heap) profile of the whole generator, so the
// pprof top entries in docs/perf.md come from the real hot path.
//
//	go run ./bench/profile --scenario bench/chat.yaml --target http://127.0.0.1:18090 \
//	    --duration 5s --cpu /tmp/ccload.cpu
//	go tool pprof -top /tmp/ccload.cpu
//
// --cpu-from and --cpu-until profile a window only (after a ramp, before the end-of-run
// teardown) and print the process's CPU time in it (docs/perf.md, issue 24).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"syscall"
	"time"

	"ccload/runner"
	"ccload/scenario"
)

func main() {
	scen := flag.String("scenario", "bench/chat.yaml", "scenario file")
	target := flag.String("target", "http://127.0.0.1:18090", "target base URL (loopback)")
	duration := flag.Duration("duration", 5*time.Second, "run length")
	cpu := flag.String("cpu", "", "write a CPU profile here")
	cpuFrom := flag.Duration("cpu-from", 0, "start the CPU profile this long after the start (leave a ramp out of it); the process CPU time from then to the profile's end is printed")
	cpuUntil := flag.Duration("cpu-until", 0, "stop the CPU profile this long after the start (leave the end-of-run teardown out of it; 0: at the end)")
	heap := flag.String("heap", "", "write a heap profile here (at --heap-at, or at the end)")
	heapAt := flag.Duration("heap-at", 0, "when to write the heap profile, from the start (0: at the end)")
	heapEvery := flag.Duration("heap-every", 0, "also write FILE.1, FILE.2, ... every this long, with the heap in use printed")
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
		startCPU := func() {
			if err := pprof.StartCPUProfile(f); err != nil {
				fail("%v", err)
			}
		}
		if *cpuFrom > 0 {
			time.AfterFunc(*cpuFrom, func() { cpuAt.Store(int64(processCPU())); startCPU() })
		} else {
			startCPU()
		}
		if *cpuUntil > *cpuFrom {
			time.AfterFunc(*cpuUntil, func() {
				pprof.StopCPUProfile()
				fmt.Printf("process CPU from %s to %s: %s\n", *cpuFrom, *cpuUntil, (processCPU() - time.Duration(cpuAt.Load())).Round(time.Millisecond))
			})
		}
		defer pprof.StopCPUProfile()
	}
	if *heap != "" && *heapAt > 0 {
		time.AfterFunc(*heapAt, func() { writeHeap(*heap) })
	}
	if *heap != "" && *heapEvery > 0 {
		go func() {
			t := time.NewTicker(*heapEvery)
			defer t.Stop()
			for i := 1; ; i++ {
				<-t.C
				writeHeap(fmt.Sprintf("%s.%d", *heap, i))
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				fmt.Printf("%s: heap in use %.1f MiB, live after GC %.1f MiB, stacks %.1f MiB, from the OS %.1f MiB\n",
					time.Duration(i)**heapEvery, mib(ms.HeapInuse), mib(ms.HeapAlloc), mib(ms.StackInuse), mib(ms.Sys))
			}
		}()
	}
	peak := make(chan memPeak, 1)
	stop := make(chan struct{})
	go sampleMemory(stop, peak)
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
	close(stop)
	p := <-peak
	if *cpu != "" && *cpuFrom > 0 && *cpuUntil <= *cpuFrom {
		fmt.Printf("process CPU from %s to the end: %s\n", *cpuFrom, (processCPU() - time.Duration(cpuAt.Load())).Round(time.Millisecond))
	}
	fmt.Printf("requests %d in %.1fs: %.0f/s\n", rep.Requests.Total, rep.DurationS, float64(rep.Requests.Total)/rep.DurationS)
	fmt.Printf("peak (sampled every second): %d goroutines, heap in use %.1f MiB, stacks in use %.1f MiB, from the OS %.1f MiB\n",
		p.goroutines, mib(p.heap), mib(p.stack), mib(p.sys))
	if *heap != "" && *heapAt <= 0 {
		writeHeap(*heap)
	}
}

func writeHeap(path string) {
	f, err := os.Create(path)
	if err != nil {
		fail("%v", err)
	}
	defer f.Close()
	runtime.GC() // the profile shows live objects as of the last GC
	if err := pprof.WriteHeapProfile(f); err != nil {
		fail("%v", err)
	}
}

// memPeak is the largest of each figure seen while the run went on.
type memPeak struct {
	goroutines       int
	heap, stack, sys uint64
}

// sampleMemory reads runtime.MemStats every second until stop, then sends the peaks.
func sampleMemory(stop <-chan struct{}, out chan<- memPeak) {
	var p memPeak
	var ms runtime.MemStats
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			out <- p
			return
		case <-t.C:
		}
		runtime.ReadMemStats(&ms)
		p.goroutines = max(p.goroutines, runtime.NumGoroutine())
		p.heap = max(p.heap, ms.HeapInuse)
		p.stack = max(p.stack, ms.StackInuse)
		p.sys = max(p.sys, ms.Sys)
	}
}

// cpuAt is the process CPU time when the CPU profile started (--cpu-from).
var cpuAt atomic.Int64

// processCPU is the process's user+system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "profile: "+format+"\n", args...)
	os.Exit(2)
}
