package ccapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ccload/internal/loopback"
)

const (
	testAppKey    = "ak-test"
	testAppSecret = "sk-very-secret"
)

// fake is a small stand-in for the platform: it issues AccessTokens and ccmessaging
// tokens, checks the headers of every call, and lets a test override any answer.
type fake struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex      // guards everything below
	counts    map[string]int  // requests received per endpoint name
	received  int             // all requests
	access    map[string]bool // valid AccessTokens
	cm        map[string]bool // valid ccmessaging tokens
	nAccess   int
	nCM       int
	expires   string   // Expires of tokenByAkSk answers
	headerLog []string // "<endpoint> <token> <app key> <authorization>" per request
	// hook, when set, may answer a request itself (return true); it runs after counting.
	hook func(ep string, w http.ResponseWriter, r *http.Request) bool
	// tokenGate, when set, holds tokenByAkSk answers until it is closed.
	tokenGate chan struct{}
}

func newFake(t *testing.T) *fake {
	f := &fake{t: t, counts: map[string]int{}, access: map[string]bool{}, cm: map[string]bool{}, expires: "600"}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fake) count(ep string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[ep]
}

func (f *fake) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.received
}

func (f *fake) setHook(h func(ep string, w http.ResponseWriter, r *http.Request) bool) {
	f.mu.Lock()
	f.hook = h
	f.mu.Unlock()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	ep := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.counts[ep]++
	f.received++
	f.headerLog = append(f.headerLog, ep+" "+r.Header.Get(HeaderToken)+" "+r.Header.Get(HeaderAppKey)+" "+r.Header.Get(HeaderAuthorization))
	hook, gate := f.hook, f.tokenGate
	f.mu.Unlock()
	if hook != nil && hook(ep, w, r) {
		return
	}
	if ep == "tokenByAkSk" {
		if gate != nil {
			<-gate
		}
		var req TokenByAkSkReq
		if json.Unmarshal(body, &req) != nil || req.AppKey != testAppKey || req.AppSecret != testAppSecret ||
			r.Header.Get(HeaderTokenExpire) == "" {
			writeJSON(w, 401, map[string]string{"error": "bad ak/sk"})
			return
		}
		f.mu.Lock()
		f.nAccess++
		tok := "at-" + strconv.Itoa(f.nAccess)
		f.access[tok] = true
		exp := f.expires
		f.mu.Unlock()
		writeJSON(w, 200, TokenByAkSkRsp{AccessToken: tok, ApplyType: "Bearer", Expires: exp, UserID: "Anonymous"})
		return
	}
	f.mu.Lock()
	authOK := r.Header.Get(HeaderAppKey) == testAppKey &&
		f.access[strings.TrimPrefix(r.Header.Get(HeaderAuthorization), "Bearer ")]
	cmOK := f.cm[r.Header.Get(HeaderToken)]
	f.mu.Unlock()
	if !authOK {
		writeJSON(w, 403, AuthFailRsp{ErrorCode: "0", ExceptionInfo: "auth fail! illegal or expired token info."})
		return
	}
	if ep == "applyToken" {
		var req ApplyTokenReq
		if json.Unmarshal(body, &req) != nil || req.UserID == "" {
			writeJSON(w, 400, ApplyTokenRsp{ResultCode: "1"})
			return
		}
		f.mu.Lock()
		f.nCM++
		tok := "cm-" + strconv.Itoa(f.nCM)
		f.cm[tok] = true
		f.mu.Unlock()
		writeJSON(w, 200, ApplyTokenRsp{ResultCode: "0", Token: tok})
		return
	}
	if !cmOK {
		w.WriteHeader(401)
		return
	}
	switch ep {
	case "sendAsync", "send":
		var req SendMsgReq
		if err := json.Unmarshal(body, &req); err != nil {
			writeJSON(w, 400, SendMsgRsp{ResultCode: "1", ResultDesc: err.Error()})
			return
		}
		writeJSON(w, 200, SendMsgRsp{ResultCode: "0", ResultDesc: "send sendMessageForOpenApiAsync success."})
	case "poll":
		msgs := []DownlinkMessage{}
		if r.URL.Query().Get("channel") == "WEB" {
			msgs = append(msgs, DownlinkMessage{Channel: "WEB", To: r.URL.Query().Get("receiverId"), ControlType: Chat,
				MediaType: Text, Content: "robot says hi", SourceType: SourceRobot, Timestamp: 1})
		}
		writeJSON(w, 200, PollRsp{ResultCode: "0", DownlinkMessages: msgs})
	case "queryQueueInfo":
		writeJSON(w, 200, QueueInfoRsp{Position: 2, TotalWaitTime: 3, EstimateWaitTime: 60, ResultCode: "0"})
	case "uploadFileStream":
		writeJSON(w, 200, UploadRsp{ReturnCode: "0", ObjectKey: "obj-1"})
	default:
		w.WriteHeader(404)
	}
}

