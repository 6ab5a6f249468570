package mock_test

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"ccload/ccapi"
	"ccload/mock"
)

const documentedOK = `{"resultCode":"0","resultDesc":"send sendMessageForOpenApiAsync success."}`

// referenceExamples returns the five example requests of ccmessaging-sendAsync.txt, verbatim.
func referenceExamples(t *testing.T) [][]byte {
	t.Helper()
	b, err := os.ReadFile("testdata/sendasync_examples.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, ex := range strings.Split(strings.TrimSpace(string(b)), "\n\n") {
		out = append(out, []byte(ex))
	}
	if len(out) != 5 {
		t.Fatalf("want the document's 5 examples, got %d", len(out))
	}
	return out
}

var fromRE = regexp.MustCompile(`"from": "([^"]*)"`)

// cutFrom shortens the example's 40-character from to the table's 24.
func cutFrom(ex []byte) []byte {
	return fromRE.ReplaceAllFunc(ex, func(m []byte) []byte {
		v := fromRE.FindSubmatch(m)[1]
		return []byte(`"from": "` + string(v[:24]) + `"`)
	})
}

func TestReferenceExamplesAnswerTheDocumentedBody(t *testing.T) {
	for _, tc := range []struct {
		name    string
		lenient bool
		cut     bool
	}{
		{"from cut to 24", false, true},
		{"40-char from, lenient", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := mock.DefaultOptions()
			o.Lenient = tc.lenient
			c := newClient(t, newMock(t, o))
			exs := referenceExamples(t)
			for i, ex := range exs {
				if tc.cut {
					ex = cutFrom(ex)
				}
				r := c.do("POST", ccapi.DefaultPaths.SendAsync, ex, c.headers())
				if r.status != 200 || string(r.body) != documentedOK {
					t.Errorf("example %d: got %d %s, want 200 %s", i+1, r.status, r.body, documentedOK)
				}
			}
			st := c.stats()
			if st.Endpoints["sendAsync"] != 5 || st.ResultCodes["0"] < 5 {
				t.Errorf("stats: endpoints %v result codes %v, want 5 sendAsync answered 0", st.Endpoints, st.ResultCodes)
			}
			want := map[string]int64{"CONNECT": 1, "CHAT": 2, "TRANS2AGENT": 1, "DISCONNECT": 1}
			for k, v := range want {
				if st.ControlTypes[k] != v {
					t.Errorf("control_types[%s] = %d, want %d", k, st.ControlTypes[k], v)
				}
			}
		})
	}
}

func TestReferenceExampleWithFortyCharFromIsRejectedByDefault(t *testing.T) {
	c := newClient(t, newMock(t, mock.DefaultOptions()))
	ex := referenceExamples(t)[0]
	r := c.do("POST", ccapi.DefaultPaths.SendAsync, ex, c.headers())
	if r.status != 400 || r.resultCode(t) != "1" {
		t.Fatalf("got %d %s, want 400 with resultCode 1", r.status, r.body)
	}
	var v ccapi.SendMsgRsp
	_ = json.Unmarshal(r.body, &v)
	if !strings.HasPrefix(v.ResultDesc, "from: ") {
		t.Errorf("resultDesc %q, want it to name the field from", v.ResultDesc)
	}
}

func TestBadRequests(t *testing.T) {
	s := newMock(t, mock.DefaultOptions())
	c := newClient(t, s)
	for _, tc := range []struct {
		name   string
		method string
		path   string
		body   string
		status int
	}{
		{"not JSON", "POST", ccapi.DefaultPaths.SendAsync, `{"controlType":`, 400},
		{"JSON array", "POST", ccapi.DefaultPaths.Send, `[1,2]`, 400},
		{"unknown path", "POST", "/apiaccess/ccmessaging/sendSync", `{}`, 404},
		{"poll by POST", "POST", ccapi.DefaultPaths.Poll + "?receiverId=u", ``, 405},
		{"poll without receiverId", "GET", ccapi.DefaultPaths.Poll + "?channel=WEB", ``, 400},
		{"unknown mock path", "GET", "/mock/nothing", ``, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do(tc.method, tc.path, []byte(tc.body), c.headers())
			if r.status != tc.status {
				t.Fatalf("got %d %s, want %d", r.status, r.body, tc.status)
			}
			if tc.status == 400 && r.resultCode(t) != "1" {
				t.Errorf("400 body %s, want resultCode 1", r.body)
			}
		})
	}
}

