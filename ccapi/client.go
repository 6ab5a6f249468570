package ccapi

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"ccload/ccapi/h1"
)

// ErrKind classifies how one HTTP exchange ended. Its order matches report.ErrClass
// so the runner converts with report.ErrClass(kind).
type ErrKind uint8

// Exchange outcomes.
const (
	KindOK          ErrKind = iota
	KindApp                 // HTTP 2xx, resultCode (returnCode) not "0"
	KindHTTP                // HTTP status outside 2xx
	KindTimeout             // request timed out
	KindRefused             // connection refused
	KindReset               // connection reset / closed mid-exchange / EOF
	KindUnparseable         // 2xx with a body that does not decode
	KindCanceled            // the caller's context was cancelled
	KindOther               // any other transport failure
	KindClient              // not sent: a field broke a rule (Validate, or the transport's header check)
	// The kinds below end a request the run, not the target, decided (docs/report-json.md).
	KindCut             // written, but the caller's context ended before the answer (the run cut it off)
	KindCanceledWaiting // not sent: the caller's context ended while it waited for a connection, a dial or Throttle
	KindRunEnded        // not sent: the caller's context had ended (or the client was closed) before it started
	KindPeerClosed      // not sent: the peer had closed the connection, and nothing of the request was written
	KindNoConnection    // not sent: no free connection within Timeout (every one of MaxConns was busy)
	// The TLS handshake failed, by the reason a user fixes (target.ca_file, the URL's host name, the certificate).
	KindTLSUnknownAuthority // the certificate is signed by an authority the client does not trust
	KindTLSNameMismatch     // the certificate is not valid for the URL's host name
	KindTLSExpired          // the certificate has expired (or is not yet valid)
	KindTLS                 // any other TLS failure (a plain-HTTP server, a handshake alert, ...)
	// KindUnknownReceipt: written on a reused connection that the peer closed (EOF, reset)
	// before any byte of an answer. No client can know whether the target read it: it is
	// counted apart, outside the target's total and error rate (report.ClassUnknownReceipt).
	KindUnknownReceipt
)

var kindNames = [...]string{"ok", "app_error", "http_error", "timeout", "refused", "reset", "unparseable", "canceled", "transport_other", "client_validation",
	"cut", "canceled_waiting", "run_ended", "peer_closed", "no_free_connection",
	"tls_unknown_authority", "tls_name_mismatch", "tls_expired", "tls", "unknown_receipt"}

// NotSent reports whether a call of this kind never reached the target: it is no request of the target.
func (k ErrKind) NotSent() bool {
	switch k {
	case KindClient, KindCanceledWaiting, KindRunEnded, KindPeerClosed, KindNoConnection:
		return true
	}
	return false
}

// canceled reports whether the caller's context (not the target) ended the call, sent or not.
func (k ErrKind) canceled() bool {
	return k == KindCanceled || k == KindCut || k == KindCanceledWaiting || k == KindRunEnded
}

