package runner

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"ccload/ccapi"
	"ccload/gates"
	"ccload/gates/evaluate"
	"ccload/internal/genlimit"
	"ccload/report"
	"ccload/report/record"
	"ccload/scenario"
)

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
	clock  Clock
	life   *lifecycle // phase, stop reason, grace, cut and teardown
	events chan event
	shards *shards      // the exchange workers' sample batches (evshard.go); nil: samples use events
	active atomic.Int64 // customers living a session right now

	steps     []*scenario.Step         // named steps, in scenario order
	stepIndex map[*scenario.Step]int32 // step → index in steps (-1 for unnamed)
	sessions  *sessions                // the compiled programs, by stable ID
	weights   []float64                // cumulative session weights, normalised to 1
	aborts    []evaluate.ThresholdSpec // thresholds with abort_on_fail

	sched   *scheduler    // plays every customer; closed once they have all ended
	retired retired       // closed-model slots that stopped running, for the producer
	push    *pushReceiver // the webhook receiver of a push-mode run (push.go); nil: none

	// dcLeft counts the scenario's own DISCONNECT steps that failed, retries included (reliability).
	dcLeft atomic.Int64
	// finished says Config.Finish ended the schedule early (the grace period runs from then).
	finished atomic.Bool

	mu       sync.Mutex // guards warnings, warned
	warnings []string
	warned   map[string]bool
}

// Run plays cfg.Scenario against the target and returns its report; it writes no file and
// prints no summary (the commands render it, see ccload/render). Cancelling ctx is the graceful
// stop: arrivals end at once and running sessions get cfg.Grace to finish; closing cfg.Kill
// cancels them at once. However the sessions are cut, every customer still connected is sent a
// DISCONNECT (within TeardownLimit), so the target is left with no open session. In every case
// the report is complete and marked interrupted when the run did not end on its own. The error
// is non-nil only when the run could not start (the report is nil).
func Run(ctx context.Context, cfg Config) (*report.Report, error) {
	r, err := newRun(cfg)
	if err != nil {
		return nil, err
	}
	defer r.client.Close()
	return r.play(ctx), nil
}

// newRun checks cfg and prepares a run: its stages, step index, session weights and client.
func newRun(cfg Config) (*run, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	sc := cfg.Scenario
	r := &run{cfg: cfg, sc: sc, seed: cfg.Seed, warned: map[string]bool{}, clock: cfg.Clock}
	if r.clock == nil {
		r.clock = realClock{}
	}
	r.life = newLifecycle(r.clock, time.Time{})
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
		RootCAs:            sc.Target.RootCAs,
		UserAgent:          sc.Target.UserAgent,
		Warn:               r.warn, // e.g. a target that refuses even a fresh AccessToken (reliability)
		Dial:               cfg.dial,
	})
	if err != nil {
		return nil, err
	}
	if err := r.startPush(); err != nil {
		r.client.Close()
		return nil, err
	}
	return r, nil
}