func TestSendAllowsLocateButSendAsyncDoesNot(t *testing.T) {
	c := newClient(t, newMock(t, quickOptions()))
	if code := c.sendCode("locator", ccapi.Connect, ""); code != "0" {
		t.Fatalf("CONNECT: %s", code)
	}
	body, _ := json.Marshal(ccapi.SendMsgReq{Channel: "WEB", Content: "objkey,txt", ControlType: ccapi.Chat,
		From: "locator", MediaType: ccapi.Locate, SourceType: ccapi.SourceCustomer, To: "1011577355744904195"})
	if r := c.do("POST", ccapi.DefaultPaths.Send, body, c.headers()); r.status != 200 {
		t.Errorf("send LOCATE: %d %s, want 200", r.status, r.body)
	}
	if r := c.do("POST", ccapi.DefaultPaths.SendAsync, body, c.headers()); r.status != 400 {
		t.Errorf("sendAsync LOCATE: %d %s, want 400", r.status, r.body)
	}
}

// TestAuth: every missing or wrong header is a 401, and an expired AccessToken a 403 with the
// reference's body; the mock counts each rejected call. The wrong-header table runs against a mock
// whose tokens live an hour, so a slow machine cannot expire them between the calls; the expiry runs
// against a second mock whose AccessTokens live 300 ms of a synctest bubble's clock.
func TestAuth(t *testing.T) {
	s := newMock(t, mock.DefaultOptions())
	c := newClient(t, s)
	ok := c.send("authuser", ccapi.Connect, "")
	if ok.status != 200 {
		t.Fatalf("valid headers: %d %s", ok.status, ok.body)
	}
	for _, tc := range []struct {
		name string
		key  string
		auth string
		cc   string
	}{
		{name: "missing x-app-key", auth: "Bearer " + c.access, cc: c.cc},
		{name: "missing Authorization", key: "k", cc: c.cc},
		{name: "missing ccmessaging-token", key: "k", auth: "Bearer " + c.access},
		{name: "no Bearer prefix", key: "k", auth: c.access, cc: c.cc},
		{name: "unknown AccessToken", key: "k", auth: "Bearer nope", cc: c.cc},
		{name: "unknown ccmessaging-token", key: "k", auth: "Bearer " + c.access, cc: "nope"},
		{name: "ccmessaging-token as AccessToken", key: "k", auth: "Bearer " + c.cc, cc: c.cc},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do("POST", ccapi.DefaultPaths.SendAsync, []byte(`{}`), map[string]string{
				ccapi.HeaderAppKey: tc.key, ccapi.HeaderAuthorization: tc.auth, ccapi.HeaderToken: tc.cc,
			})
			if r.status != 401 {
				t.Fatalf("got %d %s, want 401", r.status, r.body)
			}
		})
	}
	st := c.stats()
	if st.HTTPStatus["401"] != 7 || st.HTTPStatus["403"] != 0 {
		t.Errorf("http_status %v, want 7 x 401 counted", st.HTTPStatus)
	}
	if st.Endpoints["sendAsync"] != 8 {
		t.Errorf("endpoints[sendAsync] = %d, want 8: rejected calls count too", st.Endpoints["sendAsync"])
	}

	t.Run("expired AccessToken", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			o := mock.DefaultOptions()
			o.TokenLifetime = 300 * time.Millisecond
			c := bubbleClient(t, o)
			time.Sleep(400 * time.Millisecond) // past the 300 ms lifetime on the server's (the bubble's) clock
			r := c.send("authuser", ccapi.Chat, "hi")
			if r.status != 403 {
				t.Fatalf("got %d %s, want 403", r.status, r.body)
			}
			var v ccapi.AuthFailRsp
			if err := json.Unmarshal(r.body, &v); err != nil || v.ErrorCode != "0" ||
				!strings.HasPrefix(v.ExceptionInfo, "auth fail! illegal or expired token info.") {
				t.Errorf("body %s, want the reference's errorCode 0 / auth fail body", r.body)
			}
			st := c.stats()
			if st.HTTPStatus["403"] != 1 || st.HTTPStatus["401"] != 0 || st.Endpoints["sendAsync"] != 1 {
				t.Errorf("http_status %v, endpoints %v: want the one sendAsync counted as 403", st.HTTPStatus, st.Endpoints)
			}
		})
	})
}

