// Package capacity answers capacity planning's two questions: the highest open-model session
// arrival rate, and (Customers) the most concurrently connected customers, a target holds under
// an SLO. It drives runner.Run one constant level at a time (the scenario's session mix, its load
// replaced), discards each step's warm-up exactly by subtracting report snapshots, judges the
// measured window by the SLO's thresholds, and refuses to judge a step the generator itself
// limited. Which level to measure next, and for how long, is a pure function of the outcomes so
// far (searchSettings.next in search.go), in the manner of Envoy Nighthawk's adaptive load
// controller. The package renders nothing: Run returns reports, the command writes them.
package capacity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"ccload/ccapi"
	"ccload/gates/evaluate"
	"ccload/internal/genlimit"
	"ccload/report"
	"ccload/report/record"
	"ccload/runner"
	"ccload/scenario"
)

// Defaults of Options (the CLI's flag defaults, documented in `ccload capacity --help`).
const (
	DefaultMaxRate      = 10_000.0
	DefaultMaxCustomers = 1_000_000.0
	DefaultPrecision    = 0.05
	DefaultWarmup       = 5 * time.Second
	DefaultWindow       = 20 * time.Second
	DefaultShortWindow  = 5 * time.Second
	DefaultMinRequests  = 300
	DefaultBudget       = 15 * time.Minute
	DefaultGrace        = 2 * time.Second
	DefaultCooldown     = 3 * time.Second
	DefaultMaxLag       = genlimit.DefaultMaxLag
	DefaultMaxCPU       = genlimit.DefaultMaxCPU
	DefaultMaxMemory    = genlimit.DefaultMaxMemory
	DefaultSurge        = 0.5
	defaultConfirmRound = 2
	// snapEvery is how often a step's monitor looks at the report so far: a wholesale failure is
	// named within about this (plus the warm-up's first requests), a window ends this close to its plan.
	snapEvery = 500 * time.Millisecond
	// wholesaleShare of a kind's requests failing, over at least wholesaleMin of them, stops the search.
	wholesaleShare = 0.99
	wholesaleMin   = 20
)

// Units of a search (report.Capacity.Unit).
const (
	UnitSessions  = "sessions/s"
	UnitCustomers = "customers"
)

// Options configure a search. Scenario, BaseURL and SLO are required; a zero number takes its default.
type Options struct {
	Scenario *scenario.Scenario
	BaseURL  string
	// SLO is what every step is judged by: the scenario's thresholds or --slo.
	SLO []scenario.Threshold
	// Customers searches the number of concurrently connected customers (closed model: each lives
	// the scenario's sessions back to back) instead of the open-model session arrival rate.
	Customers bool
	// StartRate is the first step's level (0: the scenario's own peak load, else 1 session/s or 10
	// customers); MaxRate the highest the search may ask for.
	StartRate, MaxRate float64
	// Precision ends the bisection when hi-lo <= Precision·lo.
	Precision float64
	// Warmup is discarded at the start of every step (with Customers, the ramp to the count takes
	// it, or a few of a customer's request intervals when longer, then half of it or an interval or
	// two more are discarded: customerStart). Window is measured near the knee, ShortWindow far
	// from it; a window is measured longer until it holds MinRequests (a third far from the knee),
	// up to three times its plan.
	Warmup, Window, ShortWindow time.Duration
	MinRequests                 int64
	// Budget bounds the whole search; when it runs out the best bracket is reported, not converged.
	Budget time.Duration
	// Grace is how long a step's sessions may finish after its arrivals stop; then they are cut
	// and disconnected.
	Grace time.Duration
	// Cooldown is the pause after a step that broke the SLO; then, after a step that broke it,
	// was not judged or kept every connection busy, the search waits until the target's backlog
	// is served (drain).
	Cooldown time.Duration
	// MaxLag, MaxCPU, MaxMemory: a step whose scheduler-lag p99 exceeds MaxLag (and a tenth of its
	// response-time p99), whose CPU share of GOMAXPROCS exceeds MaxCPU, whose memory from the OS
	// exceeds MaxMemory of the machine's, or which dropped arrivals, was limited by the generator.
	MaxLag            time.Duration
	MaxCPU, MaxMemory float64
	// Surge is the window error rate that ends the search at once (the target is failing hard).
	Surge float64
	// MaxRPS is a ceiling on this process's requests per second in every step (runner.Config's;
	// 0: the scenario's target.max_rps, or none).
	MaxRPS float64
	// Require is the level the target must sustain for the JUnit case to pass (0: none).
	Require float64
	// Log receives one line per step (nil: none).
	Log io.Writer
	// Progress and Stderr are each step's live display (runner.Config's): the bars; the line
	// display becomes none, as each step prints its own line to Log (stepProgress).
	Progress runner.Progress
	Stderr   io.Writer
	// Seed is the first step's seed (each step adds its number); 0 takes the scenario's.
	Seed int64
	// Observer, when set, sees every step's requests, arrivals and sessions (the live /metrics
	// exporter): its counters run on across steps.
	Observer record.Observer
	// OnStep, when set, is handed every step as it is judged (a live dashboard hooks in here).
	OnStep func(report.CapacityStep)
}

// Result is what a search returns: the report (its capacity section holds the answer and every
// step) and each step's own whole report, in step order (the command writes them to steps/).
type Result struct {
	Report *report.Report
	Steps  []*report.Report
}

// ErrClosedModel refuses a closed-model scenario for the session-rate search.
var ErrClosedModel = errors.New("the scenario's load model is closed; the session-rate search plays open-model arrivals (write load: {model: open, ...}), or search concurrent customers with --customers")