// recorder collects what Observe sees, copying each Call.
type recorder struct {
	mu    sync.Mutex
	calls []Call
}

func (r *recorder) observe(c *Call) {
	r.mu.Lock()
	r.calls = append(r.calls, *c)
	r.mu.Unlock()
}

func (r *recorder) summary() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []string
	for _, c := range r.calls {
		e := c.Endpoint.String() + " " + strconv.Itoa(c.Status)
		if c.Retry {
			e += " retry"
		}
		s = append(s, e)
	}
	return s
}

func newTestClient(t *testing.T, f *fake, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: f.srv.URL, AppKey: testAppKey, AppSecret: testAppSecret, Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func chatReq(from string) *SendMsgReq {
	return &SendMsgReq{Channel: "WEB", Content: "hello", ControlType: Chat, From: from, MediaType: Text,
		SourceType: SourceCustomer, To: "cfg-1"}
}

func mustOK(t *testing.T, c *Call) {
	t.Helper()
	if c.Kind != KindOK {
		t.Fatalf("%s: kind %s status %d code %q err %v", c.Endpoint, c.Kind, c.Status, c.ResultCode, c.Err)
	}
}

func TestClientHeadersOnEveryCall(t *testing.T) {
	f := newFake(t)
	c := newTestClient(t, f, nil)
	var rec recorder
	cu := c.NewCustomer("user-1")
	cu.Observe = rec.observe
	ctx := context.Background()

	mustOK(t, cu.ApplyToken(ctx, "User One", "cfg-1", "en"))
	mustOK(t, cu.Send(ctx, chatReq("user-1")))
	msgs, pc := cu.Poll(ctx, "WEB", nil)
	mustOK(t, pc)
	if len(msgs) != 1 || msgs[0].Content != "robot says hi" || msgs[0].To != "user-1" {
		t.Errorf("poll messages = %+v, want the robot's to user-1", msgs)
	}
	q, qc := cu.QueryQueueInfo(ctx, &QueueInfoReq{UserID: "user-1", ChannelConfigID: "cfg-1", Channel: "WEB"})
	mustOK(t, qc)
	if q == nil || q.Position != 2 || q.EstimateWaitTime != 60 {
		t.Errorf("queue info = %+v, want position 2", q)
	}
	key, uc := cu.Upload(ctx, &UploadReq{FileType: "jpg", Channel: "WEB", FileStream: "aGk="})
	mustOK(t, uc)
	if key != "obj-1" {
		t.Errorf("objectKey = %q", key)
	}

	want := []string{
		"tokenByAkSk  " + testAppKey + " ",
		"applyToken  " + testAppKey + " Bearer at-1",
		"sendAsync cm-1 " + testAppKey + " Bearer at-1",
		"poll cm-1 " + testAppKey + " Bearer at-1",
		"queryQueueInfo cm-1 " + testAppKey + " Bearer at-1",
		"uploadFileStream cm-1 " + testAppKey + " Bearer at-1",
	}
	if got := strings.Join(f.headerLog, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("headers received:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if got := len(rec.summary()); got != f.total() {
		t.Errorf("observed %d calls, the server received %d", got, f.total())
	}
}

func TestClientUseSendAndStaticTokens(t *testing.T) {
	f := newFake(t)
	f.access["static-at"] = true
	f.cm["static-cm"] = true
	c := newTestClient(t, f, func(cfg *Config) { cfg.AccessToken = "static-at"; cfg.UseSend = true })
	cu := c.NewCustomer("u")
	cu.SetToken("static-cm")
	mustOK(t, cu.Send(context.Background(), chatReq("u")))
	if f.count("tokenByAkSk") != 0 || f.count("send") != 1 || f.count("sendAsync") != 0 {
		t.Errorf("counts %v, want one send and no token fetch", f.counts)
	}
	if tok, err := c.AccessToken(context.Background()); tok != "static-at" || err != nil {
		t.Errorf("AccessToken = %q, %v", tok, err)
	}
}

func TestAccessTokenRenewedBeforeExpiry(t *testing.T) {
	f := newFake(t)
	f.expires = "10"
	c := newTestClient(t, f, nil)
	var mu sync.Mutex
	now := time.Unix(1_000_000, 0)
	c.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	ctx := context.Background()

	tok1, err := c.AccessToken(ctx)
	if err != nil || tok1 != "at-1" {
		t.Fatalf("first AccessToken = %q, %v", tok1, err)
	}
	advance(7900 * time.Millisecond) // 79% of 10 s: still cached
	if tok, _ := c.AccessToken(ctx); tok != "at-1" || f.count("tokenByAkSk") != 1 {
		t.Fatalf("at 79%% of its life: token %q after %d fetches, want at-1 after 1", tok, f.count("tokenByAkSk"))
	}
	advance(200 * time.Millisecond) // 81%: renewed, though at-1 has 1.9 s left
	if tok, _ := c.AccessToken(ctx); tok != "at-2" || f.count("tokenByAkSk") != 2 {
		t.Fatalf("at 81%% of its life: token %q after %d fetches, want at-2 after 2", tok, f.count("tokenByAkSk"))
	}
}

func TestOneTokenFetchForManyCallers(t *testing.T) {
	f := newFake(t)
	f.tokenGate = make(chan struct{})
	c := newTestClient(t, f, nil)
	const n = 1000
	var observed atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := range n {
		cu := c.NewCustomer("u" + strconv.Itoa(i))
		f.mu.Lock()
		f.cm["cm-static-"+strconv.Itoa(i)] = true
		f.mu.Unlock()
		cu.SetToken("cm-static-" + strconv.Itoa(i))
		cu.Observe = func(*Call) { observed.Add(1) }
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c := cu.Send(context.Background(), chatReq(cu.UserID())); c.Kind != KindOK {
				failed.Add(1)
			}
		}()
	}
	// Release the one fetch once it has arrived; late callers find the token cached.
	for i := 0; f.count("tokenByAkSk") == 0; i++ {
		if i == 10_000 {
			close(f.tokenGate)
			t.Fatal("no tokenByAkSk call arrived within ~10 s")
		}
		time.Sleep(time.Millisecond)
	}
	close(f.tokenGate)
	wg.Wait()
	if got := f.count("tokenByAkSk"); got != 1 {
		t.Errorf("tokenByAkSk called %d times for %d concurrent callers, want 1", got, n)
	}
	if failed.Load() != 0 || f.count("sendAsync") != n {
		t.Errorf("%d sends failed, %d received, want 0 and %d", failed.Load(), f.count("sendAsync"), n)
	}
	if int(observed.Load()) != f.total() {
		t.Errorf("observed %d exchanges, the server received %d", observed.Load(), f.total())
	}
}

func TestFailedTokenFetchIsNotRetriedByEveryCaller(t *testing.T) {
	f := newFake(t)
	c := newTestClient(t, f, func(cfg *Config) { cfg.AppSecret = "wrong-" + testAppSecret })
	c.now = func() time.Time { return time.Unix(1_000_000, 0) } // the backoff never runs out
	var wg sync.WaitGroup
	var notSent atomic.Int64
	for i := range 50 {
		cu := c.NewCustomer("u" + strconv.Itoa(i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			call := cu.Send(context.Background(), chatReq("u"))
			if call.Status == 0 && call.Kind == KindHTTP && call.Err != nil {
				notSent.Add(1)
			}
			if strings.Contains(call.Err.Error(), testAppSecret) {
				t.Errorf("error %q shows the app secret", call.Err)
			}
		}()
	}
	wg.Wait()
	if got := f.count("tokenByAkSk"); got != 1 {
		t.Errorf("tokenByAkSk called %d times, want 1 (then fail fast)", got)
	}
	if notSent.Load() != 50 || f.count("sendAsync") != 0 {
		t.Errorf("%d calls failed unsent with KindHTTP, %d sends reached the server; want 50 and 0", notSent.Load(), f.count("sendAsync"))
	}
}

func TestFreshTokenHeaderAdopted(t *testing.T) {
	f := newFake(t)
	f.cm["cm-fresh"] = true
	c := newTestClient(t, f, nil)
	cu := c.NewCustomer("u")
	ctx := context.Background()
	mustOK(t, cu.ApplyToken(ctx, "", "cfg-1", ""))
	var once sync.Once
	f.setHook(func(ep string, w http.ResponseWriter, r *http.Request) bool {
		if ep == "sendAsync" {
			once.Do(func() { w.Header().Set(HeaderToken, "cm-fresh") })
		}
		return false
	})
	mustOK(t, cu.Send(ctx, chatReq("u")))
	if cu.Token() != "cm-fresh" {
		t.Fatalf("token after a fresh header = %q, want cm-fresh", cu.Token())
	}
	_, pc := cu.Poll(ctx, "WEB", nil)
	mustOK(t, pc)
	if last := f.headerLog[len(f.headerLog)-1]; !strings.HasPrefix(last, "poll cm-fresh ") {
		t.Errorf("poll after the switch sent %q, want the fresh token", last)
	}
}

func TestUnauthorizedReappliesOnceAndRetriesOnce(t *testing.T) {
	for _, tc := range []struct {
		name      string
		always401 bool
		want      []string
	}{
		{"retry succeeds", false, []string{"tokenByAkSk 200", "applyToken 200", "sendAsync 401", "applyToken 200", "sendAsync 200 retry"}},
		{"retry fails too", true, []string{"tokenByAkSk 200", "applyToken 200", "sendAsync 401", "applyToken 200", "sendAsync 401 retry"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			c := newTestClient(t, f, nil)
			var rec recorder
			cu := c.NewCustomer("u")
			cu.Observe = rec.observe
			ctx := context.Background()
			mustOK(t, cu.ApplyToken(ctx, "", "cfg-1", ""))
			f.setHook(func(ep string, w http.ResponseWriter, r *http.Request) bool {
				if ep == "sendAsync" && (tc.always401 || r.Header.Get(HeaderToken) == "cm-1") {
					w.WriteHeader(401)
					return true
				}
				return false
			})
			call := cu.Send(ctx, chatReq("u"))
			if got := strings.Join(rec.summary(), ", "); got != strings.Join(tc.want, ", ") {
				t.Errorf("exchanges: %s\nwant:      %s", got, strings.Join(tc.want, ", "))
			}
			if !call.Retry || (call.Kind == KindOK) == tc.always401 {
				t.Errorf("returned call: retry %v kind %s, want the retry's outcome", call.Retry, call.Kind)
			}
			if cu.Token() != "cm-2" {
				t.Errorf("token after re-apply = %q, want cm-2", cu.Token())
			}
		})
	}
}

func TestUnauthorizedStaticTokenNotRetried(t *testing.T) {
	f := newFake(t)
	c := newTestClient(t, f, nil)
	cu := c.NewCustomer("u")
	cu.SetToken("unknown-to-the-server")
	call := cu.Send(context.Background(), chatReq("u"))
	if call.Kind != KindHTTP || call.Status != 401 || call.Retry || f.count("applyToken") != 0 || f.count("sendAsync") != 1 {
		t.Errorf("kind %s status %d retry %v, %d applies, %d sends; want one 401 and nothing more",
			call.Kind, call.Status, call.Retry, f.count("applyToken"), f.count("sendAsync"))
	}
}

func TestExpiredAccessTokenRenewed(t *testing.T) {
	f := newFake(t)
	c := newTestClient(t, f, nil)
	var rec recorder
	cu := c.NewCustomer("u")
	cu.Observe = rec.observe
	ctx := context.Background()
	mustOK(t, cu.ApplyToken(ctx, "", "cfg-1", ""))
	f.mu.Lock()
	delete(f.access, "at-1") // the platform expires it early
	f.mu.Unlock()
	call := cu.Send(ctx, chatReq("u"))
	mustOK(t, call)
	want := "tokenByAkSk 200, applyToken 200, sendAsync 403, tokenByAkSk 200, applyToken 200, sendAsync 200 retry"
	if got := strings.Join(rec.summary(), ", "); got != want {
		t.Errorf("exchanges: %s\nwant:      %s", got, want)
	}
	if last := f.headerLog[len(f.headerLog)-1]; !strings.HasSuffix(last, "Bearer at-2") {
		t.Errorf("retry sent %q, want the renewed AccessToken", last)
	}
}

func TestPollAndSendConcurrentReapplyOnce(t *testing.T) {
	f := newFake(t)
	c := newTestClient(t, f, nil)
	var rec recorder
	cu := c.NewCustomer("u")
	cu.Observe = rec.observe
	ctx := context.Background()
	mustOK(t, cu.ApplyToken(ctx, "", "cfg-1", ""))
	f.mu.Lock()
	delete(f.cm, "cm-1") // the session's token expires
	f.mu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); mustOK(t, cu.Send(ctx, chatReq("u"))) }()
	go func() {
		defer wg.Done()
		_, pc := cu.Poll(ctx, "WEB", nil)
		mustOK(t, pc)
	}()
	wg.Wait()
	if got := f.count("applyToken"); got != 2 {
		t.Errorf("applyToken called %d times, want 2 (initial + one re-apply for both goroutines)", got)
	}
	if len(rec.summary()) != f.total() {
		t.Errorf("observed %d, received %d", len(rec.summary()), f.total())
	}
}

