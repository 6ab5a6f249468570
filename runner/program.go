package runner

import (
	"math"
	"math/rand/v2"
	"time"

	"ccload/ccapi"
	"ccload/report"
	"ccload/scenario"
)

// opKind is what one instruction of a compiled session does.
type opKind uint8

const (
	opSend     opKind = iota // send a message step (an upload first for media chats)
	opThink                  // advance the intended time by a sampled pause
	opRepBegin               // sample a repeat count; zero jumps past the matching opRepEnd
	opRepEnd                 // one more round: jump back after the matching opRepBegin, or fall through
	opAwait                  // wait (polling) for a reply or an agent until a timeout
)

// op is one instruction. jump is the matching opRepEnd (for opRepBegin) or opRepBegin (for
// opRepEnd).
type op struct {
	kind   opKind
	step   *scenario.Step
	idx    int32 // named-step index (run.steps), -1 unnamed
	jump   int32
	what   waitFor // opAwait
	policy scenario.FailurePolicy
}

// program is a session compiled once (at setup, or a streamed one when it first arrives: see
// sessions) into a flat list of instructions, so a customer
// is a program counter and a few counters instead of a call stack.
type program struct {
	sess *scenario.Session
	ops  []op
	// depth is the deepest repeat nesting: the size of a customer's repeat-counter stack.
	depth int
	// id is the program's stable ID (sessions): the session's index in the scenario, or the
	// next one for a streamed session; streamed says it is not one of the scenario's.
	id       int32
	streamed bool
	// reconnect is the CONNECT sent when the platform ends the session and the session says
	// on_platform_end: reconnect (the session's first connect step, unnamed); nil: none.
	reconnect *op
	// disconnect is what the run's teardown sends a customer of this session still connected
	// when the run cut it, and what a session that fails connected sends (actAbandon): the
	// session's own first disconnect step, or a plain DISCONNECT.
	disconnect *scenario.Send
}

// compile flattens sess's steps; stepIndex gives the named-step index of each step.
func compile(sess *scenario.Session, stepIndex map[*scenario.Step]int32) *program {
	p := &program{sess: sess}
	p.emit(sess.Steps, stepIndex, 0)
	for i := range p.ops {
		if o := &p.ops[i]; o.kind == opSend && o.step.Kind == scenario.StepConnect {
			p.reconnect = &op{kind: opSend, step: o.step, idx: -1, policy: sess.OnFailure}
			break
		}
	}
	p.disconnect = &scenario.Send{ControlType: ccapi.Disconnect, MediaType: ccapi.Text}
	for _, o := range p.ops {
		if o.kind == opSend && o.step.Send.ControlType == ccapi.Disconnect && o.step.Send.Upload == nil {
			p.disconnect = o.step.Send
			break
		}
	}
	return p
}

func (p *program) emit(steps []*scenario.Step, stepIndex map[*scenario.Step]int32, depth int) {
	p.depth = max(p.depth, depth)
	for _, st := range steps {
		idx, ok := stepIndex[st]
		if !ok {
			idx = -1
		}
		o := op{step: st, idx: idx, policy: p.sess.OnFailure}
		switch st.Kind {
		case scenario.StepThink:
			o.kind = opThink
		case scenario.StepRepeat:
			begin := int32(len(p.ops))
			p.ops = append(p.ops, op{kind: opRepBegin, step: st, idx: idx})
			p.emit(st.Steps, stepIndex, depth+1)
			end := int32(len(p.ops))
			p.ops = append(p.ops, op{kind: opRepEnd, step: st, idx: idx, jump: begin})
			p.ops[begin].jump = end
			continue
		case scenario.StepAwaitReply:
			o.kind, o.what, o.policy = opAwait, waitReply, st.OnTimeout
		case scenario.StepAwaitAgent:
			o.kind, o.what, o.policy = opAwait, waitAgent, st.OnTimeout
		default:
			o.kind = opSend
		}
		p.ops = append(p.ops, o)
	}
}

// actKind is what a customer asks its executor to do next.
type actKind uint8

const (
	actWake  actKind = iota // nothing until At: call next again then (or earlier, nothing changes)
	actToken                // fetch the session's CCMessaging token (applyToken)
	actSend                 // play message step Op (upload, render, check, send)
	actPoll                 // poll downlink messages once
	actQueue                // ask queryQueueInfo once (await_agent)
	// actAbandon sends the program's disconnect: the session failed while the platform holds it
	// open, and a failed customer must not leave an abandoned session behind (actDone follows).
	actAbandon
	actDone // the session is over with Outcome
)

