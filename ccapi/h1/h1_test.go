package h1

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"ccload/internal/loopback"
)

const sendAsyncPath = "/apiaccess/ccmessaging/sendAsync"

const okBody = `{"resultCode":"0","resultDesc":"send sendMessageForOpenApiAsync success."}`

var chatBody = []byte(`{"channel":"WEB","content":"hello","controlType":"CHAT","from":"u1","mediaType":"TEXT","sourceType":"CUSTOMER","to":"chan-1"}`)

func newClient(t testing.TB, opts Options) *Client {
	t.Helper()
	c, err := New(opts)
	if err != nil {
		t.Fatalf("New(%+v): %v", opts, err)
	}
	t.Cleanup(c.Close)
	return c
}

func sendReq() *Request {
	return &Request{
		Method: "POST",
		Path:   sendAsyncPath,
		Header: [][2]string{{"Content-Type", "application/json"}, {"ccmessaging-token", "tok-1"}},
		Body:   chatBody,
	}
}

// within bounds a test's wait for an event of a server goroutine.
func within(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func TestDoSendsRequestAndReadsResponse(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != "POST" || r.URL.Path != sendAsyncPath || r.URL.RawQuery != "a=1" ||
			r.Header.Get("ccmessaging-token") != "tok-1" || !bytes.Equal(body, chatBody) ||
			r.ContentLength != int64(len(chatBody)) {
			t.Errorf("server got %s %s?%s token=%q body=%q len=%d", r.Method, r.URL.Path, r.URL.RawQuery,
				r.Header.Get("ccmessaging-token"), body, r.ContentLength)
		}
		w.Header().Set("Ccmessaging-Token", "tok-2")
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, okBody)
	}))
	defer srv.Close()
	c := newClient(t, Options{BaseURL: srv.URL, Timeout: 5 * time.Second})
	req := sendReq()
	req.Path += "?a=1"
	var resp Response
	for i := range 3 {
		if err := c.Do(context.Background(), req, &resp); err != nil {
			t.Fatalf("Do #%d: %v", i, err)
		}
		if resp.Status != 200 || string(resp.Body) != okBody {
			t.Fatalf("Do #%d: status %d body %q", i, resp.Status, resp.Body)
		}
		if got := string(resp.Header("ccmessaging-token")); got != "tok-2" {
			t.Errorf("Header(ccmessaging-token) = %q, want tok-2", got)
		}
		if got := resp.Header("x-missing"); got != nil {
			t.Errorf("Header(x-missing) = %q, want nil", got)
		}
	}
	if d := c.Dials(); d != 1 {
		t.Errorf("Dials = %d, want 1 (keep-alive)", d)
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || r.ProtoMajor != 1 {
			t.Errorf("want HTTP/1.1 over TLS, got %s tls=%v", r.Proto, r.TLS != nil)
		}
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, okBody)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake this test fails on purpose
	srv.StartTLS()
	defer srv.Close()
	tlsConf := srv.Client().Transport.(*http.Transport).TLSClientConfig
	c := newClient(t, Options{BaseURL: srv.URL, TLSConfig: tlsConf, Timeout: 5 * time.Second})
	var resp Response
	for i := range 3 {
		if err := c.Do(context.Background(), sendReq(), &resp); err != nil {
			t.Fatalf("Do #%d: %v", i, err)
		}
		if resp.Status != 200 || string(resp.Body) != okBody {
			t.Fatalf("Do #%d: status %d body %q", i, resp.Status, resp.Body)
		}
	}
	if d := c.Dials(); d != 1 {
		t.Errorf("Dials = %d, want 1", d)
	}

	// Without the test CA the handshake must fail: certificates are verified.
	bad := newClient(t, Options{BaseURL: srv.URL, Timeout: 5 * time.Second})
	err := bad.Do(context.Background(), sendReq(), &resp)
	var uerr *tls.CertificateVerificationError
	if !errors.As(err, &uerr) {
		t.Errorf("Do without the CA: err = %v, want a certificate verification error", err)
	}
}

