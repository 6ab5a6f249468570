// Package capacity finds the highest open-model session arrival rate a target sustains under an
// SLO. It drives runner.Run one constant-rate step at a time (the scenario's session mix, its load
// replaced), discards each step's warm-up exactly by subtracting report snapshots, judges the
// measured window by the SLO's thresholds, and refuses to judge a step the generator itself
// limited. The search is exponential then a bisection (search.go), in the manner of Envoy
// Nighthawk's adaptive load controller.
package capacity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"ccload/report"
	"ccload/runner"
	"ccload/scenario"
)

// Defaults of Options (the CLI's flag defaults, documented in `ccload capacity --help`).
const (
	DefaultStartRate    = 1.0
	DefaultMaxRate      = 10_000.0
	DefaultPrecision    = 0.05
	DefaultWarmup       = 10 * time.Second
	DefaultWindow       = 30 * time.Second
	DefaultMinRequests  = 1000
	DefaultBudget       = 15 * time.Minute
	DefaultGrace        = 10 * time.Second
	DefaultCooldown     = 5 * time.Second
	DefaultMaxLag       = 50 * time.Millisecond
	DefaultMaxCPU       = 0.9
	DefaultSurge        = 0.5
	defaultConfirmRound = 2
)

// Options configure a search. Scenario, BaseURL and SLO are required; a zero number takes its default.
type Options struct {
	Scenario *scenario.Scenario
	BaseURL  string
	// SLO is what every step is judged by: the scenario's thresholds or --slo.
	SLO []scenario.Threshold
	// StartRate is the first step's rate, MaxRate the highest the search may ask for (sessions/s).
	StartRate, MaxRate float64
	// Precision ends the bisection when hi-lo <= Precision·lo.
	Precision float64
	// Warmup is discarded at the start of every step; Window is then measured (at least long
	// enough for MinRequests requests at the previous steps' requests per session).
	Warmup, Window time.Duration
	MinRequests    int64
	// Budget bounds the whole search; when it runs out the best bracket is reported, not converged.
	Budget time.Duration
	// Grace is how long a step's sessions may finish after its arrivals stop; then they are cancelled.
	Grace time.Duration
	// Cooldown is the pause after a step that broke the SLO, so the target's queues drain.
	Cooldown time.Duration
	// MaxLag, MaxCPU: a step whose scheduler-lag p99 exceeds MaxLag (and a tenth of its
	// response-time p99), whose CPU share of GOMAXPROCS exceeds MaxCPU, or which dropped arrivals
	// at max_customers, was limited by the generator.
	MaxLag time.Duration
	MaxCPU float64
	// Surge is the window error rate that ends the search at once (the target is failing hard).
	Surge float64
	// Require is the rate the target must sustain for the JUnit case to pass (0: none).
	Require float64
	// Out is the output directory: report.json, report.html, junit.xml, and steps/NN-RATE/ per step.
	Out string
	// Write renders a report into a directory (the command passes render.WriteDir; nil: nothing
	// is written), so the search itself renders nothing.
	Write func(dir string, rep *report.Report) error
	// Log receives one line per step (nil: none).
	Log io.Writer
	// Seed is the first step's seed (each step adds its number); 0 takes the scenario's.
	Seed int64
	// Observer, when set, sees every step's requests, arrivals and sessions (the live /metrics
	// exporter): its counters run on across steps.
	Observer report.Observer
}

// ErrClosedModel refuses a scenario the search cannot play (it searches open-model arrival rates).
var ErrClosedModel = errors.New("the scenario's load model is closed; capacity searches the open-model session arrival rate (write load: {model: open, ...})")

