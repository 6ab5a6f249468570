package ccapi

// THE TRANSPORT SEAM
//
// The client never touches net/http directly: every HTTP exchange goes through the
// two small interfaces below. A roundTripper is shared by the whole Client (one pool
// of connections to the target); each lane of a Customer (one for its main goroutine,
// one for its poll goroutine) gets its own laneTransport from newLane, so per-exchange
// scratch state (request structs, header maps, body copies) is reused without locks.
//
// To plug in another HTTP client (the lean HTTP/1.1 client of ccapi/h1):
//  1. write a type implementing roundTripper and laneTransport: do sends req.method
//     to req.path (+ "?" + req.query when not empty) with the non-empty headers of
//     req.hdr and req.body, and fills resp (status, body appended to resp.body[:0],
//     newToken only when the ccmessaging-token response header is present and differs
//     from req.hdr.token);
//  2. return errors that errors.Is recognises (context.DeadlineExceeded or a net.Error
//     with Timeout(), syscall.ECONNREFUSED, syscall.ECONNRESET, io.EOF,
//     io.ErrUnexpectedEOF, errBodyTooLarge) so classify maps them to ErrKind;
//  3. on a failure it can prove left nothing of the request on the wire, set resp.unsent
//     (it waited for a connection, its dial failed, the peer had closed, its own check
//     refused it); leave it mayBeSent whenever a byte may have been written;
//  4. select it in newRoundTripper by Config.Transport.
// A transport must not retry a request that may have reached the server: the target's
// count of received requests must equal the number of observed Calls that were written
// (Call.Written; a refused connection is written=false too, but the target's error).

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync/atomic"
	"time"
)

// Transport names accepted in Config.Transport.
const (
	TransportNetHTTP = "nethttp"
)

// maxResponseBytes bounds a response body, so a broken target cannot exhaust memory.
const maxResponseBytes = 16 << 20

// errBodyTooLarge is the error of a response body over maxResponseBytes.
var errBodyTooLarge = errors.New("response body over 16 MiB")

// reqHeaders are the request headers this API uses; empty ones are not sent.
type reqHeaders struct {
	token       string // ccmessaging-token
	appKey      string // x-app-key
	bearer      string // Authorization, "Bearer <AccessToken>"
	contentType string
	tokenExpire string // X-Token-Expire, seconds (tokenByAkSk only)
}

// outReq is one request as a transport sees it. Its strings and body belong to the
// caller and may change once do returns.
type outReq struct {
	method string
	path   string // absolute path, base path included
	query  string // raw query without '?', "" for none
	hdr    reqHeaders
	body   []byte
}

// inResp is what a transport reports of one response.
type inResp struct {
	status   int
	newToken string // a ccmessaging-token response header differing from the one sent
	body     []byte // reused across exchanges
	unsent   unsent // after a failed do: what the transport knows of whether the request was written
	// retryAfter is the Retry-After header of a 429 or 503 answer ("" otherwise, or none).
	retryAfter string
	// unanswered, after a failed do: the request was written on a reused connection and no
	// byte of an answer came before it failed; with a close or reset (KindReset) the target
	// may not have read it (KindUnknownReceipt).
	unanswered bool
}

// unsent says why a transport knows that a failed request never reached the server. The
// zero value, mayBeSent, is the honest default: some of it may have been written.
type unsent uint8

const (
	mayBeSent        unsent = iota
	unsentWait              // it got no connection: it waited for one (every one of MaxConns busy)
	unsentDial              // its connection could not be opened (refused, dial timeout, TLS)
	unsentPeerClosed        // the peer had closed the connection; no byte of it was written
	unsentInvalid           // the transport's own check refused it (a header value with CR or LF)
	unsentClosed            // the transport was closed (the run ended) before it was written
)

// roundTripper is the HTTP client shared by a Client.
type roundTripper interface {
	newLane() laneTransport
	close()
}

// laneTransport runs one exchange at a time for one lane.
type laneTransport interface {
	do(ctx context.Context, req *outReq, resp *inResp) error
}

func newRoundTripper(cfg *Config, base *url.URL) (roundTripper, error) {
	tr := cfg.Transport
	if tr == "" {
		tr = defaultTransport() // transport_h1.go
	}
	switch tr {
	case TransportNetHTTP:
		return newNetHTTP(cfg, base), nil
	case TransportH1: // transport_h1.go
		t, err := newH1(cfg, base)
		if err != nil {
			return nil, err
		}
		return t, nil
	}
	return nil, errors.New("unknown transport " + quoteShort(tr) + " (Config.Transport or $" + TransportEnv + "), want " + TransportNetHTTP + " or " + TransportH1)
}