func TestChunkedResponses(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 64<<10) // 1 MiB
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		body := okBody
		if r.URL.Path == "/big" {
			body = big
		}
		// Flushing mid-body forces chunked encoding.
		half := len(body) / 2
		io.WriteString(w, body[:half])
		w.(http.Flusher).Flush()
		io.WriteString(w, body[half:])
		w.Header().Set("X-Sum", "ok")
	}))
	defer srv.Close()
	c := newClient(t, Options{BaseURL: srv.URL, Timeout: 5 * time.Second})
	var resp Response
	for _, tc := range []struct{ path, want string }{{"/", okBody}, {"/big", big}, {"/", okBody}} {
		if err := c.Do(context.Background(), &Request{Method: "GET", Path: tc.path}, &resp); err != nil {
			t.Fatalf("GET %s: %v", tc.path, err)
		}
		if !equalFoldBS(resp.Header("Transfer-Encoding"), "chunked") {
			t.Errorf("GET %s: Transfer-Encoding %q, want chunked", tc.path, resp.Header("Transfer-Encoding"))
		}
		if string(resp.Body) != tc.want {
			t.Fatalf("GET %s: body of %d bytes, want %d", tc.path, len(resp.Body), len(tc.want))
		}
	}
	if d := c.Dials(); d != 1 {
		t.Errorf("Dials = %d, want 1: chunked responses keep the connection", d)
	}
}

func TestConnectionCloseHonoured(t *testing.T) {
	var closes atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/close" {
			w.Header().Set("Connection", "close")
		}
		io.WriteString(w, okBody)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			closes.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := newClient(t, Options{BaseURL: srv.URL, Timeout: 5 * time.Second})
	var resp Response
	do := func(r *Request) {
		t.Helper()
		if err := c.Do(context.Background(), r, &resp); err != nil {
			t.Fatalf("%s %s: %v", r.Method, r.Path, err)
		}
	}
	// The server says close: each exchange needs a new connection.
	for range 3 {
		do(&Request{Method: "GET", Path: "/close"})
	}
	if d := c.Dials(); d != 3 {
		t.Errorf("after 3 server-closed exchanges: Dials = %d, want 3", d)
	}
	// The caller says close: same.
	for range 2 {
		do(&Request{Method: "GET", Path: "/", Header: [][2]string{{"Connection", "close"}}})
	}
	if d := c.Dials(); d != 5 {
		t.Errorf("after 2 client-closed exchanges: Dials = %d, want 5", d)
	}
	do(&Request{Method: "GET", Path: "/"})
	do(&Request{Method: "GET", Path: "/"})
	if d := c.Dials(); d != 6 {
		t.Errorf("after 2 keep-alive exchanges: Dials = %d, want 6", d)
	}
}

// rawServer accepts connections on loopback and hands each to serve.
func rawServer(t testing.TB, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// readRequest reads one request and its Content-Length body without allocating.
func readRequest(br *bufio.Reader) error {
	length := 0
	for first := true; ; first = false {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 && !first {
			break
		}
		if len(line) > 16 && equalFoldBS(line[:15], "content-length:") {
			n, ok := parseSize(bytes.TrimSpace(line[15:]), 10)
			if !ok {
				return errors.New("bad content-length")
			}
			length = int(n)
		}
	}
	_, err := br.Discard(length)
	return err
}

var okResponse = []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nccmessaging-token: tok-2\r\nContent-Length: " +
	fmt.Sprint(len(okBody)) + "\r\n\r\n" + okBody)

// serveOK answers every request on c with okResponse, allocating nothing per request.
func serveOK(c net.Conn) {
	br := bufio.NewReader(c)
	for readRequest(br) == nil {
		if _, err := c.Write(okResponse); err != nil {
			return
		}
	}
}

func TestServerClosingIdleConnectionIsReplaced(t *testing.T) {
	closed := make(chan struct{}, 16)
	addr := rawServer(t, func(c net.Conn) {
		// One answer per connection, then an idle close without Connection: close.
		br := bufio.NewReader(c)
		if readRequest(br) == nil {
			c.Write(okResponse)
		}
		c.Close()
		closed <- struct{}{}
	})
	c := newClient(t, Options{Addr: addr, Timeout: 5 * time.Second})
	var resp Response
	for i := range 3 {
		if err := c.Do(context.Background(), sendReq(), &resp); err != nil {
			t.Fatalf("Do #%d: %v", i, err)
		}
		within(t, closed, "the server's idle close")
		time.Sleep(10 * time.Millisecond) // let the FIN reach the client's socket
	}
	if d := c.Dials(); d != 3 {
		t.Errorf("Dials = %d, want 3: each closed idle connection replaced", d)
	}
}

