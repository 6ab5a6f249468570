// Package scenario turns a YAML scenario file into a validated, compiled
// Scenario that the runner plays without parsing anything again: templates are
// compiled, defaults resolved, distributions checked, and every error carries
// file:line:column and the key path.
package scenario

import (
	"crypto/x509"
	"math"
	"math/rand/v2"
	"time"

	"ccload/ccapi"
	"ccload/gates"
)

// Scenario is a compiled scenario. It is immutable after Load and safe to share between goroutines
// (Feeders carry their own locks).
type Scenario struct {
	// Name is the scenario's name (the `name` key, or the file name without extension).
	Name string
	// Description is the `description` text, for reports.
	Description string
	// File is the path it was loaded from; Text its bytes (for the report's "scenario as run"),
	// with secret values redacted (Redact): every stored or shown copy of the scenario comes from it.
	File string
	Text []byte

	Target  Target
	Auth    Auth
	Channel Channel
	Load    Load
	// Seed makes every random choice of the run reproducible; 0 means "pick one and report it".
	Seed int64
	// Feeders are the `data` entries in file order; templates refer to them by index.
	Feeders []*Feeder
	// Sessions is the weighted mix; Weights are normalised by the runner.
	Sessions   []*Session
	Thresholds []Threshold
	// Compare holds the scenario's `compare:` regression limits (metric → limit text, e.g. "p99": "10%").
	Compare map[string]string
	// Mock holds the optional `mock:` settings for the embedded mock (nil when absent).
	Mock *MockSettings
	// Webhook is the push-mode receiver's `webhook:` settings (defaults when absent; see push.go).
	Webhook Webhook

	// chdef is the resolved root channel with its origins, kept so ParseSessions compiles
	// more sessions exactly as the file's own.
	chdef chanDef
}

// Target says where requests go and how the shared HTTP transport is sized.
type Target struct {
	// URL is the base URL; empty means "start the embedded mock".
	URL string
	// UseSend selects /send instead of /sendAsync for messages.
	UseSend        bool
	Paths          ccapi.Paths
	Timeout        time.Duration // default 10s
	MaxConnections int           // default 256
	MaxRPS         float64       // ceiling on this process's requests per second (0: none)
	// InsecureSkipVerify disables TLS verification; only when the file says so explicitly.
	InsecureSkipVerify bool
	// RootCAs are the certificate authorities of target.ca_file (a PEM bundle), trusted instead of
	// the system's for a target with a private CA; nil: the system's.
	RootCAs *x509.CertPool
	// LenientRules relaxes ccapi's length rules for platforms that accept more (`lenient_rules: true`).
	LenientRules bool
	// Push is `delivery: push` for the whole target: every session's downlink comes by webhook.
	Push bool
	// UserAgent is the HTTP User-Agent header (`user_agent`), so the target's logs can tell this
	// traffic apart; empty sends ccapi's default, "ccload/<version>".
	UserAgent string
}

// Rules returns the ccapi field rules this target is held to: Validate every rendered request with them.
func (t Target) Rules() ccapi.Rules {
	return ccapi.Rules{Lenient: t.LenientRules, AllowLocate: t.UseSend}
}

// Auth holds credentials, already resolved from ${ENV}. The runner must never print them.
type Auth struct {
	AppKey    string
	AppSecret string // with AppKey: fetch the AccessToken by tokenByAkSk
	// AccessToken is a static AccessToken (skips tokenByAkSk).
	AccessToken string
	// TokenLifetime is sent as X-Token-Expire (default 600s, at most 3600s).
	TokenLifetime time.Duration
	// CCMessagingToken is a static ccmessaging-token for every customer (skips applyToken).
	CCMessagingToken string
	Locale           string
}

// Channel holds the per-message defaults; sessions and steps override them.
type Channel struct {
	Channel    *Template // default "WEB"
	To         *Template // channel configuration ID
	SourceType *Template // default "CUSTOMER"
	UserAgent  *Template
	Nickname   *Template
	Avatar     *Template
	// UserID is the customer's `from`/userId, rendered once per session into Env.UserID;
	// default DefaultUserID, "c{{customer}}s{{session}}".
	UserID *Template
}

// Model is the load model.
type Model uint8

// The load models.
const (
	// Open: sessions arrive at a rate, whatever the target does.
	Open Model = iota
	// Closed: a number of customers each run sessions back to back.
	Closed
)

// Arrival is how open-model arrivals are spaced.
type Arrival uint8

// Arrival processes.
const (
	Uniform Arrival = iota // evenly spaced
	Poisson                // exponential gaps from the seeded source
)

