package runner

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"ccload/ccapi"
	"ccload/report"
	"ccload/scenario"
)

// vc is one virtual customer. One goroutine owns it for its whole life (one session in the
// open model, back-to-back sessions in the closed model); nothing in it is shared, and its
// buffers, timer and request values are reused across requests and sessions.
//
// Background polling runs on the customer's own goroutine: while it waits for the next step
// (a think time, an await), it wakes at each poll tick and polls. That keeps one goroutine and
// one timer per customer (100k customers are a goal) instead of a poller per customer. The
// cost is that a poll due while a send is in flight waits for it; its intended time is the
// tick, so that wait shows in poll response time rather than being hidden.
type vc struct {
	r     *run
	k     int64 // customer index: arrival index (open) or slot (closed); global across shards
	rng   *rand.Rand
	timer *time.Timer
	env   scenario.Env
	buf   []byte
	req   ccapi.SendMsgReq
	ureq  ccapi.UploadReq
	msgs  []ccapi.DownlinkMessage
	cu    *ccapi.Customer
	sess  *scenario.Session

	channel, to string // the session's rendered channel and channel configuration ID

	// The schedule: due is the intended start of the next step (arrival plus the think times
	// so far); intended and step describe the exchange in flight, for observe.
	due      int64
	intended int64
	step     int32
	// free is when this customer's previous exchange ended: a request cannot start before it,
	// so the scheduler lag of the next one counts from max(intended, free).
	free int64

	// Background polling.
	connected bool
	nextPoll  int64

	// The conversation, as seen through poll.
	chatAt               int64 // start of the last successful CHAT; -1 none yet
	replied              bool  // a reply latency was recorded for that CHAT
	seenRobot, seenAgent bool  // answers seen since the last CHAT (or the session start)
	transferAt           int64 // start of the last TRANS2AGENT; -1 none
	joined               bool  // an agent joined since the last TRANS2AGENT
}

// waitFor is what an await step waits for.
type waitFor uint8

const (
	waitNone waitFor = iota
	waitReply
	waitAgent
)

// flow is how a run of steps ended.
type flow uint8

const (
	flowOK     flow = iota // every step ran (failed steps with the continue policy included)
	flowFailed             // a failed step aborted the session
	flowCancel             // the run cancelled the session
)

func (r *run) newVC(k int64) *vc {
	c := &vc{r: r, k: k, step: -1}
	c.rng = rand.New(rand.NewPCG(uint64(r.seed), uint64(k)))
	c.timer = time.NewTimer(time.Hour)
	c.timer.Stop()
	c.env = scenario.Env{Customer: k, Rand: c.rng, Rows: make([][]string, len(r.sc.Feeders))}
	return c
}

// live runs one session that arrived (by the schedule) at arrival, ns since the run's start,
// and reports its end to the collector (and returns it). Its start was reported by the caller.
func (c *vc) live(ctx context.Context, arrival int64, sessionID int64) report.Outcome {
	sess := c.r.pickSession(c.rng)
	if plan := c.r.cfg.Plan; plan != nil {
		sess = c.r.sc.Sessions[plan[c.k].Session]
	}
	o := report.Completed
	switch c.session(ctx, sess, arrival, sessionID) {
	case flowFailed:
		o = report.Failed
	case flowCancel:
		o = report.Interrupted
	}
	end := c.r.now()
	c.r.events <- event{kind: evEnded, t: end, d: max(end-arrival, 0), outcome: o}
	return o
}

func (c *vc) session(ctx context.Context, sess *scenario.Session, arrival, sessionID int64) flow {
	r := c.r
	c.sess = sess
	c.due, c.intended, c.step = arrival, arrival, -1
	c.connected, c.nextPoll = false, 0
	c.chatAt, c.replied, c.seenRobot, c.seenAgent = -1, false, false, false
	c.transferAt, c.joined = -1, false

	for _, i := range sess.Feeders {
		f := r.sc.Feeders[i]
		row, err := f.Next(c.rng)
		if err != nil {
			// A unique feeder without wrap has no row left: no later session could start
			// either, so arrivals end here (the sessions running go on), and the run ends
			// as "data exhausted", not "completed": it could not play what the scenario asked.
			r.warnOnce("feeder:"+f.Name, fmt.Sprintf("data feeder %s ran out of rows at %s: arrivals stopped there", f.Name, time.Duration(r.now()).Round(time.Millisecond)))
			r.stop(StopDataExhausted+f.Name, false)
			return flowFailed
		}
		c.env.Rows[i] = row
	}
	c.env.SessionID = strconv.FormatInt(sessionID, 36)
	c.env.Seq = 0
	c.env.UserID = c.render(sess.Channel.UserID)
	c.channel = c.render(sess.Channel.Channel)
	c.to = c.render(sess.Channel.To)

	// Wait for the arrival time if this session was started early (closed-model pauses do).
	if !c.sleepUntil(ctx, arrival) {
		return flowCancel
	}
	c.cu = r.client.NewCustomer(c.env.UserID)
	c.cu.Observe = c.observe
	if tok := r.sc.Auth.CCMessagingToken; tok != "" {
		c.cu.SetToken(tok)
	} else {
		call := c.cu.ApplyToken(ctx, c.render(sess.Channel.Nickname), c.to, r.sc.Auth.Locale)
		if call.Kind != ccapi.KindOK {
			if ctx.Err() != nil {
				return flowCancel
			}
			return flowFailed
		}
	}
	return c.steps(ctx, sess.Steps)
}

