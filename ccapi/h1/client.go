// Package h1 is a minimal HTTP/1.1 client for a load generator's hot path.
//
// It does what a generator needs and nothing else: one request at a time per
// connection, a bounded pool of keep-alive connections that callers wait for
// instead of dialing more (no connection storm when the target slows down),
// Content-Length, chunked and close-delimited responses, per-exchange
// deadlines, context cancellation, and TLS through crypto/tls. Requests and
// responses are caller-owned values that are reused, so a steady-state Do
// allocates nothing.
//
// It is not a general HTTP client: no redirects, cookies, proxies, HTTP/2,
// compression, Expect: 100-continue or request pipelining.
package h1

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultMaxConns         = 256
	DefaultDialTimeout      = 10 * time.Second
	DefaultMaxResponseBytes = 16 << 20
)

// maxInformational bounds the 1xx answers skipped before the final one (as
// fasthttp), so a server cannot hold an exchange with an endless stream of them.
const maxInformational = 100

// DefaultUserAgent is sent when Options.UserAgent is empty, so the target's
// logs can tell the load generator's traffic (and its build) from real users'.
var DefaultUserAgent = "ccload/" + buildVersion()

// buildVersion is the main module's version, or "dev" for a build from a work tree.
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// watchInterval is how often the watch loop looks for exchanges whose ctx was
// cancelled while any is in flight; it bounds how late a cancellation aborts an
// exchange. With none in flight the loop sleeps until one starts.
const watchInterval = 5 * time.Millisecond

// Errors that Do returns, wrapped in an *Error; test with errors.Is.
var (
	ErrClosed         = errors.New("h1: client closed")
	ErrMalformed      = errors.New("h1: malformed response")
	ErrBodyTooLarge   = errors.New("h1: response body too large")
	ErrInvalidRequest = errors.New("h1: invalid request")
)

// Options configures a Client. The zero value of each field means its default.
type Options struct {
	// BaseURL is http://host[:port] or https://host[:port]; any path is ignored.
	BaseURL string
	// Addr is host:port, used for plain HTTP when BaseURL is empty.
	Addr string
	// MaxConns bounds the connections open at once; callers wait for a free one (default 256).
	MaxConns int
	// Timeout bounds one exchange, from writing the request to the last body byte, and, apart, the wait
	// for a free connection (0: only ctx bounds them).
	Timeout time.Duration
	// DialTimeout bounds a dial, TLS handshake included (default 10s).
	DialTimeout time.Duration
	// TLSConfig is used for https (nil: crypto/tls defaults). It is cloned; ALPN is forced to http/1.1.
	TLSConfig *tls.Config
	// MaxResponseBytes bounds a response body so a broken server cannot exhaust memory (default 16 MiB).
	MaxResponseBytes int
	// UserAgent is the User-Agent header of every request that has none of its own (default DefaultUserAgent).
	UserAgent string
	// Dial, when set, opens connections instead of a TCP dial to the address: tests serve a
	// target in memory with it, so a synctest bubble's fake time covers both ends.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Request is one request. Callers build it once and reuse it; Do only reads it.
type Request struct {
	// Method is the request method, e.g. "POST".
	Method string
	// Path is the request target: path and query, e.g. "/apiaccess/ccmessaging/sendAsync".
	Path string
	// Header holds name/value pairs, written in order. Host and Content-Length are added by Do,
	// and User-Agent unless Header has one.
	Header [][2]string
	// Body is sent with a Content-Length; nil sends none (except for POST, PUT and PATCH: 0).
	Body []byte
}

// Response receives one response. Reuse it across calls: Do keeps its buffers,
// so Body and header values are valid until the next Do with the same Response.
// The zero value is ready to use.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Body is the response body; Do truncates it and appends, reusing its capacity.
	Body []byte

	// head holds the response's header lines, each "Name: value\n"; Header
	// scans it (one lookup per call is cheaper than indexing every header,
	// and a Response per virtual customer stays small).
	head []byte
}

// Header returns the value of the first response header named name (ASCII
// case-insensitive), or nil. The slice aliases the Response's buffer: copy it
// to keep it past the next Do.
func (r *Response) Header(name string) []byte {
	h := r.head
	for len(h) > 0 {
		i := bytes.IndexByte(h, '\n')
		line := h[:i]
		h = h[i+1:]
		if colon := bytes.IndexByte(line, ':'); colon == len(name) && equalFoldBS(line[:colon], name) {
			return trimOWS(line[colon+1:])
		}
	}
	return nil
}