// ConnGoroutines is how many goroutines the named transport (as Config.Transport; "" for
// the default) keeps for each open connection, so a test bounding a run's goroutines allows
// for them: net/http reads and writes each keep-alive connection on two of its own, h1 runs
// on its callers' goroutines only.
func ConnGoroutines(transport string) int {
	if transport == "" {
		transport = defaultTransport()
	}
	if transport == TransportNetHTTP {
		return 2
	}
	return 0
}

// netHTTP is the net/http transport (Config.Transport "nethttp"): one tuned *http.Transport, HTTP/1.1 only.
type netHTTP struct {
	t       *http.Transport
	base    url.URL       // scheme and host of the target
	ua      string        // the User-Agent header value (Config.UserAgent)
	timeout time.Duration // Config.Timeout: the wait for a connection, and apart, the exchange
}

func newNetHTTP(cfg *Config, base *url.URL) *netHTTP {
	d := &net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}
	t := &http.Transport{
		Proxy:               nil, // a load generator talks to its target, not to $HTTP_PROXY
		DialContext:         d.DialContext,
		MaxConnsPerHost:     cfg.MaxConns,
		MaxIdleConnsPerHost: cfg.MaxConns,
		MaxIdleConns:        cfg.MaxConns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
		// A non-nil empty map disables HTTP/2 over TLS.
		TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{},
		TLSHandshakeTimeout: cfg.Timeout,
	}
	if cfg.Dial != nil {
		t.DialContext = cfg.Dial
	}
	t.TLSClientConfig = tlsConfigOf(cfg)
	return &netHTTP{t: t, base: url.URL{Scheme: base.Scheme, Host: base.Host}, ua: cfg.UserAgent, timeout: cfg.Timeout}
}

// enforcesTimeout reports that netHTTP bounds the wait for a connection and the exchange
// apart, each by Config.Timeout, as h1 does. One deadline over both (the client's
// context.WithTimeout) let a request that waited for a connection be cut after it was
// written, and SendRetry then sent a DISCONNECT the target had already received again.
func (n *netHTTP) enforcesTimeout() bool { return true }

func (n *netHTTP) newLane() laneTransport {
	l := &nhLane{n: n, hdr: make(http.Header, 6)}
	if n.ua != "" {
		l.hdr[keyUserAgent] = []string{n.ua} // net/http would send its own "Go-http-client/1.1" otherwise
	}
	l.getBody = l.copyBody
	return l
}

func (n *netHTTP) close() { n.t.CloseIdleConnections() }

// nhLane keeps one lane's net/http request, URL, header map and body reader for reuse.
type nhLane struct {
	n    *netHTTP
	u    url.URL
	hdr  http.Header
	tmpl http.Request
	rb   *reqBody
	// getBody is copyBody, bound once. With it net/http may resend a POST whose first
	// attempt failed on a stale keep-alive connection before a byte was written (the
	// target never saw it); it never resends one that may have reached the target.
	getBody func() (io.ReadCloser, error)
}

// copyBody returns a copy of the current body, for net/http's resend of an unwritten request.
func (l *nhLane) copyBody() (io.ReadCloser, error) {
	return &reqBody{buf: append([]byte(nil), l.rb.buf...), inUse: true}, nil
}

// reqBody is a reusable request body. net/http may still read it after RoundTrip
// returns (a server may answer before reading the whole body) and says so by calling
// Close; until then the lane does not touch it and uses a fresh one instead.
type reqBody struct {
	buf    []byte
	off    int
	inUse  bool
	closed atomic.Bool
}

func (b *reqBody) Read(p []byte) (int, error) {
	if b.off >= len(b.buf) {
		return 0, io.EOF
	}
	n := copy(p, b.buf[b.off:])
	b.off += n
	return n, nil
}

func (b *reqBody) Close() error {
	b.closed.Store(true)
	return nil
}

// Canonical header keys, so the map is indexed without canonicalising per call.
const (
	keyToken       = "Ccmessaging-Token"
	keyAppKey      = "X-App-Key"
	keyAuth        = "Authorization"
	keyContentType = "Content-Type"
	keyTokenExpire = "X-Token-Expire"
	keyUserAgent   = "User-Agent"
)

func setHeader(h http.Header, k, v string) {
	if v == "" {
		delete(h, k)
		return
	}
	if s := h[k]; len(s) == 1 {
		s[0] = v
		return
	}
	h[k] = []string{v}
}

