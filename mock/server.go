// Package mock is an in-process stand-in for the ccmessaging platform: every
// endpoint of the reference document with its headers, field rules and result
// codes; token lifetimes with 401/403; a robot that answers each CHAT through
// poll; a pool of agents with handling times behind a FIFO queue; session
// timeouts; and fault injection (latency, errors, stalls, dropped connections,
// malformed bodies, a capacity limit). It counts everything it receives, so a
// test can prove the harness lost nothing.
//
// It is built to hold 100,000 connected customers polling every few seconds:
// sessions live in a sharded map, and every delayed thing (robot and agent
// replies, agent handling times, session timeouts) is an entry in one
// scheduler's min-heap, never a goroutine or timer per session.
package mock

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"ccload/ccapi"
)

// Server is a running mock platform. Create it with NewServer; it is safe for
// concurrent use, and Close releases it.
type Server struct {
	opts     Options
	start    time.Time // the server clock's zero; now() is ns since start (monotonic)
	route    map[string]ccapi.Endpoint
	latency  [ccapi.NumEndpoints]Dist
	tokens   *tokenStore
	sessions sessionTable
	agents   agentPool
	sched    *scheduler
	cnt      counters
	gen      atomic.Uint32
	// capacity is the capacity model (nil: unlimited): a token bucket of burst 1 refilled at
	// Capacity per second, whose reservation delay is a single-server queue's wait.
	capacity *rate.Limiter
	uploads  atomic.Int64
	strs     interner     // channel and channel config IDs the sessions share
	inflight atomic.Int64 // API requests being handled, so Close can let them finish
	rec      *recorder
	push     *pusher // nil: downlink messages wait for poll

	rngMu sync.Mutex // guards rng
	rng   *rand.Rand

	ln        net.Listener
	http      *http.Server
	closeOnce sync.Once
	closeErr  error
}

// NewServer validates opts, listens on opts.Addr and serves at once.
func NewServer(opts Options) (*Server, error) {
	s, err := newServer(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		s.sched.close()
		return nil, fmt.Errorf("mock: listen %s: %w", s.opts.Addr, err)
	}
	s.ln = ln
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          log.New(logWriter{s.logf}, "", 0),
	}
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logf("mock: serve: %v", err)
		}
	}()
	return s, nil
}

func newServer(opts Options) (*Server, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	seed := opts.Seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	s := &Server{
		opts:   opts,
		start:  time.Now(),
		tokens: newTokenStore(opts.StaticAccessToken, opts.StaticCCToken),
		rng:    rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15)),
		route:  make(map[string]ccapi.Endpoint, ccapi.NumEndpoints),
	}
	if opts.Capacity > 0 {
		s.capacity = rate.NewLimiter(rate.Limit(opts.Capacity), 1)
	}
	for ep := range ccapi.NumEndpoints {
		path := opts.Paths.Path(ep)
		if _, dup := s.route[path]; dup || !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "/mock/") {
			return nil, fmt.Errorf("mock: path %q of %s: want a distinct path starting with / outside /mock/", path, ep)
		}
		s.route[path] = ep
		s.latency[ep] = opts.DefaultLatency
		if d, ok := opts.Latency[ep]; ok {
			s.latency[ep] = d
		}
	}
	s.sessions.init()
	s.agents.free = make([]int32, 0, opts.Agents)
	for i := opts.Agents - 1; i >= 0; i-- { // pop from the end: agent 0 first
		s.agents.free = append(s.agents.free, int32(i))
	}
	if opts.Record != nil {
		s.rec = newRecorder(opts.Record)
	}
	s.sched = newScheduler(s.now, s.runEvents)
	s.sched.push(event{at: purgeEvery, kind: evPurge})
	if s.rec != nil {
		s.sched.push(event{at: flushEvery, kind: evFlush})
	}
	if opts.PushURL != "" {
		s.push = newPusher(opts.PushURL, opts.PushBackoff, opts.PushChannels, opts.PushDial)
	}
	return s, nil
}

// URL returns the base URL clients use, like http://127.0.0.1:18080.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	return "http://" + s.ln.Addr().String()
}

