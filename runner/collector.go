package runner

import (
	"cmp"
	"fmt"
	"strconv"
	"time"

	"ccload/ccapi"
	"ccload/gates/evaluate"
	"ccload/report"
	"ccload/report/record"
)

// collector is the one goroutine that owns the record.Recorder: customers and the scheduler
// send it events by value, and it alone touches histograms, counters and the progress display.
// It does not watch a context: it drains the channel until the runner closes it, which happens
// only after every customer has returned, so no sample is ever lost to shutdown.
type collector struct {
	r    *run
	rec  *record.Recorder
	disp display
	done chan struct{}

	// groups maps origin × endpoint × controlType to the Recorder's group, registered on first
	// use so the report lists only groups that saw requests (-2: not registered yet).
	groups [report.NumOrigins][ccapi.NumEndpoints][numCT]report.GroupID
	steps  []report.GroupID // named steps, indexed like run.steps

	samples, answered int64 // requests seen; requests that got an HTTP answer
	lastAbort         time.Duration
	snaps             int     // Config.Snapshots taken so far
	spare             []event // drain's buffer, swapped with the shards'

	fails map[failKey]record.FailureID // worded failure reasons, registered on first use
	// The shared AccessToken: fetches that failed, the last one's reason, and the sessions
	// that failed for want of a token, for the end-of-run warning.
	tokenFetchErrs, tokenFails int64
	lastTokenErr               string
	lastTokenHint              string // what to check for the last failed fetch (report.CauseHint)
}

// failKey is a step failure as the customer reported it: where (sessions.site) and why.
type failKey struct {
	sess int32
	w    why
}

const unregistered report.GroupID = -2

func newCollector(r *run, rec *record.Recorder, disp display) *collector {
	c := &collector{r: r, rec: rec, disp: disp, done: make(chan struct{})}
	for o := range c.groups {
		for i := range c.groups[o] {
			for j := range c.groups[o][i] {
				c.groups[o][i][j] = unregistered
			}
		}
	}
	c.steps = make([]report.GroupID, len(r.steps))
	for i, st := range r.steps {
		c.steps[i] = rec.StepGroup(st.Name)
	}
	return c
}

// loop records events until the channel is closed, ticking the time series, the progress
// display and the run-level checks (unreachable target, abort_on_fail) in between.
func (c *collector) loop() {
	defer close(c.done)
	const every = 100 * time.Millisecond
	tick := c.r.clock.NewTimer(every)
	defer tick.Stop()
	var kick chan struct{}
	if c.r.shards != nil {
		kick = c.r.shards.kick
	}
	for {
		select {
		case ev, ok := <-c.r.events:
			if !ok {
				c.drain() // every worker has returned: the last samples
				c.warnToken()
				c.rec.SetActive(c.r.active.Load())
				if c.disp != nil {
					c.disp.update(c.r.status(c.rec.Live(), time.Duration(c.r.now())))
				}
				return
			}
			c.handle(&ev)
		case <-kick:
			c.drain()
		case <-tick.C():
			tick.Reset(every)
			c.tick()
		}
	}
}

func (c *collector) handle(ev *event) {
	switch ev.kind {
	case evSample:
		g := &c.groups[ev.origin][ev.ep][ev.ct]
		if *g == unregistered {
			ct := ""
			if ev.ct > 0 {
				ct = string(ccapi.ControlTypes[ev.ct-1])
			}
			*g = c.rec.OriginGroup(ev.origin, ev.ep.String(), ct)
		}
		if ev.ep == ccapi.EpQueryQueueInfo && ev.s.Class == report.ClassOK && ev.s.ResultCode != "" {
			// A queue status ("0" queuing, 160021 with an agent, the session ended) says where the
			// customer stands, not whether a request was accepted: counted apart, out of resultCode shares.
			c.rec.QueueAnswer(ev.s.ResultCode)
			ev.s.ResultCode = ""
		}
		ev.s.Group = *g
		ev.s.Step = report.NoGroup
		if ev.step >= 0 {
			ev.s.Step = c.steps[ev.step]
		}
		c.rec.Record(&ev.s)
		if !ev.s.Class.NotSent() {
			c.samples++
			if ev.s.Status > 0 {
				c.answered++
			}
		}
		if ev.ep == ccapi.EpTokenByAkSk && ev.s.Class != report.ClassOK {
			c.tokenFetchErrs++
			c.lastTokenErr = callReason(ev.s.Class, int32(ev.s.Status), ev.s.ResultCode)
			c.lastTokenHint = tokenHint(ev.s.Class, ev.s.Status)
		}
	case evArrival:
		c.rec.Arrival(ev.t)
	case evDropped:
		c.rec.DropArrivals(ev.t, ev.d, dropReasons[ev.ct])
	case evStarted:
		c.rec.SessionStarted(ev.t)
	case evEnded:
		if ev.outcome == report.Failed {
			c.failed(ev, true)
		}
		c.rec.SessionEnded(ev.t, ev.outcome, ev.d)
	case evStepFailed:
		c.failed(ev, false)
	case evReply:
		c.rec.Reply(ev.t, ev.d)
	case evAgent:
		c.rec.AgentJoined(ev.t, ev.d)
	case evReplyTimeout:
		c.rec.ReplyTimeout(ev.t)
	case evQueue:
		c.rec.QueueInfo(ev.t, int64(ev.pos), ev.d)
	}
}

