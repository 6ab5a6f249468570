package runner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ccload/mock"
)

// An in-memory network for tests run inside a synctest bubble (testing/synctest): the mock is
// served on a memListener and the run dials it through Config.dial, so no goroutine waits on a
// socket and the bubble's fake time covers the runner, its client and the mock alike. A test
// that thinks for a minute or holds a session for an hour then takes no real time, and the
// target's timing (latency, handle time) stays consistent with the run's.

// memListener is a net.Listener whose connections are net.Pipe ends handed over by dial.
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
func (l *memListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
		return nil, errors.New("connection refused: the in-memory target is closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// memTarget is a mock served in memory: URL is the address a run names, dial reaches it.
type memTarget struct {
	*mock.Server
	url  string
	ln   *memListener
	http *http.Server
}

// URL is the target's base URL (loopback in form; only dial reaches it).
func (m *memTarget) URL() string { return m.url }

var memPorts atomic.Int64

// bubbleMock starts a mock in memory for one test that runs inside a synctest bubble
// (synctest.Test); runs reach it through its dial (Config.dial, set by target).
func bubbleMock(t *testing.T, edit func(*mock.Options)) *memTarget {
	t.Helper()
	o := mock.DefaultOptions()
	o.Seed = 1
	o.RobotDelay = 10 * time.Millisecond
	if edit != nil {
		edit(&o)
	}
	srv, err := mock.NewUnstarted(o)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", 20000+memPorts.Add(1))
	m := &memTarget{Server: srv, url: "http://" + addr, ln: newMemListener(addr)}
	m.http = &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	go m.http.Serve(m.ln)
	t.Cleanup(func() {
		m.http.Close()
		srv.Close()
	})
	return m
}

// target points cfg at m: its URL and its in-memory dial.
func (m *memTarget) target(cfg Config) Config {
	cfg.BaseURL, cfg.dial = m.url, m.ln.dial
	return cfg
}