// Handler returns the mock as an http.Handler, for tests and benchmarks that serve it themselves.
func (s *Server) Handler() http.Handler { return s }

// Stats returns the counters GET /mock/stats answers.
func (s *Server) Stats() Stats {
	st := s.cnt.snapshot()
	if s.push != nil {
		st.Push = s.push.stats()
	}
	return st
}

// ResetStats zeroes the counters, as POST /mock/reset does (session gauges stay), push's included.
func (s *Server) ResetStats() {
	s.cnt.reset()
	if s.push != nil {
		s.push.reset()
	}
}

// ErrRecordIncomplete is in Close's error when Options.Record could not take every received
// request (a full disk), so the caller can name its record file in words the user knows.
var ErrRecordIncomplete = errors.New("writing the received requests failed, so the record is incomplete")

// Close stops serving (open connections are closed), waits up to 5 s for the
// requests in hand, stops the scheduler and flushes the record writer; sends
// handled after that are not recorded. It returns the first error and is safe to call twice.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.http != nil {
			if err := s.http.Close(); err != nil {
				errs = append(errs, fmt.Errorf("stopping the server on %s: %w", s.URL(), err))
			}
		}
		// Closing the connections cancels the requests held by latency or
		// stalls; give the handlers a moment to finish so their records are flushed.
		for i := 0; i < 500 && s.inflight.Load() > 0; i++ {
			time.Sleep(10 * time.Millisecond)
		}
		s.sched.close()
		if s.push != nil {
			s.push.close()
		}
		if s.rec != nil {
			if err := s.rec.flush(); err != nil {
				errs = append(errs, fmt.Errorf("%w (%w)", ErrRecordIncomplete, err))
			}
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// now is the server clock: monotonic nanoseconds since the server started.
func (s *Server) now() int64 { return int64(time.Since(s.start)) }

// wallMs converts a server-clock instant to epoch milliseconds.
func (s *Server) wallMs(now int64) int64 { return s.start.UnixMilli() + now/int64(time.Millisecond) }

// logWriter routes net/http's own error log to Options.Logf (or nowhere), so an
// embedded mock never writes to the process's stderr behind the caller's back.
type logWriter struct{ logf func(string, ...any) }

func (w logWriter) Write(p []byte) (int, error) {
	w.logf("mock: %s", strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

// chance reports true with probability p, from the seeded generator.
func (s *Server) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	s.rngMu.Lock()
	v := s.rng.Float64()
	s.rngMu.Unlock()
	return v < p
}

// sample draws from d with the seeded generator.
func (s *Server) sample(d Dist) time.Duration {
	if d.Kind == DistConstant {
		return d.Sample(nil)
	}
	s.rngMu.Lock()
	v := d.Sample(s.rng)
	s.rngMu.Unlock()
	return v
}

// exchange is the per-request scratch space, pooled so the hot path allocates little.
type exchange struct {
	body []byte
	out  []byte
	req  ccapi.SendMsgReq
	derr error
}

var exchangePool = sync.Pool{New: func() any { return &exchange{body: make([]byte, 0, 1024), out: make([]byte, 0, 1024)} }}

const (
	maxBody     = 32 << 20 // uploadFileStream carries base64 files
	maxPoolBody = 64 << 10 // larger buffers are not kept in the pool
)

// readBody reads r's body into x.body; it fails beyond maxBody.
func (x *exchange) readBody(r io.Reader) error {
	b := x.body[:0]
	for {
		if len(b) == cap(b) {
			if len(b) >= maxBody {
				return errBodyTooLarge
			}
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			x.body = b
			return nil
		}
		if err != nil {
			x.body = b
			return err
		}
	}
}

var errBodyTooLarge = errors.New("mock: body larger than 32 MiB")

// Fixed bodies of the hot path.
var (
	bodySendOK    = []byte(`{"resultCode":"0","resultDesc":"send sendMessageForOpenApiAsync success."}`)
	body12        = []byte(`{"resultCode":"12","resultDesc":"no agent is working now."}`)
	body13        = []byte(`{"resultCode":"13","resultDesc":"send message failed: no session, connect first."}`)
	body13Agent   = []byte(`{"resultCode":"13","resultDesc":"transfer failed: already with an agent or no session."}`)
	body500       = []byte(`{"resultDesc":"mock: injected business failure"}`)
	body404       = []byte(`{"resultCode":"1","resultDesc":"path not found"}`)
	body405       = []byte(`{"resultCode":"1","resultDesc":"method not allowed"}`)
	bodyMalformed = []byte(`{"resultCode":"0","resultDesc":<html>mock: malformed body`)
	body403       = []byte(`{"errorCode":"0","exceptionInfo":"auth fail! illegal or expired token info. please apply for a new AccessToken."}`)
)

// ServeHTTP answers one request: it counts it, injects the configured faults and runs the endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/mock/") {
		s.serveControl(w, r)
		return
	}
	ep, ok := s.route[r.URL.Path]
	if !ok {
		s.write(w, http.StatusNotFound, body404, "")
		return
	}
	now := s.now()
	s.cnt.endpoints[ep].Add(1)
	s.inflight.Add(1)
	defer s.inflight.Add(-1)
	x := exchangePool.Get().(*exchange)
	defer x.release()

	if err := x.readBody(r.Body); err != nil {
		if ep == ccapi.EpSendAsync || ep == ccapi.EpSend {
			s.cnt.controls[ctUnparsed].Add(1)
		}
		if errors.Is(err, errBodyTooLarge) {
			x.out = appendResult(x.out[:0], "1", "body: larger than 32 MiB")
			s.write(w, http.StatusRequestEntityTooLarge, x.out, "1")
		} else {
			s.cnt.faults[faultAbandoned].Add(1) // the client went away mid-body
		}
		return
	}
	if ep == ccapi.EpSendAsync || ep == ccapi.EpSend {
		x.derr = decodeSendMsgReq(x.body, &x.req) // x.req's strings may point into x.body
		if x.derr != nil {
			s.cnt.controls[ctUnparsed].Add(1)
		} else {
			s.cnt.controls[controlIndex(x.req.ControlType)].Add(1)
		}
	}

	if s.chance(s.opts.DropRate) {
		s.cnt.faults[faultDropped].Add(1)
		drop(w)
		return
	}
	if !s.hold(r.Context(), ep, now) {
		s.cnt.faults[faultAbandoned].Add(1) // the client gave up while the answer was held
		return
	}
	if s.chance(s.opts.MalformedRate) {
		s.cnt.faults[faultMalformed].Add(1)
		s.write(w, http.StatusOK, bodyMalformed, "")
		return
	}

	switch ep {
	case ccapi.EpSendAsync, ccapi.EpSend:
		s.serveSend(w, r, ep, x, now)
	case ccapi.EpPoll:
		s.servePoll(w, r, x, now)
	case ccapi.EpTokenByAkSk:
		s.serveTokenByAkSk(w, r, x, now)
	case ccapi.EpApplyToken:
		s.serveApplyToken(w, r, x, now)
	case ccapi.EpQueryQueueInfo:
		s.serveQueueInfo(w, r, x, now)
	case ccapi.EpUploadFileStream:
		s.serveUpload(w, r, x)
	}
}

