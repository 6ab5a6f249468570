// Package runner plays a compiled scenario against a target: a producer that
// makes session arrivals (open model) or keeps a number of customers busy
// (closed model), and one collector goroutine that owns the record.Recorder and
// the progress display. Each session is compiled into a flat program once (a
// streamed session when it first arrives, compile.go); a customer is that
// program's state (program.go), driven by actions. One scheduler keeps waiting
// customers (open-model arrivals and closed-model slots alike) in a min-heap and
// hands due ones to a pool of exchange workers sized by the connection limit
// (scheduler.go): no goroutine or timer per customer. Run returns the finished
// report; it writes no file (the commands render it, see ccload/render).
//
// The end of a run is one value, the lifecycle (lifecycle.go), on the run's
// Clock: the producer stops, customers drain (with a grace period), the ones
// still running are cut (each says what it owes, cut.go) and the connected ones
// disconnected (teardown), the customer WaitGroup is waited for, the scheduler
// stops, the event channel is closed, the collector finishes, and only then is
// the report built.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"ccload/report"
	"ccload/report/record"
	"ccload/scenario"
)

// DefaultGrace is the grace period of a scenario DefaultGraceFor cannot size (none given).
const DefaultGrace = 30 * time.Second

// DefaultGraceFor is the grace period a run of sc gets when none is given: long enough for a
// session caught in its longest wait to finish it — the longest await timeout plus the longest
// think time (its bound, or 3 × its mean when unbounded; mean + 3σ for normal) plus one request
// timeout — so a default run cuts only sessions that are really stuck.
func DefaultGraceFor(sc *scenario.Scenario) time.Duration {
	if sc == nil {
		return DefaultGrace
	}
	var await, think time.Duration
	var walk func([]*scenario.Step)
	walk = func(steps []*scenario.Step) {
		for _, st := range steps {
			switch st.Kind {
			case scenario.StepAwaitReply, scenario.StepAwaitAgent:
				await = max(await, st.Timeout)
			case scenario.StepThink:
				if st.Think != nil {
					think = max(think, thinkBound(st.Think))
				}
			}
			walk(st.Steps)
		}
	}
	for _, s := range sc.Sessions {
		walk(s.Steps)
	}
	timeout := sc.Target.Timeout
	if timeout <= 0 {
		timeout = scenario.DefaultTimeout
	}
	return (await + think + timeout).Round(time.Second)
}

// thinkBound is how long a think time can reasonably last: its Max, else its largest value
// (constant, uniform, empirical), else a long tail's 3 × mean (normal: mean + 3σ).
func thinkBound(d *scenario.Dist) time.Duration {
	s := func(v float64) time.Duration { return time.Duration(max(v, 0) * float64(time.Second)) }
	if d.HasMax {
		return s(d.Max)
	}
	switch d.Kind {
	case scenario.Constant:
		return s(d.A)
	case scenario.UniformDist:
		return s(max(d.A, d.B))
	case scenario.Empirical:
		m := 0.0
		for _, v := range d.Values {
			m = max(m, v)
		}
		return s(m)
	case scenario.Normal:
		return s(d.A + 3*d.B)
	}
	return s(3 * d.Mean())
}

// DefaultLiveLimit bounds the live customers of an open-model run without max_customers, so
// memory stays bounded whatever the offered load (about 1.5 KiB a customer: some 700 MiB);
// arrivals past it are dropped and counted as live_limit. max_customers replaces it.
const DefaultLiveLimit = 500_000

// Progress selects how a run shows itself while it runs.
type Progress uint8

// Progress modes.
const (
	// ProgressNone prints nothing while running (library use, tests).
	ProgressNone Progress = iota
	// ProgressLines prints one status line to Stderr every 5 s (CI logs, no terminal).
	ProgressLines
	// ProgressBars draws live mpb bars on Stderr (a terminal).
	ProgressBars
)

// Shard is a deterministic slice of a run: arrival k (and closed-model customer k) belongs to
// shard k mod N. The zero value means "the whole run".
type Shard struct {
	I, N int
}

// ParseShard parses "I/N" (0 <= I < N).
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("--shard %q: want I/N with 0 <= I < N, e.g. 0/4", s)
	}
	return Shard{I: i, N: n}, nil
}

func (s Shard) whole() bool { return s.N <= 1 }

// owns reports whether arrival or customer k belongs to this shard.
func (s Shard) owns(k int64) bool { return s.whole() || k%int64(s.N) == int64(s.I) }

// String formats the shard as I/N.
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.I, s.N) }

