package runner

import (
	"time"

	"ccload/ccapi"
	"ccload/report"
)

// collector is the one goroutine that owns the report.Recorder: customers and the scheduler
// send it events by value, and it alone touches histograms, counters and the progress display.
// It does not watch a context: it drains the channel until the runner closes it, which happens
// only after every customer has returned, so no sample is ever lost to shutdown.
type collector struct {
	r    *run
	rec  *report.Recorder
	disp display
	done chan struct{}

	// groups maps endpoint × controlType to the Recorder's group, registered on first use
	// so the report lists only groups that saw requests (-2: not registered yet).
	groups [ccapi.NumEndpoints][numCT]report.GroupID
	steps  []report.GroupID // named steps, indexed like run.steps

	// teardown is the same for the requests of the run's teardown (stepTeardown).
	teardown [ccapi.NumEndpoints][numCT]report.GroupID

	samples, answered int64 // requests seen; requests that got an HTTP answer
	lastAbort         time.Duration
	snaps             int // Config.Snapshots taken so far
}

const unregistered report.GroupID = -2

func newCollector(r *run, rec *report.Recorder, disp display) *collector {
	c := &collector{r: r, rec: rec, disp: disp, done: make(chan struct{})}
	for i := range c.groups {
		for j := range c.groups[i] {
			c.groups[i][j] = unregistered
			c.teardown[i][j] = unregistered
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
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case ev, ok := <-c.r.events:
			if !ok {
				c.rec.SetActive(c.r.active.Load())
				if c.disp != nil {
					c.disp.update(c.r.status(c.rec.Live(), time.Duration(c.r.now())))
				}
				return
			}
			c.handle(&ev)
		case <-tick.C:
			c.tick()
		}
	}
}

func (c *collector) handle(ev *event) {
	switch ev.kind {
	case evSample:
		g := &c.groups[ev.ep][ev.ct]
		if ev.step == stepTeardown {
			g = &c.teardown[ev.ep][ev.ct]
		}
		if *g == unregistered {
			ct := ""
			if ev.ct > 0 {
				ct = string(ccapi.ControlTypes[ev.ct-1])
			}
			if ev.step == stepTeardown {
				*g = c.rec.TeardownGroup(ev.ep.String(), ct)
			} else {
				*g = c.rec.Group(ev.ep.String(), ct)
			}
		}
		ev.s.Group = *g
		ev.s.Step = report.NoGroup
		if ev.step >= 0 {
			ev.s.Step = c.steps[ev.step]
		}
		c.rec.Record(&ev.s)
		if ev.s.Class != report.ClassClient {
			c.samples++
			if ev.s.Status > 0 {
				c.answered++
			}
		}
	case evArrival:
		c.rec.Arrival(ev.t)
	case evDropped:
		c.rec.DropArrivals(ev.t, ev.d, dropReasons[ev.ct])
	case evStarted:
		c.rec.SessionStarted(ev.t)
	case evEnded:
		c.rec.SessionEnded(ev.t, ev.outcome, ev.d)
	case evReply:
		c.rec.Reply(ev.t, ev.d)
	case evAgent:
		c.rec.AgentJoined(ev.t, ev.d)
	case evReplyTimeout:
		c.rec.ReplyTimeout(ev.t)
	}
}

// unreachableAfter is how long a run may go without any HTTP answer before it stops as unreachable.
const unreachableAfter = 5 * time.Second

func (c *collector) tick() {
	now := c.r.now()
	el := time.Duration(now)
	c.rec.SetActive(c.r.active.Load())
	c.rec.Tick(now)
	if c.disp != nil {
		c.disp.update(c.r.status(c.rec.Live(), el))
	}
	if c.answered == 0 && c.samples > 0 && el >= unreachableAfter {
		c.r.stop(StopUnreachable, true)
	}
	for cfg := &c.r.cfg; cfg.OnSnapshot != nil && c.snaps < len(cfg.Snapshots) && el >= cfg.Snapshots[c.snaps]; c.snaps++ {
		cfg.OnSnapshot(cfg.Snapshots[c.snaps], c.rec.Snapshot(c.r.t0.Add(el), report.Meta{Scenario: c.r.sc.Name}))
	}
	if len(c.r.aborts) > 0 && el-c.lastAbort >= time.Second {
		c.lastAbort = el
		snap := c.rec.Snapshot(c.r.t0.Add(el), report.Meta{Scenario: c.r.sc.Name})
		if res, failed := report.AbortCheck(snap, c.r.aborts, el); failed {
			c.r.stop(StopAborted+res.Name, true)
		}
	}
}