// Error is a failed exchange: Op says which stage failed ("dial", "write",
// "read", "wait"), Err why. It unwraps to the cause, so errors.Is finds
// syscall.ECONNREFUSED, syscall.ECONNRESET, io.EOF, io.ErrUnexpectedEOF,
// context.Canceled and the sentinels above; Timeout reports deadline expiry.
type Error struct {
	Op  string
	Err error
	// NotWritten is true when no byte of the request was written to a connection (a wait for
	// a connection, a dial, a refused request, or a write that failed with nothing of it
	// taken): the server cannot have received it. False means it may have.
	NotWritten bool
	// Unanswered is true when the request was written on a reused connection and the
	// exchange failed (a close or reset, not a timeout) before any byte of an answer: a
	// server that closed a keep-alive connection right after its last answer never read it,
	// one that crashed on it did, and no client can tell which.
	Unanswered bool
}

func (e *Error) Error() string { return "h1: " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the cause, for errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// Timeout reports whether the exchange ran out of time (net.Error).
func (e *Error) Timeout() bool {
	var ne net.Error
	return errors.As(e.Err, &ne) && ne.Timeout()
}

// Temporary is false: a load generator records failures, it does not retry them (net.Error).
func (e *Error) Temporary() bool { return false }

var _ net.Error = (*Error)(nil)

// Unanswered reports whether err is an *Error with Unanswered set: a request written on a
// reused connection that the server closed before any byte of an answer.
func Unanswered(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Unanswered
}

// Written reports whether a request whose Do returned err may have reached the server: true
// for nil and for any error but an *Error with NotWritten, so a caller that cannot tell
// assumes the server may have seen it.
func Written(err error) bool {
	var e *Error
	return err == nil || !errors.As(err, &e) || !e.NotWritten
}

// Client sends requests over a bounded pool of keep-alive connections to one
// host. Safe for concurrent use; build it with New and Close it when done.
type Client struct {
	addr         string      // host:port to dial
	host         string      // Host header value
	tlsConf      *tls.Config // nil for plain HTTP
	timeout      time.Duration
	dialTimeout  time.Duration
	dialFn       func(ctx context.Context, network, addr string) (net.Conn, error) // Options.Dial
	maxBody      int
	userAgent    string
	noAliveCheck bool // tests set it to reuse idle connections unchecked

	// idle holds connections that are open and free; slots holds one token
	// per open (or dialing) connection. len(slots) <= MaxConns bounds them.
	idle  chan *conn
	slots chan struct{}

	closed    atomic.Bool
	closeOnce sync.Once
	done      chan struct{} // closed by Close: stops the watch loop
	dials     atomic.Int64
	watched   atomic.Int64  // exchanges in flight with a cancellable ctx
	wake      chan struct{} // cap 1: watched rose from 0, the sleeping watch loop has work
	watchRuns atomic.Int64  // how often the watch loop woke to look (tests: an idle client sleeps)

	connsMu sync.Mutex // guards conns
	conns   []*conn    // every open connection, for the watch loop
}

// New returns a Client for opts, or an error when the address cannot be used.
func New(opts Options) (*Client, error) {
	c := &Client{
		timeout:     opts.Timeout,
		dialTimeout: opts.DialTimeout,
		dialFn:      opts.Dial,
		maxBody:     opts.MaxResponseBytes,
		userAgent:   opts.UserAgent,
		done:        make(chan struct{}),
		wake:        make(chan struct{}, 1),
	}
	if c.dialTimeout <= 0 {
		c.dialTimeout = DefaultDialTimeout
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxResponseBytes
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if !validValue(c.userAgent) {
		return nil, errors.New("h1: UserAgent must not contain CR, LF or NUL")
	}
	n := opts.MaxConns
	if n <= 0 {
		n = DefaultMaxConns
	}
	c.idle = make(chan *conn, n)
	c.slots = make(chan struct{}, n)

	switch {
	case opts.BaseURL != "":
		u, err := url.Parse(opts.BaseURL)
		if err != nil {
			return nil, fmt.Errorf("h1: base URL: %w", err)
		}
		if u.Host == "" {
			return nil, fmt.Errorf("h1: base URL %q has no host", opts.BaseURL)
		}
		port := u.Port()
		switch strings.ToLower(u.Scheme) {
		case "http":
			if port == "" {
				port = "80"
			}
		case "https":
			if port == "" {
				port = "443"
			}
			c.tlsConf = tlsConfig(opts.TLSConfig, u.Hostname())
		default:
			return nil, fmt.Errorf("h1: base URL %q: scheme must be http or https", opts.BaseURL)
		}
		c.host = u.Host
		c.addr = net.JoinHostPort(u.Hostname(), port)
	case opts.Addr != "":
		if _, _, err := net.SplitHostPort(opts.Addr); err != nil {
			return nil, fmt.Errorf("h1: addr: %w", err)
		}
		c.host, c.addr = opts.Addr, opts.Addr
	default:
		return nil, errors.New("h1: BaseURL or Addr is required")
	}
	go c.watchLoop()
	return c, nil
}

// watchLoop aborts exchanges whose ctx was cancelled (see conn.watch), until Close.
// It looks every watchInterval while exchanges are in flight and sleeps on c.wake
// while there are none, so an idle client (the mock's pusher between bursts) costs
// no CPU.
func (c *Client) watchLoop() {
	t := time.NewTicker(watchInterval)
	defer t.Stop()
	for {
		if c.watched.Load() == 0 {
			select {
			case <-c.done:
				return
			case <-c.wake:
			}
			t.Reset(watchInterval)
			continue
		}
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		c.watchRuns.Add(1)
		c.connsMu.Lock()
		for _, cn := range c.conns {
			cn.abortIfCancelled()
		}
		c.connsMu.Unlock()
	}
}

// tlsConfig clones base for one server name, pinned to HTTP/1.1.
func tlsConfig(base *tls.Config, serverName string) *tls.Config {
	var t *tls.Config
	if base != nil {
		t = base.Clone()
	} else {
		t = &tls.Config{}
	}
	if t.ServerName == "" {
		t.ServerName = serverName
	}
	t.NextProtos = []string{"http/1.1"}
	return t
}

// Dials returns how many connections the client has opened, so tests and
// benchmarks can check that connections are reused.
func (c *Client) Dials() int64 { return c.dials.Load() }

// Close closes idle connections and makes later Do calls fail with ErrClosed.
// Exchanges in flight finish, bounded by their Timeout and ctx deadline (a
// cancellation after Close is no longer watched); their connections are
// closed when released.
func (c *Client) Close() {
	c.closed.Store(true)
	c.closeOnce.Do(func() { close(c.done) })
	c.drainIdle()
}

func (c *Client) drainIdle() {
	for {
		select {
		case cn := <-c.idle:
			c.discard(cn)
		default:
			return
		}
	}
}

// Do sends req and reads the answer into resp. It returns an *Error when no
// complete response arrived; an HTTP error status is not an error. ctx bounds
// the wait for a connection and the exchange: cancelling it aborts the
// exchange and closes its connection.
//
// A request is retried once, on a new connection, only when a reused
// connection failed before any byte of it was written, or, for an idempotent
// method (GET, HEAD, OPTIONS, TRACE, PUT, DELETE), before any byte of the
// answer arrived (a server that closed the idle connection as the request
// left). Any other request that may have reached the server is never sent
// twice.
func (c *Client) Do(ctx context.Context, req *Request, resp *Response) error {
	if c.closed.Load() {
		return &Error{Op: "wait", Err: ErrClosed, NotWritten: true}
	}
	if err := ctx.Err(); err != nil {
		return &Error{Op: "wait", Err: err, NotWritten: true}
	}
	now := time.Now()
	ctxDeadline, hasCtxDeadline := ctx.Deadline()
	if hasCtxDeadline && !now.Before(ctxDeadline) {
		// ctx's timer has not fired yet, but its time is up: do not start.
		return &Error{Op: "wait", Err: context.DeadlineExceeded, NotWritten: true}
	}
	for attempt := 0; ; attempt++ {
		cn, waited, err := c.acquire(ctx, now)
		if err != nil {
			return err
		}
		if waited {
			now = time.Now() // Timeout runs from the write, not from the wait
		}
		if err := cn.check(req); err != nil {
			c.release(cn) // nothing was written: the connection is as good as before
			return err
		}
		err = cn.roundTrip(ctx, now, req, resp)
		if err == nil {
			if cn.closeAfter {
				c.discard(cn)
			} else {
				c.release(cn)
			}
			return nil
		}
		c.discard(cn)
		if err == errStale && ctx.Err() == nil {
			attempt-- // an idle connection found closed before the write: take another, as acquire does
			continue
		}
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Op: "read", Err: err}
		}
		notWritten := errors.Is(err, errNotWritten)
		if ctxErr := ctx.Err(); ctxErr != nil {
			// The exchange was aborted by ctx (or failed as ctx ended): say so.
			return &Error{Op: e.Op, Err: ctxErr, NotWritten: notWritten}
		}
		if cn.ctxDeadline && e.Timeout() {
			// ctx's deadline, set on the connection, fired before ctx's own timer.
			return &Error{Op: e.Op, Err: context.DeadlineExceeded, NotWritten: notWritten}
		}
		if attempt == 0 && cn.reused && (notWritten || cn.noAnswer && idempotent(req.Method)) {
			continue
		}
		e.NotWritten = notWritten
		e.Unanswered = !notWritten && cn.reused && cn.noAnswer
		return e
	}
}

