package mock

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/maphash"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ccload/ccapi/h1"
)

// Push delivery (Options.PushURL): instead of queueing a downlink message for the customer's
// next poll, the mock POSTs it at once to the webhook, one message per callback, as
// {"messages":[<downlink message>],"timestamp":<ms>} with an
// `Authorization: auth-v2/{accessKey}/{timestamp}/{SignedHeaders}/{signature}` header (the
// platform's signing algorithm is not published: the mock's signature is an HMAC-SHA256 of the
// body under its own key, well-formed but not the platform's).
//
// Messages are spread over PushWorkers lanes by the customer's user id, so one customer's
// messages arrive in the order the mock made them (a reply before the agent's DISCONNECT). A
// delivery that fails (a transport error, or an answer that is not 2xx) is retried on its lane
// after 100 ms, 200 ms, 400 ms, 800 ms and 1.6 s (PushBackoff doubling, PushAttempts = 6 in all),
// then counted failed and dropped. A lane holds at most pushLaneCap messages waiting; beyond, a
// message is counted dropped. Every message made ends in exactly one of delivered, failed,
// dropped, or pending (still queued when the mock closed). POST /mock/reset zeroes these
// counters but pending (a gauge), whose messages count as made after the reset.

// Push delivery defaults.
const (
	PushWorkers  = 64
	PushAttempts = 6
	PushBackoff  = 100 * time.Millisecond
	pushLaneCap  = 1 << 16
)

// PushStats is /mock/stats' `push` section: what the mock pushed to Options.PushURL.
type PushStats struct {
	// Made counts the messages the mock made for pushing, by sourceType (robot, agent, system).
	Made map[string]int64 `json:"made"`
	// Delivered counts the messages whose callback was answered 2xx, by sourceType.
	Delivered map[string]int64 `json:"delivered"`
	// Attempts counts every callback sent (first tries and retries); Retries the second and
	// later tries; Failed the messages given up after PushAttempts; Dropped those refused
	// because their lane was full; Pending those still queued.
	Attempts int64 `json:"attempts"`
	Retries  int64 `json:"retries"`
	Failed   int64 `json:"failed"`
	Dropped  int64 `json:"dropped"`
	Pending  int64 `json:"pending"`
}

// pushMsg is one rendered callback waiting on its lane.
type pushMsg struct {
	body []byte
	src  uint8
}

// pushLane is one ordered delivery lane. mu guards q; the rest belongs to the lane's
// goroutine, which reuses its request, response, HMAC and header buffer for every callback
// (the push path allocates nothing per callback but the body and the header string).
type pushLane struct {
	mu   sync.Mutex
	cond *sync.Cond
	q    []pushMsg

	req  h1.Request
	rsp  h1.Response
	mac  hash.Hash
	sum  [sha256.Size]byte
	auth []byte
}

// pusher delivers the mock's downlink messages to the webhook.
type pusher struct {
	url     string
	key     string
	client  *h1.Client // keep-alive HTTP/1.1, one connection per lane at most (ccapi/h1: no per-request goroutines or allocations)
	path    string     // the request target of url
	seed    maphash.Seed
	lanes   [PushWorkers]pushLane
	quit    chan struct{}
	ctx     context.Context // cancelled by close: a delivery in flight ends at once
	cancel  context.CancelFunc
	closed  atomic.Bool
	wg      sync.WaitGroup
	backoff time.Duration
	// channels are the channel configuration IDs whose sessions are pushed (nil: all).
	channels map[string]bool

	made, delivered                    [len(sourceNames)]atomic.Int64
	attempts, retries, failed, dropped atomic.Int64
	pending                            atomic.Int64
	// pendingSrc is pending by sourceType, so a reset can count the messages still waiting as
	// made after it (see reset).
	pendingSrc [len(sourceNames)]atomic.Int64
}

