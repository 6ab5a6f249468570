package runner

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"ccload/mock"
)

// An in-memory network for tests run inside a synctest bubble (testing/synctest): the mock is
// served on a memListener and the run dials it through Config.dial, so no goroutine waits on a
// socket and the bubble's fake time covers the runner, its client and the mock alike. A test
// that thinks for a minute or holds a session for an hour then takes no real time, and the
// target's timing (latency, handle time) stays consistent with the run's.

// memListener is a net.Listener whose connections are memPipe ends handed over by dial.
type memListener struct {
	addr   memAddr
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

type memAddr string

func (a memAddr) Network() string { return "mem" }
func (a memAddr) String() string  { return string(a) }

func newMemListener(addr string) *memListener {
	return &memListener{addr: memAddr(addr), conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *memListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *memListener) Addr() net.Addr { return l.addr }

// dial opens a connection to the listener, as Config.dial.
func (l *memListener) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if tr := httptrace.ContextClientTrace(ctx); tr != nil && tr.ConnectStart != nil {
		tr.ConnectStart(network, addr) // as net.Dialer does: net/http's caller then knows a dial began
	}
	client, server := memPipe(memAddr("client"), l.addr)
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED} // as a closed port answers
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// memTarget is a handler served in memory: URL is the address a run names, dial reaches it.
type memTarget struct {
	url  string
	ln   *memListener
	http *http.Server
}

var memPorts atomic.Int64

// memServe serves h in memory for one test that runs inside a synctest bubble (synctest.Test);
// runs reach it through target (Config.dial). The test's cleanup closes it.
func memServe(t *testing.T, h http.Handler) *memTarget {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", 20000+memPorts.Add(1))
	m := &memTarget{url: "http://" + addr, ln: newMemListener(addr)}
	m.http = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go m.http.Serve(m.ln)
	t.Cleanup(func() { m.Close() })
	return m
}

// URL is the target's base URL (loopback in form; only dial reaches it).
func (m *memTarget) URL() string { return m.url }

// Close stops serving: open connections are closed and new ones refused.
func (m *memTarget) Close() error { return m.http.Close() }

// target points cfg at m: its URL and its in-memory dial.
func (m *memTarget) target(cfg Config) Config {
	cfg.BaseURL, cfg.dial, cfg.Clock = m.url, m.ln.dial, bubbleClock{}
	return cfg
}

// bubbleClock is the wall clock as a synctest bubble fakes it: time.Now and Go's timers are
// the bubble's, the kernel's timerfd is not, so it says its time is not the kernel's.
type bubbleClock struct{ realClock }

func (bubbleClock) kernelTime() bool { return false }

// memMock is a mock served in memory.
type memMock struct {
	*mock.Server
	front *memTarget
}

// bubbleMock starts a mock in memory (testMock's options) for one test that runs inside a
// synctest bubble; runs reach it through target.
func bubbleMock(t *testing.T, edit func(*mock.Options)) *memMock {
	t.Helper()
	srv, err := mock.NewUnstarted(mockOptions(edit))
	if err != nil {
		t.Fatal(err)
	}
	m := &memMock{Server: srv, front: memServe(t, srv.Handler())}
	t.Cleanup(func() { m.Close() })
	return m
}

// URL is the mock's base URL.
func (m *memMock) URL() string { return m.front.url }

// target points cfg at the mock.
func (m *memMock) target(cfg Config) Config { return m.front.target(cfg) }

// Close stops serving, then stops the mock.
func (m *memMock) Close() error {
	m.front.Close()
	return m.Server.Close()
}

// memWebhook is an in-memory listener for a run's webhook receiver (Config.WebhookListener),
// at a loopback address of its own: WebhookURL names it, and a mock pushes to it through its
// dial (mock.Options.PushDial).
func memWebhook() *memListener {
	return newMemListener(fmt.Sprintf("127.0.0.1:%d", 20000+memPorts.Add(1)))
}
