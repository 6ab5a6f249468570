package ccapi

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"unsafe"

	"ccload/ccapi/h1"
)

// TransportH1 selects ccapi/h1, the lean HTTP/1.1 client, in Config.Transport.
const TransportH1 = "h1"

// TransportEnv names the environment variable that picks the transport when
// Config.Transport is empty: an escape hatch to compare the two, or to fall
// back to net/http, without a code change.
const TransportEnv = "CCLOAD_TRANSPORT"

// defaultTransport is the transport of a Config that names none: $CCLOAD_TRANSPORT
// when set, else h1, which docs/perf.md measured at under half net/http's CPU per
// request in the whole generator, with no allocation per exchange.
func defaultTransport() string {
	if t := os.Getenv(TransportEnv); t != "" {
		return t
	}
	return TransportH1
}

// h1Transport is the roundTripper over ccapi/h1: one bounded pool of
// keep-alive connections (Config.MaxConns) shared by every lane. Callers wait
// for a free connection instead of opening more, so a slow target cannot make
// the generator open a connection storm.
type h1Transport struct {
	c *h1.Client
}

var (
	_ roundTripper  = (*h1Transport)(nil)
	_ laneTransport = (*h1Lane)(nil)
)

func newH1(cfg *Config, base *url.URL) (*h1Transport, error) {
	opts := h1.Options{
		BaseURL:          base.Scheme + "://" + base.Host,
		MaxConns:         cfg.MaxConns,
		Timeout:          cfg.Timeout,
		DialTimeout:      cfg.Timeout,
		MaxResponseBytes: maxResponseBytes,
		UserAgent:        cfg.UserAgent,
		Dial:             cfg.Dial,
	}
	opts.TLSConfig = tlsConfigOf(cfg)
	c, err := h1.New(opts)
	if err != nil {
		return nil, err
	}
	return &h1Transport{c: c}, nil
}

func (t *h1Transport) newLane() laneTransport {
	return &h1Lane{c: t.c, req: h1.Request{Header: make([][2]string, 0, 5)}}
}

func (t *h1Transport) close() { t.c.Close() }

// enforcesTimeout reports that h1 bounds every exchange by Config.Timeout on
// its own (connection deadlines), so a caller need not wrap each call in a
// context.WithTimeout: that context costs 4 allocations and about 1 µs of CPU
// per request in the whole generator (docs/perf.md). NewClient asks for it.
func (t *h1Transport) enforcesTimeout() bool { return true }

// h1Lane keeps one lane's request and response values for reuse.
type h1Lane struct {
	c    *h1.Client
	req  h1.Request
	resp h1.Response

	// The last path and query, and their joined request target, so a lane
	// that polls the same query joins it once, not per call.
	lastPath, lastQuery, target string

	// The headers req.Header was last built from: calls that carry the same tokens (most)
	// reuse the list instead of building it again.
	lastHdr reqHeaders
	hdrSet  bool
}

// sameHeaders is *a == *b, without a call when the strings are the same bytes (the tokens
// are shared strings, so that is the common case).
func sameHeaders(a, b *reqHeaders) bool {
	same := func(x, y string) bool {
		return len(x) == len(y) && (len(x) == 0 || unsafe.StringData(x) == unsafe.StringData(y) || x == y)
	}
	return same(a.token, b.token) && same(a.appKey, b.appKey) && same(a.bearer, b.bearer) &&
		same(a.contentType, b.contentType) && same(a.tokenExpire, b.tokenExpire)
}

func (l *h1Lane) do(ctx context.Context, req *outReq, resp *inResp) error {
	if req.path != l.lastPath || req.query != l.lastQuery {
		l.lastPath, l.lastQuery, l.target = req.path, req.query, req.path
		if req.query != "" {
			l.target = req.path + "?" + req.query
		}
	}
	r := &l.req
	r.Method, r.Path, r.Body = req.method, l.target, req.body
	if !l.hdrSet || !sameHeaders(&l.lastHdr, &req.hdr) {
		r.Header = r.Header[:0]
		for _, h := range [...][2]string{
			{HeaderToken, req.hdr.token},
			{HeaderAppKey, req.hdr.appKey},
			{HeaderAuthorization, req.hdr.bearer},
			{"Content-Type", req.hdr.contentType},
			{HeaderTokenExpire, req.hdr.tokenExpire},
		} {
			if h[1] != "" {
				r.Header = append(r.Header, h)
			}
		}
		l.lastHdr, l.hdrSet = req.hdr, true
	}

	// The response body lands in the caller's reused buffer.
	l.resp.Body = resp.body[:0]
	err := l.c.Do(ctx, r, &l.resp)
	resp.body = l.resp.Body
	l.resp.Body = nil
	if err != nil {
		resp.unsent = h1Unsent(err)
		resp.unanswered = h1.Unanswered(err)
		if errors.Is(err, h1.ErrBodyTooLarge) {
			// The answer came, only its body was too large to keep: its status counts in
			// http_status like any other answer's (the call is unparseable all the same).
			resp.status = l.resp.Status
			return fmt.Errorf("%w: %w", errBodyTooLarge, err)
		}
		return err
	}
	resp.status = l.resp.Status
	if v := l.resp.Header(HeaderToken); len(v) > 0 && string(v) != req.hdr.token {
		resp.newToken = string(v)
	}
	if resp.status == 429 || resp.status == 503 {
		resp.retryAfter = string(l.resp.Header("Retry-After"))
	}
	return nil
}

// h1Unsent is what an h1 error proves of whether its request was written (h1.Error.NotWritten, by stage).
func h1Unsent(err error) unsent {
	var e *h1.Error
	switch {
	case h1.Written(err) || !errors.As(err, &e):
		return mayBeSent
	case errors.Is(err, h1.ErrClosed):
		return unsentClosed
	case errors.Is(err, h1.ErrInvalidRequest):
		return unsentInvalid
	case e.Op == "wait":
		return unsentWait
	case e.Op == "dial":
		return unsentDial
	}
	return unsentPeerClosed // a write that failed with nothing of the request taken
}