// newPusher starts the lanes for pushURL, which checkPushURL has accepted.
func newPusher(pushURL string, backoff time.Duration, channels []string, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *pusher {
	if backoff <= 0 {
		backoff = PushBackoff
	}
	u, client, err := pushClient(pushURL, dial)
	if err != nil {
		panic(err) // checkPushURL refuses every URL pushClient cannot take
	}
	p := &pusher{
		url: pushURL, key: "ccload-mock", seed: maphash.MakeSeed(), quit: make(chan struct{}), backoff: backoff,
		client: client, path: u.RequestURI(),
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	if len(channels) > 0 {
		p.channels = map[string]bool{}
		for _, c := range channels {
			p.channels[c] = true
		}
	}
	for i := range p.lanes {
		l := &p.lanes[i]
		l.cond = sync.NewCond(&l.mu)
		l.mac = hmac.New(sha256.New, []byte(p.key))
		l.req = h1.Request{Method: http.MethodPost, Path: p.path,
			Header: [][2]string{{"Content-Type", "application/json"}, {"Authorization", ""}}}
		p.wg.Add(1)
		go p.run(l)
	}
	return p
}

// pushClient parses an absolute http(s) push URL and makes its client (dial: Options.PushDial).
func pushClient(pushURL string, dial func(ctx context.Context, network, addr string) (net.Conn, error)) (*url.URL, *h1.Client, error) {
	u, err := url.Parse(pushURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, nil, fmt.Errorf("mock: push URL %q: want an absolute http:// or https:// URL, like http://127.0.0.1:9090/webhooks/v1/messages", pushURL)
	}
	c, err := h1.New(h1.Options{BaseURL: u.Scheme + "://" + u.Host, MaxConns: PushWorkers, Timeout: 10 * time.Second,
		MaxResponseBytes: 64 << 10, UserAgent: "ccload-mock", Dial: dial})
	if err != nil {
		return nil, nil, fmt.Errorf("mock: push URL %q: %v", pushURL, strings.TrimPrefix(err.Error(), "h1: "))
	}
	return u, c, nil
}

// wants says whether the sessions of channel configuration to are pushed.
func (p *pusher) wants(to string) bool { return p.channels == nil || p.channels[to] }

// push renders m of ss as a callback and queues it on the customer's lane. It is called under
// the session's shard lock, so it never blocks.
func (p *pusher) push(s *Server, ss *session, m *downMsg) {
	p.made[m.src].Add(1)
	b := make([]byte, 0, 320)
	b = append(b, `{"messages":[`...)
	b = appendDownlink(b, ss, ss.user, m)
	b = append(b, `],"timestamp":`...)
	b = appendInt(b, m.ms)
	b = append(b, '}')
	l := &p.lanes[maphash.String(p.seed, ss.user)%PushWorkers]
	l.mu.Lock()
	if len(l.q) >= pushLaneCap || p.closed.Load() {
		l.mu.Unlock()
		p.dropped.Add(1)
		return
	}
	l.q = append(l.q, pushMsg{body: b, src: m.src})
	p.pendingSrc[m.src].Add(1)
	p.pending.Add(1)
	l.mu.Unlock()
	l.cond.Signal()
}

func (p *pusher) run(l *pushLane) {
	defer p.wg.Done()
	for {
		l.mu.Lock()
		for len(l.q) == 0 && !p.closed.Load() {
			l.cond.Wait()
		}
		if p.closed.Load() {
			l.mu.Unlock()
			return
		}
		m := l.q[0]
		l.q[0] = pushMsg{}
		l.q = l.q[1:]
		l.mu.Unlock()
		p.deliver(l, m)
		p.pendingSrc[m.src].Add(-1)
		p.pending.Add(-1)
	}
}

// deliver sends one callback, retrying with a doubling backoff.
func (p *pusher) deliver(l *pushLane, m pushMsg) {
	wait := p.backoff
	for try := 1; try <= PushAttempts; try++ {
		if try > 1 {
			p.retries.Add(1)
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-p.quit:
				t.Stop()
				p.failed.Add(1)
				return
			}
			wait *= 2
		}
		p.attempts.Add(1)
		if p.post(l, m.body) {
			p.delivered[m.src].Add(1)
			return
		}
	}
	p.failed.Add(1)
}

// post sends one callback on the lane's keep-alive connection; the answer's body is read
// (up to 64 KiB) so the connection is reused.
func (p *pusher) post(l *pushLane, body []byte) bool {
	l.req.Body = body
	l.req.Header[1][1] = p.auth(l, body)
	if err := p.client.Do(p.ctx, &l.req, &l.rsp); err != nil {
		return false
	}
	return l.rsp.Status >= 200 && l.rsp.Status < 300
}

// auth is the callback's Authorization header: the reference's auth-v2 form with a signature
// of the mock's own making (an HMAC-SHA256 of the timestamp and the body).
func (p *pusher) auth(l *pushLane, body []byte) string {
	b := append(l.auth[:0], "auth-v2/"...)
	b = append(b, p.key...)
	b = append(b, '/')
	tsAt := len(b)
	b = strconv.AppendInt(b, time.Now().UnixMilli(), 10)
	l.mac.Reset()
	l.mac.Write(b[tsAt:])
	l.mac.Write(body)
	b = append(b, "/content-type;host/"...)
	b = hex.AppendEncode(b, l.mac.Sum(l.sum[:0]))
	l.auth = b
	return string(b)
}

// close stops the lanes: messages still queued stay counted as pending.
func (p *pusher) close() {
	if p.closed.Swap(true) {
		return
	}
	close(p.quit)
	p.cancel()
	for i := range p.lanes {
		l := &p.lanes[i]
		l.mu.Lock()
		l.cond.Broadcast()
		l.mu.Unlock()
	}
	p.wg.Wait()
	p.client.Close()
}

// reset zeroes the push counters (POST /mock/reset). Pending is a gauge and stays; the messages
// it counts are counted made again, so that made = delivered + failed + dropped + pending
// holds after a reset as before it (exactly when no message is made or settled during the
// reset itself).
func (p *pusher) reset() {
	for i := range p.made {
		p.made[i].Store(p.pendingSrc[i].Load())
		p.delivered[i].Store(0)
	}
	p.attempts.Store(0)
	p.retries.Store(0)
	p.failed.Store(0)
	p.dropped.Store(0)
}

func (p *pusher) stats() *PushStats {
	st := &PushStats{Made: map[string]int64{}, Delivered: map[string]int64{},
		Attempts: p.attempts.Load(), Retries: p.retries.Load(), Failed: p.failed.Load(),
		Dropped: p.dropped.Load(), Pending: p.pending.Load()}
	for i, n := range sourceNames {
		st.Made[lower(n)] = p.made[i].Load()
		st.Delivered[lower(n)] = p.delivered[i].Load()
	}
	return st
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// PushIdle reports whether every message the mock made has been delivered, failed or dropped
// (none waits on a lane or in a retry): tests wait for it before comparing counts.
func (s *Server) PushIdle() bool { return s.push == nil || s.push.pending.Load() == 0 }

// checkPushURL checks Options.PushURL: empty, or an absolute http(s) URL.
func checkPushURL(u string) error {
	if u == "" {
		return nil
	}
	_, c, err := pushClient(u, nil)
	if err != nil {
		return err
	}
	c.Close()
	return nil
}