func (o Options) withDefaults() (Options, error) {
	if o.Scenario == nil {
		return o, runner.ErrNoScenario
	}
	if len(o.SLO) == 0 {
		return o, errors.New("no SLO: give --slo or thresholds in the scenario")
	}
	if o.Scenario.Load.Model == scenario.Closed && !o.Customers {
		return o, ErrClosedModel
	}
	def := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.StartRate <= 0 {
		o.StartRate = informedStart(o.Scenario, o.Customers)
	}
	if o.Customers {
		def(&o.MaxRate, DefaultMaxCustomers)
		o.StartRate = math.Max(1, math.Round(o.StartRate))
	}
	def(&o.MaxRate, DefaultMaxRate)
	def(&o.Precision, DefaultPrecision)
	def(&o.MaxCPU, DefaultMaxCPU)
	def(&o.MaxMemory, DefaultMaxMemory)
	def(&o.Surge, DefaultSurge)
	defD(&o.Warmup, DefaultWarmup)
	defD(&o.Window, DefaultWindow)
	defD(&o.ShortWindow, min(DefaultShortWindow, o.Window))
	defD(&o.Budget, DefaultBudget)
	if o.Grace == 0 {
		o.Grace = DefaultGrace
	} // negative: none, the step's sessions are cut at once (runner.Config's)
	defD(&o.MaxLag, DefaultMaxLag)
	if o.Cooldown < 0 {
		o.Cooldown = 0
	} else if o.Cooldown == 0 {
		o.Cooldown = DefaultCooldown
	}
	if o.MinRequests <= 0 {
		o.MinRequests = DefaultMinRequests
	}
	o.StartRate = math.Min(o.StartRate, o.MaxRate)
	if o.Seed == 0 {
		o.Seed = o.Scenario.Seed
	}
	return o, nil
}

// informedStart is the first level when none is given: the scenario's own peak load (what its
// author expects the target to carry), else 1 session/s or 10 customers.
func informedStart(sc *scenario.Scenario, customers bool) float64 {
	p := sc.Plan()
	if customers {
		if p.PeakCustomers >= 1 {
			return math.Round(p.PeakCustomers)
		}
		return 10
	}
	if p.PeakArrivalRate > 0 {
		return p.PeakArrivalRate
	}
	return 1
}

func (o Options) unit() string {
	if o.Customers {
		return UnitCustomers
	}
	return UnitSessions
}

func (o Options) settings() searchSettings {
	return searchSettings{start: o.StartRate, max: o.MaxRate, precision: o.Precision, confirmRounds: defaultConfirmRound,
		window: o.Window, shortWindow: o.ShortWindow, minRequests: o.MinRequests, integer: o.Customers}
}

// Run searches and returns the report of the highest sustainable step (or of the last step when
// none held) with the capacity section set, and every step's report. The error is non-nil only
// when the search could not start.
func Run(ctx context.Context, o Options) (*Result, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &searchRun{o: o, perSession: o.Scenario.Plan().Mix.Total, startRequests: startRequestsOf(o.Scenario.Plan()),
		sharedCPU: genlimit.ServesInProcess(o.BaseURL), start: time.Now(), connsSet: setsMaxConnections(o.Scenario), fdLimit: openFileLimit()}
	if o.Customers {
		c.perSession = 0 // requests per customer per second: learnt from the first step
		if p := o.Scenario.Plan(); p.PeakCustomers > 0 && p.PeakRPS > 0 {
			c.perSession = p.PeakRPS / p.PeakCustomers
		}
	}
	bctx, cancel := context.WithTimeout(ctx, o.Budget)
	defer cancel()
	set := o.settings()
	var history []measured
	var res searchResult
	for {
		p := set.next(history)
		if p.done {
			res = p.result
			break
		}
		m := c.measure(bctx, p)
		history = append(history, m)
	}
	if res.outcome == OutcomeNotConverged && ctx.Err() != nil {
		res.outcome = OutcomeInterrupted
	} else if res.outcome == OutcomeNotConverged && bctx.Err() != nil && c.budgetNote == "" {
		c.budgetNote = "it expired during a step"
	}
	return &Result{Report: c.finish(res), Steps: c.reports}, nil
}

// searchRun is one search's state: its steps, their reports, and the estimate of requests per
// session (per customer per second with Customers).
type searchRun struct {
	o          Options
	start      time.Time
	perSession float64
	// startRequests is the requests a customer makes as it connects (startRequestsOf).
	startRequests float64
	// sharedCPU says the target is served by this process (the embedded mock): its CPU and
	// memory are the target's too, and only the lag rule tells the generator's limit.
	sharedCPU bool
	// connsSet says the scenario sets target.max_connections; fdLimit is the open-file limit
	// (0: unknown). Without the first, a customers step opens a connection per customer.
	connsSet   bool
	fdLimit    uint64
	steps      []report.CapacityStep
	reports    []*report.Report // each step's whole report, by step
	generator  string           // why the generator was the limit
	wholesale  string           // what failed wholesale, with the target's message
	budgetNote string
}

// expectedRPS is the request rate a level should make, from what the steps so far measured.
func (c *searchRun) expectedRPS(level float64) float64 { return level * c.perSession }

