package h1

import (
	"bufio"
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// A server that refuses a large upload with a 413 before reading it all (and
// then closes, resetting the unread rest) must be reported as the 413 it
// sent, not as a write error.
func TestEarlyAnswerDuringUploadIsTheAnswer(t *testing.T) {
	const refusal = "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 9\r\n\r\ntoo large"
	answered := make(chan struct{}, 1)
	addr := rawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for { // the head only
			line, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			if len(line) <= 2 {
				break
			}
		}
		io.CopyN(io.Discard, br, 64<<10) // a little of the body, then refuse it
		c.Write([]byte(refusal))
		c.Close()
		answered <- struct{}{}
	})
	c := newClient(t, Options{Addr: addr, Timeout: 5 * time.Second})
	req := &Request{Method: "POST", Path: "/upload", Body: make([]byte, 32<<20)}
	var resp Response
	err := c.Do(context.Background(), req, &resp)
	within(t, answered, "the server's refusal")
	if err != nil {
		t.Fatalf("Do: %v, want the server's 413", err)
	}
	if resp.Status != 413 || string(resp.Body) != "too large" {
		t.Errorf("status %d body %q, want 413 %q", resp.Status, resp.Body, "too large")
	}
}