// steps runs steps in order and says how they ended.
func (c *vc) steps(ctx context.Context, steps []*scenario.Step) flow {
	for _, st := range steps {
		if ctx.Err() != nil {
			return flowCancel
		}
		policy := c.sess.OnFailure
		ok := true
		switch st.Kind {
		case scenario.StepThink:
			// Sleep until the intended time, not for the duration: lateness does not pile up.
			c.due += int64(st.Think.Duration(c.rng))
			if _, alive := c.waitUntil(ctx, c.due, waitNone); !alive {
				return flowCancel
			}
			continue
		case scenario.StepRepeat:
			n := int(math.Round(st.Count.Sample(c.rng)))
			for i := 0; i < n; i++ {
				if f := c.steps(ctx, st.Steps); f != flowOK {
					return f
				}
			}
			continue
		case scenario.StepAwaitReply:
			ok, policy = c.await(ctx, st, waitReply), st.OnTimeout
		case scenario.StepAwaitAgent:
			ok, policy = c.await(ctx, st, waitAgent), st.OnTimeout
		default:
			ok = c.send(ctx, st)
		}
		if ctx.Err() != nil {
			return flowCancel
		}
		if !ok && policy == scenario.Abort {
			return flowFailed
		}
	}
	return flowOK
}

// send renders, checks and sends one message step; it reports whether the step succeeded.
func (c *vc) send(ctx context.Context, st *scenario.Step) bool {
	r, s := c.r, st.Send
	// A poll tick that falls before this step's intended time is served first.
	if _, alive := c.waitUntil(ctx, c.due, waitNone); !alive {
		return false
	}
	c.env.Seq++
	c.intended, c.step = c.due, r.stepIndex[st]
	content := ""
	if s.Upload != nil {
		c.ureq = ccapi.UploadReq{FileType: s.Upload.FileType, Channel: c.render(s.Channel), FileStream: s.Upload.Base64}
		if c.ureq.Channel == "" {
			c.ureq.Channel = c.channel
		}
		key, call := c.cu.Upload(ctx, &c.ureq)
		if call.Kind != ccapi.KindOK {
			return false
		}
		content = uploadContent(s, key)
	}
	c.build(s, content)
	if errs := c.req.Validate(r.rules); len(errs) > 0 {
		r.warnOnce(st.Path, "step "+st.Path+" rendered a request that breaks a rule ("+errs[0].Error()+"): not sent, counted as client_validation")
		now := r.now()
		r.events <- event{kind: evSample, ep: r.sendEp, ct: ctIndex(s.ControlType), step: c.step,
			s: report.Sample{Intended: min(c.intended, now), Start: now, End: now, Class: report.ClassClient}}
		return false
	}
	call := c.cu.Send(ctx, &c.req)
	ok := call.Kind == ccapi.KindOK
	start := int64(call.Start.Sub(r.t0))
	switch s.ControlType {
	case ccapi.Connect:
		if ok && !c.connected {
			c.connected = true
			c.nextPoll = int64(call.End.Sub(r.t0)) + int64(c.sess.PollInterval)
		}
	case ccapi.Chat:
		if ok {
			c.chatAt, c.replied, c.seenRobot, c.seenAgent = start, false, false, false
		}
	case ccapi.Trans2Agent:
		if ok {
			c.transferAt, c.joined = start, false
		}
	case ccapi.Disconnect:
		c.connected = false
	}
	c.step = -1
	return ok
}

