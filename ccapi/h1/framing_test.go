package h1

import (
	"bufio"
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// A connection whose framing cannot be trusted after an answer is closed at
// once, never reused: the next request goes on a new connection and gets its
// own answer.
func TestUntrustedConnectionIsClosed(t *testing.T) {
	cases := []struct {
		name, first string
		status      int
		body        string
	}{
		{"Content-Length shorter than the body",
			"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok-and-more", 200, "ok"},
		{"unsolicited answer after the answer",
			"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" + string(okResponse), 200, "ok"},
		{"204 with a body",
			"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello", 204, ""},
		{"204 with a chunked body",
			"HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 204, ""},
		{"101",
			"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 101, ""},
		{"Transfer-Encoding and Content-Length",
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\nok\r\n0\r\n\r\n", 200, "ok"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var conns atomic.Int64
			var firstConnRequests atomic.Int64
			firstClosed := make(chan struct{}, 1)
			addr := rawServer(t, func(c net.Conn) {
				br := bufio.NewReader(c)
				if conns.Add(1) > 1 {
					serveOK(c)
					return
				}
				if readRequest(br) != nil {
					return
				}
				firstConnRequests.Add(1)
				c.Write([]byte(tc.first))
				for readRequest(br) == nil { // a client that reuses the connection lands here
					firstConnRequests.Add(1)
					c.Write(okResponse)
				}
				firstClosed <- struct{}{}
			})
			c := newClient(t, Options{Addr: addr, Timeout: 5 * time.Second})
			var resp Response
			if err := c.Do(context.Background(), sendReq(), &resp); err != nil {
				t.Fatalf("first Do: %v", err)
			}
			if resp.Status != tc.status || string(resp.Body) != tc.body {
				t.Errorf("first answer: status %d body %q, want %d %q", resp.Status, resp.Body, tc.status, tc.body)
			}
			within(t, firstClosed, "the client's close of the first connection")
			if err := c.Do(context.Background(), sendReq(), &resp); err != nil {
				t.Fatalf("second Do: %v", err)
			}
			if resp.Status != 200 || string(resp.Body) != okBody {
				t.Errorf("second answer: status %d body %q, want 200 %q", resp.Status, resp.Body, okBody)
			}
			if n := firstConnRequests.Load(); n != 1 {
				t.Errorf("first connection carried %d requests, want 1 (closed after its answer)", n)
			}
			if n := conns.Load(); n != 2 {
				t.Errorf("server saw %d connections, want 2", n)
			}
		})
	}
}