// String returns the kind's name, the same as report.ErrClass's, for messages and tests.
func (k ErrKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Defaults NewClient applies to zero Config fields.
const (
	DefaultTokenLifetime = 600 * time.Second
	DefaultTimeout       = 10 * time.Second
	DefaultMaxConns      = 256
)

// renewAt is the share of an AccessToken's lifetime after which it is renewed.
const renewShare = 0.8

// Config configures a Client. Secrets in it are never printed by this package; String redacts them.
type Config struct {
	// BaseURL is scheme://host[:port] of the platform (or the mock); a path prefix is kept.
	BaseURL string
	Paths   Paths
	// UseSend sends messages to /send instead of /sendAsync.
	UseSend bool
	// AppKey goes in x-app-key on every call; with AppSecret it fetches AccessTokens by tokenByAkSk.
	AppKey    string
	AppSecret string
	// AccessToken, when set, is used as is and tokenByAkSk is never called.
	AccessToken string
	// TokenLifetime is sent as X-Token-Expire (default 600s); the token is renewed before it runs out.
	TokenLifetime time.Duration
	// Timeout bounds each exchange (default 10s).
	Timeout time.Duration
	// MaxConns bounds the connections the shared transport opens to the target (default 256).
	MaxConns int
	// Throttle, when set, is waited for before every request is written (token calls and
	// retries included), so a rate ceiling holds for all of them; its error (ctx done) means
	// the request is not sent. The wait is reported in Call.Throttled, outside service time.
	Throttle           func(ctx context.Context) error
	InsecureSkipVerify bool
	// RootCAs, when set, are the authorities trusted for the target's certificate instead of the
	// system's (scenario target.ca_file).
	RootCAs *x509.CertPool
	// Transport picks the HTTP client: "h1" (the default: the lean HTTP/1.1 client of ccapi/h1)
	// or "nethttp" (net/http); $CCLOAD_TRANSPORT sets it when empty. See transport.go for the
	// seam they plug into.
	Transport string
	// UserAgent is the User-Agent header of every request, so the target's logs can tell this
	// traffic apart (default h1.DefaultUserAgent, "ccload/<version>", on both transports).
	UserAgent string
	// Observe, when set, sees the exchanges made on behalf of no customer (tokenByAkSk
	// fetched by Client.AccessToken). Customers' exchanges go to Customer.Observe.
	Observe func(*Call)
	// Warn, when set, is told once of a trouble the client gave up on that no single call
	// shows: the target refusing (401) applyToken even with a freshly fetched AccessToken. Its
	// text quotes the target's answer with the app key, secret and tokens removed.
	Warn func(string)
	// Dial, when set, opens the connections to the target instead of a TCP dial (both
	// transports): tests serve a target in memory with it (a synctest bubble's fake time).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// MaxUserAgent bounds Config.UserAgent, so a typo cannot put a huge header on every request.
const MaxUserAgent = 512

// CheckUserAgent says what is wrong with a User-Agent value (nil when it can be sent as is):
// the scenario loader and the CLI flag use it, so both refuse the same values before anything is sent.
func CheckUserAgent(s string) error {
	if len(s) > MaxUserAgent {
		return fmt.Errorf("is %d bytes, at most %d", len(s), MaxUserAgent)
	}
	for i := range len(s) {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return fmt.Errorf("holds the control character %q at byte %d; a header value cannot carry it", c, i+1)
		}
	}
	return nil
}

// String describes c with its secrets redacted, so a Config can be logged safely.
func (c Config) String() string {
	red := func(s string) string {
		if s == "" {
			return `""`
		}
		return "<redacted>"
	}
	return "ccapi.Config{BaseURL: " + strconv.Quote(c.BaseURL) + ", AppKey: " + strconv.Quote(c.AppKey) +
		", AppSecret: " + red(c.AppSecret) + ", AccessToken: " + red(c.AccessToken) +
		", UseSend: " + strconv.FormatBool(c.UseSend) + ", Timeout: " + c.Timeout.String() +
		", MaxConns: " + strconv.Itoa(c.MaxConns) + ", Transport: " + strconv.Quote(c.Transport) + "}"
}

// GoString is String, so %#v does not print the secrets either.
func (c Config) GoString() string { return c.String() }

// Call is one HTTP exchange as the client saw it. A Customer reuses its Call values:
// a *Call is valid until that customer's next call (Observe must copy what it keeps).
type Call struct {
	Endpoint    Endpoint
	ControlType ControlType // for send calls; "" otherwise
	Start, End  time.Time
	// Throttled is how long the request waited for Config.Throttle before Start.
	Throttled  time.Duration
	Status     int    // 0 when no HTTP answer arrived
	ResultCode string // resultCode / returnCode of the body, "" when none
	Kind       ErrKind
	Err        error // nil when Kind is KindOK, KindApp or KindHTTP
	// Written is true when the request may have reached the target: some of it was handed to
	// a connection. False only when the transport knows nothing of it was written (see
	// transport.go; Kind is then a not-sent kind, or a dial failure: refused, timeout, other).
	Written   bool
	BytesSent int // request body bytes
	BytesRecv int // response body bytes
	// Retry is true for the second attempt after a 401/403 re-apply.
	Retry bool
	// RetryAfter is what the Retry-After header of a 429 or 503 answer asked for (0: none).
	RetryAfter time.Duration
	// NoAccessToken is true for a call never made because no AccessToken could be had (the
	// shared tokenByAkSk fetch failed, or failed moments ago): Kind is the fetch's, so the
	// caller can say the session failed for want of a token, not because of this endpoint.
	NoAccessToken bool
}

// Client is shared by every virtual customer of a run: one transport, one AccessToken source.
// Safe for concurrent use. Create it with NewClient; the zero value is not usable.
type Client struct {
	cfg         Config
	rt          roundTripper
	paths       [NumEndpoints]string
	tokenExpire string // X-Token-Expire value, seconds
	tokens      accessTokens
	now         func() time.Time // the token clock; tests replace it
	msgs        messages         // the first body of each endpoint's non-2xx answers (Messages)
	// selfTimed: the transport bounds every exchange by cfg.Timeout itself (h1 sets connection
	// deadlines), so exchange need not wrap each call in a context.WithTimeout (4 allocations
	// and about 1 µs of CPU per request, docs/perf.md).
	selfTimed bool
}

// NewClient checks cfg, applies its defaults and returns a Client for it.
func NewClient(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("BaseURL " + quoteShort(cfg.BaseURL) + " is not http(s)://host[:port]")
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("BaseURL must not carry user info, a query or a fragment")
	}
	if cfg.AccessToken == "" && cfg.AppKey == "" {
		return nil, errors.New("no credentials: add auth.app_key and auth.app_secret (or auth.access_token) to the scenario")
	}
	if cfg.TokenLifetime <= 0 {
		cfg.TokenLifetime = DefaultTokenLifetime
	}
	if cfg.TokenLifetime < time.Second {
		cfg.TokenLifetime = time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = h1.DefaultUserAgent
	}
	if err := CheckUserAgent(cfg.UserAgent); err != nil {
		return nil, errors.New("UserAgent " + err.Error())
	}
	rt, err := newRoundTripper(&cfg, u)
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, rt: rt, now: time.Now,
		tokenExpire: strconv.FormatInt(int64(cfg.TokenLifetime/time.Second), 10)}
	if st, ok := rt.(interface{ enforcesTimeout() bool }); ok {
		c.selfTimed = st.enforcesTimeout()
	}
	prefix := strings.TrimRight(u.Path, "/")
	for e := Endpoint(0); e < NumEndpoints; e++ {
		c.paths[e] = prefix + cfg.Paths.Path(e)
	}
	c.tokens.backoff = 500 * time.Millisecond
	if cfg.AccessToken != "" {
		c.tokens.static = "Bearer " + cfg.AccessToken
	}
	return c, nil
}

