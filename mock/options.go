package mock

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"ccload/ccapi"
)

// Error kinds an injected send error can take (Options.ErrorKind).
const (
	ErrorKindHTTP500 = "500" // HTTP 500, body without resultCode
	ErrorKind12      = "12"  // HTTP 200, resultCode "12" (outside the agents' working hours)
	ErrorKind13      = "13"  // HTTP 200, resultCode "13" (a platform failure)
)

// Options configures a Server. Every field has a `ccload mock` flag of the same
// name in kebab case. Start from DefaultOptions; the zero value of a field means
// "off" for the fault fields and is replaced by the default for lifetimes.
type Options struct {
	// Addr is the listen address (default 127.0.0.1:0, a free loopback port).
	Addr string
	// AppKey and AppSecret, when set, are the only credentials tokenByAkSk accepts,
	// and AppKey is the only x-app-key the other calls accept. Empty: accept any.
	AppKey, AppSecret string
	// Lenient relaxes the reference document's length rules (see ccapi.Rules).
	Lenient bool
	// Paths mounts the endpoints elsewhere, as a scenario's target.paths may say;
	// empty fields keep the reference paths (ccapi.DefaultPaths).
	Paths ccapi.Paths

	// TokenLifetime caps the AccessTokens tokenByAkSk issues; the client's
	// X-Token-Expire asks for less (default 600 s when absent, at most 3600 s).
	TokenLifetime time.Duration
	// CCTokenLifetime is the lifetime of the ccmessaging-tokens applyToken issues (default 1 h).
	CCTokenLifetime time.Duration
	// StaticAccessToken and StaticCCToken, when set, are accepted as if the mock had issued them,
	// and never expire: a scenario's static tokens work against the embedded mock.
	StaticAccessToken, StaticCCToken string

	// RobotDelay is how long the robot takes to answer a CHAT (through poll).
	RobotDelay time.Duration
	// Agents is the number of human agents; 0 makes TRANS2AGENT answer resultCode "12".
	Agents int
	// HandleTime is how long an agent stays with one customer before ending the session.
	HandleTime Dist
	// AgentReplyDelay is how long an agent takes to answer a CHAT.
	AgentReplyDelay time.Duration
	// SessionTimeout releases a session that has not polled for this long (0: never).
	SessionTimeout time.Duration

	// DefaultLatency is added before answering on every endpoint not in Latency.
	DefaultLatency Dist
	// Latency is the per-endpoint added latency, overriding DefaultLatency.
	Latency map[ccapi.Endpoint]Dist
	// ErrorRate is the share (0..1) of send calls answered with an injected error of ErrorKind.
	ErrorRate float64
	// ErrorKind is "500" (default), "12" or "13".
	ErrorKind string
	// Stall holds every response for Stall at the end of every StallEvery period.
	Stall, StallEvery time.Duration
	// DropRate is the share (0..1) of requests whose connection is closed without an answer.
	DropRate float64
	// MalformedRate is the share (0..1) of requests answered 200 with a body that is not JSON.
	MalformedRate float64
	// Capacity, in requests per second, models a single server: beyond it requests queue and latency grows (0: unlimited).
	Capacity float64

	// PushURL, when set, makes the mock push every downlink message to this webhook URL instead
	// of queueing it for poll (see push.go); PushBackoff is the first retry's wait (default
	// PushBackoff, doubling).
	PushURL     string
	PushBackoff time.Duration
	// PushDial, when set, opens the pusher's connections instead of a TCP dial to PushURL's
	// host: tests serve the webhook in memory with it, inside a synctest bubble.
	PushDial func(ctx context.Context, network, addr string) (net.Conn, error)
	// PushChannels, when set, limits pushing to the sessions of these channel configuration IDs
	// (the `to` of their CONNECT): the others' messages wait for poll, as on a platform where
	// only some channel configurations have a webhook.
	PushChannels []string

	// Record, when set, receives every accepted send request as one JSON line with received_ms.
	Record io.Writer
	// Seed seeds the fault and latency randomness (0: seeded from the clock).
	Seed int64
	// Logf, when set, receives the mock's operational messages (never secrets).
	Logf func(format string, args ...any)
}

// DefaultOptions returns the options `ccload mock` starts from: no faults, a
// quick robot, 10 agents handling a customer for 30 s, sessions released after
// 2 minutes without a poll.
func DefaultOptions() Options {
	return Options{
		Addr:            "127.0.0.1:0",
		TokenLifetime:   time.Hour,
		CCTokenLifetime: time.Hour,
		RobotDelay:      50 * time.Millisecond,
		Agents:          10,
		HandleTime:      Constant(30 * time.Second),
		AgentReplyDelay: 200 * time.Millisecond,
		SessionTimeout:  2 * time.Minute,
		ErrorKind:       ErrorKindHTTP500,
	}
}

// check validates o and fills the defaults of unset lifetimes.
func (o *Options) check() error {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.TokenLifetime <= 0 {
		o.TokenLifetime = time.Hour
	}
	if o.CCTokenLifetime <= 0 {
		o.CCTokenLifetime = time.Hour
	}
	if o.ErrorKind == "" {
		o.ErrorKind = ErrorKindHTTP500
	}
	switch o.ErrorKind {
	case ErrorKindHTTP500, ErrorKind12, ErrorKind13:
	default:
		return fmt.Errorf("mock: error kind %q: want 500, 12 or 13", o.ErrorKind)
	}
	for name, r := range map[string]float64{"error rate": o.ErrorRate, "drop rate": o.DropRate, "malformed rate": o.MalformedRate} {
		if r < 0 || r > 1 {
			return fmt.Errorf("mock: %s %v: want a share between 0 and 1", name, r)
		}
	}
	if o.Agents < 0 {
		return fmt.Errorf("mock: agents %d: want 0 or more", o.Agents)
	}
	if o.Capacity < 0 {
		return fmt.Errorf("mock: capacity %v: want requests per second >= 0", o.Capacity)
	}
	if o.Stall < 0 || o.StallEvery < 0 || (o.Stall > 0 && o.StallEvery <= o.Stall) {
		return fmt.Errorf("mock: stall %v every %v: the period must be longer than the stall", o.Stall, o.StallEvery)
	}
	if err := checkPushURL(o.PushURL); err != nil {
		return err
	}
	if o.RobotDelay < 0 || o.AgentReplyDelay < 0 || o.SessionTimeout < 0 {
		return fmt.Errorf("mock: delays and timeouts must not be negative")
	}
	return nil
}