// Load is the load profile.
type Load struct {
	Model    Model
	Arrivals Arrival
	// MaxCustomers caps concurrent customers in the open model; arrivals beyond it are dropped (0: no cap).
	MaxCustomers int
	// Stages: for Open, From/To are session arrivals per second; for Closed, customers.
	Stages []Stage
	// Pause is the think time between sessions of one closed-model customer (nil: none).
	Pause *Dist
}

// Stage holds a level or ramps linearly from From to To over Duration.
type Stage struct {
	Duration time.Duration
	From, To float64
	Pos      Pos
}

// Duration returns the sum of the stages' durations.
func (l Load) Duration() time.Duration {
	var d time.Duration
	for _, s := range l.Stages {
		d += s.Duration
	}
	return d
}

// At returns the stage level (rate or customers) at elapsed time t, and false once the stages are over.
// It is a pure function of t so ramps can be table-tested without a clock.
func (l Load) At(t time.Duration) (float64, bool) {
	if t < 0 {
		t = 0
	}
	for _, s := range l.Stages {
		if t < s.Duration {
			f := float64(t) / float64(s.Duration)
			return s.From + (s.To-s.From)*f, true
		}
		t -= s.Duration
	}
	return 0, false
}

// Peak returns the highest level any stage reaches.
func (l Load) Peak() float64 {
	var p float64
	for _, s := range l.Stages {
		p = max(p, s.From, s.To)
	}
	return p
}

// FailurePolicy says what a failed step does to its session.
type FailurePolicy uint8

// Failure policies.
const (
	Abort    FailurePolicy = iota // end the session, recorded as failed
	Continue                      // count the failure and go on with the next step
)

// PlatformEndPolicy says what a customer does when the platform ends its session (an AGENT or
// SYSTEM DISCONNECT, or queryQueueInfo answering that the session ended).
type PlatformEndPolicy uint8

// Platform-end policies.
const (
	EndSession PlatformEndPolicy = iota // the session is over, recorded as ended_by_platform
	Reconnect                           // send a new CONNECT and go on with the step after the one in progress
)

// Session is one session shape of the mix.
type Session struct {
	Name   string
	Weight float64
	// Poll: whether the customer polls in the background while connected, and how often (default on, 1s).
	Poll         bool
	PollInterval time.Duration
	OnFailure    FailurePolicy
	// QueueInterval is how often await_agent asks queryQueueInfo while the customer waits in the queue.
	QueueInterval time.Duration
	// OnPlatformEnd says what the customer does when the platform ends its session.
	OnPlatformEnd PlatformEndPolicy
	// Channel is the session's resolved defaults (scenario channel merged with session overrides).
	Channel Channel
	Steps   []*Step
	Pos     Pos
	// Feeders are the indexes (into Scenario.Feeders) of the feeders this session's templates
	// read: draw one row of each per session into Env.Rows.
	Feeders []int

	// Push: `delivery: push`: the platform pushes the downlink to ccload's webhook receiver;
	// the customer never polls (Poll is false).
	Push bool
}

// StepKind is what a step does.
type StepKind uint8

// Step kinds.
const (
	StepConnect StepKind = iota
	StepInput
	StepChat
	StepCard
	StepTransfer
	StepRead
	StepDisconnect
	StepThink
	StepRepeat
	StepAwaitReply
	StepAwaitAgent
)

var stepNames = [...]string{"connect", "input", "chat", "card", "transfer", "read", "disconnect", "think", "repeat", "await_reply", "await_agent"}

// String returns the step's YAML key.
func (k StepKind) String() string {
	if int(k) < len(stepNames) {
		return stepNames[k]
	}
	return "unknown"
}

// Sends reports whether the step sends a message (sendAsync/send).
func (k StepKind) Sends() bool { return k <= StepDisconnect }

// ReplyFrom says which downlink messages satisfy an await_reply.
type ReplyFrom uint8

// Reply sources.
const (
	FromAny   ReplyFrom = iota // ROBOT or AGENT
	FromRobot                  // ROBOT only
	FromAgent                  // AGENT only
)

// Step is one compiled step. Which fields matter depends on Kind.
type Step struct {
	Kind StepKind
	// Name is the step's `name` (reports group named steps separately); "" when unnamed.
	Name string
	Pos  Pos
	// Path is the key path for messages, e.g. "sessions[1].steps[3]".
	Path string

	// Send is set for the sending kinds: the message with every field resolved to a template.
	Send *Send

	// Think is the pause for StepThink.
	Think *Dist

	// Count and Steps are the repeat count (a distribution, rounded, at least 0) and body for StepRepeat.
	Count *Dist
	Steps []*Step

	// Timeout, OnTimeout and From configure StepAwaitReply and StepAwaitAgent.
	Timeout   time.Duration
	OnTimeout FailurePolicy
	From      ReplyFrom
}

