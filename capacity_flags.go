// capacity's help text and what it does with the search's result (its files, its exit code),
// moved whole out of cmd_capacity.go so the command file holds only its flags and wiring.

package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"ccload/capacity"
	"ccload/render"
	"ccload/report"
	"ccload/scenario"
)

const capacityUsage = `Usage: ccload capacity SCENARIO.yaml [flags]

Finds the highest open-model session arrival rate the target sustains under an
SLO, keeping the scenario's session mix; with --customers, the most
concurrently connected customers it holds (closed model: each customer lives
the scenario's sessions back to back, polling at the scenario's interval).

The search starts from --start (default: the scenario's own peak load), grows
(x4 while far under the SLO's limits, x2 nearer, capped by --max-rate) until
the SLO breaks, bisects until the bracket is within --precision, then measures
both ends again. Each step discards --warmup (with --customers: the ramp to the
count) and measures a window: --short-window far from the knee, --window near
it, longer until it holds --min-requests (a third far from the knee), at most
three times its plan, then it is judged on what it holds. A window ends early
when its verdict is certain (errors past --surge, a latency percentile at twice
its limit). The SLO is the scenario's thresholds, or --slo in the same
language: 'response_time.p99<300ms,error_rate<1%,step:ask service_time.p95<200ms'.

The search stops at once, naming the HTTP status and the target's message,
when 99% of a kind of request fail. A step is not judged when the generator
was the limit (scheduler lag p99 over --max-lag and over a tenth of the
response-time p99, arrivals dropped at max_customers, the process over
--max-cpu of its CPUs or --max-memory of the machine's): the search stops and
says so; lag while every connection was busy is the target's queue, not the
generator's. After a step that broke the SLO the search pauses --cooldown;
after one that broke it, was not judged or kept every connection busy, and
after every --customers step, it then waits until the target's backlog drains (one light request
at a time, until two answer alike). With --customers and no
target.max_connections in the scenario, a step opens a connection per
customer (up to 16384).

--duration and --shard are refused: a search sizes its own steps and runs in
one process. --start-at begins the search (and its --budget) at TIME.

Writes report.json (its capacity section holds every step, histograms
included), report.html (the curve with the bracket and the SLO's limit),
junit.xml (passes when --require was met) and steps/NN-LEVEL/ (each step's
own report).

Exit codes: 0 converged, or the SLO held up to --max-rate (and --require, when
given, was met); 1 the search converged below --require, or no level tried kept
the SLO; 2 bad usage or an invalid scenario or SLO (nothing sent); 3 the
generator was the limit, requests failed wholesale, the budget ran out, errors
surged, the boundary did not confirm, the target was unreachable, or interrupted.

Flags:
`

// writeCapacityReports writes the search's report and outputs into dir, and each step's own
// report and outputs into dir/steps/NN-LEVEL/.
func writeCapacityReports(dir string, res *capacity.Result) error {
	if err := render.WriteDir(dir, res.Report); err != nil {
		return err
	}
	for i, r := range res.Steps {
		if r == nil || i >= len(res.Report.Capacity.Steps) {
			continue
		}
		sdir := filepath.Join(dir, "steps", fmt.Sprintf("%02d-%s", i+1, report.FormatRate(res.Report.Capacity.Steps[i].Rate)))
		if err := render.WriteDir(sdir, r); err != nil {
			return err
		}
	}
	return nil
}

// capacityExit maps a search's end to the CLI contract.
func capacityExit(c *report.Capacity) int {
	switch {
	case c.Required > 0 && c.RequireMet:
		return exitOK
	case !c.Converged && c.Outcome != capacity.OutcomeNoSustainable:
		return exitAborted
	case c.Required > 0:
		return exitFailed
	case c.Outcome == capacity.OutcomeNoSustainable:
		return exitFailed
	}
	return exitOK
}

// capacityShares reads capacity's share flags (--precision, --max-cpu, --max-memory, --surge) and
// --require into o; a complaint naming the flag, or "" when they are fine.
func capacityShares(o *capacity.Options, precision, maxCPU, maxMem, surge, require string) string {
	var err error
	if o.Precision, err = parseShare(precision); err != nil || o.Precision <= 0 || o.Precision >= 1 {
		return fmt.Sprintf("--precision %q: want a share between 0 and 100%%, e.g. 5%%", precision)
	}
	if o.MaxCPU, err = parseShare(maxCPU); err != nil || o.MaxCPU <= 0 {
		return fmt.Sprintf("--max-cpu %q: want a share, e.g. 90%%", maxCPU)
	}
	if o.MaxMemory, err = parseShare(maxMem); err != nil || o.MaxMemory <= 0 || o.MaxMemory > 1 {
		return fmt.Sprintf("--max-memory %q: want a share between 0 and 100%%, e.g. 80%%", maxMem)
	}
	if o.Surge, err = parseShare(surge); err != nil || o.Surge <= 0 || o.Surge > 1 {
		return fmt.Sprintf("--surge %q: want a share between 0 and 100%%, e.g. 50%%", surge)
	}
	if require != "" {
		v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(require), "/s"), 64)
		if err != nil || v <= 0 {
			return fmt.Sprintf("--require %q: want a session rate, e.g. 500/s (or a count of customers with --customers)", require)
		}
		o.Require = v
	}
	return ""
}

// capacityRefusals names the load flags a search cannot honour, as errors of usage: a search
// sizes its own steps and adapts each level to the steps before it, so it has no --duration and
// no shards.
func capacityRefusals(given map[string]bool, shard string) []error {
	var errs []error
	if given["duration"] {
		errs = append(errs, fmt.Errorf("--duration: a capacity search sizes its steps itself (--warmup, --window, --short-window); bound the whole search with --budget"))
	}
	if given["shard"] {
		errs = append(errs, fmt.Errorf("--shard %s: a capacity search is adaptive (each step's level follows from the steps before it) and runs in one process, so it has no shards; search from a bigger machine", shard))
	}
	return errs
}

// waitStartAt holds the search until --start-at (at once when at is zero), so that it and its
// --budget begin then; it reports false when the user stopped it first, and nothing was sent.
func waitStartAt(ctx context.Context, at time.Time, stderr io.Writer) bool {
	if at.IsZero() {
		return true
	}
	select {
	case <-ctx.Done():
		fmt.Fprintln(stderr, "ccload capacity: stopped while waiting for --start-at; nothing was sent")
		return false
	case <-time.After(time.Until(at)):
		return true
	}
}

// capacitySLO is the SLO a search holds the target to: --slo when given, else the scenario's
// thresholds; a search without one has nothing to find, so that is an error of usage.
func capacitySLO(sc *scenario.Scenario, path, slo string) ([]scenario.Threshold, error) {
	if slo != "" {
		return scenario.ParseSLO(sc, slo)
	}
	if len(sc.Thresholds) == 0 {
		return nil, fmt.Errorf("%s sets no thresholds: give the SLO with --slo 'response_time.p99<300ms,error_rate<1%%'", path)
	}
	return sc.Thresholds, nil
}

// capacityOutDir is --out, or by default a new directory named after the scenario and the time.
func capacityOutDir(out, name string) string {
	if out != "" {
		return out
	}
	return filepath.Join("ccload-out", safeName(name)+"-capacity-"+time.Now().Format("20060102-150405"))
}