// TestExpiredCCTokenIsRenewedInTheResponseHeader runs in a synctest bubble: the 200 ms lifetime is
// on the bubble's clock, so a token is fresh exactly until the test sleeps past it, however loaded
// the machine is.
func TestExpiredCCTokenIsRenewedInTheResponseHeader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		o := quickOptions()
		o.CCTokenLifetime = 200 * time.Millisecond
		c := bubbleClient(t, o)
		r := c.send("renewer", ccapi.Connect, "")
		if r.status != 200 || r.header.Get(ccapi.HeaderToken) != "" {
			t.Fatalf("fresh token: %d, header %q; want 200 and no new token", r.status, r.header.Get(ccapi.HeaderToken))
		}
		time.Sleep(300 * time.Millisecond)

		// Two calls with the same expired token (a send beside a poll) learn the same fresh token.
		var wg sync.WaitGroup
		got := make([]reply, 2)
		for i := range got {
			wg.Go(func() { got[i], _ = c.try("POST", ccapi.DefaultPaths.SendAsync, chatBody("renewer"), c.headers()) })
		}
		wg.Wait()
		fresh := got[0].header.Get(ccapi.HeaderToken)
		for i, g := range got {
			if g.status != 200 || string(g.body) != documentedOK {
				t.Fatalf("call %d with an expired token: %d %s, want it to succeed", i, g.status, g.body)
			}
			if h := g.header.Get(ccapi.HeaderToken); h == "" || h != fresh || h == c.cc {
				t.Fatalf("call %d: ccmessaging-token header %q, want one fresh token shared by both", i, h)
			}
		}
		c.cc = fresh
		time.Sleep(150 * time.Millisecond) // the fresh token lives 200 ms from its renewal
		r = c.send("renewer", ccapi.Chat, "again")
		if r.status != 200 || r.header.Get(ccapi.HeaderToken) != "" {
			t.Errorf("with the fresh token: %d header %q, want 200 and no further renewal", r.status, r.header.Get(ccapi.HeaderToken))
		}
		time.Sleep(100 * time.Millisecond) // 250 ms after the renewal: the fresh token too has expired
		if r = c.send("renewer", ccapi.Chat, "later"); r.status != 200 || r.header.Get(ccapi.HeaderToken) == "" || r.header.Get(ccapi.HeaderToken) == fresh {
			t.Errorf("with the expired fresh token: %d header %q, want 200 and another new token", r.status, r.header.Get(ccapi.HeaderToken))
		}
	})
}

func chatBody(user string) []byte {
	b, _ := json.Marshal(ccapi.SendMsgReq{Channel: "WEB", Content: "hello", ControlType: ccapi.Chat, From: user,
		MediaType: ccapi.Text, SourceType: ccapi.SourceCustomer, To: "1011577355744904195"})
	return b
}

func TestTokenByAkSk(t *testing.T) {
	o := mock.DefaultOptions()
	o.AppKey, o.AppSecret = "the-key", "the-secret"
	s := newMock(t, o)
	c := &client{t: t, base: s.URL(), appKey: "the-key", hc: newClient(t, newMock(t, mock.DefaultOptions())).hc}
	for _, tc := range []struct {
		name, key, secret, expire string
		status                    int
		expires                   string
	}{
		{"default lifetime", "the-key", "the-secret", "", 200, "600"},
		{"asked lifetime", "the-key", "the-secret", "5", 200, "5"},
		{"capped at 3600", "the-key", "the-secret", "99999", 200, "3600"},
		{"bad X-Token-Expire", "the-key", "the-secret", "soon", 400, ""},
		{"wrong secret", "the-key", "guess", "", 401, ""},
		{"wrong key", "other", "the-secret", "", 401, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, _ := json.Marshal(ccapi.TokenByAkSkReq{AppKey: tc.key, AppSecret: tc.secret})
			r := c.do("POST", ccapi.DefaultPaths.TokenByAkSk, body, map[string]string{ccapi.HeaderTokenExpire: tc.expire})
			if r.status != tc.status {
				t.Fatalf("got %d %s, want %d", r.status, r.body, tc.status)
			}
			if tc.status != 200 {
				return
			}
			var all map[string]any
			if err := json.Unmarshal(r.body, &all); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"AccessToken", "ApplyType", "CreateTime", "Expires", "Scope", "AppKey", "UserID"} {
				if _, ok := all[k].(string); !ok {
					t.Errorf("%s = %v, want a string", k, all[k])
				}
			}
			if all["Expires"] != tc.expires || all["ApplyType"] != "Bearer" {
				t.Errorf("Expires %v ApplyType %v, want %s and Bearer", all["Expires"], all["ApplyType"], tc.expires)
			}
		})
	}
	// The configured x-app-key is enforced on the other calls too.
	c.access = c.accessToken("the-key", "the-secret", "")
	c.appKey = "someone-else"
	body, _ := json.Marshal(ccapi.ApplyTokenReq{UserID: "u", ChannelID: "c"})
	if r := c.do("POST", ccapi.DefaultPaths.ApplyToken, body, map[string]string{ccapi.HeaderAppKey: c.appKey, ccapi.HeaderAuthorization: "Bearer " + c.access}); r.status != 401 {
		t.Errorf("applyToken with another x-app-key: %d, want 401", r.status)
	}
}