// action is a customer's answer to "what now?". Reply and Agent (>= 0) are latencies the last
// poll completed, and Timeout says an await step just timed out: the executor records them.
type action struct {
	kind     actKind
	at       int64 // actWake: when to call again
	intended int64 // exchanges: the intended start, for response time
	op       *op   // actSend
	outcome  flow  // actDone
	reply    int64 // -1 none
	agent    int64 // -1 none
	timeout  bool
	// fail, when its kind is set, is a step failure to count: the session's own (actDone with
	// flowFailed) or a step that failed under on_failure/on_timeout continue.
	fail why
}

// whyKind is what made a step fail (why.kind).
type whyKind uint8

const (
	whyNone   whyKind = iota // no failure (or one the executor did not explain)
	whyCall                  // the exchange failed: its class, status and resultCode say how
	whyToken                 // no AccessToken: the shared tokenByAkSk fetch failed
	whyAwait                 // an await step timed out
	whyUpload                // the upload before a media chat failed: the chat was not sent
	whyCheck                 // a local check refused the rendered request: not sent
	whyData                  // a data feeder ran out of rows before the session could start
)

// why is why a step failed, as small codes: no string is built per request, the collector
// words it (failureReason) when it counts it.
type why struct {
	code   string // the answer's resultCode (ccapi interns the common ones); "" none
	status int32  // the HTTP status; 0 none
	op     int32  // the failing op of the session's program; -1 before its first (token, data)
	kind   whyKind
	class  report.ErrClass
}

// callWhy explains a failed exchange.
func callWhy(call *ccapi.Call) why {
	w := why{kind: whyCall, class: report.ErrClass(call.Kind), status: int32(call.Status), code: call.ResultCode}
	if call.NoAccessToken {
		w.kind = whyToken
	}
	return w
}

// result is what the executor tells the customer about the exchange it asked for: whether it
// succeeded, when it started and ended (ns since the run's start), and for a poll what the
// downlink messages showed.
type result struct {
	ok         bool
	notSent    bool // a send step's request never went out (its upload failed, a local check refused it)
	start, end int64
	robot      bool // a ROBOT answer
	agent      bool // an AGENT answer
	joined     bool // an agent joined (an AGENT message or the SYSTEM "connected to an agent")
	ended      bool // the platform ended the session (an AGENT or SYSTEM DISCONNECT)
	refused    bool // a send was answered with a non-zero resultCode
	why        why  // when not ok: why (the program sets its op)
}

// digestQueue reduces a queryQueueInfo answer's resultCode to what a customer reacts to: 160021
// (already with an agent) is an agent joining; 5, 6 and 160004 (session ended, expired, missing
// or ended) are the platform ending the session. "0" (still queuing) and the rest change nothing.
func digestQueue(code string, res *result) {
	switch code {
	case ccapi.QueueWithAgent:
		res.joined = true
	case ccapi.QueueSessionEnded, ccapi.QueueSessionExpired, ccapi.QueueSessionMissing:
		res.ended = true
	}
}

// digest reduces a poll's downlink messages to what a customer reacts to.
func digest(msgs []ccapi.DownlinkMessage, res *result) {
	for i := range msgs {
		m := &msgs[i]
		if m.ControlType == ccapi.Disconnect && (m.SourceType == ccapi.SourceAgent || m.SourceType == ccapi.SourceSystem) {
			// The agent hung up or the platform timed the session out: it is over on the
			// platform's side, and any later send would fail (resultCode 13).
			res.ended = true
		}
		switch m.SourceType {
		case ccapi.SourceRobot, ccapi.SourceAgent:
			if m.ControlType == ccapi.Disconnect || m.ControlType == ccapi.Read {
				continue
			}
			if m.SourceType == ccapi.SourceRobot {
				res.robot = true
			} else {
				res.agent, res.joined = true, true
			}
		case ccapi.SourceSystem:
			if containsFold(m.Content, "connected to an agent") {
				res.joined = true
			}
		}
	}
}

// exKind is the exchange a customer is waiting the result of.
type exKind uint8

const (
	exNone exKind = iota
	exToken
	exSend
	exPoll
	exQueue
	exAbandon // the DISCONNECT of a session that failed while connected: actDone comes next
)

