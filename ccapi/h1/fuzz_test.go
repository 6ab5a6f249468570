package h1

import (
	"bufio"
	"bytes"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzReadResponse feeds arbitrary server bytes to the response parser: it
// must never panic, never hand back a body over MaxResponseBytes, and a
// response it accepts must be one a user can read.
func FuzzReadResponse(f *testing.F) {
	f.Add([]byte(string(okResponse)), "POST")
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\nX-T: 1\r\n\r\n"), "GET")
	f.Add([]byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 204 No Content\r\nContent-Length: 3\r\n\r\nabc"), "GET")
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"), "HEAD")
	f.Add([]byte("HTTP/1.0 200 OK\r\n\r\nbody until close"), "GET")
	const maxBody = 1 << 16
	f.Fuzz(func(t *testing.T, data []byte, method string) {
		cn := &conn{c: &Client{maxBody: maxBody}, br: bufio.NewReaderSize(bytes.NewReader(data), readBufSize)}
		var resp Response
		err := cn.readResponse(&Request{Method: method}, &resp)
		if len(resp.Body) > maxBody {
			t.Fatalf("body of %d bytes, over MaxResponseBytes %d", len(resp.Body), maxBody)
		}
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is a %T, want *Error", err, err)
			}
			return
		}
		if resp.Status < 100 || resp.Status > 999 || resp.Status < 200 && resp.Status != 101 {
			t.Fatalf("accepted final status %d", resp.Status)
		}
		if (method == "HEAD" || resp.Status == 204 || resp.Status == 304 || resp.Status < 200) && len(resp.Body) != 0 {
			t.Fatalf("status %d to %s has a body of %d bytes", resp.Status, method, len(resp.Body))
		}
		if cn.br.Buffered() > 0 && !cn.closeAfter {
			t.Fatalf("%d bytes left after the answer, yet the connection would be reused", cn.br.Buffered())
		}
		resp.Header("Content-Length") // must not panic on any accepted header block
	})
}

// bufConn is a net.Conn that records what is written to it.
type bufConn struct {
	net.Conn
	w bytes.Buffer
}

func (b *bufConn) Write(p []byte) (int, error)      { return b.w.Write(p) }
func (b *bufConn) SetDeadline(time.Time) error      { return nil }
func (b *bufConn) SetReadDeadline(time.Time) error  { return nil }
func (b *bufConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzWriteRequest checks the request writer against header injection: a
// request that check accepts is written as exactly its request line, Host,
// its own headers in order, User-Agent and Content-Length, and its body;
// nothing a caller passes can add a line.
func FuzzWriteRequest(f *testing.F) {
	f.Add("POST", sendAsyncPath, "Content-Type", "application/json", "ccmessaging-token", "tok", chatBody)
	f.Add("GET", "/x?y=1", "Connection", "close", "User-Agent", "me/1", []byte(nil))
	f.Add("GET", "/", "X-A", "v\r\nInjected: 1", "X-B", "", []byte(nil))
	f.Add("PUT", "*", "X-A", " padded ", "Bad Name", "v", []byte("a\r\n\r\nb"))
	f.Fuzz(func(t *testing.T, method, path, n1, v1, n2, v2 string, body []byte) {
		bc := &bufConn{}
		c := &Client{host: "127.0.0.1:9", userAgent: DefaultUserAgent}
		cn := &conn{c: c, nc: bc, wbuf: make([]byte, 0, 64), okHeader: make([][2]string, 0, 8)}
		req := &Request{Method: method, Path: path, Header: [][2]string{{n1, v1}, {n2, v2}}, Body: body}
		if cn.check(req) != nil {
			return // refused: nothing may be written
		}
		if err := cn.writeRequest(req); err != nil {
			t.Fatal(err)
		}
		out := bc.w.String()
		head, gotBody, ok := strings.Cut(out, "\r\n\r\n")
		if !ok {
			t.Fatalf("no end of head in %q", out)
		}
		if method == "" {
			method = "GET"
		}
		if path == "" {
			path = "/"
		}
		want := []string{method + " " + path + " HTTP/1.1", "Host: 127.0.0.1:9", n1 + ": " + v1, n2 + ": " + v2}
		if !strings.EqualFold(n1, "User-Agent") && !strings.EqualFold(n2, "User-Agent") {
			want = append(want, "User-Agent: "+DefaultUserAgent)
		}
		if body != nil || method == "POST" || method == "PUT" || method == "PATCH" {
			want = append(want, "Content-Length: "+strconv.Itoa(len(body)))
		}
		if got := strings.Split(head, "\r\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("head lines\n%q\nwant\n%q", got, want)
		}
		if gotBody != string(body) {
			t.Fatalf("body %q, want %q", gotBody, body)
		}
	})
}
