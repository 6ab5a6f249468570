package runner

import (
	"hash/maphash"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"ccload/ccapi"
	"ccload/report"
	"ccload/scenario"
	"ccload/webhook"
)

// Push mode (a session with `delivery: push`): the platform POSTs each customer's downlink
// messages to ccload's webhook receiver (package webhook) instead of the customer polling. The
// receiver's goroutines route every message by its `to` (the customer's user id) through the
// run's pushRegistry to the customer's pushBox, a small mailbox; the customer's program takes
// one pushed message at a time as if it were a poll's answer (customer.delivered), at the push's
// receipt time, so reply latency and time to agent are measured from the push itself.
//
// Concurrency: a box is written by receiver goroutines and read by whichever worker runs its
// customer; its mutex guards both. Waking a parked customer early goes through the scheduler's
// lock (scheduler.wake): the receiver marks the box waiting first and then looks for the
// customer in the heap, while park checks the mark under the same lock before it sleeps, so a
// push that lands between "nothing waiting" and "parked" is never slept through. A spurious
// wake-up is harmless: the program asks to wait again.

// pushQueueCap bounds the pushed messages a box holds for its customer; beyond, the oldest
// waiting is dropped (matched when it came, then lost to the customer, like a platform's own
// bounded downlink queue), and counted: report.json push.messages.overflowed.
const pushQueueCap = 64

// pushDupRing is how many recent messages a box remembers to tell a platform retry (the same
// message again) from a new one.
const pushDupRing = 16

// pushBox is one push-mode session's mailbox.
type pushBox struct {
	c       *vc
	waiting atomic.Bool // q is not empty: park must not sleep
	mu      sync.Mutex  // guards q, seen, ended
	q       []result    // digested pushes, oldest first, each stamped with its receipt time
	seen    [pushDupRing]uint64
	nseen   int
	ended   bool
}

// pushRegistry maps user ids to boxes; an ended session's id maps to nil (a tombstone), so a
// push for it counts late, not unknown.
type pushRegistry struct {
	seed   maphash.Seed
	shards [64]struct {
		mu sync.Mutex
		m  map[string]*pushBox
		_  [40]byte
	}
}

func newPushRegistry() *pushRegistry {
	g := &pushRegistry{seed: maphash.MakeSeed()}
	for i := range g.shards {
		g.shards[i].m = map[string]*pushBox{}
	}
	return g
}

// pushReceiver is the run's receiver and registry (nil on a run without push sessions).
type pushReceiver struct {
	srv *webhook.Server
	reg *pushRegistry
	url string // the callback URL, as printed (WebhookURL)
}

// UsesPush says whether a run of sc starts a webhook receiver.
func UsesPush(sc *scenario.Scenario) bool { return sc.UsesPush() }

// ListenWebhook opens the receiver's listener for sc (listen overrides webhook.listen), before
// the run, so the embedded mock can be told its URL; pass it as Config.WebhookListener.
func ListenWebhook(sc *scenario.Scenario, listen string) (net.Listener, error) {
	if listen == "" {
		listen = sc.Webhook.Listen
	}
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	ln, err := webhook.Listen(listen)
	if err != nil {
		return nil, err
	}
	if host, _, err := net.SplitHostPort(listen); err == nil && host != "" && net.ParseIP(host) == nil {
		return &namedListener{Listener: ln, host: host}, nil
	}
	return ln, nil
}

// namedListener is a receiver's listener opened on a host name (a shard's stable DNS name in a
// cluster, deploy/README.md): the callback URL keeps the name, which the platform can reach
// for the whole run, rather than the address it resolved to.
type namedListener struct {
	net.Listener
	host string
}

// WebhookURL is the callback URL of a receiver listening on ln for sc: http://HOST:PORT/PATH,
// HOST being the name it was asked to listen on, if a name, else the address it listens on.
func WebhookURL(sc *scenario.Scenario, ln net.Listener) string {
	path := sc.Webhook.Path
	if path == "" {
		path = scenario.DefaultWebhookPath
	}
	addr := ln.Addr().String()
	if nl, ok := ln.(*namedListener); ok {
		if _, port, err := net.SplitHostPort(addr); err == nil {
			addr = net.JoinHostPort(nl.host, port)
		}
	}
	return "http://" + addr + path
}