// customer is one virtual customer's session as data: where it is in its program and what it
// has seen. Its core, next, takes explicit time and the last exchange's result and returns the
// next action, so it runs without a clock or a goroutine (and is table-tested that way).
type customer struct {
	prog *program
	rng  *rand.Rand
	reps []int32 // remaining rounds of each open repeat, innermost last

	arrival int64
	// due is the intended start of the next step (arrival plus the think times so far).
	due      int64
	deadline int64 // the await's timeout

	poll      grid
	queue     grid  // the queryQueueInfo ticks while await_agent waits
	confirmBy int64 // push: until when the refused send waits for the platform's hang-up to be pushed

	chatAt     int64 // start of the last successful CHAT; -1 none yet
	transferAt int64 // start of the last successful TRANS2AGENT; -1 none

	fail why // the last step failure: held over a confirming poll, and the session's when it fails

	// The small fields last, together: a million parked customers pay for every byte of
	// padding between them (issue 24).
	pc      int32
	token   bool // the session must fetch its token first
	started bool // the token phase is behind
	waiting bool // the op at pc has begun waiting (think sampled, await deadline set)
	ex      exKind

	connected bool
	pollOn    bool // the poll grid is running
	confirm   bool // a refused send aborts the session unless this poll shows the platform ended it

	// reconnecting says the send in flight is the reconnect CONNECT, not the op at pc.
	reconnecting bool

	replied              bool
	seenRobot, seenAgent bool
	joined               bool
}

// mayBeConnected says whether the platform may hold this session open: a CONNECT succeeded and
// no DISCONNECT went out since, or a CONNECT was in flight when the run cut the exchange (the
// platform may have taken it). A session the platform ended is not connected.
func (c *customer) mayBeConnected() bool {
	if c.connected {
		return true
	}
	if c.ex != exSend || c.prog == nil || int(c.pc) >= len(c.prog.ops) {
		return false
	}
	o := &c.prog.ops[c.pc]
	return o.kind == opSend && o.step.Send.ControlType == ccapi.Connect
}

// reset starts a new session of prog arriving at arrival; token says it fetches its token.
func (c *customer) reset(prog *program, rng *rand.Rand, arrival int64, token bool) {
	reps := c.reps[:0]
	*c = customer{prog: prog, rng: rng, token: token, arrival: arrival, due: arrival,
		chatAt: -1, transferAt: -1, reps: reps}
}

func (c *customer) queueInterval() int64 {
	return every(c.prog.sess.QueueInterval, scenario.DefaultQueueInterval)
}

func (c *customer) pollInterval() int64 {
	return every(c.prog.sess.PollInterval, scenario.DefaultPollInterval)
}

