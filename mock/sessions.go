package mock

import (
	"errors"
	"hash/maphash"
	"sort"
	"strings"
	"sync"
	"time"

	"ccload/ccapi"
)

// sessState is where a customer's session stands.
type sessState uint8

const (
	stRobot  sessState = iota + 1 // connected, talking to the robot
	stQueued                      // TRANS2AGENT sent, waiting for a free agent
	stAgent                       // an agent has the session
	stClosed                      // ended; kept only until its pending messages are polled or cleanup runs
)

// The texts the mock's robot, agents and system send down.
const (
	textRobot     = "Robot: I received your message. How else can I help?"
	textAgent     = "Agent: thanks, I am looking into it."
	textConnected = "connected to an agent"
	textQueuing   = "Queuing..."
	textAgentBye  = "The agent has ended the session."
	textTimeout   = "The session was released because it was idle."
)

// maxPending bounds the downlink messages one session keeps for its next poll; older ones are dropped.
const maxPending = 64

// downMsg is a downlink message waiting for the customer's poll, kept compact:
// the channel and addresses come from the session when it is rendered.
type downMsg struct {
	ms      int64 // epoch ms
	text    string
	agent   int32
	src     uint8 // index into sourceNames
	ctl     uint8 // 0 CHAT, 1 DISCONNECT
	offline bool
}

const (
	srcRobot uint8 = iota
	srcAgent
	srcSystem
)

var sourceNames = [...]string{"ROBOT", "AGENT", "SYSTEM"}

// session is one customer's state, keyed by userId (the `from` of sendAsync).
// Its size is what 100,000 connected customers cost: about 120 bytes plus the
// map entry and the strings.
type session struct {
	user        string // the map key, owned (cloned from the request)
	channel, to string
	pending     []downMsg
	lastPoll    int64 // server clock, ns
	since       int64 // when the current state began: queued, with an agent, closed
	qseq        uint64
	gen         uint32
	agent       int32
	state       sessState
	chain       bool // an evTimeout chain runs for this generation
}

const sessionShards = 256

// sessionTable is the sharded map of sessions; each shard's mutex guards its
// sessions' fields too. Lock order: a shard, then the agent pool; never two shards.
type sessionTable struct {
	seed   maphash.Seed
	shards [sessionShards]sessionShard
}

// sessionShard is one lock's worth of sessions.
type sessionShard struct {
	mu sync.Mutex // guards m and every *session in it
	m  map[string]*session
	_  [48]byte // keep shards on separate cache lines
}

func (t *sessionTable) init() {
	t.seed = maphash.MakeSeed()
	for i := range t.shards {
		t.shards[i].m = make(map[string]*session)
	}
}

func (t *sessionTable) shard(user string) *sessionShard {
	return &t.shards[maphash.String(t.seed, user)%sessionShards]
}

// qent is one customer waiting for an agent.
type qent struct {
	seq uint64
	at  int64
	ss  *session
	gen uint32
}

// agentPool is the agents and the FIFO queue of customers waiting for them.
type agentPool struct {
	mu   sync.Mutex // guards free, q, seq
	free []int32    // idle agent ids
	q    []qent     // waiting customers, ascending seq
	seq  uint64
}

// index returns the position of seq in q, or -1.
func (p *agentPool) index(seq uint64) int {
	i := sort.Search(len(p.q), func(i int) bool { return p.q[i].seq >= seq })
	if i < len(p.q) && p.q[i].seq == seq {
		return i
	}
	return -1
}

func (p *agentPool) remove(seq uint64) {
	if i := p.index(seq); i >= 0 {
		copy(p.q[i:], p.q[i+1:])
		p.q[len(p.q)-1] = qent{}
		p.q = p.q[:len(p.q)-1]
	}
}

// addMsg queues a downlink message for the session's next poll. The caller holds the shard lock.
func (s *Server) addMsg(ss *session, src, ctl uint8, text string, agent int32, offline bool) {
	if s.push != nil && s.push.wants(ss.to) { // push mode: delivered now, never queued for poll
		s.push.push(s, ss, &downMsg{ms: s.wallMs(s.now()), text: text, agent: agent, src: src, ctl: ctl, offline: offline})
		return
	}
	if len(ss.pending) >= maxPending {
		copy(ss.pending, ss.pending[1:])
		ss.pending = ss.pending[:len(ss.pending)-1]
	}
	ss.pending = append(ss.pending, downMsg{ms: s.wallMs(s.now()), text: text, agent: agent, src: src, ctl: ctl, offline: offline})
}