// build fills c.req from the step's templates; content, when set, replaces the content template.
//
// Subtleness ahead: to render without allocating, every templated field is appended to the
// one scratch buffer first, and only then are the request's strings pointed into it (the
// buffer no longer moves). Those strings are valid until the next build or render; ccapi's
// Send encodes the request before it returns and keeps none of them.
func (c *vc) build(s *scenario.Send, content string) {
	ch := c.sess.Channel
	c.buf = c.buf[:0]
	var f [9]span
	f[0] = c.span(s.Channel, nil)
	f[1] = c.span(s.To, nil)
	f[2] = c.span(s.SourceType, ch.SourceType)
	f[3] = c.span(s.UserAgent, ch.UserAgent)
	f[4] = c.span(s.SenderNickname, ch.Nickname)
	f[5] = c.span(s.SenderAvatar, ch.Avatar)
	f[6] = c.span(s.MessageID, nil)
	f[7] = c.span(s.TransData, nil)
	if content == "" {
		f[8] = c.span(s.Content, nil)
	} else {
		f[8] = span{lit: content}
	}
	c.req = ccapi.SendMsgReq{
		ControlType:    s.ControlType,
		MediaType:      s.MediaType,
		From:           c.env.UserID,
		Channel:        c.str(f[0], c.channel),
		To:             c.str(f[1], c.to),
		SourceType:     ccapi.SourceType(c.str(f[2], string(ccapi.SourceCustomer))),
		UserAgent:      c.str(f[3], ""),
		SenderNickname: c.str(f[4], ""),
		SenderAvatar:   c.str(f[5], ""),
		MessageID:      c.str(f[6], ""),
		TransData:      c.str(f[7], ""),
		Content:        c.str(f[8], ""),
	}
}

// span is one rendered field: a literal string, or bytes [a, b) of the scratch buffer.
type span struct {
	lit  string
	a, b int
	dyn  bool
	none bool // no template at all: the caller's default applies
}

// span renders t (or def when t is nil) onto the scratch buffer, or returns its literal.
func (c *vc) span(t, def *scenario.Template) span {
	if t == nil {
		t = def
	}
	if t == nil {
		return span{none: true}
	}
	if s, ok := t.Literal(); ok {
		return span{lit: s}
	}
	a := len(c.buf)
	c.buf = t.Append(c.buf, &c.env)
	return span{a: a, b: len(c.buf), dyn: true}
}

// str returns the field's string (pointing into the scratch buffer for rendered ones), or def
// when the field had no template or rendered empty.
func (c *vc) str(f span, def string) string {
	switch {
	case f.none:
		return def
	case !f.dyn:
		if f.lit == "" {
			return def
		}
		return f.lit
	case f.b == f.a:
		return def
	}
	return unsafe.String(&c.buf[f.a], f.b-f.a)
}

// await waits for a reply or an agent until the step's timeout; it reports whether it came.
func (c *vc) await(ctx context.Context, st *scenario.Step, what waitFor) bool {
	r := c.r
	c.step = r.stepIndex[st]
	defer func() { c.step = -1 }()
	from := max(c.due, r.now())
	timeout := st.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	met, _ := c.waitUntilMet(ctx, from+int64(timeout), what, st.From)
	now := r.now()
	// The answer (or the timeout) re-anchors the schedule: waiting for the platform's robot
	// or agent is the conversation, not lateness of the next request.
	c.due = max(c.due, now)
	if !met && ctx.Err() == nil {
		r.events <- event{kind: evReplyTimeout, t: now}
	}
	return met
}

// waitUntil waits until t (ns since start), polling at each tick that falls before it.
// It returns alive=false when ctx was cancelled.
func (c *vc) waitUntil(ctx context.Context, t int64, what waitFor) (met, alive bool) {
	return c.waitUntilMet(ctx, t, what, scenario.FromAny)
}

func (c *vc) waitUntilMet(ctx context.Context, t int64, what waitFor, from scenario.ReplyFrom) (met, alive bool) {
	for {
		if c.met(what, from) {
			return true, true
		}
		now := c.r.now()
		if now >= t {
			return false, ctx.Err() == nil
		}
		polling := c.polling(what)
		if polling && c.nextPoll <= now {
			c.poll(ctx)
			if ctx.Err() != nil {
				return false, false
			}
			continue
		}
		wake := t
		if polling && c.nextPoll < wake {
			wake = c.nextPoll
		}
		if !c.sleep(ctx, wake-now) {
			return false, false
		}
	}
}

// polling reports whether the customer polls while waiting: in the background while connected
// (when the session polls), and always while an await step waits (the scenario loader only
// allows awaits in sessions that poll; an await polls even before CONNECT succeeded).
func (c *vc) polling(what waitFor) bool {
	return (c.connected && c.sess.Poll) || what != waitNone
}

func (c *vc) met(what waitFor, from scenario.ReplyFrom) bool {
	switch what {
	case waitReply:
		switch from {
		case scenario.FromRobot:
			return c.seenRobot
		case scenario.FromAgent:
			return c.seenAgent
		}
		return c.seenRobot || c.seenAgent
	case waitAgent:
		return c.joined
	}
	return false
}