// Close releases the client's idle connections. Calls after Close may open new ones.
func (c *Client) Close() { c.rt.close() }

// AccessToken returns the current AccessToken, fetching it by tokenByAkSk when there is
// none or it is due for renewal. The exchange, if any, goes to Config.Observe.
func (c *Client) AccessToken(ctx context.Context) (string, error) {
	l := c.newLane()
	bearer, _, err := c.bearer(ctx, l, c.cfg.Observe)
	return strings.TrimPrefix(bearer, "Bearer "), err
}

// accessTokens is the AccessToken source shared by all customers of a Client.
//
// Subtleness ahead: the fast path is one atomic load. When the token is due for renewal
// (renewShare of its lifetime passed) the first caller fetches a new one; callers that
// arrive meanwhile keep using the old token while it is still valid, and wait for the
// fetch only when there is no valid token at all. At most one fetch is in flight. A failed
// fetch fails the callers that waited for it, and for backoff afterwards callers fail
// fast with the same error instead of fetching again (no retry storm).
type accessTokens struct {
	static  string // "Bearer <token>" from Config; never fetched
	backoff time.Duration
	cur     atomic.Pointer[tokenState]

	mu        sync.Mutex // guards flight, failUntil, failKind, failErr, warned
	flight    *tokenFlight
	failUntil time.Time
	failKind  ErrKind
	failErr   error
	warned    bool      // Config.Warn was told the target refuses even a fresh AccessToken
	forcedAt  time.Time // when a refused token was last marked for renewal
}

// minRefetch is how young an AccessToken may be and still be replaced after an applyToken
// answered 401 (see refusedAccessToken): at most one such fetch a second, whatever the number
// of customers refused.
const minRefetch = time.Second

// tokenState is one AccessToken and when to renew it; immutable once stored.
type tokenState struct {
	bearer           string // "Bearer <token>", ready for the header
	renewAt, expires time.Time
	// refused marks the token applyToken refused (401): renewAt and expires are past, its
	// renewal is due or in flight.
	refused bool
}

// tokenFlight is a fetch in progress; done is closed when its result is set.
type tokenFlight struct {
	done chan struct{}
	st   *tokenState
	kind ErrKind
	err  error
}

// bearer returns the Authorization header value, fetching a token on lane l when needed.
func (c *Client) bearer(ctx context.Context, l *Lane, obs func(*Call)) (string, ErrKind, error) {
	t := &c.tokens
	if t.static != "" {
		return t.static, KindOK, nil
	}
	for {
		now := c.now()
		st := t.cur.Load()
		if st != nil && now.Before(st.renewAt) {
			return st.bearer, KindOK, nil
		}
		valid := st != nil && now.Before(st.expires)
		t.mu.Lock()
		if st2 := t.cur.Load(); st2 != st { // renewed meanwhile
			t.mu.Unlock()
			continue
		}
		if f := t.flight; f != nil {
			t.mu.Unlock()
			if valid {
				return st.bearer, KindOK, nil
			}
			select {
			case <-f.done:
			case <-ctx.Done():
				return "", KindCanceled, ctx.Err()
			}
			if f.err == nil {
				return f.st.bearer, KindOK, nil
			}
			if f.kind.canceled() && ctx.Err() == nil {
				continue // the fetcher's context ended, not ours: fetch again
			}
			return "", f.kind, f.err
		}
		if now.Before(t.failUntil) {
			kind, err := t.failKind, t.failErr
			t.mu.Unlock()
			if valid {
				return st.bearer, KindOK, nil
			}
			return "", kind, err
		}
		f := &tokenFlight{done: make(chan struct{})}
		t.flight = f
		t.mu.Unlock()

		f.st, f.kind, f.err = c.fetchAccessToken(ctx, l, obs)

		t.mu.Lock()
		if f.err == nil {
			t.cur.Store(f.st)
			t.failUntil = time.Time{}
		} else if !f.kind.canceled() {
			t.failUntil, t.failKind, t.failErr = c.now().Add(t.backoff), f.kind, f.err
		}
		t.flight = nil
		t.mu.Unlock()
		close(f.done)
		switch {
		case f.err == nil:
			return f.st.bearer, KindOK, nil
		case valid:
			return st.bearer, KindOK, nil // renewal failed; the old token still works
		}
		return "", f.kind, f.err
	}
}

// expireAccessToken marks bearer expired after the platform said so (HTTP 403), so the
// next caller fetches a new one. It returns false for a static token, which cannot be renewed.
func (c *Client) expireAccessToken(bearer string) bool {
	t := &c.tokens
	if t.static != "" {
		return false
	}
	t.mu.Lock()
	if st := t.cur.Load(); st != nil && st.bearer == bearer {
		t.cur.Store(&tokenState{bearer: bearer}) // renewAt and expires in the past
	}
	t.failUntil = time.Time{}
	t.mu.Unlock()
	return true
}