func TestErrorClassification(t *testing.T) {
	closedAddr := loopback.RefusedAddr(t) // refuses connections until the test ends

	stop := make(chan struct{})
	defer close(stop)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("channel") {
		case "sleep":
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		case "reset":
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					tc.SetLinger(0) // RST, not FIN
				}
				conn.Close()
			}
		case "close":
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		case "garbage":
			io.WriteString(w, "<html>not json</html>")
		case "norc":
			io.WriteString(w, `{"resultDesc":"no code"}`)
		case "app":
			io.WriteString(w, `{"resultCode":"13","resultDesc":"transfer failed"}`)
		case "http500":
			w.WriteHeader(500)
			io.WriteString(w, `{"resultCode":"1","resultDesc":"business failure"}`)
		default:
			io.WriteString(w, `{"resultCode":"0","downlinkMessages":[]}`)
		}
	}))
	defer srv.Close()

	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name    string
		base    string
		channel string
		ctx     context.Context
		kind    ErrKind
		status  int
		code    string
		sent    bool
	}{
		{"ok", srv.URL, "ok", context.Background(), KindOK, 200, "0", true},
		{"refused", "http://" + closedAddr, "ok", context.Background(), KindRefused, 0, "", true},
		{"timeout", srv.URL, "sleep", context.Background(), KindTimeout, 0, "", true},
		{"reset", srv.URL, "reset", context.Background(), KindReset, 0, "", true},
		{"closed", srv.URL, "close", context.Background(), KindReset, 0, "", true},
		{"unparseable", srv.URL, "garbage", context.Background(), KindUnparseable, 200, "", true},
		{"no resultCode", srv.URL, "norc", context.Background(), KindUnparseable, 200, "", true},
		{"app", srv.URL, "app", context.Background(), KindApp, 200, "13", true},
		{"http", srv.URL, "http500", context.Background(), KindHTTP, 500, "1", true},
		// A call whose run had ended is observed as not sent (run_ended), outside the target's counts.
		{"canceled before", srv.URL, "ok", canceled, KindRunEnded, 0, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			timeout := 10 * time.Second // generous: a loaded CI machine must not turn "ok" into "timeout"
			if tc.kind == KindTimeout {
				timeout = 100 * time.Millisecond
			}
			c, err := NewClient(Config{BaseURL: tc.base, AccessToken: "at", AppKey: testAppKey, Timeout: timeout})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			cu := c.NewCustomer("u")
			cu.SetToken("cm")
			observed := 0
			cu.Observe = func(*Call) { observed++ }
			_, call := cu.Poll(tc.ctx, tc.channel, nil)
			if call.Kind != tc.kind || call.Status != tc.status || call.ResultCode != tc.code {
				t.Errorf("kind %s status %d code %q (err %v); want %s %d %q", call.Kind, call.Status, call.ResultCode, call.Err, tc.kind, tc.status, tc.code)
			}
			if want := tc.kind != KindRefused && !tc.kind.NotSent(); call.Written != want {
				t.Errorf("Written = %v for kind %s, want %v", call.Written, call.Kind, want)
			}
			if (call.Err == nil) != (tc.kind == KindOK || tc.kind == KindApp || tc.kind == KindHTTP) {
				t.Errorf("err = %v for kind %s", call.Err, call.Kind)
			}
			if want := map[bool]int{true: 1, false: 0}[tc.sent]; observed != want {
				t.Errorf("observed %d calls, want %d", observed, want)
			}
		})
	}
}

