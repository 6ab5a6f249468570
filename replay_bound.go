package main

import (
	"context"
	"time"

	"ccload/runner"
)

// durationSource ends a streamed plan at its first arrival at or after end: --duration bounds a
// replay as it bounds a run (the arrivals stop there, and running sessions get --grace).
type durationSource struct {
	src runner.PlanSource
	end time.Duration
}

// boundSource bounds src to end (0: unbounded, src itself).
func boundSource(src runner.PlanSource, end time.Duration) runner.PlanSource {
	if end <= 0 {
		return src
	}
	return &durationSource{src: src, end: end}
}

// Next hands out src's arrivals before end, then reports the plan over.
func (d *durationSource) Next(ctx context.Context) (runner.Planned, bool) {
	p, ok := d.src.Next(ctx)
	if !ok || p.At >= d.end {
		return runner.Planned{}, false
	}
	return p, true
}