// refusedAccessToken is called after applyToken answered 401 to a call made with bearer: the
// target does not know that AccessToken (a restarted platform forgets the tokens it issued), so
// a fresh one is fetched, once for every customer refused, then the call is retried. It reports
// whether to retry: true when another caller already replaced bearer or marked it, or bearer is
// now marked for renewal; false when the token cannot be renewed (static) or replaced a refused
// one less than minRefetch ago (the target refuses even a fresh one: refusing is then its
// answer, told once to Config.Warn with body, its message).
func (c *Client) refusedAccessToken(bearer string, status int, body []byte) bool {
	t := &c.tokens
	if t.static != "" {
		c.warnRefused("the AccessToken is static (auth.access_token) and cannot be renewed", status, body)
		return false
	}
	now := c.now()
	t.mu.Lock()
	st := t.cur.Load()
	switch {
	case st == nil || st.bearer != bearer || st.refused:
		t.mu.Unlock()
		return true // renewed meanwhile, or its renewal is due: retry with the next one
	case !t.forcedAt.IsZero() && now.Sub(t.forcedAt) < minRefetch:
		t.mu.Unlock()
		c.warnRefused("even an AccessToken fetched moments before was refused", status, body)
		return false
	}
	t.cur.Store(&tokenState{bearer: bearer, refused: true}) // renewAt and expires in the past
	t.forcedAt, t.failUntil = now, time.Time{}
	t.mu.Unlock()
	return true
}

// warnRefused tells Config.Warn, once per Client, that the target refuses applyToken, quoting
// its answer without the credentials it may echo.
func (c *Client) warnRefused(why string, status int, body []byte) {
	t := &c.tokens
	t.mu.Lock()
	first := !t.warned
	t.warned = true
	t.mu.Unlock()
	if !first || c.cfg.Warn == nil {
		return
	}
	c.cfg.Warn("applyToken: the target answered HTTP " + strconv.Itoa(status) + " (" + why + "): " +
		c.scrub(body) + "; sessions that need a ccmessaging-token fail while it refuses (check auth.app_key and the platform's token service)")
}

// scrub returns a target's answer fit for a report: at most 200 bytes, one line, with the app
// key, the app secret and every token this client holds replaced by REDACTED.
func (c *Client) scrub(body []byte) string {
	s := string(body)
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	secrets := []string{c.cfg.AppSecret, c.cfg.AccessToken, c.cfg.AppKey}
	if st := c.tokens.cur.Load(); st != nil {
		secrets = append(secrets, strings.TrimPrefix(st.bearer, "Bearer "))
	}
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "REDACTED")
		}
	}
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "(empty body)"
	}
	return strconv.Quote(s)
}

// fetchAccessToken runs one tokenByAkSk exchange on lane l.
func (c *Client) fetchAccessToken(ctx context.Context, l *Lane, obs func(*Call)) (*tokenState, ErrKind, error) {
	l.tokBody = AppendTokenByAkSkReq(l.tokBody[:0], &TokenByAkSkReq{AppKey: c.cfg.AppKey, AppSecret: c.cfg.AppSecret})
	sentAt := c.now()
	call := &l.tokCall
	hdr := reqHeaders{appKey: c.cfg.AppKey, contentType: contentJSON, tokenExpire: c.tokenExpire}
	if !c.exchange(ctx, l, call, EpTokenByAkSk, "", "POST", "", hdr, l.tokBody) {
		return nil, call.Kind, errors.New("tokenByAkSk not sent: " + call.Err.Error())
	}
	var st *tokenState
	if call.Status/100 == 2 && call.Kind == KindOK {
		var rsp TokenByAkSkRsp
		if json.Unmarshal(l.in.body, &rsp) != nil || rsp.AccessToken == "" {
			call.Kind, call.Err = KindUnparseable, errNoAccessToken
		} else {
			life := c.cfg.TokenLifetime
			if s, err := strconv.Atoi(strings.TrimSpace(rsp.Expires)); err == nil && s > 0 {
				life = time.Duration(s) * time.Second
			}
			st = &tokenState{bearer: "Bearer " + rsp.AccessToken,
				renewAt: sentAt.Add(time.Duration(float64(life) * renewShare)), expires: sentAt.Add(life)}
		}
	}
	if obs != nil {
		obs(call)
	}
	switch {
	case st != nil:
		return st, KindOK, nil
	case call.Kind == KindHTTP:
		return nil, KindHTTP, errors.New("tokenByAkSk answered HTTP " + strconv.Itoa(call.Status))
	case call.Err != nil:
		return nil, call.Kind, errors.New("tokenByAkSk: " + call.Err.Error())
	}
	return nil, KindUnparseable, errNoAccessToken
}

var (
	errNoAccessToken = errors.New("tokenByAkSk answer has no AccessToken")
	errNoToken       = errors.New("applyToken answer has no token")
	expiredMark      = []byte("expired")
)

const contentJSON = "application/json;charset=UTF-8"

// Lane is what one goroutine needs for its exchanges: a transport lane, Call values and
// body buffers, all reused. It belongs to whoever runs the exchanges, not to a customer, so
// a pool of workers serving many customers needs one per worker (Customer.Use), not two per
// customer. Not safe for concurrent use.
type Lane struct {
	rt  laneTransport
	out outReq
	in  inResp

	call    Call // the API call itself (first attempt and retry); returned to the caller
	aux     Call // a re-apply of the ccmessaging token during a retry
	tokCall Call // a tokenByAkSk fetch made by this lane

	body, auxBody, tokBody []byte

	msgs      []DownlinkMessage // Poll's dst while a poll runs
	objectKey string            // Upload's answer while an upload runs

	memo answerMemo // the last 2xx answer's result code (resultCode)
}