// closeLocked ends ss: it leaves the queue or frees its agent. The caller holds
// the shard lock and must call dispatch after releasing it when freed is true.
func (s *Server) closeLocked(ss *session, now int64) (freed bool) {
	switch ss.state {
	case stClosed:
		return false
	case stQueued:
		s.agents.mu.Lock()
		s.agents.remove(ss.qseq)
		s.agents.mu.Unlock()
		s.cnt.queued.Add(-1)
	case stAgent:
		s.agents.mu.Lock()
		s.agents.free = append(s.agents.free, ss.agent)
		s.agents.mu.Unlock()
		s.cnt.withAgent.Add(-1)
		freed = true
	}
	ss.state = stClosed
	ss.since = now
	s.cnt.open.Add(-1)
	return freed
}

// cleanupAfter is how long a closed session is kept for its last messages to be polled.
func (s *Server) cleanupAfter() int64 {
	if s.opts.SessionTimeout > 0 {
		return int64(s.opts.SessionTimeout)
	}
	return int64(time.Minute)
}

// sendLogic applies one valid send request to the customer's session and
// returns the resultCode: "0", "12" (TRANS2AGENT with no agents working) or "13"
// (CHAT, INPUT, READ or TRANS2AGENT without an open session; TRANS2AGENT while
// already with an agent). CONNECT on an open session and DISCONNECT without one
// answer "0": both are idempotent.
func (s *Server) sendLogic(req *ccapi.SendMsgReq, now int64) string {
	sh := s.sessions.shard(req.From)
	sh.mu.Lock()
	ss := sh.m[req.From]
	open := ss != nil && ss.state != stClosed
	if open && s.push != nil && s.push.wants(ss.to) {
		ss.lastPoll = now // a pushed customer never polls: its sends are what keep the session alive
	}
	switch req.ControlType {
	case ccapi.Connect:
		if open { // already connected: idempotent
			sh.mu.Unlock()
			return "0"
		}
		var pending []downMsg
		if ss == nil {
			// The request's strings may point into a pooled buffer: the session keeps copies.
			ss = &session{user: strings.Clone(req.From)}
			sh.m[ss.user] = ss
		} else {
			pending = ss.pending[:0]
		}
		*ss = session{
			user:     ss.user,
			channel:  s.strs.get(req.Channel),
			to:       s.strs.get(req.To),
			pending:  pending,
			lastPoll: now,
			since:    now,
			gen:      s.gen.Add(1),
			agent:    -1,
			state:    stRobot,
			chain:    s.opts.SessionTimeout > 0,
		}
		gen, chain := ss.gen, ss.chain
		sh.mu.Unlock()
		s.cnt.open.Add(1)
		if chain {
			s.sched.push(event{at: now + int64(s.opts.SessionTimeout), ss: ss, gen: gen, kind: evTimeout})
		}
		return "0"
	case ccapi.Chat:
		if !open {
			sh.mu.Unlock()
			return "13"
		}
		var ev event
		switch ss.state {
		case stRobot:
			if s.opts.RobotDelay <= 0 {
				s.addMsg(ss, srcRobot, 0, textRobot, -1, false)
			} else {
				ev = event{at: now + int64(s.opts.RobotDelay), ss: ss, gen: ss.gen, kind: evRobotReply}
			}
		case stAgent:
			if s.opts.AgentReplyDelay <= 0 {
				s.addMsg(ss, srcAgent, 0, textAgent, ss.agent, false)
			} else {
				ev = event{at: now + int64(s.opts.AgentReplyDelay), ss: ss, gen: ss.gen, agent: ss.agent, kind: evAgentReply}
			}
		}
		sh.mu.Unlock()
		if ev.kind != 0 {
			s.sched.push(ev)
		}
		return "0"
	case ccapi.Input, ccapi.Read:
		sh.mu.Unlock()
		if !open {
			return "13"
		}
		return "0"
	case ccapi.Trans2Agent:
		if !open || ss.state == stAgent {
			sh.mu.Unlock()
			return "13"
		}
		if s.opts.Agents == 0 {
			sh.mu.Unlock()
			return "12"
		}
		if ss.state == stQueued { // already waiting: idempotent
			sh.mu.Unlock()
			return "0"
		}
		ss.state = stQueued
		ss.since = now
		s.agents.mu.Lock()
		s.agents.seq++
		ss.qseq = s.agents.seq
		s.agents.q = append(s.agents.q, qent{seq: ss.qseq, at: now, ss: ss, gen: ss.gen})
		busy := len(s.agents.free) == 0
		s.agents.mu.Unlock()
		if busy {
			s.addMsg(ss, srcSystem, 0, textQueuing, -1, false)
		}
		s.cnt.queued.Add(1)
		sh.mu.Unlock()
		s.dispatch()
		return "0"
	case ccapi.Disconnect:
		if !open { // idempotent: the session may already have timed out or been ended by its agent
			sh.mu.Unlock()
			return "0"
		}
		freed := s.closeLocked(ss, now)
		startChain := false
		if len(ss.pending) == 0 {
			delete(sh.m, ss.user)
		} else if !ss.chain {
			ss.chain, startChain = true, true
		}
		gen := ss.gen
		sh.mu.Unlock()
		if startChain {
			s.sched.push(event{at: now + s.cleanupAfter(), ss: ss, gen: gen, kind: evTimeout})
		}
		if freed {
			s.dispatch()
		}
		return "0"
	}
	sh.mu.Unlock()
	return "13"
}

