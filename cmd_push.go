package main

import (
	"fmt"
	"io"

	"ccload/runner"
	"ccload/scenario"
)

// listenWebhook opens the push-mode receiver's listener before the run (so the embedded mock
// can be pointed at it) when the scenario has push sessions, and prints where the platform
// must send its callbacks. It returns the callback URL ("" without push) and exitOK, or the
// exit code after printing the error.
func listenWebhook(cfg *runner.Config, sc *scenario.Scenario, command string, stderr io.Writer) (string, int) {
	if !sc.UsesPush() {
		if cfg.WebhookListen != "" {
			fmt.Fprintf(stderr, "ccload %s: --webhook-listen is for push mode, but no session has delivery: push; add `delivery: push` to target: or a session, or drop the flag\n", command)
			return "", exitUsage
		}
		return "", exitOK
	}
	ln, err := runner.ListenWebhook(sc, cfg.WebhookListen)
	if err != nil {
		fmt.Fprintf(stderr, "ccload %s: %v\n", command, err)
		return "", exitUsage
	}
	cfg.WebhookListener = ln
	url := runner.WebhookURL(sc, ln)
	fmt.Fprintf(stderr, "ccload: push mode: taking the platform's callbacks at %s\n", url)
	return url, exitOK
}

// embeddedPushChannels says which channel configurations the embedded mock pushes for a
// scenario that mixes push and poll sessions (nil: every session pushes, so all). The mock,
// like the platform, pushes per channel configuration, so the push sessions' `channel.to` must
// be fixed values that no poll session uses.
func embeddedPushChannels(sc *scenario.Scenario) ([]string, error) {
	push, poll := map[string]string{}, map[string]string{}
	anyPoll := false
	for _, s := range sc.Sessions {
		anyPoll = anyPoll || !s.Push
		to, ok := s.Channel.To.Literal()
		if !ok {
			if s.Push {
				return nil, fmt.Errorf("session %s: a push session among poll sessions needs a fixed channel.to (the embedded mock pushes per channel configuration, as the platform does), not a template", s.Name)
			}
			continue
		}
		if s.Push {
			push[to] = s.Name
		} else {
			poll[to] = s.Name
		}
	}
	if !anyPoll {
		return nil, nil
	}
	var out []string
	for to, name := range push {
		if other, both := poll[to]; both {
			return nil, fmt.Errorf("sessions %s (delivery: push) and %s (poll) share channel.to %q: the platform pushes a channel configuration's messages or not, so give the push sessions their own channel.to", name, other, to)
		}
		out = append(out, to)
	}
	return out, nil
}