// play runs the producer, the customers and the collector in the fixed shutdown order and
// returns the finished report, thresholds evaluated.
func (r *run) play(ctx context.Context) *report.Report {
	// The lifecycle's contexts are the run's own: the caller's ctx only asks for a graceful
	// stop (see watch), so sessions outlive it by the grace period.
	l := r.life
	defer l.close()
	prodCtx, custCtx := l.arrivals, l.sessions

	// Size the channel for bursts: the collector records millions of samples a second.
	r.events = make(chan event, 1<<14)
	r.shards = newShards(r.workers()) // before the collector starts: it reads r.shards
	// Before t0: reading /proc/self/net/tcp (every socket of the machine's network namespace)
	// took 0.1-0.9 s on a busy test machine, and inside the schedule it made a 1 s stage drop
	// every arrival as late.
	shared := genlimit.ServesInProcess(r.cfg.BaseURL)
	begun := r.begin(ctx) // sets r.t0: now, or Config.StartAt
	l.t0 = r.t0
	use0 := genlimit.Now() // the generator's CPU (report.GeneratorUse)
	rec := record.New(record.Options{Start: r.t0, Interval: time.Second, Observer: r.cfg.Observer})
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
		l.Stop(report.Stop{Kind: report.ReasonInterrupted}, false) // stopped while waiting for StartAt: nothing was sent
	} else if r.load.Model == scenario.Closed {
		r.closed(prodCtx, custCtx, &wg)
	} else {
		r.open(prodCtx, custCtx, &wg)
	}
	l.endArrivals()
	// 2. Customers drain: they get the grace period, then are cut (counted cut_by_grace, or
	// interrupted when the run was stopped) and the connected ones disconnected (teardown).
	// The grace period runs from the end of the last stage (the open-model producer returns
	// after the last arrival, up to one gap earlier), or from the stop when the run was stopped.
	wait := r.cfg.Grace
	if _, stopped := l.Reason(); !stopped && !r.finished.Load() && begun && r.cfg.Source == nil { // a streamed plan has no stages: its producer returns after the last arrival
		wait += max(r.load.Duration()-time.Duration(r.now()), 0)
	}
	l.Grace(wait)
	wg.Wait()
	l.Drained()
	r.sched.close()
	close(drained)
	// 3. No sender is left: close the channel and let the collector record the rest.
	close(r.events)
	<-col.done
	use1 := genlimit.Now()
	if disp != nil {
		disp.close()
	}

	// 4. The report.
	rep := rec.Finish(r.clock.Now(), r.meta())
	r.stopPush(rep)
	stop := l.final(rep.Sessions.CutByGrace, rep.Requests.Total > 0 && col.answered == 0)
	rep.StopReason, rep.Interrupted = stop.String(), stop.Interrupted()
	if n := rep.Sessions.CutByGrace; n > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("%d sessions were still running when the grace period (%s) after the last stage ran out: cut, counted as cut_by_grace (give them longer with --grace, or gate on a cut_by_grace threshold)", n, r.cfg.Grace))
	}
	if n := l.tdLeft.Load(); n > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("teardown: %d customers still connected when the run cut them could not be disconnected within %s (or their DISCONNECT failed): the target may hold their sessions until its own timeout", n, TeardownLimit))
	}
	if n := l.abLeft.Load(); n > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("abandon: %d sessions that failed while connected could not be disconnected (their DISCONNECT failed, see the abandon groups): the target may hold their sessions until its own timeout", n))
	}
	if n := r.dcLeft.Load(); n > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("disconnect: %d of the scenario's DISCONNECT steps failed, retries within %s included (see their groups): the target may hold those sessions until its own timeout", n, TeardownLimit))
	}
	rep.Generator = report.GeneratorUseOf(use0, use1, shared)
	report.DiagnoseWholesale(rep, r.client.Messages())   // groups whose every request failed, in the target's words
	evaluate.Judge(rep, ThresholdSpecs(r.sc.Thresholds)) // thresholds, and whether the generator was the limit
	return rep
}

