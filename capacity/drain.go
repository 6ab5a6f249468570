package capacity

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"ccload/ccapi"
	"ccload/scenario"
)

// maxDrain bounds the wait for a target's backlog after a step; maxCustomerConns bounds the
// connections a customers step opens when the scenario leaves max_connections to ccload.
const (
	maxDrain         = 2 * time.Minute
	maxCustomerConns = 16_384
)

// stepConnections is the connection limit (and exchange workers) of a step: the scenario's
// max_connections when it sets one; else, for a customers step, one per customer (at least the
// default, at most maxCustomerConns and what the open-file limit leaves): a connected customer
// has at most one request in flight, so its requests never wait for a connection, and past the
// target's saturation the target's queue, not ccload's scheduler, holds them. Session-rate steps
// keep the default.
func stepConnections(set bool, scenarioConns int, customers bool, level float64, fdLimit uint64) int {
	if set || !customers {
		return scenarioConns
	}
	n := min(max(int(level+0.5), scenario.DefaultMaxConnections), maxCustomerConns)
	if fdLimit > 0 {
		// Leave room for the process's other files (the mock's, when embedded, counts too).
		n = min(n, max(int(fdLimit)/2-256, scenario.DefaultMaxConnections))
	}
	return n
}

// setsMaxConnections says whether the scenario's text sets target.max_connections (a scenario
// built in code, without text, does when its limit is not the default).
func setsMaxConnections(sc *scenario.Scenario) bool {
	if len(sc.Text) == 0 {
		return sc.Target.MaxConnections != scenario.DefaultMaxConnections
	}
	var doc struct {
		Target map[string]any `yaml:"target"`
	}
	if yaml.Unmarshal(sc.Text, &doc) != nil {
		return sc.Target.MaxConnections != scenario.DefaultMaxConnections
	}
	_, ok := doc.Target["max_connections"]
	return ok
}

// probeResult is one drain probe: how long its answer took, or that none came.
type probeResult struct {
	took time.Duration
	ok   bool
}

// drainedAfter is the drain rule, a pure function of the probes so far: the target's backlog is
// gone when the last two probes answered and agree (the slower within half again of the faster,
// plus 10 ms: a loaded machine's jitter). A probe queues behind whatever the target still holds from the step, so the first
// probe after a backlog waits for all of it and the next one does not; a target with no backlog
// answers both alike, however slow it is.
func drainedAfter(probes []probeResult) bool {
	n := len(probes)
	if n < 2 || !probes[n-1].ok || !probes[n-2].ok {
		return false
	}
	a, b := probes[n-2].took, probes[n-1].took
	return max(a, b) <= min(a, b)*3/2+10*time.Millisecond
}

// drain waits until the target's backlog from the step before is served: it sends one light
// request at a time (a poll of no session, which a queueing target queues like any other) until
// drainedAfter, at most maxDrain or until ctx ends. It returns what it saw, for the log.
func (c *searchRun) drain(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, maxDrain)
	defer cancel()
	t0 := time.Now()
	timeout := c.o.Scenario.Target.Timeout
	if timeout <= 0 {
		timeout = scenario.DefaultTimeout
	}
	var probes []probeResult
	for ctx.Err() == nil {
		took, ok := drainProbe(ctx, c.o.BaseURL, c.o.Scenario, timeout)
		probes = append(probes, probeResult{took, ok})
		if drainedAfter(probes) {
			first := fmt.Sprintf("the first answered in %s", probes[0].took.Round(time.Millisecond))
			if !probes[0].ok {
				first = fmt.Sprintf("the first got no answer within %s", timeout)
			}
			return fmt.Sprintf("the target's backlog drained in %s (%d probes, %s)", time.Since(t0).Round(100*time.Millisecond), len(probes), first)
		}
		if !ok {
			select { // no answer: the target refused or timed out; try again shortly
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return fmt.Sprintf("the target's backlog did not drain within %s (%d probes): the next step may start on part of it", time.Since(t0).Round(time.Second), len(probes))
}

// drainProbe sends one GET of the scenario's poll path with its credentials and says how long
// the answer (any HTTP status) took; ok is false when none came within timeout.
func drainProbe(ctx context.Context, baseURL string, sc *scenario.Scenario, timeout time.Duration) (time.Duration, bool) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(baseURL, "/")+sc.Target.Paths.Path(ccapi.EpPoll), nil)
	if err != nil {
		return 0, false
	}
	if sc.Auth.AppKey != "" {
		req.Header.Set("x-app-key", sc.Auth.AppKey)
	}
	if sc.Auth.AccessToken != "" {
		req.Header.Set("Authorization", "Bearer "+sc.Auth.AccessToken)
	}
	if sc.Auth.CCMessagingToken != "" {
		req.Header.Set("ccmessaging-token", sc.Auth.CCMessagingToken)
	}
	t0 := time.Now()
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false
	}
	rsp.Body.Close()
	return time.Since(t0), true
}
