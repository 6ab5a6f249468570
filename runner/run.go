package runner

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"ccload/ccapi"
	"ccload/report"
	htmlreport "ccload/report/html"
	"ccload/scenario"
)

// Stop reasons a run ends with (report.json's stop_reason); an abort adds the threshold's name.
const (
	StopCompleted   = "completed"
	StopInterrupted = "interrupted"
	StopUnreachable = "unreachable"
	StopAborted     = "aborted: " // followed by the threshold's name
	// StopDataExhausted, followed by the feeder's name, ends a run whose `order: unique` data
	// feeder (without wrap) ran out of rows: arrivals stopped there, the sessions running went
	// on normally (so the run is not marked interrupted), but the run could not play what the
	// scenario asked for.
	StopDataExhausted = "data exhausted: feeder "
	// StopGraceCut ends a run that played its whole schedule but whose grace period after the
	// last stage ran out with sessions still running: they were cut (sessions.cut_by_grace).
	// The run is not marked interrupted; a cut_by_grace threshold gates on it.
	StopGraceCut = report.StopGraceCut
)

// TeardownLimit bounds the run's teardown: the DISCONNECTs sent, concurrently up to the
// connection limit, to every customer still connected when the run cut its sessions.
const TeardownLimit = 2 * time.Second

// run is the shared state of one Run: read-only after setup except for the channels,
// atomics and the fields guarded by mu.
type run struct {
	cfg    Config
	sc     *scenario.Scenario
	load   scenario.Load // the stages after --duration
	seed   int64
	client *ccapi.Client
	rules  ccapi.Rules
	sendEp ccapi.Endpoint
	t0     time.Time
	events chan event
	active atomic.Int64 // customers living a session right now
	// cancelAt is when the customers' context was cancelled (ns since t0; 0: not yet), so a
	// customer that was due for a request then but waited for a worker counts it not sent.
	cancelAt atomic.Int64

	steps     []*scenario.Step               // named steps, in scenario order
	stepIndex map[*scenario.Step]int32       // step → index in steps (-1 for unnamed)
	programs  map[*scenario.Session]*program // each session compiled once
	weights   []float64                      // cumulative session weights, normalised to 1
	aborts    []report.ThresholdSpec         // thresholds with abort_on_fail

	sched        *scheduler         // plays every customer; closed once they have all ended
	stopProducer context.CancelFunc // ends arrivals
	cancelAll    context.CancelFunc // ends every session at once (and starts the teardown's clock)

	// The teardown: tdCtx bounds the DISCONNECTs of customers still connected when the run cut
	// them (TeardownLimit from cancelAt); tdLeft counts those it could not disconnect.
	// graceCut says the cut was the grace period running out on a run that was not stopped.
	tdCtx    context.Context
	tdLeft   atomic.Int64
	graceCut atomic.Bool
	// abLeft counts the sessions that failed connected whose DISCONNECT (actAbandon) failed.
	abLeft atomic.Int64

	mu       sync.Mutex // guards reason, hard, phase, warnings, warned
	reason   string
	phase    string
	warnings []string
	warned   map[string]bool
}

// Run plays cfg.Scenario against the target and returns its report, which it has also written
// to cfg.Out (when set). Cancelling ctx is the graceful stop: arrivals end at once and running
// sessions get cfg.Grace to finish; closing cfg.Kill cancels them at once. However the
// sessions are cut, every customer still connected is sent a DISCONNECT (within TeardownLimit),
// so the target is left with no open session. In every case the report is complete, written
// atomically, and marked interrupted when the run did not end on its own. The console summary goes to cfg.Stdout when set. The error is non-nil only when the
// run could not start (the report is nil) or an output could not be written (it is not).
func Run(ctx context.Context, cfg Config) (*report.Report, error) {
	r, err := newRun(cfg)
	if err != nil {
		return nil, err
	}
	defer r.client.Close()
	rep := r.play(ctx)
	if cfg.Finish != nil {
		cfg.Finish(rep)
	}
	if cfg.Out != "" {
		err = writeOutputs(cfg.Out, rep)
	}
	if cfg.Stdout != nil {
		if werr := report.WriteSummary(cfg.Stdout, rep); werr != nil && err == nil {
			err = werr
		}
	}
	return rep, err
}