// watch turns the caller's ctx and Kill into stops until the customers have drained.
func (r *run) watch(ctx context.Context, drained <-chan struct{}) {
	done, finish := ctx.Done(), r.cfg.Finish
	for {
		select {
		case <-done:
			r.life.Stop(report.Stop{Kind: report.ReasonInterrupted}, false)
			done = nil
		case <-finish:
			r.finished.Store(true)
			r.life.endArrivals() // the schedule's end, not a stop: no stop reason, no interrupt
			finish = nil
		case <-r.cfg.Kill:
			r.life.Stop(report.Stop{Kind: report.ReasonInterrupted}, true)
			return
		case <-drained:
			return
		}
	}
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

func (r *run) now() int64 { return int64(r.clock.Now().Sub(r.t0)) }

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
	timer := r.preciseTimer(time.Hour)
	defer timer.release()
	for {
		k, at, ok := next()
		if !ok {
			return
		}
		if !sh.owns(k) {
			continue
		}
		if d := at - time.Duration(r.now()); d > 0 {
			timer.sleep(d)
			select {
			case <-ctx.Done():
				return
			case <-timer.C():
			}
		} else if ctx.Err() != nil {
			return
		} else if time.Duration(r.now()) >= end {
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
		timer.released(r.now(), 1)
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
	j       int // its index in the producer's slots
	stop    atomic.Bool
	running atomic.Bool
}

// retired lists the closed-model slots that stopped running since the producer last looked,
// so that it restarts those still wanted without scanning every slot (issue 24: at a million
// customers a scan every 50 ms took more CPU than the requests).
type retired struct {
	mu    sync.Mutex
	slots []*slot
}

// add notes that s stopped running (after s.running.Store(false)).
func (q *retired) add(s *slot) {
	q.mu.Lock()
	q.slots = append(q.slots, s)
	q.mu.Unlock()
}

// take returns the slots noted since the last take, in a slice the caller passes back next time.
func (q *retired) take(buf []*slot) []*slot {
	q.mu.Lock()
	buf, q.slots = q.slots, buf[:0]
	q.mu.Unlock()
	return buf
}

// closed is the closed-model producer: every 50 ms it sets how many customers of this shard
// should be running (the stage level), starting slots that should run and asking the others
// to stop after their current session.
func (r *run) closed(ctx, custCtx context.Context, wg *sync.WaitGroup) {
	sh := r.cfg.Shard
	var slots []*slot
	const every = 50 * time.Millisecond
	tick := r.clock.NewTimer(every)
	defer tick.Stop()
	defer func() {
		for _, s := range slots {
			s.stop.Store(true)
		}
	}()
	span := int64(math.Ceil(r.load.Peak())) + 1 // slot k's sessions get ids k, k+span, k+2·span, ...
	on := 0                                     // slots [0, on) were last asked to run
	var idle []*slot                            // slots that stopped running, from r.retired
	for {
		level, ok := closedLevel(r.load, time.Duration(r.now()))
		if !ok {
			return
		}
		want := shardCount(level, sh.I, sh.N)
		for len(slots) < want {
			slots = append(slots, &slot{k: int64(sh.I + len(slots)*sh.N), j: len(slots)})
		}
		// Only the slots whose part changes are touched: those between the last level and
		// this one, and those that stopped running since (a slot asked to stop may have
		// retired just before the level rose again).
		start := func(s *slot) {
			s.stop.Store(false)
			if !s.running.Load() {
				s.running.Store(true)
				wg.Add(1)
				c := r.newVCWith(s.k, nil)
				c.slot, c.idSpan, c.pending = s, span, true
				r.sched.park(c, r.now())
			}
		}
		for j := on; j < want; j++ {
			start(slots[j])
		}
		for j := want; j < on; j++ {
			slots[j].stop.Store(true)
		}
		on = want
		idle = r.retired.take(idle)
		for i, s := range idle {
			if s.j < want {
				start(s)
			}
			idle[i] = nil
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C():
			tick.Reset(every)
		}
	}
}

// beginSlot starts the next session of closed-model customer c, due now. Not slotRun: its
// slot was asked to stop or arrivals ended (slotRetire), or the session could not start and
// the one after is scheduled (slotParked).
func (r *run) beginSlot(c *vc) slotState {
	if c.slot.stop.Load() || r.life.arrivals.Err() != nil {
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
		next += int64(p.Duration(c.env.Rand))
	}
	// A session that failed at once (no AccessToken to be had, a refusing target) would
	// make the slot spin; back off, doubling up to a second, until one takes time again.
	if o == report.Failed && next-t < int64(failFast) {
		c.backoff = min(max(2*c.backoff, 10*time.Millisecond), time.Second)
		next += int64(c.backoff)
	} else {
		c.backoff = 0
	}
	if c.slot.stop.Load() || r.life.arrivals.Err() != nil {
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
	r.sessions = newSessions(r.sc, r.stepIndex)
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
		if spec := ThresholdSpecs([]scenario.Threshold{t}); t.AbortOnFail && (r.cfg.Shard.whole() || gates.SliceJudges(spec[0])) {
			r.aborts = append(r.aborts, spec...) // a shard aborts only on what its slice can judge
		}
	}
}

// pickSession draws a session shape by weight from the customer's seeded source.
func (r *run) pickSession(rng *rand.Rand) *scenario.Session { return r.sc.Sessions[r.pickIndex(rng)] }

// pickIndex draws the index of a session shape by weight from the customer's seeded source.
func (r *run) pickIndex(rng *rand.Rand) int {
	x := rng.Float64()
	for i, w := range r.weights {
		if x < w {
			return i
		}
	}
	return len(r.sc.Sessions) - 1
}

// status builds what the progress display shows at elapsed el.
func (r *run) status(live record.LiveStats, el time.Duration) status {
	s := status{live: live, elapsed: el, total: r.load.Duration(), stages: len(r.load.Stages), unit: "sessions/s"}
	if r.cfg.Source != nil {
		// A streamed plan: the stages only stand in, so no stage is shown, and the total is the
		// plan's span when known (0: unknown, the display shows the elapsed time alone).
		s.total, s.stages = r.cfg.SourceSpan, 0
		s.cap = r.maxCustomers()
		s.phase = r.life.Phase()
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
	s.phase = r.life.Phase()
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
func (r *run) meta() record.Meta {
	stop, _ := r.life.Reason()
	r.mu.Lock()
	defer r.mu.Unlock()
	m := record.Meta{
		Scenario:     r.sc.Name,
		File:         r.sc.File,
		Target:       redactURL(r.cfg.BaseURL),
		Seed:         r.seed,
		ScenarioText: string(r.sc.Text),
		Gates:        r.sc.Gates(),
		StopReason:   stop.String(),
		Interrupted:  stop.Interrupted(),
		Warnings:     append([]string(nil), r.warnings...),
		Shard:        &report.ShardID{I: r.cfg.Shard.I, N: r.cfg.Shard.N},
		StartAt:      r.cfg.StartAt,
		GraceS:       r.cfg.Grace.Seconds(),
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
func ThresholdSpecs(ts []scenario.Threshold) []evaluate.ThresholdSpec {
	out := make([]evaluate.ThresholdSpec, 0, len(ts))
	for _, t := range ts {
		out = append(out, t.Threshold)
	}
	return out
}