// answerMemo is the last 2xx body whose result code a lane parsed, and what ParseResultCode
// said of it. A target answers most calls with the same bytes (`{"resultCode":"0",...}`), so
// an answer equal to the last one, byte for byte, is not scanned again: ParseResultCode is a
// function of the bytes and the key, so the outcome is the same (TestAnswerMemoIsParseResultCode).
type answerMemo struct {
	body        []byte
	key         string
	code        string
	found, ok   bool
	initialized bool
}

// maxMemoBody is the longest answer a lane remembers (the platform's 2xx answers are far shorter).
const maxMemoBody = 512

// resultCode is ParseResultCode(body, key), remembered for the next equal answer.
func (m *answerMemo) resultCode(body []byte, key string) (code string, found, ok bool) {
	if m.initialized && key == m.key && bytes.Equal(body, m.body) {
		return m.code, m.found, m.ok
	}
	code, found, ok = ParseResultCode(body, key)
	if len(body) <= maxMemoBody {
		*m = answerMemo{body: append(m.body[:0], body...), key: key, code: code, found: found, ok: ok, initialized: true}
	}
	return code, found, ok
}

func (c *Client) newLane() *Lane { return &Lane{rt: c.rt.newLane()} }

// NewLane returns a lane for one worker goroutine to run customers' exchanges on (Customer.Use).
func (c *Client) NewLane() *Lane { return c.newLane() }

// exchange runs one HTTP exchange on lane l and fills *call with its transport outcome
// and status. It returns false, without sending, when ctx is already done.
// Endpoint-specific body checks are the caller's, as is observing the call.
func (c *Client) exchange(ctx context.Context, l *Lane, call *Call, ep Endpoint, ct ControlType,
	method, query string, hdr reqHeaders, body []byte) bool {
	*call = Call{Endpoint: ep, ControlType: ct, BytesSent: len(body)}
	if err := ctx.Err(); err != nil {
		call.Start = time.Now()
		call.End = call.Start
		call.Kind, call.Err = KindRunEnded, err
		return false
	}
	if c.cfg.Throttle != nil {
		t := time.Now()
		err := c.cfg.Throttle(ctx)
		call.Throttled = time.Since(t)
		if err != nil {
			call.Start = time.Now()
			call.End = call.Start
			call.Kind, call.Err = KindCanceledWaiting, err
			return false
		}
	}
	l.out = outReq{method: method, path: c.paths[ep], query: query, hdr: hdr, body: body}
	l.in.status, l.in.newToken, l.in.body, l.in.unsent, l.in.retryAfter, l.in.unanswered = 0, "", l.in.body[:0], mayBeSent, "", false
	cctx, cancel := ctx, context.CancelFunc(nil)
	if !c.selfTimed {
		cctx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
	}
	call.Start = time.Now()
	err := l.rt.do(cctx, &l.out, &l.in)
	call.End = time.Now()
	if cancel != nil {
		cancel()
	}
	call.Status = l.in.status
	call.BytesRecv = len(l.in.body)
	call.Written = err == nil || l.in.unsent == mayBeSent
	if err != nil {
		call.Kind, call.Err = classifySend(err, ctx, l.in.unsent), err
		// A reused connection the peer closed before any byte of an answer: reset or EOF, or
		// (net/http) the write cut by its own close of the connection it saw the peer close.
		if l.in.unanswered && (call.Kind == KindReset || call.Kind == KindOther && errors.Is(err, net.ErrClosed)) {
			call.Kind = KindUnknownReceipt
		}
		return true
	}
	if call.Status/100 != 2 {
		call.Kind = KindHTTP
		c.msgs.note(ep, call.Status, l.in.body, c.cfg.AppKey, c.cfg.AppSecret, c.cfg.AccessToken)
		if code, found, ok := ParseResultCode(l.in.body, resultKey(ep)); ok && found {
			call.ResultCode = code
		}
		if l.in.retryAfter != "" {
			call.RetryAfter = parseRetryAfter(l.in.retryAfter, call.End)
		}
	}
	return true
}

// parseRetryAfter reads a Retry-After value, delay-seconds or an HTTP date (RFC 9110 10.2.3),
// as a wait from now; 0 when it cannot be read or has passed.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(min(n, 86400)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func resultKey(ep Endpoint) string {
	if ep == EpUploadFileStream {
		return "returnCode"
	}
	return "resultCode"
}

// classifySend maps a transport error to an ErrKind, given what the transport knows of
// whether the request was written (u). A request the caller's context ended is cut when it
// may have been written and not sent otherwise; a request that never got a connection, or
// was refused by a local check, or found the peer's close before a byte of it was written,
// is not sent. A connection that could not be opened stays the target's error (refused,
// timeout, transport_other): the target did not accept it.
func classifySend(err error, parent context.Context, u unsent) ErrKind {
	canceled := parent.Err() != nil || errors.Is(err, context.Canceled)
	switch {
	case u == mayBeSent:
		if k := classify(err, parent); k != KindCanceled {
			return k
		}
		return KindCut
	case u == unsentClosed:
		return KindRunEnded
	case u == unsentInvalid:
		return KindClient
	case canceled:
		return KindCanceledWaiting
	case u == unsentPeerClosed:
		return KindPeerClosed
	case u == unsentWait:
		if k := classify(err, parent); k == KindTimeout {
			return KindNoConnection
		}
		return KindCanceledWaiting
	}
	return classify(err, parent) // unsentDial
}

