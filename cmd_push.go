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
