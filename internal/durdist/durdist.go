// Package durdist is the duration distributions of the mock's settings (latency, handling
// times, stalls) and their parsers: a leaf both the mock and the scenario loader (its `mock:`
// block) use, so the loader checks them without linking the mock server.
package durdist

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// DistKind names the shape of a Dist.
type DistKind uint8

// The distribution shapes ParseDist understands.
const (
	DistConstant  DistKind = iota // always A
	DistUniform                   // uniformly in [A, B]
	DistLognormal                 // lognormal with median A and 99th percentile B
)

// z99 is the standard normal quantile of 0.99: a lognormal's p99 is median*exp(z99*sigma).
const z99 = 2.3263478740408408

// Dist is a distribution of durations, used for latencies, robot and agent
// delays and agent handling times. The zero value is the constant 0.
// A Dist is an immutable value and safe to share.
type Dist struct {
	Kind DistKind
	A, B time.Duration
}

// Constant returns the Dist that is always d, for options set in code.
func Constant(d time.Duration) Dist { return Dist{Kind: DistConstant, A: d} }

// IsZero reports whether d never waits, so callers can skip sampling and sleeping.
func (d Dist) IsZero() bool { return d.Kind == DistConstant && d.A <= 0 }

// Mean returns the distribution's expected value, used for the queue's estimated wait.
func (d Dist) Mean() time.Duration {
	switch d.Kind {
	case DistUniform:
		return (d.A + d.B) / 2
	case DistLognormal:
		if d.A <= 0 {
			return 0
		}
		sigma := d.sigma()
		return time.Duration(float64(d.A) * math.Exp(sigma*sigma/2))
	}
	return d.A
}

func (d Dist) sigma() float64 {
	if d.A <= 0 || d.B <= d.A {
		return 0
	}
	return math.Log(float64(d.B)/float64(d.A)) / z99
}

// Sample draws one duration from d using r; it never returns a negative duration.
// r may be nil for a constant Dist.
func (d Dist) Sample(r *rand.Rand) time.Duration {
	var v time.Duration
	switch d.Kind {
	case DistUniform:
		v = d.A
		if d.B > d.A {
			v += time.Duration(r.Int64N(int64(d.B-d.A) + 1))
		}
	case DistLognormal:
		if d.A > 0 {
			f := float64(d.A) * math.Exp(d.sigma()*r.NormFloat64())
			if f > float64(math.MaxInt64/2) {
				f = float64(math.MaxInt64 / 2)
			}
			v = time.Duration(f)
		}
	default:
		v = d.A
	}
	if v < 0 {
		return 0
	}
	return v
}

// String formats d in the syntax ParseDist reads back.
func (d Dist) String() string {
	switch d.Kind {
	case DistUniform:
		return "uniform:" + d.A.String() + ":" + d.B.String()
	case DistLognormal:
		return "lognormal:" + d.A.String() + ":" + d.B.String()
	}
	return d.A.String()
}

// MarshalText writes d as ParseDist's syntax, so Dist fields round-trip through YAML and JSON.
func (d Dist) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses ParseDist's syntax, so a scenario's `mock:` section can hold Dist values.
func (d *Dist) UnmarshalText(b []byte) error {
	v, err := ParseDist(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ParseDist reads a duration distribution, the syntax shared by the `ccload mock`
// flags and a scenario's `mock:` section:
//
//	200ms                      constant (same as constant:200ms); "0" or "" is no delay
//	constant:200ms
//	uniform:1ms:10ms           uniform between the two bounds
//	lognormal:20ms:200ms       lognormal with median 20ms and 99th percentile 200ms
func ParseDist(s string) (Dist, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return Dist{}, nil
	}
	parts := strings.Split(s, ":")
	durs := func(want int) ([]time.Duration, error) {
		if len(parts)-1 != want {
			return nil, fmt.Errorf("mock: distribution %q: %s takes %d duration(s), like %s", s, parts[0], want, distExample(parts[0]))
		}
		out := make([]time.Duration, want)
		for i, p := range parts[1:] {
			v, err := time.ParseDuration(strings.TrimSpace(p))
			if err != nil {
				return nil, fmt.Errorf("mock: distribution %q: %q is not a duration (use units: 5ms, 1.5s)", s, p)
			}
			if v < 0 {
				return nil, fmt.Errorf("mock: distribution %q: %q is negative", s, p)
			}
			out[i] = v
		}
		return out, nil
	}
	switch strings.ToLower(strings.TrimSpace(parts[0])) {
	case "constant":
		v, err := durs(1)
		if err != nil {
			return Dist{}, err
		}
		return Constant(v[0]), nil
	case "uniform":
		v, err := durs(2)
		if err != nil {
			return Dist{}, err
		}
		if v[1] < v[0] {
			return Dist{}, fmt.Errorf("mock: distribution %q: the upper bound is below the lower bound", s)
		}
		return Dist{Kind: DistUniform, A: v[0], B: v[1]}, nil
	case "lognormal":
		v, err := durs(2)
		if err != nil {
			return Dist{}, err
		}
		if v[0] <= 0 || v[1] < v[0] {
			return Dist{}, fmt.Errorf("mock: distribution %q: needs 0 < median <= p99", s)
		}
		return Dist{Kind: DistLognormal, A: v[0], B: v[1]}, nil
	}
	if len(parts) == 1 {
		v, err := time.ParseDuration(s)
		if err != nil {
			return Dist{}, fmt.Errorf("mock: distribution %q: want a duration (200ms) or constant:D, uniform:MIN:MAX, lognormal:MEDIAN:P99", s)
		}
		if v < 0 {
			return Dist{}, fmt.Errorf("mock: distribution %q is negative", s)
		}
		return Constant(v), nil
	}
	return Dist{}, fmt.Errorf("mock: distribution %q: unknown kind %q (constant, uniform, lognormal)", s, parts[0])
}

func distExample(kind string) string {
	switch strings.ToLower(kind) {
	case "uniform":
		return "uniform:1ms:10ms"
	case "lognormal":
		return "lognormal:20ms:200ms"
	}
	return "constant:200ms"
}

// ParseStall reads a stall, the syntax shared by `ccload mock --stall` and a scenario's
// `mock: {stall: ...}`: HOLD/EVERY, e.g. 1s/10s, holds every response for HOLD at the end of
// every period EVERY (0 < HOLD < EVERY).
func ParseStall(s string) (hold, every time.Duration, err error) {
	a, b, ok := strings.Cut(s, "/")
	hold, err1 := time.ParseDuration(strings.TrimSpace(a))
	every, err2 := time.ParseDuration(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || hold <= 0 || every <= hold {
		return 0, 0, fmt.Errorf("mock: stall %q: want STALL/PERIOD with 0 < STALL < PERIOD, like 1s/10s", s)
	}
	return hold, every, nil
}