// Send is a message a step sends; templates render per request without parsing.
type Send struct {
	ControlType ccapi.ControlType
	MediaType   ccapi.MediaType
	// Content is the content template (for WEBCARD, the card's JSON, already a template of the string form).
	Content        *Template
	Channel        *Template
	To             *Template
	SourceType     *Template
	UserAgent      *Template
	SenderNickname *Template
	SenderAvatar   *Template
	MessageID      *Template // nil: none
	TransData      *Template // nil: none
	// Upload is set for a media chat that uploads a file first; the message content becomes "objectKey,<ext>".
	Upload *Upload
	// Literal is true when every field is literal, so the request was checked against ccapi's rules at load time.
	Literal bool
}

// Upload is a file a media chat uploads with uploadFileStream before sending it.
type Upload struct {
	Path     string // resolved path of the file
	FileType string // jpg, png, mp4, ...
	// Base64 is the file's content, encoded once at load.
	Base64 string
}

// MockSettings are the `mock:` section: how the embedded mock behaves for this scenario.
// Strings are passed to the mock's option parser unchanged (same syntax as `ccload mock` flags).
type MockSettings struct {
	Latency         string        `yaml:"latency"`     // "5ms", "uniform:1ms:10ms", "lognormal:5ms:50ms"
	RobotDelay      time.Duration `yaml:"robot_delay"` // robot answer delay
	Agents          int           `yaml:"agents"`      // size of the agent pool
	HandleTime      string        `yaml:"handle_time"` // agent handling time distribution
	AgentReplyDelay time.Duration `yaml:"agent_reply_delay"`
	ErrorRate       float64       `yaml:"error_rate"` // share of send requests failing
	ErrorKind       string        `yaml:"error_kind"` // "500", "12", "13"
	Stall           string        `yaml:"stall"`      // "1s/10s": hold every response 1s every 10s
	DropRate        float64       `yaml:"drop_rate"`
	MalformedRate   float64       `yaml:"malformed_rate"`
	Capacity        float64       `yaml:"capacity"` // requests/s beyond which latency queues
	SessionTimeout  time.Duration `yaml:"session_timeout"`
	TokenLifetime   time.Duration `yaml:"token_lifetime"` // AccessToken lifetime
	CCTokenLifetime time.Duration `yaml:"cc_token_lifetime"`
}

// Pos is a position in the scenario file (1-based).
type Pos struct {
	Line, Col int
}

// DistKind is a distribution family.
type DistKind uint8

// Distribution families for think times, repeat counts and pauses.
const (
	Constant DistKind = iota
	UniformDist
	Normal
	Exponential
	LogNormal
	Empirical
)

// Dist is a validated distribution. Values are float64 in the unit of the field
// (seconds for durations, a count for repeat); Min/Max bound every draw when set.
type Dist struct {
	Kind DistKind
	// Constant: A. Uniform: A=min, B=max. Normal: A=mean, B=stddev. Exponential: A=mean.
	// LogNormal: A=mu, B=sigma of the underlying normal (derived from median and p90 at load).
	// Empirical: Values, each drawn with equal chance.
	A, B     float64
	Values   []float64
	Min, Max float64
	HasMin   bool
	HasMax   bool
}

// Sample draws one value from rng, bounded by Min/Max and never negative.
func (d *Dist) Sample(rng *rand.Rand) float64 {
	var v float64
	switch d.Kind {
	case Constant:
		v = d.A
	case UniformDist:
		v = d.A + rng.Float64()*(d.B-d.A)
	case Normal:
		v = d.A + rng.NormFloat64()*d.B
	case Exponential:
		v = rng.ExpFloat64() * d.A
	case LogNormal:
		v = expf(d.A + rng.NormFloat64()*d.B)
	case Empirical:
		v = d.Values[rng.IntN(len(d.Values))]
	}
	if d.HasMin && v < d.Min {
		v = d.Min
	}
	if d.HasMax && v > d.Max {
		v = d.Max
	}
	if v < 0 {
		v = 0
	}
	return v
}

// Duration draws a duration (the distribution is in seconds).
func (d *Dist) Duration(rng *rand.Rand) time.Duration {
	return time.Duration(d.Sample(rng) * float64(time.Second))
}

// Mean returns the distribution's expected value before bounding (used for plans).
func (d *Dist) Mean() float64 {
	switch d.Kind {
	case UniformDist:
		return (d.A + d.B) / 2
	case Exponential:
		return d.A
	case LogNormal:
		return expf(d.A + d.B*d.B/2)
	case Empirical:
		var s float64
		for _, v := range d.Values {
			s += v
		}
		return s / float64(len(d.Values))
	default:
		return d.A
	}
}

// Threshold is one `thresholds` entry, parsed and validated by gates' rules, with where it was written.
type Threshold struct {
	gates.Threshold
	Pos Pos
}

func expf(x float64) float64 { return math.Exp(x) }