// next is the customer's whole logic: given the time now and the result of the exchange it
// last asked for (ignored when it asked none), it says what to do next.
func (c *customer) next(now int64, res result) action {
	a := action{reply: -1, agent: -1}
	ex := c.ex
	c.ex = exNone
	switch ex {
	case exToken:
		if !res.ok {
			c.fail = res.why
			c.fail.op = -1
			return c.done(now, a, flowFailed)
		}
		c.started = true
	case exPoll:
		c.afterPoll(res, &a)
		if res.ok && res.ended {
			// The platform already closed the session: no further sends, no DISCONNECT.
			if c.confirm {
				a.fail = c.fail // the refused send still failed; the session did not
			}
			return c.platformEnded(now, a)
		}
		if c.confirm {
			if c.prog.sess.Push && now < c.confirmBy { // push: the hang-up may be the next message
				a.kind, a.at = actWake, c.confirmBy
				return a
			}
			// The send refused before this poll stands: the session failed.
			return c.done(now, a, flowFailed)
		}
	case exAbandon:
		// Whatever the DISCONNECT's answer, the session is over and failed as it did: ccload
		// does not retry it (a failed one is counted in the run's warning by the executor).
		c.connected, c.pollOn, c.confirm = false, false, false
		return c.done(now, a, flowFailed)
	case exQueue:
		c.afterQueue(res, &a)
		if res.ok && res.ended {
			return c.platformEnded(now, a)
		}
	case exNone:
		if c.confirm { // push: no message came while the refused send waited for one (push.go)
			if now < c.confirmBy {
				a.kind, a.at = actWake, c.confirmBy
				return a
			}
			return c.done(now, a, flowFailed)
		}
	case exSend:
		if c.reconnecting {
			c.reconnecting = false
			c.afterSend(c.prog.reconnect, res)
			if !res.ok && c.prog.reconnect.policy == scenario.Abort {
				return c.done(now, a, flowFailed)
			}
			break
		}
		o := &c.prog.ops[c.pc]
		c.afterSend(o, res)
		if !res.ok {
			c.fail = res.why
			c.fail.op = c.pc
			if o.policy != scenario.Abort {
				a.fail = c.fail
			}
		}
		c.pc++
		if !res.ok && o.policy == scenario.Abort {
			if res.refused && c.connected && (c.prog.sess.Poll || c.prog.sess.Push) && o.step.Send.ControlType != ccapi.Connect {
				// The platform may have ended the session between two polls (its DISCONNECT
				// waits in the downlink): look once before calling the session failed.
				c.confirm = true
				if c.prog.sess.Push { // push: wait one poll interval for a pushed hang-up instead
					c.confirmBy = max(now, res.end) + c.pollInterval()
					a.kind, a.at = actWake, c.confirmBy
					return a
				}
				c.ex = exPoll
				a.kind, a.intended = actPoll, max(now, res.end)
				return a
			}
			return c.done(now, a, flowFailed)
		}
	}
	if !c.started {
		// A session started early (closed-model pauses) waits for its arrival time.
		if now < c.arrival {
			a.kind, a.at = actWake, c.arrival
			return a
		}
		if c.token {
			c.ex = exToken
			a.kind, a.intended = actToken, c.arrival
			return a
		}
		c.started = true
	}
	for int(c.pc) < len(c.prog.ops) {
		o := &c.prog.ops[c.pc]
		switch o.kind {
		case opThink:
			if !c.waiting {
				// Sleep until the intended time, not for the duration: lateness does not pile up.
				c.due += int64(o.step.Think.Duration(c.rng))
				c.waiting = true
			}
			if c.wait(now, c.due, waitNone, &a) {
				return a
			}
			c.waiting = false
			c.pc++
		case opSend:
			// A poll tick that falls before this step's intended time is served first.
			if c.wait(now, c.due, waitNone, &a) {
				return a
			}
			c.ex = exSend
			a.kind, a.intended, a.op = actSend, c.due, o
			return a
		case opRepBegin:
			n := int32(math.Round(o.step.Count.Sample(c.rng)))
			if n <= 0 {
				c.pc = o.jump + 1
				continue
			}
			c.reps = append(c.reps, n)
			c.pc++
		case opRepEnd:
			top := len(c.reps) - 1
			if c.reps[top]--; c.reps[top] > 0 {
				c.pc = o.jump + 1
				continue
			}
			c.reps = c.reps[:top]
			c.pc++
		case opAwait:
			if !c.waiting {
				timeout := o.step.Timeout
				if timeout <= 0 {
					timeout = 30 * time.Second
				}
				c.deadline = max(c.due, now) + int64(timeout)
				// queryQueueInfo is asked as soon as the wait begins, then every queue interval.
				c.queue.next = max(c.due, now)
				c.waiting = true
			}
			if c.met(o.what, o.step.From) {
				c.endAwait(now)
				continue
			}
			if c.wait(now, c.deadline, o.what, &a) {
				return a
			}
			// Timed out.
			a.timeout = true
			c.fail = why{kind: whyAwait, op: c.pc}
			c.endAwait(now)
			if o.policy == scenario.Abort {
				return c.done(now, a, flowFailed)
			}
			a.fail = c.fail
		}
	}
	return c.done(now, a, flowOK)
}

// endAwait leaves the await at pc: the answer (or the timeout) re-anchors the schedule, since
// waiting for the platform's robot or agent is the conversation, not lateness of the next request.
func (c *customer) endAwait(now int64) {
	c.due = max(c.due, now)
	c.waiting = false
	c.pc++
}

// platformEnded reacts to the platform ending the session (seen at now): the session ends as
// ended_by_platform, or with on_platform_end: reconnect it sends a new CONNECT at once and goes
// on with the step after the one in progress (an await in progress is given up, neither met
// nor timed out; a think in progress is cut short). The new conversation starts from nothing.
func (c *customer) platformEnded(now int64, a action) action {
	c.connected, c.pollOn, c.confirm = false, false, false
	if c.prog.sess.OnPlatformEnd != scenario.Reconnect || c.prog.reconnect == nil {
		return c.done(now, a, flowEnded)
	}
	if int(c.pc) < len(c.prog.ops) && c.waiting {
		if k := c.prog.ops[c.pc].kind; k == opThink || k == opAwait {
			c.waiting = false
			c.pc++
			c.due = now
		}
	}
	c.chatAt, c.replied, c.seenRobot, c.seenAgent = -1, false, false, false
	c.transferAt, c.joined = -1, false
	c.reconnecting = true
	c.ex = exSend
	a.kind, a.intended, a.op = actSend, now, c.prog.reconnect
	return a
}