// dispatch gives free agents to the customers at the head of the queue, in order.
func (s *Server) dispatch() {
	for range 1 << 20 { // bounded: each round assigns or discards one queue entry
		s.agents.mu.Lock()
		if len(s.agents.free) == 0 || len(s.agents.q) == 0 {
			s.agents.mu.Unlock()
			return
		}
		e := s.agents.q[0]
		s.agents.q[0] = qent{}
		s.agents.q = s.agents.q[1:]
		a := s.agents.free[len(s.agents.free)-1]
		s.agents.free = s.agents.free[:len(s.agents.free)-1]
		s.agents.mu.Unlock()

		now := s.now()
		ss := e.ss
		sh := s.sessions.shard(ss.user)
		sh.mu.Lock()
		if sh.m[ss.user] != ss || ss.gen != e.gen || ss.state != stQueued {
			sh.mu.Unlock()
			s.agents.mu.Lock()
			s.agents.free = append(s.agents.free, a)
			s.agents.mu.Unlock()
			continue
		}
		ss.state = stAgent
		ss.agent = a
		ss.since = now
		s.addMsg(ss, srcSystem, 0, textConnected, a, false)
		gen := ss.gen
		sh.mu.Unlock()
		s.cnt.queued.Add(-1)
		s.cnt.withAgent.Add(1)
		s.sched.push(event{at: now + int64(s.sample(s.opts.HandleTime)), ss: e.ss, gen: gen, agent: a, kind: evAgentLeave})
	}
}

// runEvents is the scheduler's callback: it applies due events in order.
func (s *Server) runEvents(batch []event) {
	for i := range batch {
		e := &batch[i]
		switch e.kind {
		case evPurge:
			now := s.now()
			s.tokens.purge(now - purgeAfter)
			s.sched.push(event{at: now + purgeEvery, kind: evPurge})
			continue
		case evFlush:
			switch err := s.rec.flushNow(); {
			case err == nil:
				s.sched.push(event{at: s.now() + flushEvery, kind: evFlush})
			case !errors.Is(err, errRecordEnded):
				s.logf(recordFailed, err)
			}
			continue
		}
		now := s.now()
		ss := e.ss
		sh := s.sessions.shard(ss.user)
		sh.mu.Lock()
		if sh.m[ss.user] != ss || ss.gen != e.gen {
			sh.mu.Unlock()
			continue
		}
		var next int64
		freed := false
		switch e.kind {
		case evRobotReply:
			if ss.state == stRobot {
				s.addMsg(ss, srcRobot, 0, textRobot, -1, false)
			}
		case evAgentReply:
			if ss.state == stAgent && ss.agent == e.agent {
				s.addMsg(ss, srcAgent, 0, textAgent, e.agent, false)
			}
		case evAgentLeave:
			if ss.state == stAgent && ss.agent == e.agent {
				s.addMsg(ss, srcAgent, 1, textAgentBye, e.agent, false)
				freed = s.closeLocked(ss, now)
				if !ss.chain {
					ss.chain = true
					next = now + s.cleanupAfter()
				}
			}
		case evTimeout:
			switch {
			case ss.state == stClosed:
				if now-ss.since >= s.cleanupAfter() {
					delete(sh.m, ss.user)
				} else {
					next = ss.since + s.cleanupAfter()
				}
			case now-ss.lastPoll >= int64(s.opts.SessionTimeout):
				s.addMsg(ss, srcSystem, 1, textTimeout, -1, true)
				freed = s.closeLocked(ss, now)
				next = now + s.cleanupAfter()
			default:
				next = ss.lastPoll + int64(s.opts.SessionTimeout)
			}
		}
		sh.mu.Unlock()
		if next != 0 {
			s.sched.push(event{at: next, ss: e.ss, gen: e.gen, kind: evTimeout})
		}
		if freed {
			s.dispatch()
		}
	}
}