func TestWrittenRequestIsNotRetried(t *testing.T) {
	var requests atomic.Int64
	closed := make(chan struct{}, 16)
	addr := rawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		if readRequest(br) == nil {
			requests.Add(1)
			c.Write(okResponse)
		}
		// Take the second request, then drop the connection without answering.
		if readRequest(br) == nil {
			requests.Add(1)
		}
		c.Close()
		closed <- struct{}{}
	})
	c := newClient(t, Options{Addr: addr, Timeout: 5 * time.Second})
	var resp Response
	if err := c.Do(context.Background(), sendReq(), &resp); err != nil {
		t.Fatal(err)
	}
	err := c.Do(context.Background(), sendReq(), &resp)
	within(t, closed, "the server's close")
	if !errors.Is(err, io.EOF) {
		t.Errorf("Do after the server took the request and closed: err = %v, want io.EOF", err)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("server saw %d requests, want 2 (no resend of a written request)", n)
	}
	if d := c.Dials(); d != 1 {
		t.Errorf("Dials = %d, want 1", d)
	}
}

func TestUnwrittenRequestIsRetriedOnce(t *testing.T) {
	closed := make(chan struct{}, 16)
	addr := rawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		if readRequest(br) == nil {
			c.Write(okResponse)
		}
		// Reset the connection: the client's next write on it fails at once.
		c.(*net.TCPConn).SetLinger(0)
		c.Close()
		closed <- struct{}{}
	})
	c := newClient(t, Options{Addr: addr, Timeout: 5 * time.Second})
	c.noAliveCheck = true // no liveness check: the write must find the reset
	var resp Response
	if err := c.Do(context.Background(), sendReq(), &resp); err != nil {
		t.Fatal(err)
	}
	within(t, closed, "the server's reset")
	time.Sleep(10 * time.Millisecond) // let the RST reach the client's socket
	if err := c.Do(context.Background(), sendReq(), &resp); err != nil {
		t.Fatalf("Do on a reset idle connection: %v, want a retry on a new one", err)
	}
	if d := c.Dials(); d != 2 {
		t.Errorf("Dials = %d, want 2", d)
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newClient(t, Options{BaseURL: srv.URL, Timeout: 50 * time.Millisecond})
	var resp Response
	err := c.Do(context.Background(), sendReq(), &resp)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v, want a net.Error with Timeout()", err)
	}
	if e, ok := err.(*Error); !ok || !e.Timeout() || e.Op != "read" {
		t.Errorf("err = %#v, want *Error{Op: read} with Timeout()", err)
	}

	// A ctx deadline shorter than Timeout bounds the exchange too.
	c2 := newClient(t, Options{BaseURL: srv.URL, Timeout: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = c2.Do(ctx, sendReq(), &resp)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("ctx deadline: err = %v, want DeadlineExceeded with Timeout()", err)
	}
}