func TestCanceledDuringCall(t *testing.T) {
	started := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // the server notices a closed connection only once the body is read
		close(started)
		<-r.Context().Done()
	}))
	defer srv.Close()
	c, _ := NewClient(Config{BaseURL: srv.URL, AccessToken: "at", AppKey: testAppKey, Timeout: 5 * time.Second})
	defer c.Close()
	cu := c.NewCustomer("u")
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	if call := cu.Send(ctx, chatReq("u")); call.Kind != KindCut || !call.Written {
		t.Errorf("kind %s written %v (err %v), want cut: written, and its answer cut off by the caller", call.Kind, call.Written, call.Err)
	}
}

func TestNewClientConfig(t *testing.T) {
	for _, cfg := range []Config{
		{BaseURL: "ftp://x", AccessToken: "a"},
		{BaseURL: "http://", AccessToken: "a"},
		{BaseURL: "http://127.0.0.1:1"},
		{BaseURL: "http://127.0.0.1:1", AccessToken: "a", Transport: "carrier-pigeon"},
	} {
		if _, err := NewClient(cfg); err == nil {
			t.Errorf("NewClient(%v) accepted it", cfg)
		}
	}
	cfg := Config{BaseURL: "http://h", AppKey: "k", AppSecret: testAppSecret, AccessToken: "secret-at"}
	for _, s := range []string{cfg.String(), cfg.GoString()} {
		if strings.Contains(s, testAppSecret) || strings.Contains(s, "secret-at") {
			t.Errorf("Config.String shows a secret: %s", s)
		}
	}
	c, err := NewClient(Config{BaseURL: "http://h/prefix/", AccessToken: "a"})
	if err != nil || c.paths[EpSendAsync] != "/prefix"+DefaultPaths.SendAsync {
		t.Errorf("path with a base prefix = %q, %v", c.paths[EpSendAsync], err)
	}
}

