package runner

import (
	"context"
	"fmt"
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

// vc is one virtual customer's executor: it plays the actions its customer program (a
// customer, see program.go) asks for, on whichever exchange worker the scheduler handed it to
// (one session in the open model, back-to-back sessions in the closed model). Nothing in it is
// shared, and its request values are reused across requests and sessions.
//
// Background polling is part of the program: while it waits for the next step (a think time,
// an await), it wakes at each poll tick and polls. A poll due while a send is in flight waits
// for it; its intended time is the tick, so that wait shows in poll response time rather than
// being hidden.
type vc struct {
	r    *run
	k    int64        // customer index: arrival index (open) or slot (closed); global across shards
	env  scenario.Env // env.Rand is the customer's random source (seeded by the run's seed and k)
	x    *scratch     // the buffers of whoever runs the customer right now
	cu   *ccapi.Customer
	sess *scenario.Session
	prog *program // the session's compiled program (sessions)
	m    customer
	// planned is the session a streamed plan (Config.Source) gave this arrival; nil: drawn by weight.
	planned *scenario.Session

	channel, to string // the session's rendered channel and channel configuration ID

	// intended (and step, below) describe the exchange in flight, for observe.
	intended int64
	// free is when this customer's previous exchange ended: a request cannot start before it,
	// so the scheduler lag of the next one counts from max(intended, free).
	free int64

	wakeAt int64    // when parked: the wake-up time (the scheduler's heap key)
	push   *pushBox // a push session's mailbox (push.go); nil: a poll session

	// A closed-model customer's slot: it plays sessions back to back. pending says its next
	// session starts at wakeAt; n counts its sessions (their ids are k + n·idSpan).
	slot      *slot
	idSpan, n int64
	backoff   time.Duration
	began     int64 // when the current session really began (a worker took it)

	// The small fields last, together: a million parked customers pay for every byte of
	// padding (issue 24).
	step    int32
	where   int32         // when parked: its place in the wake-up queue (wakeq.go: wqNear, wqFar or a ring bucket)
	hidx    int32         // when parked: the index in its place in the wake-up queue (-1 or stale otherwise)
	origin  report.Origin // who asked for the exchange in flight: the scenario, or the run closing the session
	pending bool          // a closed-model slot's next session starts at wakeAt

	// owesDisconnect says the run cut this customer while the platform may hold its session
	// open (customer.cut): its teardown sends the DISCONNECT.
	owesDisconnect bool
}

// scratch is what running a customer's exchanges needs besides its state: the render buffer,
// the request values and the poll's message slice. Whoever runs customers owns one (an
// exchange worker, the producer while it prepares sessions, a closed-model slot) and lends it
// to the customer it runs, so a parked customer holds none.
type scratch struct {
	buf  []byte
	jbuf []byte // the content escaped for JSON (build)
	req  ccapi.SendMsgReq
	ureq ccapi.UploadReq
	msgs []ccapi.DownlinkMessage
	lane *ccapi.Lane // nil: the customer's own lanes
	// shard is the exchange worker's batch of samples for the collector (evshard.go); nil:
	// samples go through the events channel one by one.
	shard *evShard
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
	flowEnded              // the platform ended the session (AGENT or SYSTEM DISCONNECT seen through poll)
)

func (r *run) newVC(k int64) *vc { return r.newVCWith(k, &scratch{}) }

// newVCWith returns customer k running on x (until someone lends it another; nil: none yet).
func (r *run) newVCWith(k int64, x *scratch) *vc {
	c := &vc{r: r, k: k, step: -1, x: x}
	c.env = scenario.Env{Customer: k, Rand: rand.New(rand.NewPCG(uint64(r.seed), uint64(k))), Rows: make([][]string, len(r.sc.Feeders))}
	return c
}

// teardown sends the DISCONNECT of a customer the run cut while the platform may still hold its
// session open, so a run never leaves orphan sessions on the target. It runs under the run's
// teardown context (TeardownLimit from the cut, for every customer together); a customer whose
// turn comes after that is counted in the run's warning instead. Its request is recorded in the
// teardown group, its response time from the moment of the cut.
func (c *vc) teardown() {
	l := c.r.life
	if !c.owesDisconnect {
		return
	}
	c.owesDisconnect = false
	if l.teardown.Err() != nil {
		l.tdLeft.Add(1)
		return
	}
	call := c.disconnect(l.CutAt(), report.OriginTeardown)
	if call.Kind != ccapi.KindOK {
		l.tdLeft.Add(1)
	}
}

// abandon sends the DISCONNECT of a session that failed while the platform held it open (the
// same request the teardown sends), so a failed session is not left open or queued on the
// target. It runs under the teardown's context: a cut run bounds it by TeardownLimit, it does
// not cancel it. Its request is recorded in the abandon group (OriginAbandon), its response time
// from the failure; one that fails is counted in the run's warning (abLeft).
func (c *vc) abandon(a action) result {
	r := c.r
	call := c.disconnect(a.intended, report.OriginAbandon)
	res := result{ok: call.Kind == ccapi.KindOK, start: int64(call.Start.Sub(r.t0)), end: int64(call.End.Sub(r.t0))}
	if !res.ok {
		r.life.abLeft.Add(1)
	}
	return res
}

// disconnect sends the session's DISCONNECT (its own disconnect step, or a plain one) on behalf
// of the run, under the teardown's context, recorded in the group of its origin (OriginTeardown
// or OriginAbandon) with its response time from intended.
//
// A DISCONNECT answered 429 or 503, failed in transport, or not sent for want of a free
// connection (no_free_connection) is sent again with backoff (the target's Retry-After
// honoured) within TeardownLimit of its first attempt (ccapi.SendRetry), so a target shedding
// load, or a cut that finds every connection busy, is not left holding the session.
func (c *vc) disconnect(intended int64, origin report.Origin) *ccapi.Call {
	c.intended, c.step, c.origin = intended, -1, origin
	c.build(c.m.prog.disconnect, "")
	ctx, cancel := context.WithTimeout(c.r.life.teardown, TeardownLimit)
	call := c.cu.SendRetry(ctx, &c.x.req)
	cancel()
	c.origin = report.OriginScenario
	return call
}

// ended reports the session's end to the collector.
func (c *vc) ended(f flow) report.Outcome {
	o := report.Completed
	switch f {
	case flowFailed:
		o = report.Failed
	case flowCancel:
		o = c.r.life.CutOutcome()
	case flowEnded:
		o = report.EndedByPlatform
	}
	c.pushEnd()
	end := c.r.now()
	ev := event{kind: evEnded}
	if o == report.Failed {
		ev = failEvent(evEnded, c.r.sessions.site(c.prog, c.m.fail), c.m.fail) // why it failed travels with its end
	}
	ev.t, ev.d, ev.outcome = end, max(end-c.m.arrival, 0), o
	c.r.events <- ev
	return o
}

// prepare starts a session that arrives at arrival: it picks the session's shape, draws its
// data rows, renders its identity and resets the program. Not flowOK: it cannot start.
func (c *vc) prepare(arrival, sessionID int64) flow {
	r := c.r
	prog := r.sessions.progs[r.pickIndex(c.env.Rand)]
	if plan := r.cfg.Plan; plan != nil {
		prog = r.sessions.progs[plan[c.k].Session]
		if plan[c.k].Sess != nil {
			prog = r.sessions.streamed(plan[c.k].Sess)
		}
	}
	if c.planned != nil {
		prog = r.sessions.streamed(c.planned) // compiled once, when it first arrives
	}
	sess := prog.sess
	c.m.arrival = arrival
	c.sess, c.prog = sess, prog
	c.intended, c.step = arrival, -1

	for _, i := range sess.Feeders {
		f := r.sc.Feeders[i]
		row, err := f.Next(c.env.Rand)
		if err != nil {
			// A unique feeder without wrap has no row left: no later session could start
			// either, so arrivals end here (the sessions running go on), and the run ends
			// as "data exhausted", not "completed": it could not play what the scenario asked.
			r.warnOnce("feeder:"+f.Name, fmt.Sprintf("data feeder %s ran out of rows at %s: arrivals stopped there", f.Name, time.Duration(r.now()).Round(time.Millisecond)))
			r.life.Stop(report.Stop{Kind: report.ReasonDataExhausted, Detail: f.Name}, false)
			c.m.fail = why{kind: whyData, op: -1}
			return flowFailed
		}
		c.env.Rows[i] = row
	}
	c.env.SessionID = strconv.FormatInt(sessionID, 36)
	c.env.Seq = 0
	c.env.UserID = c.render(sess.Channel.UserID)
	c.channel = c.render(sess.Channel.Channel)
	c.to = c.render(sess.Channel.To)

	tok := r.sc.Auth.CCMessagingToken
	c.cu = r.client.NewCustomer(c.env.UserID)
	c.cu.Observe = c.observe
	// One lane, the runner's: a customer's exchanges never overlap (polls wait for sends).
	if c.x.lane == nil {
		c.x.lane = r.client.NewLane()
	}
	c.cu.Use(c.x.lane)
	if tok != "" {
		c.cu.SetToken(tok)
	}
	c.m.reset(prog, c.env.Rand, arrival, tok == "")
	c.pushBegin()
	return flowOK
}

// drive runs the customer's program on the calling goroutine: exchanges in place, and for a
// wake-up a hand-back through park, which keeps the customer until its wake-up time (the
// scheduler). It returns the session's end, or parked=true when the customer was handed back.
func (c *vc) drive(ctx context.Context, park func(*vc, int64)) (f flow, parked bool) {
	r := c.r
	var res result
	for first := true; ; first = false {
		if ctx.Err() != nil && c.m.ex != exAbandon {
			c.cutOff(first) // first: it waited for a worker, or was parked, when the run was cut
			return flowCancel, false
		}
		res = c.takePush(res) // a pushed message waiting is the answer of a poll (push.go)
		a := c.m.next(r.now(), res)
		c.note(a, res)
		res = result{}
		switch a.kind {
		case actDone:
			return a.outcome, false
		case actAbandon:
			// The session failed connected: its DISCONNECT goes out even when the run is cut
			// meanwhile (under the teardown's bound), and the session still ends failed.
			res = c.abandon(a)
			continue
		case actWake:
			if a.at > r.now() {
				park(c, a.at)
				return flowOK, true
			}
			continue
		}
		res = c.exchange(ctx, a)
		if ctx.Err() != nil {
			c.cutOff(false)
			return flowCancel, false
		}
	}
}

// note records what an action reports besides itself: a poll's reply and agent latencies
// (seen at its end) and an await's timeout.
func (c *vc) note(a action, res result) {
	r := c.r
	if a.reply >= 0 {
		r.events <- event{kind: evReply, t: res.end, d: a.reply}
	}
	if a.agent >= 0 {
		r.events <- event{kind: evAgent, t: res.end, d: a.agent}
	}
	if a.timeout {
		r.events <- event{kind: evReplyTimeout, t: r.now()}
	}
	if a.fail.kind != whyNone && (a.kind != actDone || a.outcome != flowFailed) {
		// A step failed and the session went on (or the platform had ended it): a session
		// that failed says why with its end (ended).
		ev := failEvent(evStepFailed, c.r.sessions.site(c.prog, a.fail), a.fail)
		ev.t = r.now()
		r.events <- ev
	}
}

// exchange plays one exchange action and says how it went.
func (c *vc) exchange(ctx context.Context, a action) result {
	r := c.r
	var res result
	switch a.kind {
	case actToken:
		call := c.cu.ApplyToken(ctx, c.render(c.sess.Channel.Nickname), c.to, r.sc.Auth.Locale)
		res.ok = call.Kind == ccapi.KindOK
		if !res.ok {
			res.why = callWhy(call)
		}
	case actSend:
		c.intended, c.step = a.intended, a.op.idx
		res = c.send(ctx, a.op.step)
		c.step = -1
	case actPoll:
		c.intended, c.step = a.intended, -1
		msgs, call := c.cu.Poll(ctx, c.channel, c.x.msgs[:0])
		c.x.msgs = msgs
		res.ok, res.end = call.Kind == ccapi.KindOK, int64(call.End.Sub(r.t0))
		if res.ok {
			digest(msgs, &res)
		}
		clear(c.x.msgs[:cap(c.x.msgs)]) // drop references to the answer's strings
	case actQueue:
		c.intended, c.step = a.intended, -1
		req := ccapi.QueueInfoReq{UserID: c.env.UserID, ChannelConfigID: c.to, Channel: c.channel}
		q, call := c.cu.QueryQueueInfo(ctx, &req)
		res.ok, res.end = call.Kind == ccapi.KindOK, int64(call.End.Sub(r.t0))
		if res.ok {
			digestQueue(call.ResultCode, &res)
			if q != nil && call.ResultCode == ccapi.QueueQueuing {
				// Where the platform says the customer stands: position and estimated wait (s).
				r.events <- event{kind: evQueue, t: res.end, d: int64(q.EstimateWaitTime) * int64(time.Second), pos: int32(q.Position)}
			}
		}
	}
	return res
}

// send renders, checks and sends one message step and says how it went.
func (c *vc) send(ctx context.Context, st *scenario.Step) result {
	r, s := c.r, st.Send
	c.env.Seq++
	content := ""
	if s.Upload != nil {
		c.x.ureq = ccapi.UploadReq{FileType: s.Upload.FileType, Channel: c.render(s.Channel), FileStream: s.Upload.Base64}
		if c.x.ureq.Channel == "" {
			c.x.ureq.Channel = c.channel
		}
		key, call := c.cu.Upload(ctx, &c.x.ureq)
		if call.Kind != ccapi.KindOK {
			w := callWhy(call)
			if w.kind == whyCall {
				w.kind = whyUpload
			}
			return result{notSent: true, why: w}
		}
		content = uploadContent(s, key)
	}
	c.build(s, content)
	if errs := c.x.req.Validate(r.rules); len(errs) > 0 {
		r.warnOnce(st.Path, "step "+st.Path+" rendered a request that breaks a rule ("+errs[0].Error()+"): not sent, counted in not_sent as client_validation")
		now := r.now()
		r.events <- event{kind: evSample, ep: r.sendEp, ct: ctIndex(s.ControlType), step: c.step,
			s: report.Sample{Intended: min(c.intended, now), Start: now, End: now, Class: report.ClassClient}}
		return result{notSent: true, why: why{kind: whyCheck, class: report.ClassClient}}
	}
	var call *ccapi.Call
	if s.ControlType == ccapi.Disconnect {
		// The scenario's own DISCONNECT is retried as the run's are (see disconnect); one that
		// still fails is counted in the run's warning (dcLeft): the session may stay open.
		dctx, cancel := context.WithTimeout(ctx, TeardownLimit)
		call = c.cu.SendRetry(dctx, &c.x.req)
		cancel()
		if call.Kind != ccapi.KindOK && ctx.Err() == nil {
			r.dcLeft.Add(1)
		}
	} else {
		call = c.cu.Send(ctx, &c.x.req)
	}
	res := result{ok: call.Kind == ccapi.KindOK, refused: call.Kind == ccapi.KindApp,
		start: int64(call.Start.Sub(r.t0)), end: int64(call.End.Sub(r.t0))}
	if !res.ok {
		res.why = callWhy(call)
	}
	return res
}

// build fills c.x.req from the step's templates; content, when set, replaces the content template.
//
// Subtleness ahead: to render without allocating, every templated field is appended to the
// one scratch buffer first, and only then are the request's strings pointed into it (the
// buffer no longer moves). Those strings are valid until the next build or render; ccapi's
// Send encodes the request before it returns and keeps none of them.
func (c *vc) build(s *scenario.Send, content string) {
	c.x.buf = c.x.buf[:0]
	if !c.buildLiteral(s, &c.sess.Channel, content) {
		c.buildRendered(s, content)
	}
}

// buildRendered is build for a step with templated fields.
func (c *vc) buildRendered(s *scenario.Send, content string) {
	ch := c.sess.Channel
	c.x.buf = c.x.buf[:0]
	var f [9]span
	f[0] = c.span(s.Channel, nil)
	f[1] = c.span(s.To, nil)
	f[2] = c.span(s.SourceType, ch.SourceType)
	f[3] = c.span(s.UserAgent, ch.UserAgent)
	f[4] = c.span(s.SenderNickname, ch.Nickname)
	f[5] = c.span(s.SenderAvatar, ch.Avatar)
	f[6] = c.span(s.MessageID, nil)
	f[7] = c.span(s.TransData, nil)
	jok := false
	if content == "" {
		// The content is rendered twice in one pass: as is (Validate reads it) and escaped for
		// the body, where the template's constant text was escaped once at load (AppendJSON).
		if t := s.Content; t != nil {
			a := len(c.x.buf)
			c.x.buf, c.x.jbuf, jok = t.AppendJSON(c.x.buf, c.x.jbuf[:0], &c.env)
			f[8] = span{a: a, b: len(c.x.buf), dyn: true}
		} else {
			f[8] = span{none: true}
		}
	} else {
		f[8] = span{lit: content}
	}
	c.x.req = ccapi.SendMsgReq{
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
	if jok && len(c.x.jbuf) > 0 && c.x.req.Content != "" {
		c.x.req.ContentJSON = unsafe.String(&c.x.jbuf[0], len(c.x.jbuf))
	}
}

// buildLiteral is build for the common step whose fields other than the content are all
// literal or absent (most scenarios; bench/chat.yaml): no field but the content touches the
// scratch buffer, so each is set as it is read. It returns false, having set nothing, when a
// field is templated.
func (c *vc) buildLiteral(s *scenario.Send, ch *scenario.Channel, content string) bool {
	channel, ok0 := litField(s.Channel, nil, c.channel)
	to, ok1 := litField(s.To, nil, c.to)
	source, ok2 := litField(s.SourceType, ch.SourceType, string(ccapi.SourceCustomer))
	ua, ok3 := litField(s.UserAgent, ch.UserAgent, "")
	nick, ok4 := litField(s.SenderNickname, ch.Nickname, "")
	avatar, ok5 := litField(s.SenderAvatar, ch.Avatar, "")
	mid, ok6 := litField(s.MessageID, nil, "")
	trans, ok7 := litField(s.TransData, nil, "")
	if !(ok0 && ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) {
		return false
	}
	jok := false
	if content == "" && s.Content != nil {
		// The content is rendered twice in one pass: as is (Validate reads it) and escaped for
		// the body, where the template's constant text was escaped once at load (AppendJSON).
		c.x.buf, c.x.jbuf, jok = s.Content.AppendJSON(c.x.buf, c.x.jbuf[:0], &c.env)
		if len(c.x.buf) > 0 {
			content = unsafe.String(&c.x.buf[0], len(c.x.buf))
		}
	}
	r := &c.x.req
	*r = ccapi.SendMsgReq{ControlType: s.ControlType, MediaType: s.MediaType, From: c.env.UserID,
		Channel: channel, To: to, SourceType: ccapi.SourceType(source), UserAgent: ua,
		SenderNickname: nick, SenderAvatar: avatar, MessageID: mid, TransData: trans, Content: content}
	if jok && len(c.x.jbuf) > 0 && content != "" {
		r.ContentJSON = unsafe.String(&c.x.jbuf[0], len(c.x.jbuf))
	}
	return true
}

// litField is a field's value when its template (or def when t is nil) is literal: the
// literal, or dflt when there is no template or it is empty (as str says); ok is false for a
// templated field.
func litField(t, def *scenario.Template, dflt string) (_ string, ok bool) {
	if t == nil {
		t = def
	}
	if t == nil {
		return dflt, true
	}
	s, ok := t.Literal()
	if !ok {
		return "", false
	}
	if s == "" {
		return dflt, true
	}
	return s, true
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
	a := len(c.x.buf)
	c.x.buf = t.Append(c.x.buf, &c.env)
	return span{a: a, b: len(c.x.buf), dyn: true}
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
	return unsafe.String(&c.x.buf[f.a], f.b-f.a)
}

// observe turns every exchange the ccapi customer makes (token calls and retries included)
// into a sample. It runs on the customer's goroutine, during the call.
func (c *vc) observe(call *ccapi.Call) {
	r := c.r
	start, end := int64(call.Start.Sub(r.t0)), int64(call.End.Sub(r.t0))
	step := c.step
	if (call.Endpoint == ccapi.EpTokenByAkSk || call.Endpoint == ccapi.EpApplyToken) && step >= 0 {
		step = -1 // a token renewal inside a step is not that step's request
	}
	ev := event{kind: evSample, ep: call.Endpoint, ct: ctIndex(call.ControlType), step: step, origin: c.origin, s: report.Sample{
		Intended:   min(c.intended, start),
		Ready:      min(c.free, start),
		Start:      start,
		End:        max(end, start),
		Throttled:  int64(call.Throttled),
		Status:     call.Status,
		ResultCode: call.ResultCode,
		Class:      report.ErrClass(call.Kind),
		BytesSent:  call.BytesSent,
		BytesRecv:  call.BytesRecv,
	}}
	if x := c.x; x != nil && x.shard != nil {
		r.shards.add(x.shard, &ev)
	} else {
		r.events <- ev
	}
	c.free = max(end, start)
}

// render renders t into a new string that outlives the scratch buffer (per-session values).
// Literal templates return their string as is.
func (c *vc) render(t *scenario.Template) string {
	if s, ok := t.Literal(); ok {
		return s
	}
	c.x.buf = t.Append(c.x.buf[:0], &c.env)
	return string(c.x.buf)
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