// A busy connection keeps Timeout's deadline between exchanges (see
// deadlineSlack): Timeout must still bound an exchange on it, and an
// earlier ctx deadline, once passed, must not linger into the next one.
func TestTimeoutOnReusedConnection(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/fast" {
			return
		}
		entered <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newClient(t, Options{BaseURL: srv.URL, Timeout: 300 * time.Millisecond})
	fast := &Request{Method: "GET", Path: "/fast"}
	var resp Response
	for i := range 10 {
		if err := c.Do(context.Background(), fast, &resp); err != nil || resp.Status != 200 {
			t.Fatalf("fast #%d: status %d, err %v", i, resp.Status, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	if err := c.Do(ctx, fast, &resp); err != nil {
		t.Fatalf("fast with a ctx deadline: %v", err)
	}
	<-ctx.Done() // that deadline has passed now
	cancel()
	errc := make(chan error, 1)
	go func() { errc <- c.Do(context.Background(), sendReq(), &resp) }()
	within(t, entered, "the stalled request at the server (a lingering past deadline would stop it unsent)")
	select {
	case err := <-errc:
		if e, ok := err.(*Error); !ok || !e.Timeout() || e.Op != "read" {
			t.Errorf("err = %v, want *Error{Op: read} with Timeout()", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Timeout 300ms did not bound an exchange on a reused connection")
	}
	if d := c.Dials(); d != 1 {
		t.Errorf("Dials = %d, want 1 (every exchange on the one reused connection)", d)
	}
}

func TestCancelAbortsExchange(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/fast" {
			return
		}
		entered <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newClient(t, Options{BaseURL: srv.URL, Timeout: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	var resp Response
	// A first exchange with the same ctx registers its watch; the second must still be aborted.
	if err := c.Do(ctx, &Request{Method: "GET", Path: "/fast"}, &resp); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Do(ctx, sendReq(), &resp) }()
	within(t, entered, "the request to reach the handler")
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Do did not return after cancel")
	}

	// A cancelled ctx on a finished exchange leaves the pooled connection alone.
	ctx2, cancel2 := context.WithCancel(context.Background())
	if err := c.Do(ctx2, &Request{Method: "GET", Path: "/fast"}, &resp); err != nil {
		t.Fatal(err)
	}
	cancel2()
	if err := c.Do(context.Background(), &Request{Method: "GET", Path: "/fast"}, &resp); err != nil {
		t.Errorf("Do after an earlier ctx was cancelled: %v", err)
	}
	// The same with a per-call ctx that has a deadline.
	dials := c.Dials()
	for range 3 {
		ctx3, cancel3 := context.WithTimeout(context.Background(), time.Minute)
		if err := c.Do(ctx3, &Request{Method: "GET", Path: "/fast"}, &resp); err != nil {
			t.Fatal(err)
		}
		cancel3()
	}
	if err := c.Do(context.Background(), &Request{Method: "GET", Path: "/fast"}, &resp); err != nil {
		t.Errorf("Do after per-call ctxs were cancelled: %v", err)
	}
	if d := c.Dials(); d != dials {
		t.Errorf("Dials = %d after per-call ctxs, want %d (connection kept)", d, dials)
	}
}

func TestPoolBound(t *testing.T) {
	var active, maxActive, conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := active.Add(1)
		for m := maxActive.Load(); n > m && !maxActive.CompareAndSwap(m, n); m = maxActive.Load() {
		}
		time.Sleep(2 * time.Millisecond) // keep exchanges overlapping
		active.Add(-1)
		io.WriteString(w, okBody)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := newClient(t, Options{BaseURL: srv.URL, MaxConns: 2, Timeout: 10 * time.Second})
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var resp Response
			for range 5 {
				if err := c.Do(context.Background(), sendReq(), &resp); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Do: %v", err)
	}
	if n := conns.Load(); n > 2 {
		t.Errorf("server saw %d connections, want at most 2", n)
	}
	if n := maxActive.Load(); n > 2 {
		t.Errorf("server saw %d concurrent requests, want at most 2", n)
	}
	if d := c.Dials(); d > 2 {
		t.Errorf("Dials = %d, want at most 2", d)
	}
}

func TestWaitForConnectionRespectsCtx(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		select {
		case <-release:
		case <-time.After(10 * time.Second):
		}
	}))
	defer srv.Close()
	c := newClient(t, Options{BaseURL: srv.URL, MaxConns: 1, Timeout: 10 * time.Second})
	first := make(chan error, 1)
	go func() {
		var resp Response
		first <- c.Do(context.Background(), sendReq(), &resp)
	}()
	within(t, entered, "the first request")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	var resp Response
	err := c.Do(ctx, sendReq(), &resp)
	var e *Error
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &e) || e.Op != "wait" {
		t.Errorf("waiting caller: err = %v, want a wait error with DeadlineExceeded", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Errorf("first caller: %v", err)
	}
	if d := c.Dials(); d != 1 {
		t.Errorf("Dials = %d, want 1: a waiting caller never dials past MaxConns", d)
	}
}

func TestBigBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Length", fmt.Sprint(2*len(body)))
		w.Write(body)
		w.Write(body)
	}))
	defer srv.Close()
	c := newClient(t, Options{BaseURL: srv.URL, Timeout: 10 * time.Second})
	body := bytes.Repeat([]byte("ccload-"), 300_000) // 2.1 MB
	var resp Response
	for range 2 {
		if err := c.Do(context.Background(), &Request{Method: "POST", Path: "/echo", Body: body}, &resp); err != nil {
			t.Fatal(err)
		}
		if len(resp.Body) != 2*len(body) || !bytes.Equal(resp.Body[:len(body)], body) || !bytes.Equal(resp.Body[len(body):], body) {
			t.Fatalf("echo: got %d bytes, want %d", len(resp.Body), 2*len(body))
		}
	}
	small := newClient(t, Options{BaseURL: srv.URL, Timeout: 10 * time.Second, MaxResponseBytes: 1 << 20})
	err := small.Do(context.Background(), &Request{Method: "POST", Path: "/echo", Body: body}, &resp)
	if !errors.Is(err, ErrBodyTooLarge) {
		t.Errorf("over MaxResponseBytes: err = %v, want ErrBodyTooLarge", err)
	}
}