// newRun checks cfg and prepares a run: its stages, step index, session weights and client.
func newRun(cfg Config) (*run, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	sc := cfg.Scenario
	r := &run{cfg: cfg, sc: sc, seed: cfg.Seed, phase: "running", warned: map[string]bool{}}
	r.load = sc.Load
	r.load.Stages = withDuration(sc.Load.Stages, cfg.Duration)
	r.rules = sc.Target.Rules()
	r.sendEp = ccapi.EpSendAsync
	if sc.Target.UseSend {
		r.sendEp = ccapi.EpSend
	}
	r.index()
	r.client, err = ccapi.NewClient(ccapi.Config{
		BaseURL:            cfg.BaseURL,
		Paths:              sc.Target.Paths,
		UseSend:            sc.Target.UseSend,
		AppKey:             sc.Auth.AppKey,
		AppSecret:          sc.Auth.AppSecret,
		AccessToken:        sc.Auth.AccessToken,
		TokenLifetime:      sc.Auth.TokenLifetime,
		Timeout:            sc.Target.Timeout,
		Throttle:           r.throttle(),
		MaxConns:           sc.Target.MaxConnections,
		InsecureSkipVerify: sc.Target.InsecureSkipVerify,
		UserAgent:          sc.Target.UserAgent,
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// play runs the producer, the customers and the collector in the fixed shutdown order and
// returns the finished report, thresholds evaluated.
func (r *run) play(ctx context.Context) *report.Report {
	// The producer's and the customers' contexts are the run's own: the caller's ctx only
	// asks for a graceful stop (see watch), so sessions outlive it by the grace period.
	prodCtx, stopProducer := context.WithCancel(context.Background())
	custCtx, cancelCust := context.WithCancel(context.Background())
	tdCtx, cancelTeardown := context.WithCancel(context.Background())
	var cut sync.Once
	cancelAll := func() {
		cut.Do(func() {
			r.cancelAt.CompareAndSwap(0, max(r.now(), 1))
			r.setPhase("teardown: disconnecting the customers still connected")
			time.AfterFunc(TeardownLimit, cancelTeardown)
		})
		cancelCust()
	}
	r.stopProducer, r.cancelAll, r.tdCtx = stopProducer, cancelAll, tdCtx
	defer stopProducer()
	defer cancelTeardown()
	defer cancelCust()

	// Size the channel for bursts: the collector records millions of samples a second.
	r.events = make(chan event, 1<<14)
	begun := r.begin(ctx) // sets r.t0: now, or Config.StartAt
	rec := report.NewRecorder(report.RecorderOptions{Start: r.t0, Interval: time.Second, Observer: r.cfg.Observer})
	disp := r.newDisplay()
	col := newCollector(r, rec, disp)
	go col.loop()

	// Signals: the first (ctx) stops arrivals gracefully, Kill cancels everything.
	drained := make(chan struct{})
	go r.watch(ctx, drained)

	// 1. The producer runs until the stages end or a stop.
	var wg sync.WaitGroup
	r.sched = newScheduler(r, prodCtx, custCtx, &wg, r.workers())
	if !begun {
		r.stop(StopInterrupted, false) // stopped while waiting for StartAt: nothing was sent
	} else if r.load.Model == scenario.Closed {
		r.closed(prodCtx, custCtx, &wg)
	} else {
		r.open(prodCtx, custCtx, &wg)
	}
	stopProducer()
	// 2. Customers drain: they get the grace period, then are cancelled (counted cut_by_grace,
	// or interrupted when the run was stopped) and the connected ones disconnected (teardown).
	r.setPhase("grace: sessions finishing")
	// The grace period runs from the end of the last stage (the open-model producer returns
	// after the last arrival, up to one gap earlier), or from the stop when the run was stopped.
	wait := r.cfg.Grace
	r.mu.Lock()
	if r.reason == "" && begun && r.cfg.Source == nil { // a streamed plan has no stages: its producer returns after the last arrival
		wait += max(r.load.Duration()-time.Since(r.t0), 0)
	}
	r.mu.Unlock()
	grace := time.AfterFunc(wait, func() {
		// Sessions the grace period cuts on a run nobody stopped are cut_by_grace; after a
		// signal, an abort or a kill they are interrupted, as the run is.
		r.mu.Lock()
		if r.reason == "" || strings.HasPrefix(r.reason, StopDataExhausted) {
			r.graceCut.Store(true)
		}
		r.mu.Unlock()
		cancelAll()
	})
	wg.Wait()
	grace.Stop()
	r.sched.close()
	close(drained)
	// 3. No sender is left: close the channel and let the collector record the rest.
	close(r.events)
	<-col.done
	if disp != nil {
		disp.close()
	}

	// 4. The report.
	rep := rec.Finish(time.Now(), r.meta())
	if n := rep.Sessions.CutByGrace; n > 0 {
		if rep.StopReason == StopCompleted {
			rep.StopReason = StopGraceCut
		}
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d sessions were still running when the grace period (%s) after the last stage ran out: cut, counted as cut_by_grace (give them longer with --grace, or gate on a cut_by_grace threshold)", n, r.cfg.Grace))
	}
	if n := r.tdLeft.Load(); n > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("teardown: %d customers still connected when the run cut them could not be disconnected within %s (or their DISCONNECT failed): the target may hold their sessions until its own timeout", n, TeardownLimit))
	}
	if n := r.abLeft.Load(); n > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("abandon: %d sessions that failed while connected could not be disconnected (their DISCONNECT failed, see the abandon groups): the target may hold their sessions until its own timeout", n))
	}
	if rep.Requests.Total > 0 && col.answered == 0 && rep.StopReason != StopInterrupted {
		rep.StopReason = StopUnreachable
		rep.Interrupted = true
	}
	if len(r.sc.Thresholds) > 0 {
		rep.Thresholds = report.EvaluateThresholds(rep, ThresholdSpecs(r.sc.Thresholds))
	}
	return rep
}

