package ccapi

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"ccload/internal/loopback"
)

// The tests in this file hold the h1 transport to the net/http one: the same
// calls against the same server must be seen the same way by the server (method,
// target, headers, body) and by the caller (Call kind, status, resultCode, token).

var transports = []string{TransportNetHTTP, TransportH1}

// h1Seen is one request as the parity server saw it.
type h1Seen struct {
	method, target, token, appKey, auth, contentType, expire, body string
}

// h1Outcome is what the caller saw of one call.
type h1Outcome struct {
	kind       ErrKind
	status     int
	code       string
	sent, recv int
	token      string
	downlink   int
}

// parityRun sends three CHATs and three polls over transport tr to a server
// that renews the customer's token on its first answer, and returns what the
// server saw and what the caller saw.
func parityRun(t *testing.T, tr string) ([]h1Seen, []h1Outcome) {
	var (
		mu   sync.Mutex // guards seen
		seen []h1Seen
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, h1Seen{r.Method, r.URL.RequestURI(), r.Header.Get(HeaderToken), r.Header.Get(HeaderAppKey),
			r.Header.Get(HeaderAuthorization), r.Header.Get("Content-Type"), r.Header.Get(HeaderTokenExpire), string(body)})
		n := len(seen)
		mu.Unlock()
		if n == 1 {
			w.Header().Set(HeaderToken, "cm-fresh") // the platform renews the customer's token
		}
		if r.URL.Path == DefaultPaths.Poll {
			io.WriteString(w, `{"resultCode":"0","downlinkMessages":[{"channel":"WEB","from":"bot","to":"u1",`+
				`"controlType":"CHAT","mediaType":"TEXT","content":"hi","sourceType":"ROBOT","timestamp":1}]}`)
			return
		}
		io.WriteString(w, `{"resultCode":"0","resultDesc":"send sendMessageForOpenApiAsync success."}`)
	}))
	defer srv.Close()
	c, err := NewClient(Config{BaseURL: srv.URL, AccessToken: "at-1", AppKey: "ak", Timeout: 5 * time.Second, Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cu := c.NewCustomer("u1")
	cu.SetToken("cm-1")
	var (
		out  []h1Outcome
		msgs []DownlinkMessage
	)
	for i := range 3 {
		call := cu.Send(context.Background(), chatFrom("u1", i))
		out = append(out, h1Outcome{call.Kind, call.Status, call.ResultCode, call.BytesSent, call.BytesRecv, cu.Token(), 0})
		var pc *Call
		msgs, pc = cu.Poll(context.Background(), "WEB", msgs[:0])
		out = append(out, h1Outcome{pc.Kind, pc.Status, pc.ResultCode, pc.BytesSent, pc.BytesRecv, cu.Token(), len(msgs)})
	}
	mu.Lock()
	defer mu.Unlock()
	return seen, out
}

func TestH1TransportParity(t *testing.T) {
	seenA, outA := parityRun(t, TransportNetHTTP)
	seenB, outB := parityRun(t, TransportH1)
	if len(outB) != 6 || len(outA) != len(outB) {
		t.Fatalf("nethttp made %d calls, h1 %d, want 6", len(outA), len(outB))
	}
	for i := range outA {
		if outB[i].kind != KindOK {
			t.Errorf("h1 call %d: kind %s", i, outB[i].kind)
		}
		if outA[i] != outB[i] {
			t.Errorf("call %d: nethttp saw %+v, h1 saw %+v", i, outA[i], outB[i])
		}
	}
	if got := outB[len(outB)-1].token; got != "cm-fresh" {
		t.Errorf("h1: token after the server renewed it = %q, want cm-fresh", got)
	}
	if len(seenA) != len(seenB) {
		t.Fatalf("server saw %d nethttp and %d h1 requests", len(seenA), len(seenB))
	}
	for i := range seenA {
		if seenA[i] != seenB[i] {
			t.Errorf("request %d: nethttp sent %+v\n h1 sent %+v", i, seenA[i], seenB[i])
		}
	}
}

func chatFrom(user string, i int) *SendMsgReq {
	return &SendMsgReq{Channel: "WEB", Content: "hello " + strconv.Itoa(i), ControlType: Chat, From: user,
		MediaType: Text, SourceType: SourceCustomer, To: "cfg-1"}
}

func TestH1TransportErrorKinds(t *testing.T) {
	closedAddr := loopback.RefusedAddr(t) // refuses connections until the test ends

	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("channel") {
		case "sleep":
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		case "reset", "close":
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				if tc, ok := conn.(*net.TCPConn); ok && r.URL.Query().Get("channel") == "reset" {
					tc.SetLinger(0)
				}
				conn.Close()
			}
		case "garbage":
			io.WriteString(w, "<html>not json</html>")
		case "app":
			io.WriteString(w, `{"resultCode":"13"}`)
		case "http500":
			w.WriteHeader(500)
			io.WriteString(w, `{"resultCode":"1"}`)
		default:
			io.WriteString(w, `{"resultCode":"0","downlinkMessages":[]}`)
		}
	}))
	defer srv.Close()
	defer close(stop)

	cases := []struct {
		base, channel string
		kind          ErrKind
	}{
		{srv.URL, "ok", KindOK},
		{"http://" + closedAddr, "ok", KindRefused},
		{srv.URL, "sleep", KindTimeout},
		{srv.URL, "reset", KindReset},
		{srv.URL, "close", KindReset},
		{srv.URL, "garbage", KindUnparseable},
		{srv.URL, "app", KindApp},
		{srv.URL, "http500", KindHTTP},
	}
	for _, tc := range cases {
		t.Run(tc.channel+"/"+tc.kind.String(), func(t *testing.T) {
			c, err := NewClient(Config{BaseURL: tc.base, AccessToken: "at", AppKey: "ak", Timeout: 200 * time.Millisecond, Transport: TransportH1})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			cu := c.NewCustomer("u")
			cu.SetToken("cm")
			_, call := cu.Poll(context.Background(), tc.channel, nil)
			if call.Kind != tc.kind {
				t.Errorf("kind %s (status %d, err %v), want %s", call.Kind, call.Status, call.Err, tc.kind)
			}
		})
	}
}

