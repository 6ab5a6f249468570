package runner

import (
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// memPipe returns the two ends of an in-memory connection. Unlike net.Pipe its writes never
// wait for the reader (each direction buffers), so a request or an answer crosses in one step;
// a blocked read waits on a sync.Cond, which a synctest bubble counts as durably blocked.
func memPipe(a, b net.Addr) (net.Conn, net.Conn) {
	ab, ba := newMemHalf(), newMemHalf()
	return &memConn{in: ba, out: ab, local: a, remote: b}, &memConn{in: ab, out: ba, local: b, remote: a}
}

// memHalf is one direction of a memPipe: the bytes written and not yet read.
type memHalf struct {
	mu       sync.Mutex
	cond     sync.Cond
	buf      []byte
	closed   bool      // the writer closed: reads drain buf, then EOF
	gone     bool      // the reader closed: reads fail, writes fail
	deadline time.Time // the reader's deadline
	timer    *time.Timer
}

func newMemHalf() *memHalf {
	h := &memHalf{}
	h.cond.L = &h.mu
	return h
}

// memConn is one end of a memPipe.
type memConn struct {
	in, out       *memHalf
	local, remote net.Addr
	wmu           sync.Mutex
	wdeadline     time.Time
}

type memTimeout struct{}

func (memTimeout) Error() string   { return "i/o timeout" }
func (memTimeout) Timeout() bool   { return true }
func (memTimeout) Temporary() bool { return true }
func (memTimeout) Unwrap() error   { return os.ErrDeadlineExceeded }

func expired(d time.Time) bool { return !d.IsZero() && !time.Now().Before(d) }

func (c *memConn) Read(p []byte) (int, error) {
	h := c.in
	h.mu.Lock()
	defer h.mu.Unlock()
	for {
		switch {
		case h.gone:
			return 0, net.ErrClosed
		case expired(h.deadline):
			return 0, memTimeout{}
		case len(h.buf) > 0:
			n := copy(p, h.buf)
			h.buf = h.buf[n:]
			return n, nil
		case h.closed:
			return 0, io.EOF
		}
		h.cond.Wait()
	}
}

func (c *memConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	wd := c.wdeadline
	c.wmu.Unlock()
	if expired(wd) {
		return 0, memTimeout{}
	}
	h := c.out
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return 0, net.ErrClosed
	}
	if h.gone {
		return 0, io.ErrClosedPipe
	}
	h.buf = append(h.buf, p...)
	h.cond.Broadcast()
	return len(p), nil
}

func (c *memConn) Close() error {
	for _, h := range []*memHalf{c.in, c.out} {
		h.mu.Lock()
		if h == c.in {
			h.gone = true
		} else {
			h.closed = true
		}
		if h.timer != nil {
			h.timer.Stop()
		}
		h.cond.Broadcast()
		h.mu.Unlock()
	}
	return nil
}

func (c *memConn) LocalAddr() net.Addr  { return c.local }
func (c *memConn) RemoteAddr() net.Addr { return c.remote }

func (c *memConn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

func (c *memConn) SetReadDeadline(t time.Time) error {
	h := c.in
	h.mu.Lock()
	defer h.mu.Unlock()
	h.deadline = t
	if h.timer != nil {
		h.timer.Stop()
		h.timer = nil
	}
	if d := time.Until(t); !t.IsZero() && d > 0 {
		h.timer = time.AfterFunc(d, func() {
			h.mu.Lock()
			h.cond.Broadcast()
			h.mu.Unlock()
		})
	}
	h.cond.Broadcast()
	return nil
}

func (c *memConn) SetWriteDeadline(t time.Time) error {
	c.wmu.Lock()
	c.wdeadline = t
	c.wmu.Unlock()
	return nil
}