// watch turns the caller's ctx and Kill into stops until the customers have drained.
func (r *run) watch(ctx context.Context, drained <-chan struct{}) {
	done := ctx.Done()
	for {
		select {
		case <-done:
			r.stop(StopInterrupted, false)
			done = nil
		case <-r.cfg.Kill:
			r.stop(StopInterrupted, true)
			return
		case <-drained:
			return
		}
	}
}

// stop ends the run early for reason (the first reason wins): arrivals end at once, and with
// hard the running sessions are cancelled too instead of getting the grace period.
func (r *run) stop(reason string, hard bool) {
	r.mu.Lock()
	if r.reason == "" {
		r.reason = reason
		r.phase = "stopping: " + reason
	}
	r.mu.Unlock()
	r.stopProducer()
	if hard {
		r.cancelAll()
	}
}

func (r *run) setPhase(p string) {
	r.mu.Lock()
	if r.reason == "" {
		r.phase = p
	}
	r.mu.Unlock()
}

// warn adds a run warning to the report (each text once).
func (r *run) warn(text string) { r.warnOnce(text, text) }

func (r *run) warnOnce(key, text string) {
	r.mu.Lock()
	if !r.warned[key] {
		r.warned[key] = true
		r.warnings = append(r.warnings, text)
	}
	r.mu.Unlock()
}

func (r *run) now() int64 { return int64(time.Since(r.t0)) }