// classify maps a transport error to an ErrKind. parent is the caller's context: when it
// is done the exchange was canceled, whatever the transport says.
func classify(err error, parent context.Context) ErrKind {
	var ne net.Error
	switch {
	case parent.Err() != nil:
		return KindCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return KindTimeout
	case errors.Is(err, context.Canceled):
		return KindCanceled
	case errors.Is(err, syscall.ECONNREFUSED):
		return KindRefused
	}
	if k, ok := classifyTLS(err); ok {
		return k
	}
	switch {
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return KindReset
	case errors.Is(err, errBodyTooLarge):
		return KindUnparseable
	}
	// net/http reports a connection the server closed without a typed cause.
	if s := err.Error(); strings.Contains(s, "server closed") || strings.Contains(s, "connection reset") ||
		strings.Contains(s, "broken pipe") || strings.HasSuffix(s, "EOF") {
		return KindReset
	}
	return KindOther
}

// setResult classifies a 2xx answer by its result code (key resultCode or returnCode).
func setResult(l *Lane, call *Call, body []byte, key string) {
	code, found, ok := l.memo.resultCode(body, key)
	switch {
	case !ok:
		call.Kind, call.Err = KindUnparseable, errUnparseable
	case !found:
		call.Kind, call.Err = KindUnparseable, errNoResultCode
	default:
		call.ResultCode = code
		if code != "0" {
			call.Kind = KindApp
		}
	}
}

// Customer is one virtual customer's identity and token state: its userId, its
// ccmessaging-token and what re-applying it takes. Its exchanges run on the lane set by Use
// (a worker's); without one it makes its own lanes on first use. Not safe for concurrent
// use, except that, on its own lanes, Poll may run on one goroutine while the other methods
// run on another: it then keeps a separate lane for Poll and guards its token. Observe may
// then be called from both goroutines.
type Customer struct {
	// Observe, when set, is called for EVERY exchange the customer makes: tokenByAkSk and
	// applyToken calls, first attempts, retries and final ones, in the order they ended.
	// It runs on the calling goroutine and must copy what it keeps from the *Call.
	// An exchange that was never sent (ctx already done, no AccessToken) is not observed.
	Observe func(*Call)

	c      *Client
	userID string

	mu      sync.Mutex // guards tok, gen, apply, applied
	tok     string
	gen     uint64 // counts token changes, so concurrent 401s re-apply once
	apply   ApplyTokenReq
	applied bool

	applyMu sync.Mutex // serialises re-applies of the main and poll goroutines

	use        *Lane // set by Use: every exchange runs on it
	main, poll *Lane // the customer's own lanes, made on first use without Use

	pollChannel, pollQuery string       // cached poll query (poll goroutine only)
	queue                  QueueInfoRsp // last queryQueueInfo answer (main goroutine only)
}

// NewCustomer returns the customer with this userId (the sendAsync from, the poll receiverId).
func (c *Client) NewCustomer(userID string) *Customer {
	return &Customer{c: c, userID: userID}
}

// Use makes the customer's exchanges run on l (a worker's lane, see NewLane) until the next
// Use; nil goes back to lanes of its own. The caller must not run two of the customer's
// exchanges at once on one lane.
func (cu *Customer) Use(l *Lane) { cu.use = l }

func (cu *Customer) mainLane() *Lane {
	if cu.use != nil {
		return cu.use
	}
	if cu.main == nil {
		cu.main = cu.c.newLane()
	}
	return cu.main
}

func (cu *Customer) pollLane() *Lane {
	if cu.use != nil {
		return cu.use
	}
	if cu.poll == nil {
		cu.poll = cu.c.newLane()
	}
	return cu.poll
}

// UserID returns the customer's userId.
func (cu *Customer) UserID() string { return cu.userID }

// SetToken sets a static ccmessaging-token (from configuration), skipping applyToken.
// A customer that never called ApplyToken cannot re-apply, so its 401s are not retried.
func (cu *Customer) SetToken(tok string) {
	cu.mu.Lock()
	cu.tok = tok
	cu.gen++
	cu.mu.Unlock()
}

// Token returns the customer's current ccmessaging-token ("" before any). Callers must not log it.
func (cu *Customer) Token() string {
	cu.mu.Lock()
	defer cu.mu.Unlock()
	return cu.tok
}

func (cu *Customer) token() (string, uint64) {
	cu.mu.Lock()
	defer cu.mu.Unlock()
	return cu.tok, cu.gen
}

// adopt switches to a token the platform handed out (applyToken body or response header).
func (cu *Customer) adopt(tok string) {
	cu.mu.Lock()
	if tok != cu.tok {
		cu.tok = tok
		cu.gen++
	}
	cu.mu.Unlock()
}

func (cu *Customer) observe(c *Call) {
	if cu.Observe != nil {
		cu.Observe(c)
	}
}

// parse modes of do: how the body of a 2xx answer is checked.
type parseMode uint8

