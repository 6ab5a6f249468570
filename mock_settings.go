// The mock's settings as the commands take them: a scenario's mock: block over the mock's
// defaults, the embedded mock run, replay and capacity start, and what `ccload mock` says.

package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"ccload/mock"
	"ccload/scenario"
)

// mockOptions overlays the scenario's `mock:` settings on the mock's defaults, with the mock's own
// parsers, for the embedded mock ccload run starts (nil settings: the defaults).
func mockOptions(ms *scenario.MockSettings) (mock.Options, error) {
	o := mock.DefaultOptions()
	if ms == nil {
		return o, nil
	}
	var err error
	if ms.Latency != "" {
		if o.DefaultLatency, err = mock.ParseDist(ms.Latency); err != nil {
			return o, fmt.Errorf("latency: %w", err)
		}
	}
	if ms.HandleTime != "" {
		if o.HandleTime, err = mock.ParseDist(ms.HandleTime); err != nil {
			return o, fmt.Errorf("handle_time: %w", err)
		}
	}
	if ms.Stall != "" {
		if o.Stall, o.StallEvery, err = mock.ParseStall(ms.Stall); err != nil {
			return o, err
		}
	}
	setDur := func(dst *time.Duration, v time.Duration) {
		if v > 0 {
			*dst = v
		}
	}
	setDur(&o.RobotDelay, ms.RobotDelay)
	setDur(&o.AgentReplyDelay, ms.AgentReplyDelay)
	setDur(&o.SessionTimeout, ms.SessionTimeout)
	setDur(&o.TokenLifetime, ms.TokenLifetime)
	setDur(&o.CCTokenLifetime, ms.CCTokenLifetime)
	if ms.Agents > 0 {
		o.Agents = ms.Agents
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"error_rate", ms.ErrorRate}, {"drop_rate", ms.DropRate}, {"malformed_rate", ms.MalformedRate}} {
		if r.v < 0 || r.v > 1 {
			return o, fmt.Errorf("%s %v: want a share between 0 and 1", r.name, r.v)
		}
	}
	o.ErrorRate, o.DropRate, o.MalformedRate = ms.ErrorRate, ms.DropRate, ms.MalformedRate
	if ms.ErrorKind != "" {
		o.ErrorKind = ms.ErrorKind
	}
	if ms.Capacity < 0 {
		return o, fmt.Errorf("capacity %v: want requests per second >= 0", ms.Capacity)
	}
	o.Capacity = ms.Capacity
	return o, nil
}

// mockFlagError names the flag of an option the mock refused ("push URL ..." is --push's).
func mockFlagError(err error) error {
	msg := userMessage(err)
	for field, flag := range map[string]string{"push URL ": "--push: the push URL ", "stall ": "--stall ", "error kind ": "--error-kind ",
		"error rate ": "--error-rate ", "drop rate ": "--drop-rate ", "malformed rate ": "--malformed-rate "} {
		if rest, ok := strings.CutPrefix(msg, field); ok {
			return errors.New(flag + rest)
		}
	}
	return errors.New(msg)
}

// summarize prints the non-zero counts of m in key order.
func summarize(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if v != 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// startEmbeddedMock starts the scenario's embedded mock on a free loopback port for a command
// that sends load. It returns the mock's URL and the scenario to play (given placeholder
// credentials when it has none: the mock accepts any, and a scenario written for it needs
// none), and stop; when stop is nil the command ends with code, the error already printed.
//
// pushURL, when given, makes the mock push its downlink messages there (a push-mode scenario).
func startEmbeddedMock(sc *scenario.Scenario, file, cmd string, stderr io.Writer, pushURL ...string) (url string, withAuth *scenario.Scenario, stop func(), code int) {
	opts, err := mockOptions(sc.Mock)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s: mock: %s\n", cmd, file, userMessage(err))
		return "", nil, nil, exitUsage
	}
	// The scenario's static tokens stand for tokens the platform issued: the mock accepts them.
	opts.StaticAccessToken, opts.StaticCCToken = sc.Auth.AccessToken, sc.Auth.CCMessagingToken
	if sc.UsesPush() && (len(pushURL) == 0 || pushURL[0] == "") {
		fmt.Fprintf(stderr, "%s: %s: the embedded mock cannot be pointed at this push scenario's receiver; run `ccload mock --push http://HOST:PORT/webhooks/v1/messages`, give the scenario webhook: {listen: HOST:PORT}, and pass --target\n", cmd, file)
		return "", nil, nil, exitUsage
	}
	if len(pushURL) > 0 && pushURL[0] != "" {
		opts.PushURL = pushURL[0]
		if opts.PushChannels, err = embeddedPushChannels(sc); err != nil {
			fmt.Fprintf(stderr, "%s: %s: %v\n", cmd, file, err)
			return "", nil, nil, exitUsage
		}
	}
	srv, err := mock.NewServer(opts)
	if err != nil {
		fmt.Fprintln(stderr, cmd+": starting the embedded mock:", userMessage(err))
		return "", nil, nil, exitAborted
	}
	withAuth = sc
	if a := sc.Auth; a.AppKey == "" && a.AccessToken == "" {
		c := *sc
		c.Auth.AppKey, c.Auth.AppSecret = "ccload-mock", "ccload-mock"
		withAuth = &c
	}
	return srv.URL(), withAuth, func() { srv.Close() }, exitOK
}
