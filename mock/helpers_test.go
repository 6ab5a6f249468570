package mock_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"ccload/ccapi"
	"ccload/mock"
)

// newMock starts a mock with opts and closes it when the test ends.
func newMock(t testing.TB, opts mock.Options) *mock.Server {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	s, err := mock.NewServer(opts)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// bubbleClient starts a mock with opts that listens on nothing and returns a client whose calls
// the mock's handler serves in memory. Call it inside a synctest bubble (synctest.Test): the mock's
// clock is then the bubble's fake clock, so a test of token lifetimes waits on no real time, and a
// loaded machine cannot make a token expire between two calls the test expects it to live through.
func bubbleClient(t *testing.T, opts mock.Options) *client {
	t.Helper()
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	s, err := mock.NewUnstarted(opts)
	if err != nil {
		t.Fatalf("NewUnstarted: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	c := &client{t: t, base: "http://mock.invalid", appKey: "test-app", hc: &http.Client{Transport: handlerTransport{s.Handler()}}}
	c.access = c.accessToken("test-app", "test-secret", "")
	c.cc = c.applyToken("customer")
	return c
}

// handlerTransport serves each request with h in the caller's goroutine (no socket).
type handlerTransport struct{ h http.Handler }

func (tr handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	tr.h.ServeHTTP(rec, req)
	return rec.Result(), nil
}

// quickOptions are DefaultOptions with no delays, so tests need not wait for the robot.
func quickOptions() mock.Options {
	o := mock.DefaultOptions()
	o.RobotDelay = 0
	o.AgentReplyDelay = 0
	return o
}

// reply is one answer as a client sees it.
type reply struct {
	status int
	body   []byte
	header http.Header
}

func (r reply) resultCode(t testing.TB) string {
	t.Helper()
	var v struct {
		ResultCode string `json:"resultCode"`
		ReturnCode string `json:"returnCode"`
	}
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	if v.ReturnCode != "" {
		return v.ReturnCode
	}
	return v.ResultCode
}

// client is a test customer: it holds an AccessToken and a ccmessaging-token.
type client struct {
	t      testing.TB
	base   string
	appKey string
	access string
	cc     string
	hc     *http.Client
}

func newClient(t testing.TB, s *mock.Server) *client {
	t.Helper()
	c := &client{t: t, base: s.URL(), appKey: "test-app", hc: &http.Client{Timeout: 30 * time.Second}}
	c.access = c.accessToken("test-app", "test-secret", "")
	c.cc = c.applyToken("customer")
	return c
}

func (c *client) do(method, path string, body []byte, hdr map[string]string) reply {
	c.t.Helper()
	r, err := c.try(method, path, body, hdr)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func (c *client) try(method, path string, body []byte, hdr map[string]string) (reply, error) {
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	rsp, err := c.hc.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer rsp.Body.Close()
	b, err := io.ReadAll(rsp.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{status: rsp.StatusCode, body: b, header: rsp.Header}, nil
}

// headers are the three headers of every API call.
func (c *client) headers() map[string]string {
	return map[string]string{
		ccapi.HeaderAppKey:        c.appKey,
		ccapi.HeaderAuthorization: "Bearer " + c.access,
		ccapi.HeaderToken:         c.cc,
	}
}

func (c *client) accessToken(key, secret, expire string) string {
	c.t.Helper()
	body, _ := json.Marshal(ccapi.TokenByAkSkReq{AppKey: key, AppSecret: secret})
	r := c.do("POST", ccapi.DefaultPaths.TokenByAkSk, body, map[string]string{ccapi.HeaderTokenExpire: expire})
	var v ccapi.TokenByAkSkRsp
	if r.status != 200 || json.Unmarshal(r.body, &v) != nil || v.AccessToken == "" {
		c.t.Fatalf("tokenByAkSk: %d %s", r.status, r.body)
	}
	return v.AccessToken
}

func (c *client) applyToken(user string) string {
	c.t.Helper()
	body, _ := json.Marshal(ccapi.ApplyTokenReq{UserID: user, ChannelID: "1011577355744904195"})
	r := c.do("POST", ccapi.DefaultPaths.ApplyToken, body, map[string]string{
		ccapi.HeaderAppKey: c.appKey, ccapi.HeaderAuthorization: "Bearer " + c.access,
	})
	var v ccapi.ApplyTokenRsp
	if r.status != 200 || json.Unmarshal(r.body, &v) != nil || v.ResultCode != "0" || v.Token == "" {
		c.t.Fatalf("applyToken: %d %s", r.status, r.body)
	}
	return v.Token
}

// send posts a sendAsync message of controlType ct from user.
func (c *client) send(user string, ct ccapi.ControlType, content string) reply {
	c.t.Helper()
	req := ccapi.SendMsgReq{
		Channel: "WEB", Content: content, ControlType: ct, From: user, MediaType: ccapi.Text,
		SourceType: ccapi.SourceCustomer, To: "1011577355744904195",
	}
	body, _ := json.Marshal(req)
	return c.do("POST", ccapi.DefaultPaths.SendAsync, body, c.headers())
}

// sendCode sends and returns the resultCode, failing unless the answer is HTTP 200.
func (c *client) sendCode(user string, ct ccapi.ControlType, content string) string {
	c.t.Helper()
	r := c.send(user, ct, content)
	if r.status != 200 {
		c.t.Fatalf("%s %s: HTTP %d %s", user, ct, r.status, r.body)
	}
	return r.resultCode(c.t)
}

func (c *client) poll(user string) []ccapi.DownlinkMessage {
	c.t.Helper()
	r := c.do("GET", ccapi.DefaultPaths.Poll+"?receiverId="+url.QueryEscape(user)+"&channel=WEB", nil, c.headers())
	var v ccapi.PollRsp
	if r.status != 200 || json.Unmarshal(r.body, &v) != nil || v.ResultCode != "0" {
		c.t.Fatalf("poll: %d %s", r.status, r.body)
	}
	return v.DownlinkMessages
}

// pollUntil polls user until a message satisfies ok, for at most 10 s, and returns it.
func (c *client) pollUntil(user string, what string, ok func(ccapi.DownlinkMessage) bool) ccapi.DownlinkMessage {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range c.poll(user) {
			if ok(m) {
				return m
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.t.Fatalf("%s: no %s arrived through poll within 10s", user, what)
	return ccapi.DownlinkMessage{}
}

func (c *client) queueInfo(user string) ccapi.QueueInfoRsp {
	c.t.Helper()
	body, _ := json.Marshal(ccapi.QueueInfoReq{UserID: user, ChannelConfigID: "1011577355744904195", Channel: "WEB"})
	r := c.do("POST", ccapi.DefaultPaths.QueryQueueInfo, body, c.headers())
	var v ccapi.QueueInfoRsp
	if r.status != 200 || json.Unmarshal(r.body, &v) != nil {
		c.t.Fatalf("queryQueueInfo: %d %s", r.status, r.body)
	}
	return v
}

// stats reads GET /mock/stats as a client would.
func (c *client) stats() mock.Stats {
	c.t.Helper()
	r := c.do("GET", "/mock/stats", nil, nil)
	var v mock.Stats
	if r.status != 200 {
		c.t.Fatalf("stats: %d %s", r.status, r.body)
	}
	if err := json.Unmarshal(r.body, &v); err != nil {
		c.t.Fatalf("stats %s: %v", r.body, err)
	}
	return v
}

// waitFor checks cond every 10 ms for at most 10 s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