const (
	parseResult parseMode = iota
	parseApply
	parsePoll
	parseQueue
	parseUpload
)

// do runs one API call for the customer on lane l, into *call: AccessToken, headers,
// exchange, adoption of a fresh ccmessaging-token, body checks, Observe, and the one
// retry after a 401 (re-apply the token) or a 403 for an expired AccessToken (renew it,
// then re-apply). The retry is its own observed Call with Retry set.
func (cu *Customer) do(ctx context.Context, l *Lane, call *Call, ep Endpoint, ct ControlType,
	method, query string, body []byte, mode parseMode) *Call {
	c := cu.c
	for attempt := 0; ; attempt++ {
		bearer, kind, err := c.bearer(ctx, l, cu.Observe)
		if err != nil {
			*call = Call{Endpoint: ep, ControlType: ct, Kind: kind, Err: err, Retry: attempt > 0, Start: time.Now(), NoAccessToken: !kind.canceled()}
			call.End = call.Start
			return call
		}
		tok, gen := cu.token()
		hdr := reqHeaders{token: tok, appKey: c.cfg.AppKey, bearer: bearer}
		if ep == EpApplyToken {
			hdr.token = ""
		}
		if method == "POST" {
			hdr.contentType = contentJSON
		}
		sent := c.exchange(ctx, l, call, ep, ct, method, query, hdr, body)
		call.Retry = attempt > 0
		if !sent {
			cu.observe(call) // not sent (the run had ended, or ended while Throttle held it): counted as such
			return call
		}
		if l.in.newToken != "" && ep != EpApplyToken {
			cu.adopt(l.in.newToken)
		}
		if call.Kind == KindOK {
			cu.parse(l, call, mode)
		}
		cu.observe(call)
		if attempt > 0 {
			if call.Status == 401 && ep == EpApplyToken {
				c.warnRefused("even a freshly fetched AccessToken was refused", call.Status, l.in.body)
			}
			return call
		}
		switch {
		case call.Status == 401 && ep == EpApplyToken:
			// The target does not know the AccessToken (it restarted): one fresh one, shared
			// by every customer refused, then this applyToken once more.
			if !c.refusedAccessToken(bearer, call.Status, l.in.body) {
				return call
			}
		case call.Status == 401:
			if !cu.reapply(ctx, l, gen) {
				return call
			}
		case call.Status == 403 && bytes.Contains(l.in.body, expiredMark):
			if !c.expireAccessToken(bearer) {
				return call
			}
			if ep != EpApplyToken {
				cu.reapply(ctx, l, gen) // best effort: the retry runs either way
			}
		default:
			return call
		}
	}
}

// parse checks a 2xx body by mode and stores what the caller asked for in the lane
// (msgs, objectKey) or the customer (queue).
func (cu *Customer) parse(l *Lane, call *Call, mode parseMode) {
	body := l.in.body
	switch mode {
	case parseResult:
		setResult(l, call, body, "resultCode")
	case parseApply:
		setResult(l, call, body, "resultCode")
		if call.Kind == KindOK {
			var rsp ApplyTokenRsp
			if json.Unmarshal(body, &rsp) != nil || rsp.Token == "" {
				call.Kind, call.Err = KindUnparseable, errNoToken
				return
			}
			cu.adopt(rsp.Token)
		}
	case parsePoll:
		code, msgs, err := ParsePoll(body, l.msgs)
		if err != nil {
			call.Kind, call.Err = KindUnparseable, err
			return
		}
		l.msgs = msgs
		call.ResultCode = code
		if code != "0" {
			call.Kind = KindApp
		}
	case parseQueue:
		setResult(l, call, body, "resultCode")
		if call.Kind == KindUnparseable {
			return
		}
		if call.Kind == KindApp && QueueStatus(call.ResultCode) {
			// "already with an agent", "session ended": answers, not errors of the target.
			call.Kind = KindOK
		}
		q := &cu.queue
		*q = QueueInfoRsp{}
		if json.Unmarshal(body, q) != nil {
			*q = QueueInfoRsp{ResultCode: call.ResultCode}
			if call.Kind == KindOK {
				call.Kind, call.Err = KindUnparseable, errUnparseable
			}
		}
	case parseUpload:
		setResult(l, call, body, "returnCode")
		if call.Kind == KindOK {
			var rsp UploadRsp
			if json.Unmarshal(body, &rsp) != nil {
				call.Kind, call.Err = KindUnparseable, errUnparseable
				return
			}
			l.objectKey = rsp.ObjectKey
		}
	}
}

// reapply fetches a new ccmessaging-token after a 401 on a call made with token
// generation seenGen. When the other goroutine changed the token since, it only reports
// true (retry with the new one). It returns false when the customer never applied
// (static token) or the re-apply failed.
func (cu *Customer) reapply(ctx context.Context, l *Lane, seenGen uint64) bool {
	cu.applyMu.Lock()
	defer cu.applyMu.Unlock()
	cu.mu.Lock()
	gen, req, applied := cu.gen, cu.apply, cu.applied
	cu.mu.Unlock()
	if gen != seenGen {
		return true
	}
	if !applied {
		return false
	}
	l.auxBody = AppendApplyTokenReq(l.auxBody[:0], &req)
	ac := cu.do(ctx, l, &l.aux, EpApplyToken, "", "POST", "", l.auxBody, parseApply)
	return ac.Kind == KindOK
}