// startPush starts the run's receiver when the scenario has push sessions.
func (r *run) startPush() error {
	if !r.sc.UsesPush() {
		return nil
	}
	ln := r.cfg.WebhookListener
	if ln == nil {
		var err error
		if ln, err = ListenWebhook(r.sc, r.cfg.WebhookListen); err != nil {
			return err
		}
	}
	w := r.sc.Webhook
	fault := webhook.Fault500
	if w.Fault == "stall" {
		fault = webhook.FaultStall
	}
	p := &pushReceiver{reg: newPushRegistry()}
	srv, err := webhook.New(webhook.Options{Path: w.Path, MaxBody: w.MaxBody, FaultRate: w.FaultRate, Fault: fault,
		StallFor: w.StallFor, Router: webhook.RouterFunc(func(m *ccapi.DownlinkMessage, t time.Time) webhook.Outcome {
			return r.routePush(m, t)
		})})
	if err != nil {
		ln.Close()
		return err
	}
	srv.Serve(ln)
	p.srv, p.url = srv, WebhookURL(r.sc, ln)
	r.push = p
	if reg, ok := r.cfg.Observer.(pushObserver); ok { // the live /metrics exporter
		shard := "0/1"
		if r.cfg.Shard.N > 0 {
			shard = r.cfg.Shard.String()
		}
		reg.RegisterPush(shard, srv.Counts)
	}
	return nil
}

// pushObserver is an Observer that also exports the receiver's counts (metrics.Exporter).
type pushObserver interface {
	RegisterPush(shard string, counts func() webhook.Counts)
}

// stopPush closes the receiver and puts its counts in the report.
func (r *run) stopPush(rep *report.Report) {
	if r.push == nil {
		return
	}
	r.push.srv.Close()
	rep.Push = pushFromCounts(r.push.srv.Counts(), r.push.url)
}

// routePush is the receiver's Router: it hands m to its customer's box.
func (r *run) routePush(m *ccapi.DownlinkMessage, t time.Time) webhook.Outcome {
	g := r.push.reg
	sh := &g.shards[maphash.String(g.seed, m.To)%uint64(len(g.shards))]
	sh.mu.Lock()
	b, known := sh.m[m.To]
	sh.mu.Unlock()
	switch {
	case !known:
		return webhook.Unknown
	case b == nil:
		return webhook.Late
	}
	fp := fingerprint(m)
	res := result{ok: true, end: int64(t.Sub(r.t0))}
	digest([]ccapi.DownlinkMessage{*m}, &res)
	b.mu.Lock()
	if b.ended {
		b.mu.Unlock()
		return webhook.Late
	}
	for i := range min(b.nseen, pushDupRing) {
		if b.seen[i] == fp {
			b.mu.Unlock()
			return webhook.Duplicated
		}
	}
	b.seen[b.nseen%pushDupRing] = fp
	b.nseen++
	if !(res.robot || res.agent || res.joined || res.ended) {
		b.mu.Unlock()
		return webhook.Matched // nothing a customer reacts to (Queuing..., READ)
	}
	if len(b.q) >= pushQueueCap {
		copy(b.q, b.q[1:])
		b.q = b.q[:len(b.q)-1]
		r.push.srv.Overflowed()
	}
	b.q = append(b.q, res)
	b.waiting.Store(true)
	c := b.c
	b.mu.Unlock()
	r.sched.wake(c)
	return webhook.Matched
}

// fingerprint identifies a message for duplicate detection: the platform's retry repeats it
// byte for byte, and two distinct messages to one customer differ in timestamp or content.
func fingerprint(m *ccapi.DownlinkMessage) uint64 {
	var h maphash.Hash
	h.SetSeed(fpSeed)
	h.WriteString(string(m.SourceType))
	h.WriteByte(0)
	h.WriteString(string(m.ControlType))
	h.WriteByte(0)
	h.WriteString(m.Content)
	h.WriteByte(0)
	h.WriteString(m.MessageCode)
	var ts [8]byte
	for i := range ts {
		ts[i] = byte(m.Timestamp >> (8 * i))
	}
	h.Write(ts[:])
	return h.Sum64()
}