func TestApplyTokenRules(t *testing.T) {
	c := newClient(t, newMock(t, mock.DefaultOptions()))
	for _, tc := range []struct {
		name string
		req  ccapi.ApplyTokenReq
		code string
	}{
		{"ok", ccapi.ApplyTokenReq{UserID: "u1", ChannelID: "c"}, "0"},
		{"32-char userId", ccapi.ApplyTokenReq{UserID: strings.Repeat("u", 32), ChannelID: "c"}, "0"},
		{"33-char userId", ccapi.ApplyTokenReq{UserID: strings.Repeat("u", 33), ChannelID: "c"}, "1"},
		{"no userId", ccapi.ApplyTokenReq{ChannelID: "c"}, "1"},
		{"no channelId", ccapi.ApplyTokenReq{UserID: "u"}, "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, _ := json.Marshal(tc.req)
			r := c.do("POST", ccapi.DefaultPaths.ApplyToken, body, map[string]string{ccapi.HeaderAppKey: c.appKey, ccapi.HeaderAuthorization: "Bearer " + c.access})
			if r.status != 200 || r.resultCode(t) != tc.code {
				t.Fatalf("got %d %s, want 200 with resultCode %s", r.status, r.body, tc.code)
			}
		})
	}
}

func TestUploadFileStream(t *testing.T) {
	c := newClient(t, newMock(t, mock.DefaultOptions()))
	for _, tc := range []struct {
		name string
		body string
		code string
	}{
		{"jpg", `{"fileType":"jpg","channel":"WEB","fileStream":"aGVsbG8="}`, "0"},
		{"upper-case MP4", `{"fileType":"MP4","channel":"WEB","fileStream":"aGVsbG8"}`, "0"},
		{"missing fileStream", `{"fileType":"jpg","channel":"WEB"}`, "2"},
		{"missing channel", `{"fileType":"jpg","fileStream":"aGVsbG8="}`, "2"},
		{"bad fileType", `{"fileType":"exe","channel":"WEB","fileStream":"aGVsbG8="}`, "3"},
		{"not base64", `{"fileType":"png","channel":"WEB","fileStream":"***"}`, "3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do("POST", ccapi.DefaultPaths.UploadFileStream, []byte(tc.body), c.headers())
			if r.status != 200 || r.resultCode(t) != tc.code {
				t.Fatalf("got %d %s, want returnCode %s", r.status, r.body, tc.code)
			}
			var v ccapi.UploadRsp
			_ = json.Unmarshal(r.body, &v)
			if (tc.code == "0") != (v.ObjectKey != "") {
				t.Errorf("objectKey %q for returnCode %s", v.ObjectKey, tc.code)
			}
		})
	}
}