// BenchmarkSend is the whole hot path: body encoding, headers, a loopback exchange over
// net/http and the response parse, with static tokens.
func BenchmarkSend(b *testing.B) {
	body := []byte(`{"resultCode":"0","resultDesc":"send sendMessageForOpenApiAsync success."}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer srv.Close()
	c, err := NewClient(Config{BaseURL: srv.URL, AccessToken: "at", AppKey: testAppKey})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	cu := c.NewCustomer("u")
	cu.SetToken("cm")
	req := chatReq("u")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if call := cu.Send(ctx, req); call.Kind != KindOK {
			b.Fatal(call.Kind, call.Err)
		}
	}
}

// BenchmarkPollEmpty is an idle poll, the most frequent call of a real session.
func BenchmarkPollEmpty(b *testing.B) {
	body := []byte(`{"resultCode":"0","resultDesc":"query user messages success.","downlinkMessages":[]}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer srv.Close()
	c, err := NewClient(Config{BaseURL: srv.URL, AccessToken: "at", AppKey: testAppKey})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	cu := c.NewCustomer("u")
	cu.SetToken("cm")
	ctx := context.Background()
	var msgs []DownlinkMessage
	b.ReportAllocs()
	for b.Loop() {
		var call *Call
		if msgs, call = cu.Poll(ctx, "WEB", msgs[:0]); call.Kind != KindOK {
			b.Fatal(call.Kind, call.Err)
		}
	}
}

// cannedServer is a minimal HTTP/1.1 server on loopback that answers every request with
// body, allocating next to nothing, so client benchmarks count the client's allocations
// rather than net/http's server's.
func cannedServer(tb testing.TB, body string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body)
	var wg sync.WaitGroup
	tb.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				br := bufio.NewReaderSize(conn, 8192)
				for {
					clen := 0
					for first := true; ; first = false {
						line, err := br.ReadSlice('\n')
						if err != nil {
							return
						}
						if len(line) <= 2 && !first {
							break
						}
						// Parsed by hand: strconv.Atoi(string(...)) could allocate per request.
						const cl = "content-length:"
						if len(line) > len(cl) && bytes.EqualFold(line[:len(cl)], []byte(cl)) {
							for _, d := range bytes.TrimSpace(line[len(cl):]) {
								clen = clen*10 + int(d-'0')
							}
						}
					}
					if _, err := br.Discard(clen); err != nil {
						return
					}
					if _, err := conn.Write(resp); err != nil {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// BenchmarkSendClientOnly is BenchmarkSend against cannedServer: the client's own cost.
func BenchmarkSendClientOnly(b *testing.B) {
	base := cannedServer(b, `{"resultCode":"0","resultDesc":"send sendMessageForOpenApiAsync success."}`)
	c, err := NewClient(Config{BaseURL: base, AccessToken: "at", AppKey: testAppKey})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	cu := c.NewCustomer("u")
	cu.SetToken("cm")
	req := chatReq("u")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if call := cu.Send(ctx, req); call.Kind != KindOK {
			b.Fatal(call.Kind, call.Err)
		}
	}
}