// ApplyToken fetches the customer's ccmessaging-token by applyToken and switches to it.
// The parameters are kept, so a later 401 can re-apply.
func (cu *Customer) ApplyToken(ctx context.Context, userName, channelID, locale string) *Call {
	req := ApplyTokenReq{UserID: cu.userID, UserName: userName, ChannelID: channelID, Locale: locale}
	cu.mu.Lock()
	cu.apply, cu.applied = req, true
	cu.mu.Unlock()
	l := cu.mainLane()
	l.body = AppendApplyTokenReq(l.body[:0], &req)
	return cu.do(ctx, l, &l.call, EpApplyToken, "", "POST", "", l.body, parseApply)
}

// Send sends one message by sendAsync (send when Config.UseSend). It does not validate
// req: callers validate once, when they build it (Validate).
func (cu *Customer) Send(ctx context.Context, req *SendMsgReq) *Call {
	l := cu.mainLane()
	l.body = AppendSendMsgReq(l.body[:0], req)
	ep := EpSendAsync
	if cu.c.cfg.UseSend {
		ep = EpSend
	}
	return cu.do(ctx, l, &l.call, ep, req.ControlType, "POST", "", l.body, parseResult)
}

// Backoff bounds of SendRetry: the first wait, and the most any one wait lasts unless the
// target's Retry-After asks for longer.
const (
	RetryFirstBackoff = 100 * time.Millisecond
	RetryMaxBackoff   = time.Second
)

// Retryable reports whether a send that ended so may be sent again to finish what it asked
// (SendRetry): the target answered 429 or 503 (it did not act on it), a transport failure
// of the target (timeout, refused, reset, other), an unknown receipt (the target may never
// have read it), or no free connection within Timeout (it never left: every connection was
// busy, and one may free up within the caller's window). Not an answer of any other status,
// another not-sent kind, or a call the run cut.
func (c *Call) Retryable() bool {
	switch c.Kind {
	case KindHTTP:
		return c.Status == 429 || c.Status == 503
	case KindTimeout, KindRefused, KindReset, KindOther, KindUnknownReceipt, KindNoConnection:
		return true
	}
	return false
}

// SendRetry sends req like Send and sends it again while the answer is Retryable, after a
// backoff (RetryFirstBackoff, doubling up to RetryMaxBackoff) or the answer's Retry-After when
// it asks for longer, until ctx ends or a wait would pass ctx's deadline. It is for requests
// that must not be left undone, such as the DISCONNECT that frees a session on the target;
// every attempt is its own observed request. It returns the last attempt's Call.
func (cu *Customer) SendRetry(ctx context.Context, req *SendMsgReq) *Call {
	wait := RetryFirstBackoff
	for {
		call := cu.Send(ctx, req)
		if !call.Retryable() {
			return call
		}
		d := max(wait, call.RetryAfter)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
			return call // the window closes before the target would take it
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return call
		case <-t.C:
		}
		wait = min(2*wait, RetryMaxBackoff)
	}
}

// Poll reads the customer's downlink messages (GET poll?receiverId=<userId>&channel=...)
// and appends them to dst. It may run on its own goroutine while the others send.
func (cu *Customer) Poll(ctx context.Context, channel string, dst []DownlinkMessage) ([]DownlinkMessage, *Call) {
	if channel != cu.pollChannel || cu.pollQuery == "" {
		cu.pollChannel = channel
		cu.pollQuery = "receiverId=" + url.QueryEscape(cu.userID) + "&channel=" + url.QueryEscape(channel)
	}
	l := cu.pollLane()
	l.msgs = dst
	call := cu.do(ctx, l, &l.call, EpPoll, "", "GET", cu.pollQuery, nil, parsePoll)
	dst, l.msgs = l.msgs, nil
	return dst, call
}

// QueryQueueInfo asks where the customer stands in the agent queue. The answer is the
// customer's own value, valid until its next QueryQueueInfo; nil when none decoded.
// Note resultCode "0" means still queuing; the statuses of QueueStatus (160021 with an agent,
// 5, 6, 160004 the session ended) come back as KindOK with their resultCode, the rest as KindApp.
func (cu *Customer) QueryQueueInfo(ctx context.Context, req *QueueInfoReq) (*QueueInfoRsp, *Call) {
	l := cu.mainLane()
	l.body = AppendQueueInfoReq(l.body[:0], req)
	cu.queue = QueueInfoRsp{}
	call := cu.do(ctx, l, &l.call, EpQueryQueueInfo, "", "POST", "", l.body, parseQueue)
	if call.Status/100 != 2 || call.Kind == KindUnparseable {
		return nil, call
	}
	return &cu.queue, call
}

// Upload uploads a file by uploadFileStream and returns its objectKey ("" on failure).
func (cu *Customer) Upload(ctx context.Context, req *UploadReq) (objectKey string, c *Call) {
	l := cu.mainLane()
	l.body = AppendUploadReq(l.body[:0], req)
	l.objectKey = ""
	call := cu.do(ctx, l, &l.call, EpUploadFileStream, "", "POST", "", l.body, parseUpload)
	objectKey, l.objectKey = l.objectKey, ""
	return objectKey, call
}
