package main

import (
	"flag"
	"fmt"

	"ccload/ccapi"
	"ccload/scenario"
)

// addUserAgentFlag defines --user-agent for run, replay and capacity, so a user can tag the
// generator's traffic in the target's logs without editing the scenario.
func addUserAgentFlag(fs *flag.FlagSet) *string {
	return fs.String("user-agent", "", "User-Agent header of every request (default: the scenario's target.user_agent, or ccload/<version>)")
}

// checkTargetFlags holds --target and --user-agent to the rules of the scenario's target.url and
// target.user_agent, naming the flag as the position, so a bad value is refused (exit 2) before
// anything is read or sent, and the message never echoes a password. It returns --target as
// the runner wants it ("" and "mock" pass unchanged).
func checkTargetFlags(target, userAgent string) (string, error) {
	if target != "" && target != "mock" {
		t, err := scenario.CheckTargetURL(target)
		if err != nil {
			return "", fmt.Errorf("--target: %w", err)
		}
		target = t
	}
	if err := ccapi.CheckUserAgent(userAgent); err != nil {
		return "", fmt.Errorf("--user-agent: %w", err)
	}
	return target, nil
}

// applyUserAgent makes --user-agent, when given, override the scenario's target.user_agent.
func applyUserAgent(sc *scenario.Scenario, userAgent string) {
	if userAgent != "" {
		sc.Target.UserAgent = userAgent
	}
}