func TestTransportErrorsClassify(t *testing.T) {
	refusedAddr := loopback.RefusedAddr(t) // refuses connections until the test ends

	reply := func(raw string) func(net.Conn) {
		return func(c net.Conn) {
			if readRequest(bufio.NewReader(c)) == nil {
				io.WriteString(c, raw)
			}
		}
	}
	resetAddr := rawServer(t, func(c net.Conn) {
		readRequest(bufio.NewReader(c))
		c.(*net.TCPConn).SetLinger(0)
	})
	cases := []struct {
		name string
		addr string
		want error
	}{
		{"refused", refusedAddr, syscall.ECONNREFUSED},
		{"reset", resetAddr, syscall.ECONNRESET},
		{"closed before answering", rawServer(t, reply("")), io.EOF},
		{"closed mid-headers", rawServer(t, reply("HTTP/1.1 200 OK\r\nContent-Le")), io.ErrUnexpectedEOF},
		{"closed mid-body", rawServer(t, reply("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345")), io.ErrUnexpectedEOF},
		{"closed mid-chunk", rawServer(t, reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n12")), io.ErrUnexpectedEOF},
		{"bad status line", rawServer(t, reply("HTTP/2 200\r\n\r\n")), ErrMalformed},
		{"bad header", rawServer(t, reply("HTTP/1.1 200 OK\r\nno colon\r\n\r\n")), ErrMalformed},
		{"bad length", rawServer(t, reply("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")), ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, Options{Addr: tc.addr, Timeout: 5 * time.Second})
			var resp Response
			err := c.Do(context.Background(), sendReq(), &resp)
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want errors.Is %v", err, tc.want)
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Errorf("err = %v reports Timeout()", err)
			}
		})
	}
}

func TestResponseFraming(t *testing.T) {
	cases := []struct {
		name       string
		raw        string
		method     string
		status     int
		body       string
		closeAfter bool
	}{
		{"content-length", "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", "POST", 201, "ok", false},
		{"close-delimited", "HTTP/1.1 200 OK\r\n\r\nuntil close", "POST", 200, "until close", true},
		{"http/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nold", "POST", 200, "old", true},
		{"http/1.0 keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nold", "POST", 200, "old", false},
		{"100 continue first", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "POST", 200, "ok", false},
		{"204 has no body", "HTTP/1.1 204 No Content\r\n\r\n", "POST", 204, "", false},
		{"HEAD has no body", "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", "HEAD", 200, "", false},
		{"chunked with extension and trailer", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n", "POST", 200, "abcde", false},
		{"LF only", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", "POST", 200, "ok", false},
		{"error status is not an error", "HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 4\r\n\r\nbusy", "POST", 503, "busy", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := rawServer(t, func(c net.Conn) {
				if readRequest(bufio.NewReader(c)) == nil {
					io.WriteString(c, tc.raw)
				}
			})
			c := newClient(t, Options{Addr: addr, Timeout: 5 * time.Second})
			req := sendReq()
			req.Method = tc.method
			resp := Response{Body: []byte("stale")}
			if err := c.Do(context.Background(), req, &resp); err != nil {
				t.Fatal(err)
			}
			if resp.Status != tc.status || string(resp.Body) != tc.body {
				t.Errorf("got %d %q, want %d %q", resp.Status, resp.Body, tc.status, tc.body)
			}
			// A kept connection stays in the pool; a closed one frees its slot.
			if idle := len(c.idle); idle != map[bool]int{true: 0, false: 1}[tc.closeAfter] {
				t.Errorf("idle connections = %d, closeAfter want %v", idle, tc.closeAfter)
			}
		})
	}
}

func TestInvalidRequestsAreNotSent(t *testing.T) {
	var conns atomic.Int64
	addr := rawServer(t, func(c net.Conn) { conns.Add(1); serveOK(c) })
	c := newClient(t, Options{Addr: addr})
	for _, req := range []*Request{
		{Method: "POST", Path: "/x", Header: [][2]string{{"X-A", "v\r\nX-Injected: 1"}}},
		{Method: "POST", Path: "/x", Header: [][2]string{{"Bad Name", "v"}}},
		{Method: "POST", Path: "/x y"},
		{Method: "PO ST", Path: "/x"},
		{Method: "POST", Path: "x"},
	} {
		var resp Response
		if err := c.Do(context.Background(), req, &resp); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%q %q %q: err = %v, want ErrInvalidRequest", req.Method, req.Path, req.Header, err)
		}
	}
	// A reused Request whose header changes after a valid call is checked again.
	req := &Request{Method: "POST", Path: "/x", Header: [][2]string{{"A", "1"}, {"B", "2"}}}
	var resp Response
	if err := c.Do(context.Background(), req, &resp); err != nil {
		t.Fatal(err)
	}
	req.Header[1][1] = "2\r\nX-Injected: 1"
	if err := c.Do(context.Background(), req, &resp); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("after an in-place change to a bad value: err = %v, want ErrInvalidRequest", err)
	}
	req.Header = append(req.Header[:1], [2]string{"C", "3"}, [2]string{"D\n", "4"})
	if err := c.Do(context.Background(), req, &resp); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("after appending a bad name: err = %v, want ErrInvalidRequest", err)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("server saw %d connections, want 1 (a refused request keeps its connection)", n)
	}
}