// done ends the session with f at now. A session that fails while connected (CONNECT
// succeeded, no DISCONNECT sent, not ended by the platform) first asks for its DISCONNECT
// (actAbandon): the session still fails, with its failure, once that request is over.
func (c *customer) done(now int64, a action, f flow) action {
	if f == flowFailed && c.connected {
		c.ex = exAbandon
		a.kind, a.intended = actAbandon, now
		c.pc = int32(len(c.prog.ops))
		return a
	}
	a.kind, a.outcome = actDone, f
	if f == flowFailed {
		a.fail = c.fail
	}
	c.pc = int32(len(c.prog.ops))
	return a
}

// wait fills a with what to do while waiting until t for what: a poll whose tick is due, or a
// wake-up at t or the next tick. It returns false when t has come (nothing to wait for).
func (c *customer) wait(now, t int64, what waitFor, a *action) bool {
	if now >= t {
		return false
	}
	// await_reply polls even when not connected (a failed CONNECT with on_failure: continue);
	// await_agent polls when the session polls, and asks queryQueueInfo after a transfer.
	polling := (c.connected && c.prog.sess.Poll) || what == waitReply || (what == waitAgent && c.prog.sess.Poll)
	polling = polling && !c.prog.sess.Push // a push session never polls: its answers come to it (delivered)
	switch {
	case !polling:
		c.pollOn = false
	case !c.pollOn:
		// No grid from a CONNECT (it failed, or the platform ended the session): polls start
		// on the session's timeline now, never at an old tick.
		c.pollOn = true
		c.poll.startAfter(now, c.pollInterval())
	}
	queuing := what == waitAgent && c.transferAt >= 0 && !c.joined
	if queuing && c.queue.due(now) {
		// First when both are due: a web client asks where it stands as soon as it is queued.
		c.ex = exQueue
		a.kind, a.intended = actQueue, c.queue.next
		return true
	}
	if polling && c.poll.due(now) {
		c.ex = exPoll
		a.kind, a.intended = actPoll, c.poll.next
		return true
	}
	a.kind, a.at = actWake, t
	if polling && c.poll.next < a.at {
		a.at = c.poll.next
	}
	if queuing && c.queue.next < a.at {
		a.at = c.queue.next
	}
	return true
}

func (c *customer) met(what waitFor, from scenario.ReplyFrom) bool {
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

func (c *customer) afterSend(o *op, res result) {
	if res.notSent {
		return
	}
	switch o.step.Send.ControlType {
	case ccapi.Connect:
		if res.ok && !c.connected {
			c.connected, c.pollOn = true, true
			c.poll.startAfter(res.end, c.pollInterval())
		}
	case ccapi.Chat:
		if res.ok {
			c.chatAt, c.replied, c.seenRobot, c.seenAgent = res.start, false, false, false
		}
	case ccapi.Trans2Agent:
		if res.ok {
			c.transferAt, c.joined = res.start, false
		}
	case ccapi.Disconnect:
		c.connected = false
	}
}

// afterQueue reacts to a queryQueueInfo answer (seen at its end) and schedules the next one on
// the queue grid; like polls, ticks missed while the answer was slow are skipped.
func (c *customer) afterQueue(res result, a *action) {
	if res.ok && res.joined && !c.joined {
		c.joined = true
		if c.transferAt >= 0 {
			a.agent = res.end - c.transferAt
		}
	}
	c.queue.skipPast(res.end, c.queueInterval())
}

// delivered tells the program that the result it is handed next is a pushed message (push
// mode): it is taken exactly as a poll's answer, received at the result's end.
func (c *customer) delivered() { c.ex = exPoll }

// afterPoll reacts to a poll's messages (seen at its end) and schedules the next tick on the
// grid; ticks missed while the poll was slow are skipped, not burst.
func (c *customer) afterPoll(res result, a *action) {
	if res.ok {
		t := res.end
		if res.robot || res.agent {
			c.seenRobot = c.seenRobot || res.robot
			c.seenAgent = c.seenAgent || res.agent
			if c.chatAt >= 0 && !c.replied {
				c.replied = true
				a.reply = t - c.chatAt
			}
		}
		if res.joined && !c.joined {
			c.joined = true
			if c.transferAt >= 0 {
				a.agent = t - c.transferAt
			}
		}
	}
	c.poll.skipPast(res.end, c.pollInterval())
}