// poll fetches downlink messages once and schedules the next tick.
func (c *vc) poll(ctx context.Context) {
	r := c.r
	tick := c.nextPoll
	c.intended, c.step = tick, -1
	msgs, call := c.cu.Poll(ctx, c.channel, c.msgs[:0])
	c.msgs = msgs
	end := call.End
	if call.Kind == ccapi.KindOK {
		c.see(msgs, int64(end.Sub(r.t0)))
	}
	clear(c.msgs[:cap(c.msgs)]) // drop references to the answer's strings
	// Next tick on the grid; ticks missed while this poll was slow are skipped, not burst.
	iv := int64(c.sess.PollInterval)
	if iv <= 0 {
		iv = int64(time.Second)
	}
	c.nextPoll = tick + iv
	if e := int64(end.Sub(r.t0)); c.nextPoll <= e {
		c.nextPoll += ((e-c.nextPoll)/iv + 1) * iv
	}
}

// see reacts to downlink messages seen at t: answers to the last CHAT and agents joining.
func (c *vc) see(msgs []ccapi.DownlinkMessage, t int64) {
	for i := range msgs {
		m := &msgs[i]
		switch m.SourceType {
		case ccapi.SourceRobot, ccapi.SourceAgent:
			if m.ControlType == ccapi.Disconnect || m.ControlType == ccapi.Read {
				continue
			}
			if m.SourceType == ccapi.SourceRobot {
				c.seenRobot = true
			} else {
				c.seenAgent = true
				c.agentSeen(t)
			}
			if c.chatAt >= 0 && !c.replied {
				c.replied = true
				c.r.events <- event{kind: evReply, t: t, d: t - c.chatAt}
			}
		case ccapi.SourceSystem:
			if containsFold(m.Content, "connected to an agent") {
				c.agentSeen(t)
			}
		}
	}
}

func (c *vc) agentSeen(t int64) {
	if c.joined {
		return
	}
	c.joined = true
	if c.transferAt >= 0 {
		c.r.events <- event{kind: evAgent, t: t, d: t - c.transferAt}
	}
}

// observe turns every exchange the ccapi customer makes (token calls and retries included)
// into a sample. It runs on the customer's goroutine, during the call.
func (c *vc) observe(call *ccapi.Call) {
	r := c.r
	start, end := int64(call.Start.Sub(r.t0)), int64(call.End.Sub(r.t0))
	step := c.step
	if call.Endpoint == ccapi.EpTokenByAkSk || call.Endpoint == ccapi.EpApplyToken {
		step = -1 // a token renewal inside a step is not that step's request
	}
	r.events <- event{kind: evSample, ep: call.Endpoint, ct: ctIndex(call.ControlType), step: step, s: report.Sample{
		Intended:   min(c.intended, start),
		Ready:      min(c.free, start),
		Start:      start,
		End:        max(end, start),
		Status:     call.Status,
		ResultCode: call.ResultCode,
		Class:      report.ErrClass(call.Kind),
		BytesSent:  call.BytesSent,
		BytesRecv:  call.BytesRecv,
	}}
	c.free = max(end, start)
}

// sleep waits d ns; false when ctx was cancelled first.
func (c *vc) sleep(ctx context.Context, d int64) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	c.timer.Reset(time.Duration(d))
	select {
	case <-ctx.Done():
		c.timer.Stop()
		return false
	case <-c.timer.C:
		return true
	}
}

func (c *vc) sleepUntil(ctx context.Context, t int64) bool { return c.sleep(ctx, t-c.r.now()) }

// render renders t into a new string that outlives the scratch buffer (per-session values).
// Literal templates return their string as is.
func (c *vc) render(t *scenario.Template) string {
	if s, ok := t.Literal(); ok {
		return s
	}
	c.buf = t.Append(c.buf[:0], &c.env)
	return string(c.buf)
}

// uploadContent is a media chat's content after its upload: "objectKey,ext" (the reference's
// form for images, audio and video), or "fileName,fileSize,objectKey,ext" for FILE.
func uploadContent(s *scenario.Send, key string) string {
	u := s.Upload
	ext := strings.ToLower(u.FileType)
	if s.MediaType != ccapi.File {
		return key + "," + ext
	}
	n := len(u.Base64) / 4 * 3
	if strings.HasSuffix(u.Base64, "==") {
		n -= 2
	} else if strings.HasSuffix(u.Base64, "=") {
		n--
	}
	return filepath.Base(u.Path) + "," + strconv.Itoa(n) + "," + key + "," + ext
}

func containsFold(s, sub string) bool {
	return len(s) >= len(sub) && strings.Contains(strings.ToLower(s), sub)
}