func TestStatsCountAndReset(t *testing.T) {
	s := newMock(t, quickOptions())
	c := newClient(t, s)
	c.sendCode("counted", ccapi.Connect, "")
	c.sendCode("counted", ccapi.Chat, "one")
	c.sendCode("counted", ccapi.Chat, "two")
	c.sendCode("nobody", ccapi.Chat, "no session") // "13"
	c.poll("counted")
	c.do("POST", ccapi.DefaultPaths.SendAsync, []byte(`garbage`), c.headers()) // 400, unparsed
	c.do("GET", "/nowhere", nil, nil)                                          // 404

	st := c.stats()
	for _, tc := range []struct {
		what      string
		got, want int64
	}{
		{"endpoints[tokenByAkSk]", st.Endpoints["tokenByAkSk"], 1},
		{"endpoints[applyToken]", st.Endpoints["applyToken"], 1},
		{"endpoints[sendAsync]", st.Endpoints["sendAsync"], 5},
		{"endpoints[poll]", st.Endpoints["poll"], 1},
		{"control_types[CONNECT]", st.ControlTypes["CONNECT"], 1},
		{"control_types[CHAT]", st.ControlTypes["CHAT"], 3},
		{"control_types[unparsed]", st.ControlTypes["unparsed"], 1},
		{"result_codes[0]", st.ResultCodes["0"], 5}, // applyToken, 3 sends, poll
		{"result_codes[13]", st.ResultCodes["13"], 1},
		{"result_codes[1]", st.ResultCodes["1"], 1},
		{"http_status[200]", st.HTTPStatus["200"], 7},
		{"http_status[400]", st.HTTPStatus["400"], 1},
		{"http_status[404]", st.HTTPStatus["404"], 1},
		{"sessions.open", st.Sessions.Open, 1},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %d, want %d (stats %+v)", tc.what, tc.got, tc.want, st)
		}
	}
	if s.Stats().Total() != 8 {
		t.Errorf("Stats().Total() = %d, want 8 (the 404 is not an endpoint)", s.Stats().Total())
	}
	if r := c.do("GET", "/mock/reset", nil, nil); r.status != 405 {
		t.Errorf("GET /mock/reset: %d, want 405", r.status)
	}
	if r := c.do("POST", "/mock/reset", nil, nil); r.status != 200 {
		t.Fatalf("POST /mock/reset: %d", r.status)
	}
	st = c.stats()
	if st.Total() != 0 || len(st.ResultCodes) != 0 || len(st.HTTPStatus) != 0 || st.ControlTypes["CHAT"] != 0 {
		t.Errorf("after reset: %+v, want all zero", st)
	}
	if st.Sessions.Open != 1 {
		t.Errorf("after reset sessions.open = %d, want the gauge kept at 1", st.Sessions.Open)
	}
}

func TestRecordWritesAcceptedSendsAsJSONLines(t *testing.T) {
	var buf bytes.Buffer
	o := quickOptions()
	o.Record = &buf
	s := newMock(t, o)
	c := newClient(t, s)
	c.sendCode("recorded", ccapi.Connect, "")
	c.sendCode("recorded", ccapi.Chat, `say "hi"`)
	c.do("POST", ccapi.DefaultPaths.SendAsync, []byte(`{"from":""}`), c.headers()) // rejected: not recorded
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() { c.sendCode("recorded", ccapi.Input, strings.Repeat("x", i+1)) })
	}
	wg.Wait()
	before := time.Now().UnixMilli()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 22 {
		t.Fatalf("%d lines, want 22 (2 + 20 accepted sends)", len(lines))
	}
	for i, l := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("line %d %q: %v", i+1, l, err)
		}
		ms, ok := v["received_ms"].(float64)
		if !ok || ms <= 0 || int64(ms) > before {
			t.Errorf("line %d: received_ms %v, want epoch ms", i+1, v["received_ms"])
		}
		if v["from"] != "recorded" || v["channel"] != "WEB" {
			t.Errorf("line %d: %s, want the request's fields", i+1, l)
		}
	}
	var second ccapi.SendMsgReq
	_ = json.Unmarshal([]byte(lines[1]), &second)
	if second.ControlType != ccapi.Chat || second.Content != `say "hi"` {
		t.Errorf("line 2 = %+v, want the CHAT with its content", second)
	}
}

func TestCustomPaths(t *testing.T) {
	o := quickOptions()
	o.Paths = ccapi.Paths{SendAsync: "/gw/v2/sendAsync"}
	c := newClient(t, newMock(t, o))
	body := chatBody("pathuser")
	if r := c.do("POST", "/gw/v2/sendAsync", body, c.headers()); r.status != 200 {
		t.Errorf("custom sendAsync path: %d %s", r.status, r.body)
	}
	if r := c.do("POST", ccapi.DefaultPaths.SendAsync, body, c.headers()); r.status != 404 {
		t.Errorf("the default path once moved: %d, want 404", r.status)
	}
	o.Paths = ccapi.Paths{Send: ccapi.DefaultPaths.SendAsync}
	if _, err := mock.NewServer(o); err == nil {
		t.Error("two endpoints on one path accepted, want an error")
	}
}
