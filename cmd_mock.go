package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"ccload/mock"
	"ccload/scenario"
)

// cmdMock serves the mock platform until ctx is cancelled (SIGINT/SIGTERM).
func cmdMock(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o := mock.DefaultOptions()
	o.Addr = "127.0.0.1:18080"
	var record string
	fs := newFlagSet("mock", stderr)
	fs.StringVar(&o.Addr, "addr", o.Addr, "listen address (use 0.0.0.0:PORT to serve beyond loopback)")
	fs.StringVar(&o.AppKey, "app-key", "", "the only app_key / x-app-key accepted (default: any)")
	fs.StringVar(&o.AppSecret, "app-secret", "", "the only app_secret tokenByAkSk accepts (default: any)")
	fs.BoolVar(&o.Lenient, "lenient", false, "relax the length rules (from > 24 chars, messageId > 32, ...)")
	fs.DurationVar(&o.TokenLifetime, "token-lifetime", o.TokenLifetime, "longest AccessToken lifetime granted (X-Token-Expire asks for less)")
	fs.DurationVar(&o.CCTokenLifetime, "cc-token-lifetime", o.CCTokenLifetime, "ccmessaging-token lifetime; an expired one is renewed in the response header")
	fs.DurationVar(&o.RobotDelay, "robot-delay", o.RobotDelay, "how long the robot takes to answer a CHAT")
	fs.IntVar(&o.Agents, "agents", o.Agents, "number of human agents (0: TRANS2AGENT answers 12)")
	fs.Var(mock.DistFlag{D: &o.HandleTime}, "handle-time", "how long an agent keeps a customer before ending the session (a distribution)")
	fs.DurationVar(&o.AgentReplyDelay, "agent-reply-delay", o.AgentReplyDelay, "how long an agent takes to answer a CHAT")
	fs.DurationVar(&o.SessionTimeout, "session-timeout", o.SessionTimeout, "release a session not polled for this long (0: never)")
	fs.Var(mock.LatencyFlag{O: &o}, "latency", "added latency: DIST for every endpoint, or ENDPOINT=DIST (repeatable)")
	fs.Float64Var(&o.ErrorRate, "error-rate", 0, "share (0..1) of send calls answered with an injected error")
	fs.StringVar(&o.ErrorKind, "error-kind", o.ErrorKind, "injected error: 500 (HTTP 500), 12 or 13 (resultCode)")
	fs.Var(mock.StallFlag{O: &o}, "stall", "STALL/PERIOD: hold every response for STALL at the end of each PERIOD, like 1s/10s")
	fs.Float64Var(&o.DropRate, "drop-rate", 0, "share (0..1) of requests whose connection is closed without an answer")
	fs.Float64Var(&o.MalformedRate, "malformed-rate", 0, "share (0..1) of requests answered 200 with a body that is not JSON")
	fs.Float64Var(&o.Capacity, "capacity", 0, "requests per second the mock serves before latency grows like a queue's (0: unlimited)")
	fs.StringVar(&o.PushURL, "push", "", "push every downlink message to this webhook URL (auth-v2 header, retries) instead of queueing it for poll")
	fs.StringVar(&record, "record", "", "append every accepted send request to FILE as a JSON line with received_ms")
	fs.Int64Var(&o.Seed, "seed", 0, "seed of the fault and latency randomness (0: from the clock)")
	acceptToken := fs.String("accept-token", "", "accept the static AccessToken and ccmessaging token of this `SCENARIO.yaml` as if the mock had issued them (as the embedded mock does)")
	fs.Usage = func() {} // --help prints the full text to stdout; an error gets a one-line hint
	help := func(w io.Writer) {
		fs.SetOutput(w)
		fmt.Fprintln(w, `Usage: ccload mock [flags]

Serves a mock ccmessaging platform: tokenByAkSk, applyToken, sendAsync, send,
poll, queryQueueInfo and uploadFileStream at the reference paths, plus
GET /mock/stats and POST /mock/reset. It serves until interrupted.

A DIST is a duration (200ms) or constant:D, uniform:MIN:MAX, lognormal:MEDIAN:P99.
ENDPOINT is one of tokenByAkSk applyToken sendAsync send poll queryQueueInfo uploadFileStream.

Exit codes: 0 stopped by a signal; 2 bad usage (nothing served); 3 closing or the record file failed.

Flags:`)
		fs.PrintDefaults()
		fmt.Fprintln(w, "\nFlags take one or two dashes. See docs/mock.md for the session model, the faults and what /mock/stats counts.")
	}
	if err := parseFlags(fs, args); err != nil {
		if isHelp(err) {
			help(stdout)
			return exitOK
		}
		badFlag(fs, err, stderr)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ccload mock: unexpected argument %q (it takes flags only)\n", fs.Arg(0))
		return exitUsage
	}
	if err := checkNumericFlags(fs); err != nil { // numeric_flags.go
		printFlagErrors(stderr, "mock", err)
		return exitUsage
	}
	switch o.ErrorKind {
	case mock.ErrorKindHTTP500, mock.ErrorKind12, mock.ErrorKind13:
	default:
		fmt.Fprintf(stderr, "ccload mock: --error-kind %q: want 500, 12 or 13 (HTTP 500, or that resultCode)\n", o.ErrorKind)
		return exitUsage
	}
	// The mock's own log lines ("mock: record: ...") in the command's voice.
	o.Logf = func(format string, args ...any) { printError(stderr, "mock", fmt.Errorf(format, args...)) }
	if *acceptToken != "" {
		sc, err := scenario.LoadFile(*acceptToken)
		if err != nil {
			fmt.Fprintf(stderr, "ccload mock: --accept-token: %v\n", err)
			return exitUsage
		}
		if sc.Auth.AccessToken == "" && sc.Auth.CCMessagingToken == "" {
			fmt.Fprintf(stderr, "ccload mock: --accept-token %s: the scenario's auth has no access_token or ccmessaging_token; give a scenario that sets them\n", *acceptToken)
			return exitUsage
		}
		// The scenario's static tokens stand for tokens the platform issued, as with the embedded mock.
		o.StaticAccessToken, o.StaticCCToken = sc.Auth.AccessToken, sc.Auth.CCMessagingToken
	}

	var recFile *os.File
	if record != "" {
		f, err := os.OpenFile(record, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "ccload mock: --record: %v\n", err)
			return exitUsage
		}
		recFile = f
		o.Record = f
	}
	srv, err := mock.NewServer(o)
	if err != nil {
		printError(stderr, "mock", mockFlagError(err))
		if recFile != nil {
			_ = recFile.Close()
		}
		return exitUsage
	}
	fmt.Fprintf(stdout, "ccload mock: serving on %s (stats: %s/mock/stats; Ctrl-C stops)\n", srv.URL(), srv.URL())
	<-ctx.Done()

	st := srv.Stats()
	code := exitOK
	if err := srv.Close(); err != nil {
		if errors.Is(err, mock.ErrRecordIncomplete) {
			err = fmt.Errorf("--record %s: %w; check that its disk has room, or record to another file", record, err)
		}
		printError(stderr, "mock", err)
		code = exitAborted
	}
	if recFile != nil {
		if err := recFile.Close(); err != nil {
			fmt.Fprintf(stderr, "ccload mock: --record: %v\n", err)
			code = exitAborted
		}
	}
	fmt.Fprintf(stdout, "ccload mock: stopped after %d requests (%s)\n", st.Total(), summarize(st.Endpoints))
	return code
}