func TestH1TransportCanceledDuringCall(t *testing.T) {
	started := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		close(started)
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer srv.Close()
	c, err := NewClient(Config{BaseURL: srv.URL, AccessToken: "at", AppKey: "ak", Timeout: 5 * time.Second, Transport: TransportH1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cu := c.NewCustomer("u")
	cu.SetToken("cm")
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	if call := cu.Send(ctx, chatReq2("u")); call.Kind != KindCut || !call.Written {
		t.Errorf("kind %s written %v (err %v), want cut", call.Kind, call.Written, call.Err)
	}
}

func chatReq2(from string) *SendMsgReq { return chatFrom(from, 0) }

// rawSendServer answers every request with the sendAsync success body (cannedServer), so
// allocation counts and benchmark figures are the client's alone.
func rawSendServer(tb testing.TB) string {
	return cannedServer(tb, `{"resultCode":"0","resultDesc":"send sendMessageForOpenApiAsync success."}`)
}

// BenchmarkSendTransport is the whole Send path (encode, headers, exchange,
// parse) over each transport against the same allocation-free loopback server:
// the figures behind the choice of default transport (docs/perf.md).
func BenchmarkSendTransport(b *testing.B) {
	base := rawSendServer(b)
	for _, tr := range transports {
		b.Run(tr, func(b *testing.B) {
			c, err := NewClient(Config{BaseURL: base, AccessToken: "at", AppKey: "ak", Transport: tr, MaxConns: 64})
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			b.ReportAllocs()
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				cu := c.NewCustomer("u")
				cu.SetToken("cm")
				req := chatReq2("u")
				for pb.Next() {
					if call := cu.Send(ctx, req); call.Kind != KindOK {
						b.Error(call.Kind, call.Err)
						return
					}
				}
			})
		})
	}
}
