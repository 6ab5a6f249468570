package report

import (
	"fmt"
	"runtime"
	"strings"
	"time"

	"ccload/internal/genlimit"
)

// GeneratorLimit says why the generator, not the target, was the limit of a run: its delays are in
// the latencies and its missing arrivals in the rates, so a failure of those is the generator's as
// much as the target's. report.json carries it as data ("generator_limit"); the run's verdict is
// then inconclusive when a threshold it moves failed (exit 3).
type GeneratorLimit struct {
	// Reasons are the rules that held, for people: "scheduler lag p99 159ms over 50.0ms ...".
	Reasons []string `json:"reasons"`
	// LagP99US is the run's scheduler-lag p99 and ResponseP99US its response-time p99 (all).
	LagP99US      int64 `json:"lag_p99_us"`
	ResponseP99US int64 `json:"response_p99_us"`
	// Dropped counts the arrivals the generator dropped on its own (dropped_by live_limit and late).
	Dropped int64 `json:"dropped"`
	// CPUShare is the process's CPU share of its CPUs over the run (generator.cpu_share; 0: unknown).
	CPUShare float64 `json:"cpu_share,omitempty"`
	// Inconclusive names the thresholds that failed but are not judged because of the limit.
	Inconclusive []string `json:"inconclusive,omitempty"`
}

// GeneratorMaxLagUS is the scheduler-lag p99 (50 ms, ccload capacity's default --max-lag) above
// which, when it is also over a tenth of the response-time p99, the generator was the limit.
const GeneratorMaxLagUS = int64(genlimit.DefaultMaxLag / time.Microsecond)

// GeneratorUse is the generator process's use of the machine over a run (report.json's
// "generator"), recorded by the runner from getrusage and /proc/stat.
type GeneratorUse struct {
	// CPUS is the process's user+system CPU time over the run, in seconds.
	CPUS float64 `json:"cpu_s"`
	// CPUs is the CPUs the process could use (GOMAXPROCS); CPUShare is CPUS over CPUs × the
	// run's wall time (0..1).
	CPUs     int     `json:"cpus"`
	CPUShare float64 `json:"cpu_share"`
	// MachineBusy is the share of the machine's CPUs busy over the run (0: unknown).
	MachineBusy float64 `json:"machine_busy,omitempty"`
	// MemoryBytes is what the process held from the OS at the run's end, MachineMemoryBytes the
	// machine's memory (0: unknown).
	MemoryBytes        uint64 `json:"memory_bytes,omitempty"`
	MachineMemoryBytes uint64 `json:"machine_memory_bytes,omitempty"`
	// SharedWithTarget says the target was served by the same process (ccload run's embedded
	// mock): the CPU and memory are the mock's too, so their rules are not applied.
	SharedWithTarget bool `json:"shared_with_target,omitempty"`
}

// GeneratorUseOf is the process's use of the machine between two readings (the run's start and
// end); shared says the target was served by the process itself. Nil when the platform tells
// nothing of the process's CPU time.
func GeneratorUseOf(m0, m1 genlimit.Mark, shared bool) *GeneratorUse {
	if m0.CPU <= 0 || m1.CPU < m0.CPU || !m1.At.After(m0.At) {
		return nil
	}
	u := &GeneratorUse{CPUS: (m1.CPU - m0.CPU).Seconds(), CPUs: runtime.GOMAXPROCS(0), SharedWithTarget: shared,
		MemoryBytes: genlimit.MemoryInUse(), MachineMemoryBytes: genlimit.MemTotal()}
	u.CPUShare, u.MachineBusy = genlimit.Since(m0, m1)
	return u
}

// GeneratorLimitOf applies ccload capacity's rule for a generator-limited step (package genlimit,
// the same code) to a whole run at its default limits (nil when none held): a scheduler-lag p99
// over GeneratorMaxLagUS that is a real part of the response time (over a tenth of its p99),
// unless the process used few of its CPUs on a machine with CPUs idle (then its customers waited
// for the target's connections); the process over 90% of its CPUs, or over 80% of the machine's
// memory (r.Generator; not when the target shared the process); and arrivals the generator
// dropped on its own (dropped_by live_limit or late; drops at the scenario's max_customers are
// its cap, gated by dropped_arrivals).
func GeneratorLimitOf(r *Report) *GeneratorLimit {
	g := &GeneratorLimit{LagP99US: r.SchedulerLagUS.P99, ResponseP99US: r.Overall.ResponseTimeUS.P99}
	u := genlimit.Usage{LagP99: time.Duration(g.LagP99US) * time.Microsecond, ResponseP99: time.Duration(g.ResponseP99US) * time.Microsecond}
	if gu := r.Generator; gu != nil {
		u.CPU, u.CPUs, u.MachineBusy, u.SharedWithTarget = gu.CPUShare, gu.CPUs, gu.MachineBusy, gu.SharedWithTarget
		u.Memory, u.MemoryTotal = gu.MemoryBytes, gu.MachineMemoryBytes
		g.CPUShare = gu.CPUShare
	}
	g.Reasons, _ = genlimit.Defaults().Judge(u)
	for _, why := range []string{"live_limit", "late"} {
		g.Dropped += r.Sessions.DroppedBy[why]
	}
	if g.Dropped > 0 {
		g.Reasons = append(g.Reasons, fmt.Sprintf("%d of %d arrivals dropped by the generator (live_limit, late)", g.Dropped, r.Sessions.Arrivals))
	}
	if len(g.Reasons) == 0 {
		return nil
	}
	return g
}

// InconclusivePrefix starts the NotJudged reason of a threshold that failed on a generator-limited run.
const InconclusivePrefix = "inconclusive: "

// Inconclusive reports whether r's verdict is inconclusive: no threshold failed, and one that
// would have is not judged because the generator was the limit.
func Inconclusive(r *Report) bool {
	inconclusive := false
	for _, t := range r.Thresholds {
		if t.Failed() {
			return false
		}
		inconclusive = inconclusive || strings.HasPrefix(t.NotJudged, InconclusivePrefix)
	}
	return inconclusive
}

// Verdict is the threshold's verdict for people: PASS, FAIL, NOT JUDGED (a shard's slice or a
// group too small) or INCONCLUSIVE (the generator was the limit).
func (t ThresholdResult) Verdict() string {
	switch {
	case t.Pass:
		return "PASS"
	case strings.HasPrefix(t.NotJudged, InconclusivePrefix):
		return "INCONCLUSIVE"
	case t.NotJudged != "":
		return "NOT JUDGED"
	}
	return "FAIL"
}