// Config is everything one run needs. Zero values take the documented defaults; Scenario and
// BaseURL are required.
type Config struct {
	// Scenario is the compiled scenario to play. It is not modified.
	Scenario *scenario.Scenario
	// BaseURL is the target, overriding Scenario.Target.URL (the CLI sets it to the mock's URL).
	BaseURL string
	// Duration, when > 0, cuts or extends the stages to exactly this long (the last level holds).
	Duration time.Duration
	// Grace is how long running sessions may finish after arrivals stop (0: DefaultGraceFor the
	// scenario; negative means none: they are cut at once).
	Grace time.Duration
	// Seed overrides Scenario.Seed when non-zero; when both are 0 a seed is picked and reported.
	Seed int64
	// Progress selects the live display on Stderr.
	Progress Progress
	// Shard restricts the run to a deterministic slice of arrivals and customers.
	Shard Shard
	// StartAt, when set, is the wall-clock instant the schedule begins, so shards a cluster starts
	// seconds apart line up: Run waits for it (a stop while waiting ends the run with nothing sent).
	// A run that begins more than a second after it starts its schedule then, and warns.
	StartAt time.Time
	// Kill, when closed, cancels every running session at once (the CLI closes it on a second
	// signal). Cancelling Run's ctx is the graceful stop: arrivals end, sessions get Grace.
	Kill <-chan struct{}
	// Finish, when closed, ends the schedule early as if it had played to its end: arrivals stop,
	// running sessions get Grace, and the run is not interrupted (ccload capacity ends a step so
	// once its window is measured; a step's end is not an interrupt).
	Finish <-chan struct{}
	// Stderr receives the progress display (nil: none is shown).
	Stderr io.Writer
	// Plan, when set, replaces the open model's arrivals (ccload replay plays a log this way):
	// arrival k starts at Plan[k].At, in order, and lives Scenario.Sessions[Plan[k].Session]
	// instead of a session drawn by weight. Sharding, max_customers and grace apply as usual.
	Plan []Planned
	// Source, when set, streams the open model's arrivals instead (ccload replay reads a log
	// this way, so a long log is never held whole): arrival k is the k-th Planned it hands out,
	// each lived as Planned.Sess. The run's arrivals end when it has no more; the stages' end
	// does not cut them.
	Source PlanSource
	// SourceSpan is a streamed plan's length when the caller knows it (ccload replay: the log fit
	// its lookahead, so its last arrival is known): the progress display's total. 0: unknown, and
	// the display shows the elapsed time alone. The scenario's stages play no part in such a run.
	SourceSpan time.Duration
	// Observer, when set, is handed requests, arrivals and session ends as the collector
	// records them (the live /metrics exporter); see record.Observer for which.
	Observer record.Observer
	// Snapshots are run ages at which OnSnapshot gets the report so far, so a caller can discard a
	// warm-up exactly (ccload capacity subtracts one snapshot from a later one); ascending.
	Snapshots []time.Duration
	// OnSnapshot receives each snapshot on the collector goroutine (it must return quickly); nil: none
	// is taken. Snapshots are taken on the collector's 100 ms tick, so a little late: snap.DurationS says when.
	OnSnapshot func(at time.Duration, snap *report.Report)
	// WorkersBusy, when set, adds up the time the scheduler waited for a free exchange worker
	// with a customer due (every connection busy: the target's queue held them).
	WorkersBusy *WorkersBusy
	// LiveLimit bounds live open-model customers when the scenario has no max_customers
	// (0: DefaultLiveLimit; negative: no bound).
	LiveLimit int
	// Clock is the run's time (nil: the wall clock): tests drive the end of a run with a fake one.
	Clock Clock
	// dial, when set, opens the client's connections (ccapi.Config.Dial): tests serve the
	// target in memory, inside a synctest bubble whose fake time covers the run and the target.
	dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// MaxRPS, when > 0, overrides the scenario's target.max_rps: one rate.Limiter caps this
	// process's requests per second across all customers.
	MaxRPS float64
	// WebhookListen overrides the scenario's webhook.listen (--webhook-listen); WebhookListener,
	// when set, is a listener already open for the receiver (ListenWebhook), which Run closes.
	// Both matter only when a session has delivery: push (push.go).
	WebhookListen   string
	WebhookListener net.Listener
}

// Planned is one arrival of a Plan.
type Planned struct {
	At      time.Duration // from the run's start; not before the previous arrival's
	Session int           // index into Scenario.Sessions
	// Sess, when set, is the session lived instead of Scenario.Sessions[Session] (a PlanSource's
	// sessions are compiled as they stream, with scenario.ParseSessions).
	Sess *scenario.Session
}

// PlanSource hands out a streamed plan's arrivals in order of At, so a replay of a log far
// larger than memory holds only a bounded window of it.
type PlanSource interface {
	// Next blocks until the next arrival is known; false when there are no more (or ctx ended).
	Next(ctx context.Context) (Planned, bool)
}

// ErrNoScenario is returned by Run when Config.Scenario is nil.
var ErrNoScenario = errors.New("no scenario to run")

// ErrNoTarget is returned by Run when neither Config.BaseURL nor the scenario names a target.
var ErrNoTarget = errors.New("no target URL: give --target URL, or target.url in the scenario")

// withDefaults returns c with defaults applied, or an error when it cannot run.
func (c Config) withDefaults() (Config, error) {
	if c.Scenario == nil {
		return c, ErrNoScenario
	}
	if c.BaseURL == "" {
		c.BaseURL = c.Scenario.Target.URL
	}
	if c.BaseURL == "" {
		return c, ErrNoTarget
	}
	if c.Grace == 0 {
		c.Grace = DefaultGraceFor(c.Scenario)
	} else if c.Grace < 0 {
		c.Grace = 0
	}
	if c.Seed == 0 {
		c.Seed = c.Scenario.Seed
	}
	if c.Seed == 0 {
		c.Seed = time.Now().UnixNano() & (1<<53 - 1)
	}
	if c.Stderr == nil {
		c.Progress = ProgressNone
	}
	if c.LiveLimit == 0 {
		c.LiveLimit = DefaultLiveLimit
	} else if c.LiveLimit < 0 {
		c.LiveLimit = 0
	}
	if c.Shard.N == 0 {
		c.Shard = Shard{I: 0, N: 1}
	}
	if len(c.Scenario.Sessions) == 0 {
		return c, errors.New("the scenario has no sessions: add one under sessions:")
	}
	for k, p := range c.Plan {
		if (p.Sess == nil && (p.Session < 0 || p.Session >= len(c.Scenario.Sessions))) || (k > 0 && p.At < c.Plan[k-1].At) {
			return c, fmt.Errorf("plan arrival %d: session %d at %s is out of range or out of order", k, p.Session, p.At)
		}
	}
	return c, nil
}
