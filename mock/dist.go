package mock

import (
	"time"

	"ccload/internal/durdist"
)

// DistKind names the shape of a Dist.
type DistKind = durdist.DistKind

// The distribution shapes ParseDist understands.
const (
	DistConstant  = durdist.DistConstant  // always A
	DistUniform   = durdist.DistUniform   // uniformly in [A, B]
	DistLognormal = durdist.DistLognormal // lognormal with median A and 99th percentile B
)

// Dist is a distribution of durations, used for latencies, robot and agent delays and agent
// handling times (see durdist.Dist, shared with the scenario loader's `mock:` block).
type Dist = durdist.Dist

// Constant returns the distribution that is always d.
func Constant(d time.Duration) Dist { return durdist.Constant(d) }

// ParseDist reads a distribution: "5ms", "constant:5ms", "uniform:1ms:10ms" or
// "lognormal:MEDIAN:P99" ("" and "0" are the zero Dist).
func ParseDist(s string) (Dist, error) { return durdist.ParseDist(s) }

// ParseStall reads a stall setting HOLD/EVERY (hold shorter than every).
func ParseStall(s string) (hold, every time.Duration, err error) { return durdist.ParseStall(s) }