func (l *nhLane) do(ctx context.Context, req *outReq, resp *inResp) error {
	l.u = l.n.base
	l.u.Path = req.path
	l.u.RawQuery = req.query
	setHeader(l.hdr, keyToken, req.hdr.token)
	setHeader(l.hdr, keyAppKey, req.hdr.appKey)
	setHeader(l.hdr, keyAuth, req.hdr.bearer)
	setHeader(l.hdr, keyContentType, req.hdr.contentType)
	setHeader(l.hdr, keyTokenExpire, req.hdr.tokenExpire)

	t := &l.tmpl
	t.Method = req.method
	t.URL = &l.u
	t.Proto, t.ProtoMajor, t.ProtoMinor = "HTTP/1.1", 1, 1
	t.Header = l.hdr
	t.Host = l.u.Host
	t.Body, t.ContentLength, t.GetBody = nil, 0, nil
	if len(req.body) > 0 {
		rb := l.rb
		if rb == nil || (rb.inUse && !rb.closed.Load()) {
			rb = &reqBody{buf: make([]byte, 0, len(req.body))}
			l.rb = rb
		}
		rb.buf = append(rb.buf[:0], req.body...)
		rb.off, rb.inUse = 0, true
		rb.closed.Store(false)
		t.Body, t.ContentLength, t.GetBody = rb, int64(len(req.body)), l.getBody
	}
	// net/http says when a request got its connection (GotConn) and when a dial for it began
	// (ConnectStart): before GotConn nothing of it was written. After it, whether any byte
	// left is not known (net/http resends on its own a request it knows it did not write to
	// a stale connection), so the request may have reached the target.
	// Timeout runs first over the wait for a connection, then again from GotConn over the
	// exchange, the body included; its expiry cancels the request with errNHTimeout.
	tctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	tr := &nhTrace{timeout: l.n.timeout}
	tr.timer = time.AfterFunc(l.n.timeout, func() { cancel(errNHTimeout) })
	defer tr.timer.Stop()
	res, err := l.n.t.RoundTrip(t.WithContext(httptrace.WithClientTrace(tctx, tr.trace())))
	if err != nil {
		resp.unsent = tr.unsent()
		resp.unanswered = tr.reused.Load() && !tr.firstByte.Load()
		return timedOut(ctx, tctx, err)
	}
	resp.status = res.StatusCode
	if v := res.Header[keyToken]; len(v) > 0 && v[0] != "" && v[0] != req.hdr.token {
		resp.newToken = v[0]
	}
	if res.StatusCode == 429 || res.StatusCode == 503 {
		resp.retryAfter = res.Header.Get("Retry-After")
	}
	resp.body, err = readBody(res.Body, resp.body[:0])
	res.Body.Close()
	if err != nil {
		return timedOut(ctx, tctx, err)
	}
	return nil
}

// errNHTimeout is the cause with which netHTTP cancels a request whose Timeout ran out.
var errNHTimeout = errors.New("timeout")

// timedOut returns err, or context.DeadlineExceeded when it is the request's own Timeout
// (and not the caller's context) that ended it, so classify says timeout or no free connection.
func timedOut(parent, tctx context.Context, err error) error {
	if parent.Err() == nil && context.Cause(tctx) == errNHTimeout {
		return context.DeadlineExceeded
	}
	return err
}

// nhTrace records how far net/http got with one request. Its hooks may run on net/http's
// dialing goroutine, even after RoundTrip returned, so it is one value per request.
type nhTrace struct {
	timer            *time.Timer   // the request's Timeout, restarted when it gets its connection
	timeout          time.Duration // Config.Timeout
	gotConn, dialing atomic.Bool
	reused           atomic.Bool // the connection came from the idle pool
	firstByte        atomic.Bool // a byte of the answer arrived
}

func (t *nhTrace) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSStart:     func(httptrace.DNSStartInfo) { t.dialing.Store(true) }, // a dial's first step
		ConnectStart: func(string, string) { t.dialing.Store(true) },
		GotConn: func(i httptrace.GotConnInfo) {
			t.reused.Store(i.Reused)
			t.gotConn.Store(true)
			t.timer.Reset(t.timeout)
		},
		GotFirstResponseByte: func() { t.firstByte.Store(true) },
	}
}

// unsent is what the trace proves of a failed request: not written before GotConn.
func (t *nhTrace) unsent() unsent {
	switch {
	case t.gotConn.Load():
		return mayBeSent
	case t.dialing.Load():
		return unsentDial
	}
	return unsentWait
}

// readBody appends all of r to b, growing it only when needed, up to maxResponseBytes.
func readBody(r io.Reader, b []byte) ([]byte, error) {
	if cap(b) == 0 {
		b = make([]byte, 0, 512)
	}
	for {
		if len(b) == cap(b) {
			if len(b) >= maxResponseBytes {
				return b, errBodyTooLarge
			}
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}