func (x *exchange) release() {
	if cap(x.body) > maxPoolBody || cap(x.out) > maxPoolBody {
		return
	}
	x.req = ccapi.SendMsgReq{}
	x.derr = nil
	exchangePool.Put(x)
}

// write sends status and body and counts them; code is the body's resultCode ("" when none).
func (s *Server) write(w http.ResponseWriter, status int, body []byte, code string) {
	s.cnt.countStatus(status)
	if code != "" {
		s.cnt.countCode(code)
	}
	h := w.Header()
	h["Content-Type"] = contentJSON
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

var contentJSON = []string{"application/json;charset=UTF-8"}

// writeJSON marshals v; used off the hot path (tokens, queue info, uploads, stats).
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any, code string) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"resultCode":"4","resultDesc":"mock: encode failed"}`)
	}
	s.write(w, status, b, code)
}

// appendResult appends {"resultCode":code,"resultDesc":desc}.
func appendResult(b []byte, code, desc string) []byte {
	b = append(b, `{"resultCode":`...)
	b = appendJSONString(b, code)
	b = append(b, `,"resultDesc":`...)
	b = appendJSONString(b, desc)
	return append(b, '}')
}

// authFail answers 401 with why.
func (s *Server) authFail(w http.ResponseWriter, x *exchange, why string) {
	b := append(x.out[:0], `{"errorCode":"1","exceptionInfo":`...)
	b = appendJSONString(b, "unauthorized: "+why)
	x.out = append(b, '}')
	s.write(w, http.StatusUnauthorized, x.out, "")
}

// checkAccess enforces x-app-key and the Authorization bearer AccessToken.
// It answers the failure itself and reports whether the call may go on.
func (s *Server) checkAccess(w http.ResponseWriter, r *http.Request, x *exchange, now int64) bool {
	appKey := headerValue(r.Header, keyAppKey)
	auth := headerValue(r.Header, keyAuth)
	switch {
	case appKey == "":
		s.authFail(w, x, "missing x-app-key header")
		return false
	case auth == "":
		s.authFail(w, x, "missing Authorization header")
		return false
	case s.opts.AppKey != "" && appKey != s.opts.AppKey:
		s.authFail(w, x, "unknown x-app-key")
		return false
	}
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || tok == "" {
		s.authFail(w, x, `Authorization must be "Bearer <AccessToken>"`)
		return false
	}
	switch s.tokens.check(kindAccess, tok, now) {
	case tokUnknown:
		s.authFail(w, x, "unknown AccessToken")
		return false
	case tokExpired:
		s.write(w, http.StatusForbidden, body403, "")
		return false
	}
	return true
}

// checkCC enforces the ccmessaging-token header. An expired token is renewed:
// the call goes on and the answer carries the fresh token in the ccmessaging-token header.
func (s *Server) checkCC(w http.ResponseWriter, r *http.Request, x *exchange, now int64) bool {
	tok := headerValue(r.Header, keyToken)
	if tok == "" {
		s.authFail(w, x, "missing ccmessaging-token header")
		return false
	}
	switch s.tokens.check(kindCC, tok, now) {
	case tokUnknown:
		s.authFail(w, x, "unknown ccmessaging-token")
		return false
	case tokExpired:
		w.Header()[keyToken] = []string{s.tokens.renew(tok, now, int64(s.opts.CCTokenLifetime))}
	}
	return true
}

// Canonical forms of the API's header names, computed once: canonicalising per request allocates.
var (
	keyAppKey      = http.CanonicalHeaderKey(ccapi.HeaderAppKey)
	keyAuth        = http.CanonicalHeaderKey(ccapi.HeaderAuthorization)
	keyToken       = http.CanonicalHeaderKey(ccapi.HeaderToken)
	keyTokenExpire = http.CanonicalHeaderKey(ccapi.HeaderTokenExpire)
)

// headerValue reads a header by its canonical key without allocating.
func headerValue(h http.Header, canonicalKey string) string {
	if v := h[canonicalKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (s *Server) method(w http.ResponseWriter, r *http.Request, want string) bool {
	if r.Method == want {
		return true
	}
	w.Header().Set("Allow", want)
	s.write(w, http.StatusMethodNotAllowed, body405, "")
	return false
}

// serveSend answers sendAsync and send: auth, field rules, injected errors, then the session logic.
func (s *Server) serveSend(w http.ResponseWriter, r *http.Request, ep ccapi.Endpoint, x *exchange, now int64) {
	if !s.method(w, r, http.MethodPost) || !s.checkAccess(w, r, x, now) || !s.checkCC(w, r, x, now) {
		return
	}
	if x.derr != nil {
		x.out = appendResult(x.out[:0], "1", "body: not a JSON sendMsgReq object: "+x.derr.Error())
		s.write(w, http.StatusBadRequest, x.out, "1")
		return
	}
	if errs := x.req.Validate(ccapi.Rules{Lenient: s.opts.Lenient, AllowLocate: ep == ccapi.EpSend}); len(errs) > 0 {
		x.out = appendResult(x.out[:0], "1", joinErrors(errs))
		s.write(w, http.StatusBadRequest, x.out, "1")
		return
	}
	if s.chance(s.opts.ErrorRate) {
		s.cnt.faults[faultError].Add(1)
		switch s.opts.ErrorKind {
		case ErrorKind12:
			s.write(w, http.StatusOK, body12, "12")
		case ErrorKind13:
			s.write(w, http.StatusOK, body13, "13")
		default:
			s.write(w, http.StatusInternalServerError, body500, "")
		}
		return
	}
	if s.rec != nil {
		s.rec.record(&x.req, s.wallMs(now), s.logf)
	}
	switch code := s.sendLogic(&x.req, now); code {
	case "0":
		s.write(w, http.StatusOK, bodySendOK, "0")
	case "12":
		s.write(w, http.StatusOK, body12, "12")
	default:
		if x.req.ControlType == ccapi.Trans2Agent {
			s.write(w, http.StatusOK, body13Agent, "13")
		} else {
			s.write(w, http.StatusOK, body13, "13")
		}
	}
}

// servePoll answers GET poll?receiverId=...&channel=... with the session's pending downlink messages.
func (s *Server) servePoll(w http.ResponseWriter, r *http.Request, x *exchange, now int64) {
	if !s.method(w, r, http.MethodGet) || !s.checkAccess(w, r, x, now) || !s.checkCC(w, r, x, now) {
		return
	}
	user := queryValue(r.URL.RawQuery, "receiverId")
	if user == "" {
		x.out = appendResult(x.out[:0], "1", "receiverId: required query parameter")
		s.write(w, http.StatusBadRequest, x.out, "1")
		return
	}
	x.out = s.appendPoll(x.out[:0], user, now)
	s.write(w, http.StatusOK, x.out, "0")
}

// queryValue finds key in a raw query without building url.Values; it unescapes only when needed.
func queryValue(raw, key string) string {
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(kv, "=")
		if k != key {
			continue
		}
		if strings.ContainsAny(v, "%+") {
			if u, err := urlUnescape(v); err == nil {
				return u
			}
		}
		return v
	}
	return ""
}

func (s *Server) serveTokenByAkSk(w http.ResponseWriter, r *http.Request, x *exchange, now int64) {
	if !s.method(w, r, http.MethodPost) {
		return
	}
	var req ccapi.TokenByAkSkReq
	if err := json.Unmarshal(x.body, &req); err != nil {
		x.out = appendResult(x.out[:0], "1", "body: not a JSON object with app_key and app_secret")
		s.write(w, http.StatusBadRequest, x.out, "1")
		return
	}
	if req.AppKey == "" || req.AppSecret == "" {
		x.out = appendResult(x.out[:0], "1", "app_key and app_secret: required")
		s.write(w, http.StatusBadRequest, x.out, "1")
		return
	}
	if (s.opts.AppKey != "" && req.AppKey != s.opts.AppKey) || (s.opts.AppSecret != "" && req.AppSecret != s.opts.AppSecret) {
		s.authFail(w, x, "app_key or app_secret not accepted")
		return
	}
	life := 600 * time.Second
	if v := headerValue(r.Header, keyTokenExpire); v != "" {
		secs, err := parseSeconds(v)
		if err != nil || secs <= 0 {
			x.out = appendResult(x.out[:0], "1", "X-Token-Expire: want a number of seconds between 1 and 3600")
			s.write(w, http.StatusBadRequest, x.out, "1")
			return
		}
		life = time.Duration(min(secs, 3600)) * time.Second
	}
	life = min(life, s.opts.TokenLifetime)
	tok := s.tokens.issue(kindAccess, now+int64(life))
	expires := int64((life + time.Second - 1) / time.Second)
	s.writeJSON(w, http.StatusOK, ccapi.TokenByAkSkRsp{
		AccessToken: tok,
		ApplyType:   "Bearer",
		CreateTime:  fmt.Sprint(s.wallMs(now) / 1000),
		Expires:     fmt.Sprint(expires),
		Scope:       "default",
		AppKey:      req.AppKey,
		UserID:      "Anonymous",
	}, "")
}

func parseSeconds(v string) (int64, error) {
	var n int64
	if v == "" || len(v) > 12 {
		return 0, errors.New("bad")
	}
	for _, c := range []byte(v) {
		if c < '0' || c > '9' {
			return 0, errors.New("bad")
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

func (s *Server) serveApplyToken(w http.ResponseWriter, r *http.Request, x *exchange, now int64) {
	if !s.method(w, r, http.MethodPost) || !s.checkAccess(w, r, x, now) {
		return
	}
	var req ccapi.ApplyTokenReq
	if err := json.Unmarshal(x.body, &req); err != nil {
		s.writeJSON(w, http.StatusOK, ccapi.ApplyTokenRsp{ResultCode: "1", ResultDesc: "body: not a JSON applyToken object"}, "1")
		return
	}
	if errs := req.Validate(ccapi.Rules{Lenient: s.opts.Lenient}); len(errs) > 0 {
		s.writeJSON(w, http.StatusOK, ccapi.ApplyTokenRsp{ResultCode: "1", ResultDesc: joinErrors(errs)}, "1")
		return
	}
	tok := s.tokens.issue(kindCC, now+int64(s.opts.CCTokenLifetime))
	s.writeJSON(w, http.StatusOK, ccapi.ApplyTokenRsp{ResultCode: "0", Token: tok, ResultDesc: "apply token success."}, "0")
}

func (s *Server) serveQueueInfo(w http.ResponseWriter, r *http.Request, x *exchange, now int64) {
	if !s.method(w, r, http.MethodPost) || !s.checkAccess(w, r, x, now) || !s.checkCC(w, r, x, now) {
		return
	}
	var req ccapi.QueueInfoReq
	if err := json.Unmarshal(x.body, &req); err != nil || req.UserID == "" {
		s.writeJSON(w, http.StatusOK, ccapi.QueueInfoRsp{ResultCode: "1", ResultDesc: "userId: required in a JSON body"}, "1")
		return
	}
	rsp := s.queueInfo(req.UserID, now)
	s.writeJSON(w, http.StatusOK, rsp, rsp.ResultCode)
}

func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request, x *exchange) {
	now := s.now()
	if !s.method(w, r, http.MethodPost) || !s.checkAccess(w, r, x, now) || !s.checkCC(w, r, x, now) {
		return
	}
	var req ccapi.UploadReq
	if err := json.Unmarshal(x.body, &req); err != nil {
		s.writeJSON(w, http.StatusOK, ccapi.UploadRsp{ReturnCode: "2", ResultDesc: "body: not a JSON upload object"}, "2")
		return
	}
	// returnCode 2: a parameter is missing; 3: a parameter is bad.
	if errs := req.Validate(ccapi.Rules{}); len(errs) > 0 {
		code := "3"
		if req.FileType == "" || req.Channel == "" || req.FileStream == "" {
			code = "2"
		}
		s.writeJSON(w, http.StatusOK, ccapi.UploadRsp{ReturnCode: code, ResultDesc: joinErrors(errs)}, code)
		return
	}
	if !validBase64(req.FileStream) {
		s.writeJSON(w, http.StatusOK, ccapi.UploadRsp{ReturnCode: "3", ResultDesc: "fileStream: not base64"}, "3")
		return
	}
	key := fmt.Sprintf("mock-%d-%s", s.uploads.Add(1), strings.ToLower(req.FileType))
	s.writeJSON(w, http.StatusOK, ccapi.UploadRsp{ReturnCode: "0", ObjectKey: key}, "0")
}

// serveControl answers the mock's own paths, which need no auth and are not counted.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	var v any
	switch {
	case r.URL.Path == "/mock/stats" && r.Method == http.MethodGet:
		v = s.Stats()
	case r.URL.Path == "/mock/reset" && r.Method == http.MethodPost:
		s.ResetStats()
		v = map[string]bool{"reset": true}
	case r.URL.Path == "/mock/stats" || r.URL.Path == "/mock/reset":
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	default:
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

var _ http.Handler = (*Server)(nil)