// open is the open-model producer: it sleeps until each arrival's intended time (computed
// from the stages, see arrivals) and starts a customer for it, or counts it dropped when
// max_customers are busy. Arrivals of other shards are skipped without sleeping.
func (r *run) open(ctx, custCtx context.Context, wg *sync.WaitGroup) {
	sh := r.cfg.Shard
	limit, why := r.maxCustomers(), dropCap
	if limit == 0 {
		limit, why = int64(r.cfg.LiveLimit), dropLive
	}
	end := r.load.Duration()
	s := r.sched
	x := &scratch{} // the producer's render buffer while it prepares sessions
	next := newArrivals(r.load.Stages, r.load.Arrivals == scenario.Poisson, rand.New(rand.NewPCG(uint64(r.seed), 0xa771))).next
	if plan := r.cfg.Plan; plan != nil {
		i := 0
		next = func() (int64, time.Duration, bool) {
			if i >= len(plan) {
				return 0, 0, false
			}
			i++
			return int64(i - 1), plan[i-1].At, true
		}
	}
	var streamed *scenario.Session // the session of the arrival next returned last (Source)
	if src := r.cfg.Source; src != nil {
		var i int64
		var last time.Duration
		end = math.MaxInt64 // a streamed plan ends when its source does
		next = func() (int64, time.Duration, bool) {
			p, ok := src.Next(ctx)
			if !ok {
				return 0, 0, false
			}
			i++
			last = max(last, p.At) // in order, whatever the source says
			streamed = p.Sess
			return i - 1, last, true
		}
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		k, at, ok := next()
		if !ok {
			return
		}
		if !sh.owns(k) {
			continue
		}
		if d := at - time.Since(r.t0); d > 0 {
			timer.Reset(d)
			select {
			case <-ctx.Done():
				return
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			return
		} else if time.Since(r.t0) >= end {
			// The stages are over and the producer is still behind them: arrivals end now,
			// and the ones it did not get to are counted as dropped (late), not played late.
			n := int64(1)
			for {
				k, _, ok := next()
				if !ok {
					break
				}
				if sh.owns(k) {
					n++
				}
			}
			r.events <- event{kind: evDropped, t: int64(end), d: n, ct: dropLate}
			return
		}
		t := int64(at)
		if limit > 0 && r.active.Load() >= limit {
			r.events <- event{kind: evDropped, t: t, d: 1, ct: why}
			continue
		}
		r.events <- event{kind: evArrival, t: t}
		r.active.Add(1)
		r.events <- event{kind: evStarted, t: t}
		wg.Add(1)
		c := r.newVCWith(k, x)
		c.planned = streamed
		if f := c.prepare(t, k); f != flowOK {
			c.ended(f)
			r.active.Add(-1)
			wg.Done()
			continue
		}
		s.start(c)
	}
}

// throttle returns the wait for the run's request-rate ceiling (nil: none). A burst of one
// spaces requests evenly, so no window of any length sees more than the ceiling (plus one).
func (r *run) throttle() func(context.Context) error {
	rps := r.cfg.MaxRPS
	if rps <= 0 {
		rps = r.sc.Target.MaxRPS
	}
	if rps <= 0 {
		return nil
	}
	lim := rate.NewLimiter(rate.Limit(rps), 1)
	return lim.Wait
}

// workers is the size of the exchange-worker pool: the connection limit, since a worker
// holds at most one connection at a time and more workers would only wait for one.
func (r *run) workers() int {
	if n := r.sc.Target.MaxConnections; n > 0 {
		return n
	}
	return ccapi.DefaultMaxConns
}

// maxCustomers is this shard's share of max_customers (0: no cap): shard I of N gets the
// customer slots k < max_customers with k mod N = I, at least one.
func (r *run) maxCustomers() int64 {
	m, sh := r.load.MaxCustomers, r.cfg.Shard
	if m <= 0 || sh.whole() {
		return int64(max(m, 0))
	}
	return int64(max(shardCount(m, sh.I, sh.N), 1))
}

// slot is one closed-model customer position. The controller starts it and asks it to stop
// (after its current session) when the level falls below it.
type slot struct {
	k       int64
	stop    atomic.Bool
	running atomic.Bool
}

// closed is the closed-model producer: every 50 ms it sets how many customers of this shard
// should be running (the stage level), starting slots that should run and asking the others
// to stop after their current session.
func (r *run) closed(ctx, custCtx context.Context, wg *sync.WaitGroup) {
	sh := r.cfg.Shard
	var slots []*slot
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	defer func() {
		for _, s := range slots {
			s.stop.Store(true)
		}
	}()
	span := int64(math.Ceil(r.load.Peak())) + 1 // slot k's sessions get ids k, k+span, k+2·span, ...
	for {
		level, ok := closedLevel(r.load, time.Since(r.t0))
		if !ok {
			return
		}
		want := shardCount(level, sh.I, sh.N)
		for len(slots) < want {
			slots = append(slots, &slot{k: int64(sh.I + len(slots)*sh.N)})
		}
		for j, s := range slots {
			if j < want {
				s.stop.Store(false)
				if !s.running.Load() {
					s.running.Store(true)
					wg.Add(1)
					c := r.newVCWith(s.k, nil)
					c.slot, c.idSpan, c.pending = s, span, true
					r.sched.park(c, r.now())
				}
			} else {
				s.stop.Store(true)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// beginSlot starts the next session of closed-model customer c, due now. Not slotRun: its
// slot was asked to stop or arrivals ended (slotRetire), or the session could not start and
// the one after is scheduled (slotParked).
func (r *run) beginSlot(c *vc) slotState {
	if c.slot.stop.Load() || r.sched.prodCtx.Err() != nil {
		return slotRetire
	}
	t := c.wakeAt // the intended start: the previous session's end plus the pause
	c.began = r.now()
	r.events <- event{kind: evArrival, t: t}
	r.events <- event{kind: evStarted, t: t}
	r.active.Add(1)
	if f := c.prepare(t, c.slot.k+c.n*c.idSpan); f != flowOK {
		o := c.ended(f)
		r.active.Add(-1)
		if r.endSlot(c, o, c.began) {
			return slotParked
		}
		return slotRetire
	}
	return slotRun
}

// slotState is what beginSlot did.
type slotState uint8

const (
	slotRun slotState = iota
	slotParked
	slotRetire
)

// endSlot schedules the session after one that ended with o (it started at t): the pause, or
// a back-off when it failed at once (t: when it really began, so a late worker does not hide
// a fast failure). It reports whether there is one (c.wakeAt, pending).
func (r *run) endSlot(c *vc, o report.Outcome, t int64) bool {
	c.n++
	next := r.now()
	if p := r.load.Pause; p != nil {
		next += int64(p.Duration(c.rng))
	}
	// A session that failed at once (no AccessToken to be had, a refusing target) would
	// make the slot spin; back off, doubling up to a second, until one takes time again.
	if o == report.Failed && next-t < int64(failFast) {
		c.backoff = min(max(2*c.backoff, 10*time.Millisecond), time.Second)
		next += int64(c.backoff)
	} else {
		c.backoff = 0
	}
	if c.slot.stop.Load() || r.sched.prodCtx.Err() != nil {
		return false
	}
	c.wakeAt, c.pending = next, true
	return true
}

// failFast is how short a failed closed-model session must be to make its customer back off.
const failFast = 5 * time.Millisecond

// index numbers the named steps and normalises the session weights.
func (r *run) index() {
	r.stepIndex = map[*scenario.Step]int32{}
	var walk func([]*scenario.Step)
	walk = func(steps []*scenario.Step) {
		for _, st := range steps {
			r.stepIndex[st] = -1
			if st.Name != "" {
				r.stepIndex[st] = int32(len(r.steps))
				r.steps = append(r.steps, st)
			}
			walk(st.Steps)
		}
	}
	var sum float64
	for _, s := range r.sc.Sessions {
		walk(s.Steps)
		sum += max(s.Weight, 0)
	}
	r.programs = map[*scenario.Session]*program{}
	for i, s := range r.sc.Sessions {
		r.programs[s] = compile(s, r.stepIndex)
		r.programs[s].idx = int32(i)
	}
	var acc float64
	for _, s := range r.sc.Sessions {
		if sum > 0 {
			acc += max(s.Weight, 0) / sum
		} else {
			acc += 1 / float64(len(r.sc.Sessions))
		}
		r.weights = append(r.weights, acc)
	}
	for _, t := range r.sc.Thresholds {
		if t.AbortOnFail {
			r.aborts = append(r.aborts, ThresholdSpecs([]scenario.Threshold{t})...)
		}
	}
}

// pickSession draws a session shape by weight from the customer's seeded source.
func (r *run) pickSession(rng *rand.Rand) *scenario.Session {
	x := rng.Float64()
	for i, w := range r.weights {
		if x < w {
			return r.sc.Sessions[i]
		}
	}
	return r.sc.Sessions[len(r.sc.Sessions)-1]
}

// status builds what the progress display shows at elapsed el.
func (r *run) status(live report.LiveStats, el time.Duration) status {
	s := status{live: live, elapsed: el, total: r.load.Duration(), stages: len(r.load.Stages), unit: "sessions/s"}
	if r.cfg.Source != nil {
		// A streamed plan: the stages only stand in, so no stage is shown, and the total is the
		// plan's span when known (0: unknown, the display shows the elapsed time alone).
		s.total, s.stages = r.cfg.SourceSpan, 0
		s.cap = r.maxCustomers()
		r.mu.Lock()
		s.phase = r.phase
		r.mu.Unlock()
		if s.phase == "running" {
			s.phase = "replaying"
		}
		return s
	}
	if r.load.Model == scenario.Closed {
		s.unit = "customers"
		s.cap = int64(math.Ceil(r.load.Peak()))
	} else {
		s.cap = r.maxCustomers()
	}
	var t time.Duration
	for i, st := range r.load.Stages {
		if el < t+st.Duration {
			s.stage = i + 1
			s.level, _ = r.load.At(el)
			break
		}
		t += st.Duration
	}
	r.mu.Lock()
	s.phase = r.phase
	r.mu.Unlock()
	return s
}

func (r *run) newDisplay() display {
	switch r.cfg.Progress {
	case ProgressBars:
		return newBars(r.cfg.Stderr)
	case ProgressLines:
		return &lines{w: r.cfg.Stderr, period: 5 * time.Second}
	}
	return nil
}

// meta is what the report needs besides the measurements.
func (r *run) meta() report.Meta {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := report.Meta{
		Scenario:     r.sc.Name,
		File:         r.sc.File,
		Target:       redactURL(r.cfg.BaseURL),
		Seed:         r.seed,
		ScenarioText: string(r.sc.Text),
		Gates:        r.sc.Gates(),
		StopReason:   r.reason,
		Interrupted:  r.reason != "" && !strings.HasPrefix(r.reason, StopDataExhausted),
		Warnings:     append([]string(nil), r.warnings...),
		Shard:        &report.ShardID{I: r.cfg.Shard.I, N: r.cfg.Shard.N},
		StartAt:      r.cfg.StartAt,
		GraceS:       r.cfg.Grace.Seconds(),
	}
	if m.StopReason == "" {
		m.StopReason = StopCompleted
	}
	if !r.cfg.Shard.whole() {
		m.Warnings = append(m.Warnings, report.ShardWarning(r.cfg.Shard.String()))
	}
	var t time.Duration
	for i, st := range r.load.Stages {
		if r.cfg.Source != nil {
			break // a streamed plan's stages only stand in: no marks
		}
		unit := "sessions/s"
		if r.load.Model == scenario.Closed {
			unit = "customers"
		}
		m.Stages = append(m.Stages, report.StageMark{T: t.Seconds(), Target: st.To, DurationS: st.Duration.Seconds(), Label: fmt.Sprintf("stage %d: %g→%g %s", i+1, st.From, st.To, unit)})
		t += st.Duration
	}
	return m
}

// redactURL drops credentials from a URL before it goes into a report.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
}

// ThresholdSpecs are a scenario's compiled thresholds without their source positions, for
// whoever evaluates them: the run itself, and report.json (which ccload merge reads).
func ThresholdSpecs(ts []scenario.Threshold) []report.ThresholdSpec {
	out := make([]report.ThresholdSpec, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.Threshold)
	}
	return out
}

// writeOutputs writes report.json, then the outputs rendered from it, into dir.
func writeOutputs(dir string, rep *report.Report) error {
	if _, err := report.WriteFile(dir, rep); err != nil {
		return err
	}
	return report.WriteOutputs(dir, rep, htmlreport.WriteHTML)
}
