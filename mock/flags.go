package mock

import (
	"errors"
	"fmt"
	"strings"

	"ccload/ccapi"
)

// The mock's settings as command-line flag values (flag.Value), so `ccload mock` declares its
// flags with the mock's own parsers and the messages they give.

// DistFlag is a flag holding a Dist in ParseDist's syntax (ccload mock --handle-time).
type DistFlag struct{ D *Dist }

// String is the Dist in ParseDist's syntax.
func (f DistFlag) String() string {
	if f.D == nil {
		return ""
	}
	return f.D.String()
}

// Set parses s into the Dist.
func (f DistFlag) Set(s string) error {
	d, err := ParseDist(s)
	if err != nil {
		return err
	}
	*f.D = d
	return nil
}

// LatencyFlag is --latency: "DIST" sets every endpoint's added latency, "ENDPOINT=DIST" one
// endpoint's; repeatable.
type LatencyFlag struct{ O *Options }

// String is empty: the flag has no single value to show.
func (f LatencyFlag) String() string { return "" }

// Set parses one --latency value into the Options.
func (f LatencyFlag) Set(s string) error {
	name, dist, per := strings.Cut(s, "=")
	if !per {
		d, err := ParseDist(s)
		if err != nil {
			return err
		}
		f.O.DefaultLatency = d
		return nil
	}
	ep, ok := endpointByName(strings.TrimSpace(name))
	if !ok {
		names := make([]string, ccapi.NumEndpoints)
		for e := range ccapi.NumEndpoints {
			names[e] = e.String()
		}
		return fmt.Errorf("unknown endpoint %q (one of %s)", name, strings.Join(names, ", "))
	}
	d, err := ParseDist(dist)
	if err != nil {
		return err
	}
	if f.O.Latency == nil {
		f.O.Latency = map[ccapi.Endpoint]Dist{}
	}
	f.O.Latency[ep] = d
	return nil
}

func endpointByName(name string) (ccapi.Endpoint, bool) {
	for e := range ccapi.NumEndpoints {
		if strings.EqualFold(e.String(), name) {
			return e, true
		}
	}
	return 0, false
}

// StallFlag is --stall S/P: hold every response for S at the end of every period P.
type StallFlag struct{ O *Options }

// String is empty: the default is no stall.
func (f StallFlag) String() string { return "" }

// Set parses S/P into the Options' Stall and StallEvery.
func (f StallFlag) Set(s string) error {
	stall, period, err := ParseStall(s)
	if err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "mock: "))
	}
	f.O.Stall, f.O.StallEvery = stall, period
	return nil
}