// idempotent reports whether a request with this method may be sent twice (RFC 9110 9.2.2).
func idempotent(method string) bool {
	switch method {
	case "", "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return true
	}
	return false
}

// acquire returns a free connection, dialing one when fewer than MaxConns are
// open, or waits for one to be released; waited says whether it blocked. The
// wait is bounded by ctx and by Timeout: a caller that relies on Timeout
// alone must not wait forever behind a stalled pool.
func (c *Client) acquire(ctx context.Context, now time.Time) (cn *conn, waited bool, err error) {
	var timeout <-chan time.Time // set when the wait begins
	for {
		// Prefer an open connection to dialing a new one.
		select {
		case cn := <-c.idle:
			if cn.alive() {
				return cn, waited, nil
			}
			c.discard(cn)
			continue
		default:
		}
		waited = true
		select {
		case c.slots <- struct{}{}:
			return c.dialSlot(ctx, waited)
		default:
		}
		if timeout == nil && c.timeout > 0 {
			t := time.NewTimer(c.timeout)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case cn := <-c.idle:
			if cn.alive() {
				return cn, waited, nil
			}
			c.discard(cn)
		case c.slots <- struct{}{}:
			return c.dialSlot(ctx, waited)
		case <-ctx.Done():
			return nil, waited, &Error{Op: "wait", Err: ctx.Err(), NotWritten: true}
		case <-timeout:
			return nil, waited, &Error{Op: "wait", Err: fmt.Errorf("%w: no free connection within Timeout %v (MaxConns %d)",
				os.ErrDeadlineExceeded, c.timeout, cap(c.slots)), NotWritten: true}
		}
	}
}