// measure runs one step of the plan and turns its window into the policy's outcome.
func (c *searchRun) measure(ctx context.Context, p plan) measured {
	m := measured{rate: p.rate, phase: p.phase, v: vStop}
	warm := c.discarded(p.near)
	// The step's least length: the plan's window, longer when the expected rate needs it for
	// the fewest requests (the monitor extends it anyway; this is only the budget's check).
	least := p.window
	if rps := c.expectedRPS(p.rate); rps > 0 {
		least = max(least, min(time.Duration(float64(p.minRequests)/rps*float64(time.Second)), longestWindow(p.window)))
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < warm+least+max(c.o.Grace, 0)/2 {
		c.budgetNote = fmt.Sprintf("the budget had %s left, less than the next step (%s)", time.Until(dl).Round(time.Second), (warm + least).Round(time.Second))
		return m
	}
	if ctx.Err() != nil {
		return m
	}
	st, full, win, end := c.runStep(ctx, p)
	switch {
	case end.wholesale != "":
		st.Note = "stopped: " + end.wholesale
		c.wholesale = end.wholesale
		m.v = vWholesale
	case win == nil && report.ParseStop(full.StopReason).Kind == report.ReasonUnreachable:
		// No request got an answer (the runner stopped the step itself): nothing above will
		// either, so the search stops at once and says why, in the run's own diagnosis.
		why := "the target is unreachable"
		if len(full.Warnings) > 0 {
			why += ": " + strings.Join(full.Warnings, "; ")
		}
		st.Note = "stopped: " + why
		c.wholesale = why
		m.v = vWholesale
	case win == nil:
		st.Note = "not judged: the step did not reach the end of its window (" + full.StopReason + ")"
	default:
		results := judge(win, c.o.SLO)
		if q := c.queuedNote(st, p.rate, end.workersBusy); q != "" {
			st.Note = q
		}
		if why, transient := c.generatorLimit(st, win, end.machineBusy, end.workersBusy); why != "" {
			beyond := brokeBeyondLag(results, c.o.SLO, st.LagP99US)
			if beyond == "" {
				beyond = serviceBroke(win, results, c.o.SLO)
			}
			if beyond != "" {
				// The generator lagged, but the target broke the SLO by more than the lag explains
				// (a queue past the knee holds every customer's connection): the verdict stands.
				st.Note = "judged despite " + why + ": " + beyond
			} else {
				st.Note = "not judged: " + why
				c.generator = fmt.Sprintf("at %s %s the generator, not the target, was the limit: %s", report.FormatRate(p.rate), c.o.unit(), why)
				m.v, m.transient = vLimited, transient
				break
			}
		}
		st.Judged = true
		st.Thresholds = results
		st.Pass = true
		for _, t := range st.Thresholds {
			if t.Failed() {
				st.Pass = false
				st.Broke = append(st.Broke, fmt.Sprintf("%s (measured %s)", t.Name, t.Display))
			}
		}
		if why := c.offeredLess(st, p.rate, end.workersBusy); why != "" {
			st.Judged, st.Pass, st.Thresholds, st.Broke = false, false, nil, nil
			st.Note = "not judged: " + why
			c.generator = fmt.Sprintf("at %s %s the generator, not the target, was the limit: %s", report.FormatRate(p.rate), c.o.unit(), why)
			m.v = vLimited
			break
		}
		if st.Pass {
			if why := unproven(win, c.o.SLO, results); why != "" {
				// Held by its point estimates, but not beyond the sample's noise after the longest
				// window: a level the sample cannot show held is no capacity.
				st.Pass = false
				st.Broke = append(st.Broke, "not shown to hold: "+why)
			}
		}
		m.headroom = headroom(st.Thresholds, c.o.SLO)
		m.v, m.broke = vPass, st.Broke
		if !st.Pass {
			m.v = vFail
			if st.ErrorRate > c.o.Surge {
				m.v = vSurge
				st.Note = fmt.Sprintf("error rate %.1f%% over the surge bound %.0f%%: the search stops here", 100*st.ErrorRate, 100*c.o.Surge)
			}
		}
		if end.early != "" {
			st.Note = strings.TrimPrefix(st.Note+"; window ended early: "+end.early, "; ")
		}
		if p.window < c.o.Window && st.WindowS >= c.o.Window.Seconds() {
			st.Note = strings.TrimPrefix(st.Note+fmt.Sprintf("; measured %s, a near step's window: a limit came within a quarter of its value", report.FormatSeconds(st.WindowS)), "; ")
		}
		if end.short && st.Requests < p.minRequests {
			st.Note = strings.TrimPrefix(st.Note+fmt.Sprintf("; judged on %d requests, fewer than the %d asked, after the longest window (%s)", st.Requests, p.minRequests, longestWindow(p.window)), "; ")
		}
		if st.Pass && st.Requests > 0 && p.rate > 0 && st.RPS > 0 {
			// Only a step that held measures the requests a level makes: past the knee the
			// target answers fewer than were asked.
			c.perSession = st.RPS / p.rate
		}
	}
	if n := st.Sessions.CutByGrace + st.Sessions.Interrupted; n > 0 && m.v != vWholesale && !c.o.Customers {
		// The runner cuts what outlives the grace period and sends every customer still
		// connected a DISCONNECT, so the next step starts on a clean target: say so.
		st.Note = strings.TrimPrefix(st.Note+fmt.Sprintf("; %d sessions open at the step's end were cut and disconnected", n), "; ")
	}
	c.steps = append(c.steps, st)
	c.reports = append(c.reports, full)
	c.logStep(st)
	if c.o.OnStep != nil {
		c.o.OnStep(st)
	}
	if m.v == vFail && c.o.Cooldown > 0 {
		select { // let the target's queues drain before the next step
		case <-ctx.Done():
		case <-time.After(c.o.Cooldown):
		}
	}
	// A step that ends the search (stopped, failed wholesale, surged) leaves nothing to wait for.
	searchGoesOn := m.v == vPass || m.v == vFail || m.v == vLimited
	if searchGoesOn && (m.v == vFail || m.v == vLimited || end.workersBusy >= genlimit.WorkersBusyShare || c.o.Customers) && ctx.Err() == nil {
		// A step past the target's saturation leaves requests queued there (ccload cut its
		// sessions, the target still serves what they sent), and a customers step's teardown
		// sends every customer's DISCONNECT at once: the next step must not start on that
		// backlog, or it measures it.
		if msg := c.drain(ctx); c.o.Log != nil {
			fmt.Fprintf(c.o.Log, "capacity: cool-down: %s\n", msg)
		}
	}
	return m
}

// connections is a step's connection limit at level (stepConnections).
func (c *searchRun) connections(level float64) int {
	return stepConnections(c.connsSet, c.o.Scenario.Target.MaxConnections, c.o.Customers, level, c.fdLimit)
}

// queuedNote says, for a step whose scheduler lagged past --max-lag, that the lag was customers
// waiting for a connection while every one was busy (the target queueing), from the direct
// measure of that wait ("" when it lagged not, or not so).
func (c *searchRun) queuedNote(st report.CapacityStep, level, workersBusy float64) string {
	if time.Duration(st.LagP99US)*time.Microsecond <= c.o.MaxLag || workersBusy < genlimit.WorkersBusyShare {
		return ""
	}
	return fmt.Sprintf("scheduler lag p99 %s while every one of the %d connections (max_connections) was busy %.0f%% of the window: the target was queueing, the lag is its",
		report.FormatUS(st.LagP99US), c.connections(level), 100*workersBusy)
}

// offeredLess says why a step that held the SLO did not measure its level ("" when it did): every
// connection was busy for a real part of its window, so due requests waited in ccload and the
// target was offered only what the connections carry, and no response-time limit (which counts
// that wait, from each request's intended time) judged it: service times leave it out.
func (c *searchRun) offeredLess(st report.CapacityStep, level, workersBusy float64) string {
	if !st.Pass || workersBusy < genlimit.WorkersBusyShare {
		return ""
	}
	for _, t := range c.o.SLO {
		if strings.HasPrefix(t.Metric, "response_time.") {
			return ""
		}
	}
	return fmt.Sprintf("every one of the %d connections (max_connections) was busy %.0f%% of the window, so the target was offered only what they carry, and the SLO's limits leave that wait out (no response_time limit); raise target.max_connections or add a response_time limit",
		c.connections(level), 100*workersBusy)
}

// brokeBeyondLag names an upper-bounded latency percentile that broke its limit by more than
// twice even with the step's scheduler-lag p99 taken off ("" when none did): such a failure is
// the target's, whatever the generator's lag.
func brokeBeyondLag(results []report.ThresholdResult, slo []scenario.Threshold, lagP99US int64) string {
	for i, r := range results {
		if i < len(slo) && !r.Pass && slo[i].HasMax && slo[i].Max > 0 && strings.Contains(slo[i].Metric, ".p") && r.Value-float64(lagP99US) >= 2*slo[i].Max {
			return fmt.Sprintf("%s measured %s, over twice its limit even without the lag", r.Name, r.Display)
		}
	}
	return ""
}

// serviceBroke says which response-time limit the target's own service time (send to answer, no
// generator delay in it) broke as well ("" when none): a request's response time is never below
// its service time, so such a step broke the SLO whatever the generator's lag. Past the target's
// saturation its queue holds every connection, customers wait for a free worker, and that wait
// is scheduler lag; without this rule the search blamed the generator for the target's queue.
func serviceBroke(win *report.Report, results []report.ThresholdResult, slo []scenario.Threshold) string {
	for i, r := range results {
		if i >= len(slo) || !r.Failed() || !slo[i].HasMax || !strings.HasPrefix(slo[i].Metric, "response_time.") {
			continue
		}
		t := slo[i]
		t.Metric, t.Name = "service_time."+strings.TrimPrefix(t.Metric, "response_time."), ""
		if sr := judge(win, []scenario.Threshold{t}); len(sr) == 1 && sr[0].Failed() {
			return fmt.Sprintf("%s measured %s, and the target's own service time alone %s", r.Name, r.Display, sr[0].Display)
		}
	}
	return ""
}

// headroom is the largest share of its limit an upper-bounded threshold used (0 when none could say).
func headroom(results []report.ThresholdResult, slo []scenario.Threshold) float64 {
	var h float64
	for i, r := range results {
		if i < len(slo) && slo[i].HasMax && slo[i].Max > 0 {
			h = math.Max(h, r.Value/slo[i].Max)
		}
	}
	return h
}

// generatorLimit says why a step measured the generator rather than the target ("" when it did
// not); transient when the only reason was other work on the machine (the process waited for a
// CPU it did not use), which the next measurement may not meet.
//
// machineBusy is the share of the machine's CPUs busy over the window (0: unknown). A process
// that used few of its CPUs on a machine with CPUs idle did not wait for a CPU: its lag was
// customers waiting for a free connection while the target held every one (past the target's
// saturation its queue does that), which is the target's limit, so the step is judged.
func (c *searchRun) generatorLimit(st report.CapacityStep, win *report.Report, machineBusy, workersBusy float64) (string, bool) {
	var why []string
	if d := win.Sessions.Dropped; d > 0 {
		why = append(why, fmt.Sprintf("%d of %d arrivals dropped at max_customers %d", d, win.Sessions.Arrivals, c.o.Scenario.Load.MaxCustomers))
	}
	// Lag, CPU and memory: the rule report.GeneratorLimitOf applies to a whole run (genlimit).
	limits := genlimit.Limits{MaxLag: c.o.MaxLag, MaxCPU: c.o.MaxCPU, MaxMemory: c.o.MaxMemory, Flags: true}
	rule, transient := limits.Judge(genlimit.Usage{LagP99: time.Duration(st.LagP99US) * time.Microsecond, ResponseP99: time.Duration(st.P99US) * time.Microsecond,
		CPU: st.CPU, CPUs: runtime.GOMAXPROCS(0), MachineBusy: machineBusy, SharedWithTarget: c.sharedCPU, WorkersBusy: workersBusy,
		Memory: st.MemoryBytes, MemoryTotal: genlimit.MemTotal()})
	why = append(why, rule...)
	return strings.Join(why, "; "), transient && len(why) == 1
}

// judge evaluates the SLO on a step's measured window. It is the one place the search evaluates
// thresholds (through their public evaluation on a report), so it is easy to re-point.
func judge(window *report.Report, slo []scenario.Threshold) []report.ThresholdResult {
	specs := runner.ThresholdSpecs(slo)
	for i := range specs {
		specs[i].AbortOnFail = false
	}
	return evaluate.Thresholds(window, specs)
}

// discarded is how long the start of a step is discarded: the warm-up, or with Customers the
// ramp to the count and a settling time after it (customerStart).
func (c *searchRun) discarded(near bool) time.Duration {
	if c.o.Customers {
		ramp, settle := c.customerStart(near)
		return ramp + settle
	}
	return c.o.Warmup
}

// customerStart is the ramp and the settling time of a customers step at the search's current
// estimate of a customer's request interval (customerStart below).
func (c *searchRun) customerStart(near bool) (ramp, settle time.Duration) {
	var interval time.Duration
	if c.perSession > 0 {
		interval = time.Duration(float64(time.Second) / c.perSession)
	}
	return customerStart(interval, c.startRequests, c.o.Warmup, near)
}

// startRequestsOf is the requests a customer makes as it connects, before its first poll: its
// CONNECTs and its tokenByAkSk calls per session (at least 1).
func startRequestsOf(p scenario.Plan) float64 {
	var k float64
	for _, r := range p.Mix.Requests {
		if r.Endpoint == ccapi.EpTokenByAkSk || r.Endpoint == ccapi.EpSendAsync && r.ControlType == ccapi.Connect {
			k += r.PerSession
		}
	}
	return max(k, 1)
}

// customerStart is how a customers step starts, a pure function of a customer's request interval
// (its poll interval for a customer that only polls; 0: unknown), the requests it makes as it
// connects (k: its CONNECT, and its token with AK/SK), the warm-up and whether the step is near the
// knee. It is in proportion to the interval, never to the count: 10,000 customers start as fast as
// 100.
//
// A customer's first poll comes one interval after its CONNECT, so customers connecting evenly
// over x intervals ask for (k + x - 1)/x of the level's own request rate at the ramp's end: the
// level's rate itself for k = 1 whatever x, a quarter over it for k = 2 and x = 4. Near the knee
// (narrow brackets, confirmations) the ramp keeps that excess within a quarter (x = 4(k-1), at
// least 2) and two intervals of settling follow, so the connections' queue has drained before the
// window. Far from it (exponential steps, brackets wider than 25%), whose verdicts are coarse and
// which the steps near the knee decide again, within a half (x = 2(k-1), at least 1) and one
// interval of settling, in which every customer polls once. Neither is shorter than the warm-up
// (the settling: half of it); the ramp is at most 2 minutes, the settling 1.
func customerStart(interval time.Duration, k float64, warmup time.Duration, near bool) (ramp, settle time.Duration) {
	x, settleN := max(1, 2*(k-1)), 1.0
	if near {
		x, settleN = max(2, 4*(k-1)), 2
	}
	ramp = min(max(warmup, time.Duration(x*float64(interval))), 2*time.Minute)
	settle = min(max(warmup/2, time.Duration(settleN*float64(interval))), time.Minute)
	return ramp, settle
}

// stepScenario is the scenario a step plays: its session mix at one level, thresholds off.
func (c *searchRun) stepScenario(level float64, length time.Duration, near bool) *scenario.Scenario {
	sc := *c.o.Scenario
	sc.Thresholds = nil // judged here, on the window; abort_on_fail would judge the warm-up too
	if c.o.Customers {
		var pause *scenario.Dist
		if c.o.Scenario.Load.Model == scenario.Closed {
			pause = c.o.Scenario.Load.Pause
		}
		ramp, _ := c.customerStart(near)
		sc.Load = scenario.Load{Model: scenario.Closed, Pause: pause, Stages: []scenario.Stage{
			{Duration: ramp, From: 0, To: level}, {Duration: length - ramp, From: level, To: level}}}
		sc.Target.MaxConnections = c.connections(level)
		return &sc
	}
	sc.Load = scenario.Load{Model: scenario.Open, Arrivals: c.o.Scenario.Load.Arrivals, MaxCustomers: c.o.Scenario.Load.MaxCustomers,
		Stages: []scenario.Stage{{Duration: length, From: level, To: level}}}
	return &sc
}

// stepEnd is how a step's monitor ended it.
type stepEnd struct {
	machineBusy float64 // the share of the machine's CPUs busy over the window (0: unknown)
	// workersBusy is the share of the window the scheduler waited for a free exchange worker
	// with a customer due (runner.WorkersBusy): every connection busy, the target queueing.
	workersBusy float64
	wholesale   string // a kind of request failed wholesale: what and why
	early       string // the window's verdict was certain before its plan's end
	short       bool   // the longest window passed without the fewest requests
}

// mark is one snapshot of a step, with the process's and the machine's CPU time when it was taken.
type mark struct {
	snap    *report.Report
	cpu     genlimit.Mark
	blocked time.Duration // runner.WorkersBusy.Blocked when the snapshot was taken
}

// runStep plays one step: the discarded start, then the window, which the monitor ends when the
// plan is met (its length and its fewest requests), when its verdict is certain, when a kind of
// request fails wholesale, or at the longest window. It returns the step's record, its whole
// report, the window (nil when it was not reached) and how it ended.
func (c *searchRun) runStep(ctx context.Context, p plan) (report.CapacityStep, *report.Report, *report.Report, stepEnd) {
	n := len(c.steps) + 1
	warm := c.discarded(p.near)
	// A far step whose limits come close is measured as a near one (watch): its stage must last.
	longest := max(longestWindow(p.window), c.o.Window)
	length := warm + longest + snapSlack(p.rate)
	var snaps []time.Duration
	for t := snapEvery; t <= length; t += snapEvery {
		snaps = append(snaps, t)
	}
	sctx, stop := context.WithCancel(ctx) // the monitor's own end
	defer stop()
	finish := make(chan struct{}) // closed when the window is measured: the step's schedule ends
	var mu sync.Mutex             // guards first, last, end, done
	var first, last *mark
	var end stepEnd
	done := false
	ready := make(chan struct{}, 1)
	busy := &runner.WorkersBusy{}
	cfg := runner.Config{WorkersBusy: busy, MaxRPS: c.o.MaxRPS, Scenario: c.stepScenario(p.rate, length, p.near), BaseURL: c.o.BaseURL, Grace: c.o.Grace, Seed: c.o.Seed + int64(n),
		Observer: c.o.Observer, Progress: stepProgress(c.o.Progress), Stderr: c.o.Stderr, Snapshots: snaps, Finish: finish,
		OnSnapshot: func(_ time.Duration, snap *report.Report) {
			cpu, blocked := genlimit.Now(), busy.Blocked()
			mu.Lock()
			defer mu.Unlock()
			if done {
				return
			}
			mk := &mark{snap, cpu, blocked}
			if first == nil && time.Duration(snap.DurationS*float64(time.Second)) >= warm {
				first = mk
			}
			last = mk
			select {
			case ready <- struct{}{}:
			default:
			}
		}}
	// The monitor judges the report so far at every snapshot, off the collector's goroutine.
	monitorDone := make(chan struct{})
	go func() {
		defer close(monitorDone)
		for {
			select {
			case <-sctx.Done():
				return
			case <-ready:
			}
			mu.Lock()
			f, l := first, last
			mu.Unlock()
			e, stopNow := c.watch(p, f, l)
			if stopNow {
				mu.Lock()
				end, done = e, true
				mu.Unlock()
				close(finish) // the step's end, not an interrupt: its sessions get the grace period
				return
			}
		}
	}()
	st := report.CapacityStep{N: n, Rate: p.rate, Phase: p.phase, WindowS: p.window.Seconds(), Near: p.near}
	full, err := runner.Run(ctx, cfg)
	stop()
	<-monitorDone
	mu.Lock()
	defer mu.Unlock()
	done = true
	if full == nil {
		return st, &report.Report{StopReason: "could not start: " + err.Error()}, nil, end
	}
	st.Sessions, st.AllRequests = full.Sessions, full.Requests
	select {
	case <-finish:
		// The search, not the user, ended the step (runner.Config.Finish): a schedule's early
		// end, not an interrupt; its stop reason is the runner's ("completed", "grace cut").
		if full.Sessions.CutByGrace > 0 {
			full.Warnings = append(full.Warnings, "the capacity search ended this step once its window was measured; sessions still open after the grace period were cut and disconnected (counted cut_by_grace)")
		}
	default:
	}
	if end.wholesale != "" || first == nil || last == first || report.ParseStop(full.StopReason).Kind == report.ReasonUnreachable || ctx.Err() != nil {
		return st, full, nil, end
	}
	win, err := windowOf(first.snap, last.snap)
	if err != nil {
		full.Warnings = append(full.Warnings, err.Error())
		return st, full, nil, end
	}
	st.WindowS = win.DurationS
	st.Window = win.Overall
	st.WindowLag = win.SchedulerLagUS
	st.WindowSessions = win.Sessions
	st.Requests = win.Overall.Count
	st.RPS = win.Overall.RPS
	if st.Requests > 0 {
		st.ErrorRate = float64(st.Requests-win.Overall.OK) / float64(st.Requests)
	}
	st.P50US, st.P99US = win.Overall.ResponseTimeUS.P50, win.Overall.ResponseTimeUS.P99
	st.LagP99US = win.SchedulerLagUS.P99
	st.CPU, end.machineBusy = genlimit.Since(first.cpu, last.cpu)
	if span := last.cpu.At.Sub(first.cpu.At); span > 0 {
		end.workersBusy = min(float64(last.blocked-first.blocked)/float64(span), 1)
		st.WorkersBusy = end.workersBusy
	}
	st.MemoryBytes = genlimit.MemoryInUse()
	return st, full, win, end
}

// watch is the monitor's look at a step so far (first: the window's opening snapshot, nil before
// it; last: the latest): whether to end the step now, and why.
func (c *searchRun) watch(p plan, first, last *mark) (stepEnd, bool) {
	if last == nil {
		return stepEnd{}, false
	}
	if why := wholesaleFailure(last.snap); why != "" {
		return stepEnd{wholesale: c.explain(why, last.snap)}, true
	}
	if first == nil || first == last {
		return stepEnd{}, false
	}
	win, err := windowOf(first.snap, last.snap)
	if err != nil {
		return stepEnd{}, false
	}
	ws := windowState{elapsed: time.Duration(win.DurationS * float64(time.Second)), planned: p.window, longest: longestWindow(p.window),
		requests: win.Overall.Count, minRequests: p.minRequests}
	if ws.requests >= certainMin(p.minRequests) && ws.elapsed >= p.window/2 {
		results := judge(win, c.o.SLO)
		ws.certain = certainFailure(results, c.o.SLO, win, c.o.Surge)
		if ws.elapsed >= p.window && allPass(results) && p.window < c.o.Window && headroom(results, c.o.SLO) >= closeShare {
			// A short window whose limits came close: its verdict is the noisy kind, so it is
			// measured as long as a step near the knee.
			ws.planned, ws.minRequests = c.o.Window, max(ws.minRequests, c.o.MinRequests)
			ws.longest = max(ws.longest, c.o.Window)
		}
		if ws.elapsed >= ws.planned && ws.requests >= ws.minRequests && allPass(results) {
			ws.unproven = unproven(win, c.o.SLO, results) != ""
		}
	}
	act := ws.decide()
	switch act {
	case windowGoOn:
		return stepEnd{}, false
	case windowCertain:
		return stepEnd{early: ws.certain}, true
	case windowShort:
		return stepEnd{short: true}, true
	}
	return stepEnd{}, true
}

// stepProgress is a step's live display: the terminal's bars, else none. The runner's periodic
// status lines (what --no-progress and a log get) would speak of the step's inner stages and its
// longest length, not of the search; each step prints its own line as it ends (Options.Log).
func stepProgress(p runner.Progress) runner.Progress {
	if p == runner.ProgressLines {
		return runner.ProgressNone
	}
	return p
}

// snapSlack extends a step past its longest window so the closing snapshot is taken while
// arrivals still run: the last arrival comes up to a gap before the stage ends.
func snapSlack(rate float64) time.Duration {
	return max(time.Second, min(time.Duration(2/rate*float64(time.Second)), 5*time.Second))
}

func (c *searchRun) logStep(st report.CapacityStep) {
	if c.o.Log == nil {
		return
	}
	fmt.Fprintf(c.o.Log, "capacity: step %d %s %s %s: %s  p99 %s  errors %.2f%%  %.1f req/s  lag p99 %s  cpu %.0f%%",
		st.N, st.Phase, report.FormatRate(st.Rate), c.o.unit(), st.Verdict(), report.FormatUS(st.P99US), 100*st.ErrorRate, st.RPS, report.FormatUS(st.LagP99US), 100*st.CPU)
	if len(st.Broke) > 0 {
		fmt.Fprintf(c.o.Log, "  broke: %s", strings.Join(st.Broke, "; "))
	}
	if st.Note != "" {
		fmt.Fprintf(c.o.Log, "  (%s)", st.Note)
	}
	fmt.Fprintln(c.o.Log)
}

// finish builds the report: the capacity section, on the report of the highest sustainable step.
func (c *searchRun) finish(res searchResult) *report.Report {
	o := c.o
	cp := &report.Capacity{Unit: o.unit(), StartRate: o.StartRate, MaxRate: o.MaxRate, Precision: o.Precision,
		WarmupS: o.Warmup.Seconds(), WindowS: o.Window.Seconds(), ShortWindowS: o.ShortWindow.Seconds(), MinRequests: o.MinRequests,
		Outcome: res.outcome, Converged: res.converged, Sustainable: res.lo, Breaking: res.hi, Broke: res.hiBroke,
		Required: o.Require, Steps: c.steps, Generator: c.generator, Failure: c.wholesale}
	for _, t := range o.SLO {
		cp.SLO = append(cp.SLO, t.Name)
		if t.HasMax {
			cp.Limits = append(cp.Limits, report.CapacityLimit{Name: t.Name, Metric: t.Metric, Group: t.Group, Max: t.Max})
		}
	}
	cp.RequireMet = o.Require > 0 && res.lo >= o.Require
	cp.Knee = knee(c.steps)
	var pooledReqs, pooledSessions float64 // requests per session, below
	for _, st := range c.steps {
		cp.TotalSessions.Add(st.Sessions)
		cp.TotalRequests.Add(st.AllRequests)
		if st.Judged {
			cp.PeakRPS = math.Max(cp.PeakRPS, st.RPS)
		}
		if st.Judged && st.Pass && st.Rate == res.lo {
			cp.SustainableRPS = st.RPS // the latest measurement of the sustainable level
		}
		// Requests per session: the requests of every step that held (a window of 100 requests
		// or more) over the sessions their rates asked for. Pooled, the long windows near the
		// answer weigh most; the most of any one step was the noise of a short window (a 5 s
		// window at 16 sessions/s said 4.6 for sessions of 4 requests).
		if !o.Customers && st.Judged && st.Pass && st.Requests >= 100 && st.Rate > 0 && st.WindowS > 0 {
			pooledReqs += float64(st.Requests)
			pooledSessions += st.Rate * st.WindowS
		}
	}
	if pooledSessions > 0 {
		cp.RequestsPerSession = pooledReqs / pooledSessions
	}
	if o.Customers && res.lo > 0 {
		cp.RequestsPerCustomerS = cp.SustainableRPS / res.lo
	}
	cp.Message = c.message(cp)
	// The report around the section: the latest step at the sustainable level, else the last step.
	pick := len(c.reports) - 1
	for i := len(c.steps) - 1; i >= 0; i-- {
		if c.steps[i].Judged && c.steps[i].Pass && c.steps[i].Rate == res.lo {
			pick = i
			break
		}
	}
	var rep *report.Report
	if pick >= 0 && c.reports[pick].Schema != "" {
		r := *c.reports[pick]
		r.Thresholds = slices.Clone(c.steps[pick].Thresholds)
		rep = &r
	} else {
		// No step ran (the budget fit none), or the step could not start: a report of no
		// requests, still one report.ReadJSON accepts (a duration above 0, the schema).
		end := time.Now().UTC()
		rep = &report.Report{Schema: report.Schema, Scenario: o.Scenario.Name, File: o.Scenario.File, StartedAt: c.start.UTC(),
			EndedAt: end, DurationS: max(end.Sub(c.start).Seconds(), 1e-6), StopReason: "completed", Shards: 1,
			ScenarioText: string(o.Scenario.Text)}
		if pick >= 0 {
			rep.StopReason = c.reports[pick].StopReason
		}
	}
	if res.outcome == OutcomeInterrupted {
		rep.Interrupted, rep.StopReason = true, report.Stop{Kind: report.ReasonInterrupted}.String()
	}
	rep.Capacity = cp
	return rep
}

// message says what the outcome means and, when the search did not conclude, what to do. It
// states only what the steps showed: no "at least" beside a bracket, no bracket without both ends.
func (c *searchRun) message(cp *report.Capacity) string {
	r, u := report.FormatRate, cp.Unit
	bracket := func() string {
		switch {
		case cp.Sustainable > 0 && cp.Breaking > 0:
			return fmt.Sprintf("best bracket so far %s .. %s %s", r(cp.Sustainable), r(cp.Breaking), u)
		case cp.Sustainable > 0:
			return fmt.Sprintf("%s %s held; nothing broke yet", r(cp.Sustainable), u)
		case cp.Breaking > 0:
			return fmt.Sprintf("%s %s broke; no level held yet", r(cp.Breaking), u)
		}
		return "no step was judged"
	}
	switch cp.Outcome {
	case OutcomeConverged:
		return fmt.Sprintf("the target sustains %s %s under the SLO; %s %s broke it (bracket within %.0f%%, both ends confirmed)", r(cp.Sustainable), u, r(cp.Breaking), u, 100*cp.Precision)
	case OutcomeMaxHeld:
		return fmt.Sprintf("the SLO held up to the maximum %s %s: capacity is at least that; raise --max-rate to search further", r(cp.MaxRate), u)
	case OutcomeNoSustainable:
		return fmt.Sprintf("the SLO broke even at %s %s", r(cp.Breaking), u)
	case OutcomeSurge:
		return fmt.Sprintf("errors surged past %.0f%% at %s %s, so the search stopped at once to spare the target; %s", 100*c.o.Surge, r(cp.Breaking), u, bracket())
	case OutcomeWholesale:
		return fmt.Sprintf("the search stopped: %s. Fix the cause (credentials, paths, the target's configuration) and search again", c.wholesale)
	case OutcomeGenerator:
		return c.generator + ". A verdict there would measure ccload, not the target: search from a bigger machine (more CPUs, less other work on it), or raise max_customers; the answer so far: " + bracket()
	case OutcomeInterrupted:
		return "interrupted; " + bracket()
	case OutcomeUnstable:
		return "the boundary moved between repeats of the same level (a noisy target or machine); " + bracket()
	}
	why := "a step could not be measured"
	if c.budgetNote != "" || len(c.steps) == 0 {
		why = fmt.Sprintf("the --budget %s ran out (%s)", c.o.Budget, c.budgetNote)
	} else if last := c.steps[len(c.steps)-1]; last.Note != "" {
		why = last.Note
	}
	return fmt.Sprintf("did not converge: %s; %s", why, bracket())
}

// knee is the level after which the response-time p99 grows faster than the level: the lower end
// of the first pair of neighbouring judged levels whose log-log slope exceeds 1 (and whose p99
// rose by more than 1 ms, so sub-millisecond jitter at low load is no knee). 0: none among the steps.
func knee(steps []report.CapacityStep) float64 {
	byRate := map[float64]int64{}
	for _, s := range steps {
		if s.Judged && s.P99US > 0 {
			byRate[s.Rate] = s.P99US // the latest measurement of a level
		}
	}
	rates := make([]float64, 0, len(byRate))
	for r := range byRate {
		rates = append(rates, r)
	}
	slices.Sort(rates)
	for i := 1; i < len(rates); i++ {
		r0, r1 := rates[i-1], rates[i]
		p0, p1 := float64(byRate[r0]), float64(byRate[r1])
		if p1-p0 > 1000 && math.Log(p1/p0) > math.Log(r1/r0) {
			return r0
		}
	}
	return 0
}