// unreachableAfter is how long a run may go without any HTTP answer before it stops as unreachable.
const unreachableAfter = 5 * time.Second

func (c *collector) tick() {
	now := c.r.now()
	c.drain() // the samples handed over before now, for the series, the display, snapshots and aborts
	el := time.Duration(now)
	c.rec.SetActive(c.r.active.Load())
	c.rec.Tick(now)
	if c.disp != nil {
		c.disp.update(c.r.status(c.rec.Live(), el))
	}
	if c.answered == 0 && c.samples > 0 && el >= unreachableAfter {
		c.r.life.Stop(report.Stop{Kind: report.ReasonUnreachable}, true)
	}
	for cfg := &c.r.cfg; cfg.OnSnapshot != nil && c.snaps < len(cfg.Snapshots) && el >= cfg.Snapshots[c.snaps]; c.snaps++ {
		cfg.OnSnapshot(cfg.Snapshots[c.snaps], c.rec.Snapshot(c.r.t0.Add(el), record.Meta{Scenario: c.r.sc.Name}))
	}
	if len(c.r.aborts) > 0 && el-c.lastAbort >= time.Second {
		c.lastAbort = el
		snap := c.rec.Snapshot(c.r.t0.Add(el), record.Meta{Scenario: c.r.sc.Name})
		if res, failed := evaluate.AbortCheck(snap, c.r.aborts, el); failed {
			c.r.life.Stop(report.Stop{Kind: report.ReasonAborted, Detail: res.Name}, true)
		}
	}
}

// failed counts the step failure ev carries (see failEvent); sessionFailed: it ended its session.
func (c *collector) failed(ev *event, sessionFailed bool) {
	sess, w := ev.failure()
	k := failKey{sess, w}
	id, ok := c.fails[k]
	if !ok {
		if c.fails == nil {
			c.fails = map[failKey]record.FailureID{}
		}
		name, step := c.r.sessions.siteNames(sess)
		id = c.rec.Failure(name, step, failureReason(w))
		c.fails[k] = id
	}
	c.rec.StepFailed(id, sessionFailed)
	if w.kind == whyToken && sessionFailed {
		c.tokenFails++
	}
}

// warnToken warns, once at the end, that the shared AccessToken could not be had: how many
// fetches failed and how many sessions failed for want of it (never the credentials).
func (c *collector) warnToken() {
	if c.tokenFetchErrs == 0 && c.tokenFails == 0 {
		return
	}
	last := ""
	if c.lastTokenErr != "" {
		last = " (last: " + c.lastTokenErr + ")"
	}
	c.r.warn(fmt.Sprintf("the AccessToken could not be had: %d tokenByAkSk fetches failed%s and %d sessions failed for want of it "+
		"(failure reason %q); %s",
		c.tokenFetchErrs, last, c.tokenFails, failureReason(why{kind: whyToken}), cmp.Or(c.lastTokenHint, tokenHint(report.ClassHTTP, 0))))
}

// tokenHint says what to check when tokenByAkSk failed with class (and HTTP status): the
// credentials only when the target answered; a refused connection or a TLS failure names itself.
func tokenHint(class report.ErrClass, status int) string {
	if class == report.ClassHTTP || class == report.ClassApp || class == report.ClassUnparseable {
		return "check auth.app_key, auth.app_secret and target.paths.token_by_ak_sk"
	}
	if h := report.CauseHint(class.String(), strconv.Itoa(status)); h != "" {
		return h
	}
	return "check target.url and that the platform answers tokenByAkSk"
}

// failureReason words why a step failed, as failure_reasons lists it.
func failureReason(w why) string {
	switch w.kind {
	case whyCall:
		return callReason(w.class, w.status, w.code)
	case whyToken:
		return "token fetch failed"
	case whyAwait:
		return "await timeout"
	case whyUpload:
		return "not sent (upload failed: " + callReason(w.class, w.status, w.code) + ")"
	case whyCheck:
		return "not sent (local check)"
	case whyData:
		return "data exhausted"
	}
	return "unknown"
}

// callReason words a failed exchange: its resultCode, its HTTP status, or its error class.
func callReason(class report.ErrClass, status int32, code string) string {
	switch class {
	case report.ClassApp:
		if code == "" {
			code = "?"
		}
		return "resultCode " + code
	case report.ClassHTTP:
		return "http " + strconv.Itoa(int(status))
	}
	return class.String()
}