// dialSlot dials a connection for the slot just taken, freeing it on failure.
func (c *Client) dialSlot(ctx context.Context, waited bool) (*conn, bool, error) {
	cn, err := c.dial(ctx)
	if err != nil {
		<-c.slots
		return nil, waited, err
	}
	return cn, waited, nil
}

// release returns a healthy connection to the pool.
func (c *Client) release(cn *conn) {
	cn.reused = true
	c.idle <- cn // never blocks: at most cap(idle) connections exist
	if c.closed.Load() {
		c.drainIdle()
	}
}

// discard closes a connection and frees its slot.
func (c *Client) discard(cn *conn) {
	c.connsMu.Lock()
	last := c.conns[len(c.conns)-1]
	c.conns[cn.slot], last.slot = last, cn.slot
	c.conns[len(c.conns)-1] = nil
	c.conns = c.conns[:len(c.conns)-1]
	c.connsMu.Unlock()
	cn.close()
	<-c.slots
}

func (c *Client) dial(ctx context.Context) (*conn, error) {
	if c.closed.Load() {
		return nil, &Error{Op: "dial", Err: ErrClosed, NotWritten: true}
	}
	dial := c.dialFn
	if dial == nil {
		d := net.Dialer{Timeout: c.dialTimeout}
		dial = d.DialContext
	}
	nc, err := dial(ctx, "tcp", c.addr)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return nil, &Error{Op: "dial", Err: err, NotWritten: true}
	}
	c.dials.Add(1)
	cn := newConn(c, nc)
	if c.tlsConf != nil {
		tc := tls.Client(nc, c.tlsConf)
		hctx, cancel := context.WithTimeout(ctx, c.dialTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			nc.Close()
			if ctxErr := ctx.Err(); ctxErr != nil {
				err = ctxErr
			}
			return nil, &Error{Op: "dial", Err: err, NotWritten: true}
		}
		cn.setTLS(tc)
	}
	c.connsMu.Lock()
	cn.slot = len(c.conns)
	c.conns = append(c.conns, cn)
	c.connsMu.Unlock()
	return cn, nil
}