var fpSeed = maphash.MakeSeed()

// pushBegin registers a push session's customer under its user id (prepare calls it once the
// id is rendered); a poll session drops any box of the customer's previous session.
func (c *vc) pushBegin() {
	c.push = nil
	r := c.r
	if r.push == nil || !c.sess.Push {
		return
	}
	b := &pushBox{c: c}
	g := r.push.reg
	sh := &g.shards[maphash.String(g.seed, c.env.UserID)%uint64(len(g.shards))]
	sh.mu.Lock()
	sh.m[c.env.UserID] = b
	sh.mu.Unlock()
	c.push = b
}

// pushEnd marks the session over: later pushes for it count late.
func (c *vc) pushEnd() {
	b := c.push
	if b == nil {
		return
	}
	b.mu.Lock()
	b.ended = true
	b.q = nil
	b.waiting.Store(false)
	b.mu.Unlock()
	g := c.r.push.reg
	sh := &g.shards[maphash.String(g.seed, c.env.UserID)%uint64(len(g.shards))]
	sh.mu.Lock()
	if sh.m[c.env.UserID] == b {
		sh.m[c.env.UserID] = nil
	}
	sh.mu.Unlock()
}

// takePush hands the customer the oldest pushed message waiting, as the answer of a poll
// (customer.delivered), when it asked for nothing else; otherwise res is returned unchanged.
func (c *vc) takePush(res result) result {
	b := c.push
	if b == nil || c.m.ex != exNone || !b.waiting.Load() {
		return res
	}
	b.mu.Lock()
	if len(b.q) == 0 {
		b.mu.Unlock()
		return res
	}
	res = b.q[0]
	copy(b.q, b.q[1:])
	b.q = b.q[:len(b.q)-1]
	b.waiting.Store(len(b.q) > 0)
	b.mu.Unlock()
	c.m.delivered()
	return res
}

// pushWaiting says whether a parked customer must not sleep: a pushed message waits for it.
func (c *vc) pushWaiting() bool { return c.push != nil && c.push.waiting.Load() }

// wake brings a parked customer's wake-up forward to now (a push arrived for it). A customer
// not in the heap (running, or on its way to a worker) is left alone: it takes the push before
// it parks again (park checks pushWaiting under the same lock).
func (s *scheduler) wake(c *vc) {
	s.mu.Lock()
	first := false
	if s.q.contains(c) && !c.pending {
		if now := s.r.now(); c.wakeAt > now {
			s.q.remove(c)
			first = s.enqueue(c, now)
		}
	}
	s.mu.Unlock()
	if first {
		s.kickLoop()
	}
}

// pushFromCounts turns the receiver's counts into the report's section (here, so report stays plain data).
func pushFromCounts(c webhook.Counts, url string) *report.Push {
	return &report.Push{
		URL: url, Callbacks: c.Callbacks, Accepted: c.Accepted, Malformed: c.Malformed, TooLarge: c.TooLarge,
		Faulted: c.Faulted, Stalled: c.Stalled, Abandoned: c.Abandoned, BadAuth: c.BadAuth,
		NotCallbacks: c.WrongMethod + c.NotFound,
		Messages: report.PushMessages{Matched: c.Messages[webhook.Matched], Unknown: c.Messages[webhook.Unknown],
			Duplicated: c.Messages[webhook.Duplicated], Late: c.Messages[webhook.Late], Overflowed: c.Overflowed},
		Kinds: report.PushKinds{Robot: c.Kinds[webhook.KindRobot], Agent: c.Kinds[webhook.KindAgent],
			System: c.Kinds[webhook.KindSystem], Other: c.Kinds[webhook.KindOther]},
	}
}