// Token purging: tokens expired for more than purgeAfter are forgotten (and then answer 401).
// The record file is flushed every flushEvery.
const (
	purgeEvery = int64(time.Minute)
	purgeAfter = int64(10 * time.Minute)
	flushEvery = int64(time.Second)
)

// appendPoll renders the session's pending messages as the poll answer and
// marks the session polled. The messages are rendered under the shard lock, so
// nothing is copied out.
func (s *Server) appendPoll(b []byte, user string, now int64) []byte {
	b = append(b, `{"resultCode":"0","resultDesc":"query user messages success.","downlinkMessages":[`...)
	sh := s.sessions.shard(user)
	sh.mu.Lock()
	if ss := sh.m[user]; ss != nil {
		ss.lastPoll = now
		for i := range ss.pending {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendDownlink(b, ss, user, &ss.pending[i])
		}
		clear(ss.pending)
		ss.pending = ss.pending[:0]
		if ss.state == stClosed {
			delete(sh.m, user)
		}
	}
	sh.mu.Unlock()
	return append(b, "]}"...)
}

func appendDownlink(b []byte, ss *session, user string, m *downMsg) []byte {
	b = append(b, `{"channel":`...)
	b = appendJSONString(b, ss.channel)
	b = append(b, `,"from":`...)
	b = appendJSONString(b, ss.to)
	b = append(b, `,"to":`...)
	b = appendJSONString(b, user)
	if m.ctl == 1 {
		b = append(b, `,"controlType":"DISCONNECT"`...)
	} else {
		b = append(b, `,"controlType":"CHAT"`...)
	}
	b = append(b, `,"mediaType":"TEXT","content":`...)
	b = appendJSONString(b, m.text)
	switch m.src {
	case srcRobot:
		b = append(b, `,"senderNickname":"robot"`...)
	case srcAgent:
		b = append(b, `,"senderNickname":"agent`...)
		b = appendInt(b, int64(m.agent)+1)
		b = append(b, '"')
	}
	b = append(b, `,"sourceType":"`...)
	b = append(b, sourceNames[m.src]...)
	b = append(b, `","timestamp":`...)
	b = appendInt(b, m.ms)
	if m.offline {
		b = append(b, `,"isOfflineStatus":true`...)
	}
	return append(b, '}')
}

// queueInfo answers queryQueueInfo for user at now.
func (s *Server) queueInfo(user string, now int64) ccapi.QueueInfoRsp {
	sh := s.sessions.shard(user)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	ss := sh.m[user]
	if ss == nil || ss.state == stClosed {
		return ccapi.QueueInfoRsp{ResultCode: ccapi.QueueSessionMissing, ResultDesc: "the session is missing or has ended."}
	}
	switch ss.state {
	case stAgent:
		return ccapi.QueueInfoRsp{ResultCode: ccapi.QueueWithAgent, ResultDesc: "the session is already with an agent."}
	case stRobot:
		return ccapi.QueueInfoRsp{ResultCode: ccapi.QueueSessionMissing, ResultDesc: "the session is not queuing for an agent."}
	}
	s.agents.mu.Lock()
	pos := s.agents.index(ss.qseq) + 1
	var longest int64
	if len(s.agents.q) > 0 {
		longest = now - s.agents.q[0].at
	}
	s.agents.mu.Unlock()
	if pos == 0 { // taken off the queue by dispatch a moment ago
		return ccapi.QueueInfoRsp{ResultCode: ccapi.QueueWithAgent, ResultDesc: "the session is already with an agent."}
	}
	waited := int((now - ss.since) / int64(time.Second))
	est := 0
	if s.opts.Agents > 0 {
		est = int((time.Duration(pos) * s.opts.HandleTime.Mean() / time.Duration(s.opts.Agents)).Seconds() + 0.5)
	}
	return ccapi.QueueInfoRsp{
		Position:              pos,
		TotalWaitTime:         waited,
		CurrentDeviceWaitTime: waited,
		ConfigMaxcWaitTime:    60,
		LongestWaitTime:       int(longest / int64(time.Second)),
		EstimateWaitTime:      est,
		ResultCode:            ccapi.QueueQueuing,
		ResultDesc:            "queuing.",
	}
}
