// Package genlimit is the one rule that says when the generator, not the target, was the limit
// of a measurement: ccload capacity applies it to every step's window, and report.GeneratorLimitOf
// to a whole run, so a step and a run are judged alike. It also reads what the rule needs from the
// machine: the process's CPU time, the machine's busy CPU ticks, the process's memory.
package genlimit

import (
	"ccload/internal/durfmt"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Defaults of Limits: ccload capacity's --max-lag, --max-cpu and --max-memory, and what a run is
// judged by.
const (
	DefaultMaxLag    = 50 * time.Millisecond
	DefaultMaxCPU    = 0.9
	DefaultMaxMemory = 0.8
	// IdleMachineBusy is the machine-wide CPU share under which the machine had CPUs to spare.
	IdleMachineBusy = 0.9
	// WorkersBusyShare is the share of a span the scheduler waited for a free exchange worker
	// (every connection busy) from which its lag is the target's queue: a p99's worth (1%) of
	// the customers due came due while it waited.
	WorkersBusyShare = 0.01
)

// Limits are the bounds past which the generator was the limit.
type Limits struct {
	// MaxLag: a scheduler-lag p99 over it (and over a tenth of the response-time p99).
	MaxLag time.Duration
	// MaxCPU: a share of the process's CPUs (GOMAXPROCS) used over the span.
	MaxCPU float64
	// MaxMemory: a share of the machine's memory the process held.
	MaxMemory float64
	// Flags names the limits as ccload capacity's flags (--max-lag ...) in the reasons.
	Flags bool
}

// Defaults are the limits a run is judged by.
func Defaults() Limits {
	return Limits{MaxLag: DefaultMaxLag, MaxCPU: DefaultMaxCPU, MaxMemory: DefaultMaxMemory}
}

// Usage is what a span (a step's window, a whole run) measured of the generator.
type Usage struct {
	// LagP99 is the scheduler-lag p99, ResponseP99 the response-time p99.
	LagP99, ResponseP99 time.Duration
	// CPU is the process's CPU time over the span as a share of CPUs·wall time (0: unknown).
	CPU float64
	// CPUs is the CPUs the process could use (GOMAXPROCS).
	CPUs int
	// MachineBusy is the share of the machine's CPUs busy over the span (0: unknown).
	MachineBusy float64
	// SharedWithTarget says the target ran in the same process (the embedded mock): CPU and
	// memory are the target's too, so their rules are not applied (lag still is).
	SharedWithTarget bool
	// Memory is what the process held from the OS, MemoryTotal the machine's (0: unknown).
	Memory, MemoryTotal uint64
	// WorkersBusy is the share of the span the scheduler held a due customer because every
	// exchange worker (every one of max_connections) was busy (runner.WorkersBusy; 0: none or
	// not measured).
	WorkersBusy float64
}

// QueuedAtTarget says the span's lag was customers waiting for a connection the target held:
// the scheduler waited for a free exchange worker, every one of max_connections busy, for at
// least WorkersBusyShare of the span. A starved generator lags without that wait: its scheduler
// is late to run, not blocked on workers.
func (u Usage) QueuedAtTarget() bool { return u.WorkersBusy >= WorkersBusyShare }

// Judge applies the rule: the reasons the generator was the limit (none: it was not), and
// transient when the only reason was other work on the machine (the process lagged waiting for
// a CPU it did not use), which another measurement may not meet.
//
//   - Lag counts when it is over MaxLag and a real part of the response time (over a tenth of its
//     p99: behind a target that answers in seconds, tens of milliseconds change no verdict). But a
//     process that used under half of MaxCPU on a machine with CPUs idle did not wait for a CPU:
//     its lag was customers waiting for a free connection while the target held every one (past
//     a target's saturation its queue does that), which is the target's limit, not the generator's.
//     The direct measure of that wait rules first, busy machine or idle: lag while the scheduler
//     waited for a free worker for WorkersBusyShare of the span or more (QueuedAtTarget) is the
//     target's queue.
//   - CPU counts over MaxCPU of the process's CPUs; memory over MaxMemory of the machine's.
func (l Limits) Judge(u Usage) (reasons []string, transient bool) {
	name := func(flag string, v string) string {
		if l.Flags {
			return flag + " " + v
		}
		return v
	}
	waited := false
	lagged := u.LagP99 > l.MaxLag && 10*u.LagP99 > u.ResponseP99
	if lagged && u.QueuedAtTarget() {
		lagged = false // every connection was busy: the target was queueing
	}
	if lagged && u.CPU < l.MaxCPU/2 && u.MachineBusy > 0 && u.MachineBusy < IdleMachineBusy {
		lagged = false // the wait was for the target's connections, not for a CPU
	}
	if lagged {
		w := fmt.Sprintf("scheduler lag p99 %s over %s", durfmt.D(u.LagP99), name("--max-lag", durfmt.D(l.MaxLag)))
		if !l.Flags {
			w += fmt.Sprintf(" and over a tenth of the response-time p99 %s", durfmt.D(u.ResponseP99))
		}
		if u.CPU < l.MaxCPU/2 && u.CPUs > 0 {
			w += fmt.Sprintf(" while it used only %.0f%% of its CPUs (it was waiting for a CPU: other work on this machine)", 100*u.CPU)
			waited = true
		} else if !l.Flags {
			w += ": the generator was late to send"
		}
		reasons = append(reasons, w)
	}
	if !u.SharedWithTarget && u.CPUs > 0 && u.CPU > l.MaxCPU {
		reasons = append(reasons, fmt.Sprintf("the process used %.0f%% of its %d CPUs (over %s)", 100*u.CPU, u.CPUs, name("--max-cpu", fmt.Sprintf("%.0f%%", 100*l.MaxCPU))))
	}
	if !u.SharedWithTarget && u.MemoryTotal > 0 && u.Memory > 0 && float64(u.Memory) > l.MaxMemory*float64(u.MemoryTotal) {
		reasons = append(reasons, fmt.Sprintf("the process held %d MiB, over %s of the machine's %d MiB", u.Memory>>20, name("--max-memory", fmt.Sprintf("%.0f%%", 100*l.MaxMemory)), u.MemoryTotal>>20))
	}
	return reasons, waited && len(reasons) == 1
}

// Mark is one reading of the process's and the machine's CPU time.
type Mark struct {
	At          time.Time
	CPU         time.Duration // the process's user+system CPU time (0: unknown)
	Busy, Total uint64        // the machine's busy and total CPU ticks (0: unknown)
}

// Now reads the process's and the machine's CPU time.
func Now() Mark {
	cpu, _ := ProcessCPU()
	busy, total := MachineTicks()
	return Mark{At: time.Now(), CPU: cpu, Busy: busy, Total: total}
}

// Since is the CPU share the process used from m0 to m1 (of GOMAXPROCS CPUs) and the share of
// the machine's CPUs busy (each 0 when unknown).
func Since(m0, m1 Mark) (cpu, machineBusy float64) {
	if wall := m1.At.Sub(m0.At); wall > 0 && m0.CPU > 0 && m1.CPU >= m0.CPU {
		cpu = float64(m1.CPU-m0.CPU) / (float64(wall) * float64(runtime.GOMAXPROCS(0)))
	}
	if m0.Total > 0 && m1.Total > m0.Total && m1.Busy >= m0.Busy {
		machineBusy = float64(m1.Busy-m0.Busy) / float64(m1.Total-m0.Total)
	}
	return cpu, machineBusy
}

// MemoryInUse is the memory the process holds from the OS (what it asked for, less what it gave back).
func MemoryInUse() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Sys - m.HeapReleased
}

// MemTotal is the machine's memory from /proc/meminfo (0 where there is none: no memory check).
func MemTotal() uint64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
