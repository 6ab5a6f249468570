//go:build linux

// Command timerlag measures how late Go timers fire on this machine: the floor
// under ccload's scheduler lag (runner's producer and scheduler sleep on a
// timer until the next intended start). It draws N due times as the arrival
// process would (exponential gaps, mean 1/rate), sleeps until each (plus --slack),
// releases every one due by the time it woke, and prints the number of sleeps and
// the percentiles of (released - due) in µs. On Linux, Go's netpoller waits with
// epoll_wait, whose timeout is whole milliseconds (runtime/netpoll_epoll.go),
// so a process that goes idle between timers wakes up to about 1 ms late.
//
//	go run ./bench/timerlag --rate 2000 --n 20000
//	go run ./bench/timerlag --rate 2000 --n 20000 --spin 1ms   # sleep to due-1ms, then spin
//	go run ./bench/timerlag --rate 2000 --n 20000 --nanosleep  # clock_nanosleep on a locked thread
//	go run ./bench/timerlag --rate 2000 --n 20000 --timerfd    # a timerfd read through the netpoller (runner's fdTimer)
//	go run ./bench/timerlag --rate 6667 --n 40000 --timerfd --slack 250us  # coalesced: one wake-up releases all due within 250 µs
//	go run ./bench/timerlag --rate 2000 --n 20000 --timerfd --hybrid 1ms   # timerfd for waits ≥ 1 ms, Go timer below
//
// It also prints the process's CPU time (user+sys) per wake-up and as a share of one
// core: what each way of waiting costs, which a busy machine does not inflate the way it
// does the lag.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"syscall"
	"time"
	"unsafe"
)

// nanosleep blocks this OS thread in clock_nanosleep(CLOCK_MONOTONIC) for d: an
// hrtimer with the kernel's timer slack (50 µs), not the netpoller's milliseconds.
func nanosleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	syscall.Syscall6(syscall.SYS_CLOCK_NANOSLEEP, 1 /* CLOCK_MONOTONIC */, 0, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
}

// timerfdSleep arms the timerfd for d and waits in its read, which Go's netpoller wakes
// when the hrtimer expires (no millisecond rounding, no locked thread).
func timerfdSleep(f *os.File, d time.Duration) {
	spec := [2]syscall.Timespec{{}, syscall.NsecToTimespec(int64(d))}
	c, _ := f.SyscallConn()
	c.Control(func(fd uintptr) {
		syscall.Syscall6(syscall.SYS_TIMERFD_SETTIME, fd, 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0)
	})
	var b [8]byte
	f.Read(b[:])
}

func main() {
	rate := flag.Float64("rate", 2000, "wake-ups per second (exponential gaps, as poisson arrivals)")
	n := flag.Int("n", 20000, "wake-ups to measure (the run is bounded by n/rate seconds)")
	spin := flag.Duration("spin", 0, "wake this much early and spin (runtime.Gosched-free busy wait) until due")
	nano := flag.Bool("nanosleep", false, "sleep in clock_nanosleep on a locked OS thread instead of a Go timer")
	tfd := flag.Bool("timerfd", false, "sleep in a read of a timerfd registered with Go's netpoller instead of a Go timer")
	hybrid := flag.Duration("hybrid", 0, "with --timerfd: sleep on the timerfd only for waits of at least this, on a Go timer below it")
	slack := flag.Duration("slack", 0, "coalesce: sleep until the next due time plus this, then release every one due by then (the runner's wakeTimer)")
	flag.Parse()
	var tf *os.File
	if *tfd {
		fd, _, errno := syscall.Syscall(syscall.SYS_TIMERFD_CREATE, 1 /* CLOCK_MONOTONIC */, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		if errno != 0 {
			fmt.Fprintln(os.Stderr, "timerlag: timerfd_create:", errno)
			os.Exit(1)
		}
		tf = os.NewFile(fd, "timerfd")
	}
	if *nano {
		runtime.LockOSThread()
	}
	if *rate <= 0 || *n <= 0 || *n > 1_000_000 {
		fmt.Fprintln(os.Stderr, "timerlag: --rate must be > 0 and --n in 1..1000000")
		os.Exit(2)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	late := make([]time.Duration, 0, *n)
	timer := time.NewTimer(time.Hour)
	next := time.Now()
	start := next
	dues := make([]time.Time, 0, *n)
	for range *n {
		next = next.Add(time.Duration(rng.ExpFloat64() / *rate * float64(time.Second)))
		dues = append(dues, next)
	}
	wakes := 0
	for i := 0; i < len(dues); {
		if d := time.Until(dues[i]) - *spin + *slack; d > 0 && *nano {
			nanosleep(d)
			wakes++
		} else if d > 0 && tf != nil && d >= *hybrid {
			timerfdSleep(tf, d)
			wakes++
		} else if d > 0 {
			timer.Reset(d)
			<-timer.C
			wakes++
		}
		for *spin > 0 && time.Now().Before(dues[i]) {
		}
		now := time.Now()
		for i < len(dues) && !dues[i].After(now) { // every one due by now, as the runner's loops release them
			late = append(late, now.Sub(dues[i]))
			i++
		}
	}
	wall := time.Since(start)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	slices.Sort(late)
	pct := func(p float64) float64 { return float64(late[int(p*float64(len(late)-1))]) / 1e3 }
	fmt.Printf("timerlag: %d due times at %.0f/s (%.1f s), spin %v, nanosleep %v, timerfd %v (hybrid %v), slack %v: %d sleeps; late p50 %.0f µs, p90 %.0f µs, p99 %.0f µs, max %.0f µs; CPU %.2f µs per due time, %.1f%% of a core\n",
		*n, *rate, wall.Seconds(), *spin, *nano, *tfd, *hybrid, *slack, wakes, pct(0.5), pct(0.9), pct(0.99), pct(1),
		float64(cpu)/1e3/float64(*n), 100*cpu.Seconds()/wall.Seconds())
}