func (o Options) withDefaults() (Options, error) {
	if o.Scenario == nil {
		return o, runner.ErrNoScenario
	}
	if len(o.SLO) == 0 {
		return o, errors.New("no SLO: give --slo or thresholds in the scenario")
	}
	if o.Scenario.Load.Model == scenario.Closed {
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
	def(&o.StartRate, DefaultStartRate)
	def(&o.MaxRate, DefaultMaxRate)
	def(&o.Precision, DefaultPrecision)
	def(&o.MaxCPU, DefaultMaxCPU)
	def(&o.Surge, DefaultSurge)
	defD(&o.Warmup, DefaultWarmup)
	defD(&o.Window, DefaultWindow)
	defD(&o.Budget, DefaultBudget)
	defD(&o.Grace, DefaultGrace)
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

// Run searches and returns the report of the highest sustainable step (or of the last step when
// none held) with the capacity section set; it has written it to o.Out. The error is non-nil only
// when the search could not start or an output could not be written.
func Run(ctx context.Context, o Options) (*report.Report, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &searchRun{o: o, perSession: o.Scenario.Plan().Mix.Total, start: time.Now()}
	bctx, cancel := context.WithTimeout(ctx, o.Budget)
	defer cancel()
	res := search(bctx, searchSettings{start: o.StartRate, max: o.MaxRate, precision: o.Precision, confirmRounds: defaultConfirmRound}, c.measure)
	if res.outcome == OutcomeInterrupted && ctx.Err() == nil {
		res.outcome = OutcomeNotConverged // the budget ran out, not the user's patience
		c.budgetNote = "it expired during a step"
	}
	rep := c.finish(res)
	if o.Out != "" && o.Write != nil {
		if err := o.Write(o.Out, rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// searchRun is one search's state: its steps, their reports, and the estimate of requests per session.
type searchRun struct {
	o          Options
	start      time.Time
	perSession float64 // requests per session, from the plan and then from the steps measured
	steps      []report.CapacityStep
	reports    []*report.Report // each step's whole report, by step
	generator  string           // why the generator was the limit
	budgetNote string
}

// windowFor is the measured window at rate: Window, or longer so it holds MinRequests requests.
func (c *searchRun) windowFor(rate float64) time.Duration {
	w := c.o.Window
	if per := c.perSession; per > 0 && rate > 0 {
		need := time.Duration(1.2 * float64(c.o.MinRequests) / (rate * per) * float64(time.Second))
		w = max(w, need.Round(time.Second))
	}
	return w
}

// measure runs one step (runStep) and turns its window into the search's verdict.
func (c *searchRun) measure(ctx context.Context, rate float64, phase string) measured {
	window := c.windowFor(rate)
	stepLen := c.o.Warmup + window
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < stepLen+c.o.Grace/2 {
		c.budgetNote = fmt.Sprintf("the budget had %s left, less than a step (%s)", time.Until(dl).Round(time.Second), stepLen)
		return measured{rate: rate, v: vStop}
	}
	if ctx.Err() != nil {
		return measured{rate: rate, v: vStop}
	}
	st, full, win := c.runStep(ctx, rate, phase, window)
	m := measured{rate: rate, v: vStop}
	switch {
	case win == nil:
		st.Note = "not judged: the step did not reach the end of its window (" + full.StopReason + ")"
	case st.Requests < c.o.MinRequests:
		st.Note = fmt.Sprintf("not judged: %d requests in the window, fewer than --min-requests %d", st.Requests, c.o.MinRequests)
	default:
		if why := c.generatorLimit(st, win); why != "" {
			st.Note = "not judged: " + why
			c.generator = fmt.Sprintf("at %s sessions/s the generator, not the target, was the limit: %s", report.FormatRate(rate), why)
			m.v = vLimited
			break
		}
		st.Judged = true
		st.Thresholds = judge(win, c.o.SLO)
		st.Pass = true
		for _, t := range st.Thresholds {
			if t.Failed() {
				st.Pass = false
				st.Broke = append(st.Broke, fmt.Sprintf("%s (measured %s)", t.Name, t.Display))
			}
		}
		m.v, m.broke = vPass, st.Broke
		if !st.Pass {
			m.v = vFail
			if st.ErrorRate > c.o.Surge {
				m.v = vSurge
				st.Note = fmt.Sprintf("error rate %.1f%% over the surge bound %.0f%%: the search stops here", 100*st.ErrorRate, 100*c.o.Surge)
			}
		}
		if win.Sessions.Started > 0 && st.Requests > 0 && rate > 0 {
			c.perSession = st.RPS / rate
		}
	}
	if n := st.Sessions.CutByGrace + st.Sessions.Interrupted; n > 0 {
		// The runner cuts what outlives the grace period and sends every customer still
		// connected a DISCONNECT, so the next step starts on a clean target: say so.
		st.Note = strings.TrimPrefix(st.Note+fmt.Sprintf("; %d sessions still open after --grace were cut and disconnected", n), "; ")
	}
	c.steps = append(c.steps, st)
	c.reports = append(c.reports, full)
	c.logStep(st)
	if m.v == vFail && c.o.Cooldown > 0 {
		select { // let the target's queues drain before the next step
		case <-ctx.Done():
		case <-time.After(c.o.Cooldown):
		}
	}
	return m
}

// generatorLimit says why a step measured the generator rather than the target ("" when it did not).
func (c *searchRun) generatorLimit(st report.CapacityStep, win *report.Report) string {
	var why []string
	if d := win.Sessions.Dropped; d > 0 {
		why = append(why, fmt.Sprintf("%d of %d arrivals dropped at max_customers %d", d, win.Sessions.Arrivals, c.o.Scenario.Load.MaxCustomers))
	}
	// Lag counts only when it is a real part of the response time: behind a target that answers in
	// seconds, a few tens of milliseconds waiting for a connection change no verdict.
	if lag := time.Duration(st.LagP99US) * time.Microsecond; lag > c.o.MaxLag && 10*st.LagP99US > st.P99US {
		w := fmt.Sprintf("scheduler lag p99 %s over --max-lag %s", report.FormatUS(st.LagP99US), c.o.MaxLag)
		if st.CPU < c.o.MaxCPU/2 {
			w += fmt.Sprintf(" while it used only %.0f%% of its CPUs (it was waiting for a CPU: other work on this machine)", 100*st.CPU)
		}
		why = append(why, w)
	}
	if st.CPU > c.o.MaxCPU {
		why = append(why, fmt.Sprintf("the process used %.0f%% of its %d CPUs (over --max-cpu %.0f%%)", 100*st.CPU, runtime.GOMAXPROCS(0), 100*c.o.MaxCPU))
	}
	return strings.Join(why, "; ")
}

// judge evaluates the SLO on a step's measured window. It is the one place the search evaluates
// thresholds (through their public evaluation on a report), so it is easy to re-point.
func judge(window *report.Report, slo []scenario.Threshold) []report.ThresholdResult {
	specs := runner.ThresholdSpecs(slo)
	for i := range specs {
		specs[i].AbortOnFail = false
	}
	return report.EvaluateThresholds(window, specs)
}

// runStep plays one constant-rate step: warm-up, then the window, then the tail (Grace). It
// returns the step's record, its whole report, and the window (nil when it was not reached).
func (c *searchRun) runStep(ctx context.Context, rate float64, phase string, window time.Duration) (report.CapacityStep, *report.Report, *report.Report) {
	n := len(c.steps) + 1
	sc := *c.o.Scenario
	sc.Thresholds = nil // judged here, on the window; abort_on_fail would judge the warm-up too
	sc.Load = scenario.Load{Model: scenario.Open, Arrivals: c.o.Scenario.Load.Arrivals, MaxCustomers: c.o.Scenario.Load.MaxCustomers,
		Stages: []scenario.Stage{{Duration: c.o.Warmup + window + snapSlack(rate), From: rate, To: rate}}}
	type mark struct {
		snap *report.Report
		cpu  time.Duration
		at   time.Time
	}
	var mu sync.Mutex // guards marks (written on the runner's collector goroutine)
	var marks []mark
	cfg := runner.Config{Scenario: &sc, BaseURL: c.o.BaseURL, Grace: c.o.Grace, Seed: c.o.Seed + int64(n), Observer: c.o.Observer,
		Snapshots: []time.Duration{c.o.Warmup, c.o.Warmup + window},
		OnSnapshot: func(_ time.Duration, snap *report.Report) {
			cpu, _ := cpuTime()
			mu.Lock()
			marks = append(marks, mark{snap, cpu, time.Now()})
			mu.Unlock()
		}}
	st := report.CapacityStep{N: n, Rate: rate, Phase: phase, WindowS: window.Seconds()}
	full, err := runner.Run(ctx, cfg)
	if full != nil && c.o.Out != "" && c.o.Write != nil {
		_ = c.o.Write(filepath.Join(c.o.Out, "steps", fmt.Sprintf("%02d-%s", n, report.FormatRate(rate))), full)
	}
	if full == nil {
		full = &report.Report{StopReason: "could not start: " + err.Error()}
		return st, full, nil
	}
	st.Sessions, st.AllRequests = full.Sessions, full.Requests
	mu.Lock()
	defer mu.Unlock()
	if len(marks) < 2 || report.ParseStop(full.StopReason).Kind == report.ReasonUnreachable || ctx.Err() != nil && full.Interrupted {
		return st, full, nil
	}
	win, err := windowOf(marks[0].snap, marks[1].snap)
	if err != nil {
		full.Warnings = append(full.Warnings, err.Error())
		return st, full, nil
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
	if wall := marks[1].at.Sub(marks[0].at); wall > 0 && marks[0].cpu > 0 {
		st.CPU = float64(marks[1].cpu-marks[0].cpu) / (float64(wall) * float64(runtime.GOMAXPROCS(0)))
	}
	return st, full, win
}

// snapSlack extends a step past its window's end so the closing snapshot is taken while arrivals
// still run: the last arrival comes up to a gap before the stage ends, and the runner's collector
// takes snapshots on a 100 ms tick.
func snapSlack(rate float64) time.Duration {
	return max(300*time.Millisecond, min(time.Duration(2/rate*float64(time.Second)), 5*time.Second))
}

func (c *searchRun) logStep(st report.CapacityStep) {
	if c.o.Log == nil {
		return
	}
	v := "PASS"
	switch {
	case !st.Judged:
		v = "not judged"
	case !st.Pass:
		v = "FAIL"
	}
	fmt.Fprintf(c.o.Log, "capacity: step %d %s %s sessions/s: %s  p99 %s  errors %.2f%%  %.1f req/s  lag p99 %s  cpu %.0f%%",
		st.N, st.Phase, report.FormatRate(st.Rate), v, report.FormatUS(st.P99US), 100*st.ErrorRate, st.RPS, report.FormatUS(st.LagP99US), 100*st.CPU)
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
	cp := &report.Capacity{Unit: "sessions/s", StartRate: o.StartRate, MaxRate: o.MaxRate, Precision: o.Precision,
		WarmupS: o.Warmup.Seconds(), WindowS: o.Window.Seconds(), MinRequests: o.MinRequests,
		Outcome: res.outcome, Converged: res.converged, Sustainable: res.lo, Breaking: res.hi, Broke: res.hiBroke,
		Required: o.Require, Steps: c.steps, Generator: c.generator}
	for _, t := range o.SLO {
		cp.SLO = append(cp.SLO, t.Name)
	}
	cp.RequireMet = o.Require > 0 && res.lo >= o.Require
	cp.Knee = knee(c.steps)
	for _, st := range c.steps {
		cp.TotalSessions.Add(st.Sessions)
		cp.TotalRequests.Add(st.AllRequests)
	}
	cp.Message = c.message(cp)
	// The report around the section: the latest step at the sustainable rate, else the last step.
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

// message says what the outcome means and, when the search did not conclude, what to do.
func (c *searchRun) message(cp *report.Capacity) string {
	r := report.FormatRate
	switch cp.Outcome {
	case OutcomeConverged:
		return fmt.Sprintf("the target sustains %s sessions/s under the SLO; %s sessions/s broke it (bracket within %.0f%%, both ends confirmed)", r(cp.Sustainable), r(cp.Breaking), 100*cp.Precision)
	case OutcomeMaxHeld:
		return fmt.Sprintf("the SLO held up to --max-rate %s sessions/s: capacity is at least that; raise --max-rate to search further", r(cp.MaxRate))
	case OutcomeNoSustainable:
		return fmt.Sprintf("the SLO broke even at %s sessions/s", r(cp.Breaking))
	case OutcomeSurge:
		return fmt.Sprintf("errors surged past %.0f%% at %s sessions/s, so the search stopped at once to spare the target; best bracket %s .. %s", 100*c.o.Surge, r(cp.Breaking), r(cp.Sustainable), r(cp.Breaking))
	case OutcomeGenerator:
		return c.generator + ". A verdict there would measure ccload, not the target: run shards (ccload run --shard I/N on several machines, then ccload merge), use a bigger machine, or raise max_customers"
	case OutcomeInterrupted:
		return fmt.Sprintf("interrupted; best bracket so far %s .. %s", r(cp.Sustainable), r(cp.Breaking))
	case OutcomeUnstable:
		return fmt.Sprintf("the boundary moved between repeats of the same rate (a noisy target or machine); best bracket %s .. %s", r(cp.Sustainable), r(cp.Breaking))
	}
	why := "a step could not be measured"
	if c.budgetNote != "" || len(c.steps) == 0 {
		why = fmt.Sprintf("the --budget %s ran out (%s)", c.o.Budget, c.budgetNote)
	} else if last := c.steps[len(c.steps)-1]; last.Note != "" {
		why = last.Note
	}
	return fmt.Sprintf("did not converge: %s; best bracket so far %s .. %s", why, r(cp.Sustainable), r(cp.Breaking))
}

// knee is the rate after which the response-time p99 grows faster than the rate: the lower end of
// the first pair of neighbouring judged rates whose log-log slope exceeds 1 (and whose p99 rose
// by more than 1 ms, so sub-millisecond jitter at low load is no knee). 0: none among the steps.
func knee(steps []report.CapacityStep) float64 {
	byRate := map[float64]int64{}
	for _, s := range steps {
		if s.Judged && s.P99US > 0 {
			byRate[s.Rate] = s.P99US // the latest measurement of a rate
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