func TestResponseHeaderLookup(t *testing.T) {
	raw := "HTTP/1.1 200 OK\r\nX-Empty:\r\nccmessaging-token-old: no\r\nCCMESSAGING-TOKEN: \t tok-1 \r\n" +
		"ccmessaging-token: tok-2\r\nContent-Length: 0\r\n\r\n"
	cn := newConn(&Client{maxBody: DefaultMaxResponseBytes}, nil)
	cn.br.Reset(strings.NewReader(raw))
	var resp Response
	if err := cn.readResponse(&Request{Method: "GET"}, &resp); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, want string }{
		{"ccmessaging-token", "tok-1"}, // the first one, value trimmed
		{"Ccmessaging-Token-Old", "no"},
		{"x-empty", ""},
		{"content-length", "0"},
		{"ccmessaging", "<nil>"},
		{"token", "<nil>"},
	} {
		got := resp.Header(tc.name)
		s := string(got)
		if got == nil {
			s = "<nil>"
		}
		if s != tc.want {
			t.Errorf("Header(%q) = %q, want %q", tc.name, s, tc.want)
		}
	}
}

func TestNewRejectsBadAddresses(t *testing.T) {
	for _, o := range []Options{{}, {BaseURL: "ftp://x"}, {BaseURL: "http://"}, {Addr: "nohost"}, {BaseURL: "://bad"}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v): want an error", o)
		}
	}
	c, err := New(Options{BaseURL: "https://example.test/ignored/path"})
	if err != nil || c.addr != "example.test:443" || c.host != "example.test" || c.tlsConf.ServerName != "example.test" {
		t.Errorf("New(https URL) = addr %q host %q, %v", c.addr, c.host, err)
	}
}

func TestClosedClient(t *testing.T) {
	addr := rawServer(t, serveOK)
	c := newClient(t, Options{Addr: addr})
	var resp Response
	if err := c.Do(context.Background(), sendReq(), &resp); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := c.Do(context.Background(), sendReq(), &resp); !errors.Is(err, ErrClosed) {
		t.Errorf("Do after Close: err = %v, want ErrClosed", err)
	}
	if len(c.slots) != 0 {
		t.Errorf("after Close: %d connection slots held, want 0", len(c.slots))
	}
}

// TestDoAllocatesNothing asserts the steady state of the hot path: no
// allocation per Do, with a background ctx, a run's cancellable ctx, and a
// different per-call ctx with a deadline on every call.
func TestDoAllocatesNothing(t *testing.T) {
	addr := rawServer(t, serveOK)
	c := newClient(t, Options{Addr: addr, Timeout: 5 * time.Second})
	req := sendReq()
	var resp Response
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Two per-call contexts with deadlines, used in turn: every call sees a new ctx.
	callA, cancelA := context.WithTimeout(runCtx, time.Hour)
	defer cancelA()
	callB, cancelB := context.WithTimeout(runCtx, time.Hour)
	defer cancelB()
	for _, ctxs := range [][]context.Context{{context.Background()}, {runCtx}, {callA, callB}} {
		var err error
		i := 0
		do := func() {
			i++
			if e := c.Do(ctxs[i%len(ctxs)], req, &resp); e != nil {
				err = e
			}
			if len(resp.Header("ccmessaging-token")) == 0 {
				err = errors.New("no token header")
			}
		}
		do() // warm up: dial, grow buffers, register the ctx watch
		if allocs := testing.AllocsPerRun(200, do); allocs != 0 {
			t.Errorf("Do allocates %.1f times per call, want 0", allocs)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
