package webhook

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"ccload/ccapi"
)

const goodAuth = "auth-v2/ak1/1733580000000/content-type;host/deadbeef"

func start(t *testing.T, o Options) *Server {
	t.Helper()
	s, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func post(t *testing.T, url, auth, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	b, _ := io.ReadAll(rsp.Body)
	return rsp.StatusCode, string(b)
}

func msg(to, src string) string {
	return `{"channel":"WEB","from":"cfg","to":"` + to + `","controlType":"CHAT","mediaType":"TEXT","content":"hi","sourceType":"` + src + `","timestamp":1}`
}

// Every callback ends in one outcome and every message in one, and the answer is the one the
// platform expects: 200 {"resultCode":"0"} for a callback taken.
func TestEveryCallbackAndMessageCountedOnce(t *testing.T) {
	var routed atomic.Int64
	s := start(t, Options{Router: RouterFunc(func(m *ccapi.DownlinkMessage, _ time.Time) Outcome {
		routed.Add(1)
		if m.To == "known" {
			return Matched
		}
		return Unknown
	}), MaxBody: 2048})
	code, body := post(t, s.URL(), goodAuth, `{"messages":[`+msg("known", "ROBOT")+`,`+msg("nobody", "AGENT")+`],"timestamp":5}`)
	if code != 200 || body != `{"resultCode":"0"}` {
		t.Errorf("good callback answered %d %s", code, body)
	}
	if code, _ := post(t, s.URL(), "", `{"messages":[`+msg("known", "SYSTEM")+`]}`); code != 200 {
		t.Errorf("a callback without Authorization answered %d; want 200 (counted, the signature cannot be checked)", code)
	}
	if code, _ := post(t, s.URL(), "Bearer x", `not json`); code != 400 {
		t.Errorf("malformed body answered %d, want 400", code)
	}
	if code, _ := post(t, s.URL(), goodAuth, `{"timestamp":1}`); code != 400 {
		t.Errorf("a body without messages answered %d, want 400", code)
	}
	if code, _ := post(t, s.URL(), goodAuth, `{"messages":[`+strings.Repeat(msg("known", "ROBOT")+",", 40)+msg("known", "ROBOT")+`]}`); code != 413 {
		t.Errorf("a body over max_body answered %d, want 413", code)
	}
	if code, _ := post(t, "http://"+s.Addr()+"/other", goodAuth, `{}`); code != 404 {
		t.Errorf("another path answered %d, want 404", code)
	}
	rsp, err := http.Get(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	rsp.Body.Close()
	if rsp.StatusCode != 405 {
		t.Errorf("GET answered %d, want 405", rsp.StatusCode)
	}
	c := s.Counts()
	want := Counts{Callbacks: 5, Accepted: 2, Malformed: 2, TooLarge: 1, BadAuth: 2, WrongMethod: 1, NotFound: 1}
	want.Messages[Matched], want.Messages[Unknown] = 2, 1
	want.Kinds[KindRobot], want.Kinds[KindAgent], want.Kinds[KindSystem] = 1, 1, 1
	if c != want {
		t.Errorf("counts\n got %+v\nwant %+v", c, want)
	}
	if routed.Load() != 3 {
		t.Errorf("router saw %d messages, want 3", routed.Load())
	}
}

// The fault option answers exactly its share of callbacks with 500 and routes none of them.
func TestFaultRateIsExact(t *testing.T) {
	var routed atomic.Int64
	s := start(t, Options{FaultRate: 0.25, Router: RouterFunc(func(*ccapi.DownlinkMessage, time.Time) Outcome {
		routed.Add(1)
		return Matched
	})})
	n500 := 0
	for range 40 {
		if code, _ := post(t, s.URL(), goodAuth, `{"messages":[`+msg("a", "ROBOT")+`]}`); code == 500 {
			n500++
		}
	}
	c := s.Counts()
	if n500 != 10 || c.Faulted != 10 || c.Accepted != 30 || routed.Load() != 30 {
		t.Errorf("40 callbacks at fault_rate 0.25: %d answered 500, counts %+v, routed %d; want 10, 30 routed", n500, c, routed.Load())
	}
}

// A stalled callback is held until the sender gives up (or StallFor), then counted stalled.
func TestStallHoldsTheAnswer(t *testing.T) {
	s := start(t, Options{FaultRate: 1, Fault: FaultStall, StallFor: time.Hour})
	cl := &http.Client{Timeout: 200 * time.Millisecond}
	_, err := cl.Post(s.URL(), "application/json", strings.NewReader(`{"messages":[]}`))
	if err == nil {
		t.Fatal("a stalled callback was answered; want it held")
	}
	for i := 0; i < 1000 && s.Counts().Stalled == 0; i++ { // at most 10 s: the server notices the sender left
		time.Sleep(10 * time.Millisecond)
	}
	if c := s.Counts(); c.Stalled != 1 || c.Callbacks != 1 {
		t.Errorf("counts %+v: want one callback, stalled", c)
	}
}

// A sender that trickles a body it never finishes, and one that promises a huge body, cost a
// bounded buffer: the first is counted abandoned when it goes away, the second refused unread.
func TestBadSendersCostNothing(t *testing.T) {
	s := start(t, Options{MaxBody: 1024})
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(conn, "POST "+DefaultPath+" HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"messages\":")
	time.Sleep(50 * time.Millisecond)
	conn.Close()
	big := bytes.Repeat([]byte("x"), 1<<20)
	rsp, err := http.Post(s.URL(), "application/json", bytes.NewReader(big))
	if err == nil {
		rsp.Body.Close()
		if rsp.StatusCode != 413 {
			t.Errorf("1 MiB body answered %d, want 413", rsp.StatusCode)
		}
	}
	for i := 0; i < 1000 && s.Counts().Abandoned == 0; i++ { // at most 10 s: the server notices the sender left
		time.Sleep(10 * time.Millisecond)
	}
	if c := s.Counts(); c.Abandoned != 1 || c.TooLarge != 1 || c.Callbacks != 2 {
		t.Errorf("counts %+v: want one abandoned, one too large", c)
	}
}

func TestAuthWellFormed(t *testing.T) {
	for h, want := range map[string]bool{
		goodAuth:                        true,
		"auth-v2/ak/1733580000000/host": true,
		"auth-v2/ak/2026-12-07T10:00:00Z/host;content-type": true,
		"":                        false,
		"Bearer abc":              false,
		"auth-v2/ak//host":        false,
		"auth-v2/ak/12ab/host":    false,
		"auth-v2/ak/1/host/sig/x": false,
		"auth-v2/ak/1":            false,
		"auth-v2/a k/1/host":      false,
		"AUTH-V2/ak/1/host":       false,
	} {
		if got := AuthWellFormed(h); got != want {
			t.Errorf("AuthWellFormed(%q) = %v, want %v", h, got, want)
		}
	}
}

// A flood of connections costs at most MaxConns served at once: a connection beyond the cap
// waits in the kernel's backlog until one closes, then is served.
func TestConnectionsAreCapped(t *testing.T) {
	s := start(t, Options{MaxConns: 2})
	var idle []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", s.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	time.Sleep(50 * time.Millisecond) // let the server accept both
	cl := &http.Client{Timeout: 300 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	if rsp, err := cl.Post(s.URL(), "application/json", strings.NewReader(`{"messages":[]}`)); err == nil {
		rsp.Body.Close()
		t.Fatal("a third connection was served while two held the cap")
	}
	idle[0].Close()
	cl.Timeout = 5 * time.Second
	rsp, err := cl.Post(s.URL(), "application/json", strings.NewReader(`{"messages":[]}`))
	if err != nil {
		t.Fatalf("after a connection closed: %v", err)
	}
	rsp.Body.Close()
	if rsp.StatusCode != 200 {
		t.Errorf("status %d, want 200", rsp.StatusCode)
	}
}

// Slow senders are cut: one trickling its headers loses its connection (no request, nothing
// counted), one trickling its body is counted abandoned.
func TestSlowSendersAreCut(t *testing.T) {
	s := start(t, Options{HeaderTimeout: 100 * time.Millisecond, ReadTimeout: 300 * time.Millisecond})
	slowHeaders, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer slowHeaders.Close()
	io.WriteString(slowHeaders, "POST "+DefaultPath+" HTTP/1.1\r\nHost: x\r\n")
	slowHeaders.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := slowHeaders.Read(make([]byte, 1)); err == nil && n > 0 {
		// net/http may answer 408 before closing: read on until the close.
		io.Copy(io.Discard, slowHeaders)
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Error("a connection trickling its headers was still open after 5 s; want it cut after 100 ms")
	}
	slowBody, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer slowBody.Close()
	io.WriteString(slowBody, "POST "+DefaultPath+" HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"mess")
	for i := 0; i < 500 && s.Counts().Abandoned == 0; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if c := s.Counts(); c.Abandoned != 1 || c.Callbacks != 1 {
		t.Errorf("counts %+v: want the slow body's callback abandoned, the slow headers not counted", c)
	}
}

// TestListenErrorSpeaksToTheUser: a listen that fails says which address, the system's
// reason in its own words (no "listen tcp ...: bind:" chain), and what to change.
func TestListenErrorSpeaksToTheUser(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	for _, c := range []struct{ addr, want string }{
		{addr, "cannot listen for webhooks on " + addr + ": address already in use; choose another webhook.listen or --webhook-listen"},
		{"127.0.0.1", "cannot listen for webhooks on 127.0.0.1: missing port in address (want HOST:PORT, like 127.0.0.1:9090); choose another webhook.listen or --webhook-listen"},
	} {
		ln, err := Listen(c.addr)
		if err == nil {
			ln.Close()
			t.Errorf("Listen(%q) succeeded", c.addr)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("Listen(%q) error\n %q, want\n %q", c.addr, err, c.want)
		}
	}
	if _, err := Start(Options{Listen: addr}); err == nil || !strings.HasPrefix(err.Error(), "cannot listen for webhooks on "+addr+": ") {
		t.Errorf("Start on a busy address: %v", err)
	}
}

// A sender whose callback is refused learns why from the answer: a body over MaxBody (declared
// or streamed without a length) is 413 naming the size limit, not "malformed"; a body that is
// not a callback is 400 "malformed". Each is counted as what it was.
func TestRefusedCallbackSaysWhy(t *testing.T) {
	s := start(t, Options{MaxBody: 1024})
	big := bytes.Repeat([]byte("x"), 2048)
	post := func(body io.Reader) (int, string) {
		t.Helper()
		rsp, err := http.Post(s.URL(), "application/json", body)
		if err != nil {
			t.Fatal(err)
		}
		defer rsp.Body.Close()
		b, _ := io.ReadAll(rsp.Body)
		return rsp.StatusCode, string(b)
	}
	for name, body := range map[string]io.Reader{
		"declared length": bytes.NewReader(big),
		"chunked":         io.MultiReader(bytes.NewReader(big)), // no length: read up to the limit
	} {
		code, got := post(body)
		if code != http.StatusRequestEntityTooLarge || !strings.Contains(got, "size limit") || strings.Contains(got, "malformed") {
			t.Errorf("%s: a 2 KiB callback over a 1 KiB limit answered %d %s; want 413 naming the size limit", name, code, got)
		}
	}
	if code, got := post(strings.NewReader("not json")); code != http.StatusBadRequest || !strings.Contains(got, "malformed") {
		t.Errorf("a body that is not JSON answered %d %s; want 400 malformed", code, got)
	}
	if c := s.Counts(); c.TooLarge != 2 || c.Malformed != 1 || c.Callbacks != 3 {
		t.Errorf("counts %+v: want two too large, one malformed, three callbacks", c)
	}
}
