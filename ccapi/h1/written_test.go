package h1

import (
	"bufio"
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A caller cancelled while it waits for the pool's only connection has written
// nothing (NotWritten, Written false); the caller whose request the server took
// and holds, cancelled too, may have reached it (Written true). The server's
// count is the referee: it received exactly the one written request.
func TestWrittenFlagOnCancel(t *testing.T) {
	var received atomic.Int64
	got := make(chan struct{}, 4)
	release := make(chan struct{})
	addr := rawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for readRequest(br) == nil {
			received.Add(1)
			got <- struct{}{}
			<-release // hold the answer
		}
	})
	defer close(release)
	c := newClient(t, Options{Addr: addr, MaxConns: 1, Timeout: 10 * time.Second})

	heldCtx, cancelHeld := context.WithCancel(context.Background())
	held := make(chan error, 1)
	go func() {
		var resp Response
		held <- c.Do(heldCtx, sendReq(), &resp)
	}()
	within(t, got, "the first request")

	waitCtx, cancelWait := context.WithCancel(context.Background())
	waiting := make(chan error, 1)
	go func() {
		var resp Response
		waiting <- c.Do(waitCtx, sendReq(), &resp)
	}()
	time.Sleep(20 * time.Millisecond) // let it queue for the connection (order only: either way it is unwritten)
	cancelWait()
	cancelHeld()

	for _, tc := range []struct {
		name        string
		ch          chan error
		wantWritten bool
	}{{"waiting for the connection", waiting, false}, {"held by the server", held, true}} {
		var err error
		select {
		case err = <-tc.ch:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Do did not return after its ctx was cancelled", tc.name)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err %v, want context.Canceled", tc.name, err)
		}
		if w := Written(err); w != tc.wantWritten {
			t.Errorf("%s: Written(%v) = %v, want %v", tc.name, err, w, tc.wantWritten)
		}
	}
	if n := received.Load(); n != 1 {
		t.Errorf("server received %d requests, want 1", n)
	}
}

// A POST on idle connections the server has reset (no liveness check, so the
// write finds the reset) fails with nothing written on the first and on the
// retry: Written is false, and the server received only the first two
// requests, so counting the third as not sent is exact.
func TestWrittenFlagPeerClosedBeforeWrite(t *testing.T) {
	var received atomic.Int64
	var both sync.WaitGroup
	both.Add(2)
	closed := make(chan struct{}, 4)
	addr := rawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		if readRequest(br) == nil {
			received.Add(1)
			both.Done()
			both.Wait() // answer only once both connections carry a request: two dials
			c.Write(okResponse)
		}
		c.(*net.TCPConn).SetLinger(0)
		c.Close() // reset: the client's next write on it fails at once
		closed <- struct{}{}
	})
	c := newClient(t, Options{Addr: addr, MaxConns: 2, Timeout: 5 * time.Second})
	c.noAliveCheck = true
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			var resp Response
			errs <- c.Do(context.Background(), sendReq(), &resp)
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	within(t, closed, "the first reset")
	within(t, closed, "the second reset")
	time.Sleep(20 * time.Millisecond) // let the RSTs reach the client's sockets

	var resp Response
	err := c.Do(context.Background(), sendReq(), &resp)
	var e *Error
	if !errors.As(err, &e) || e.Op != "write" || !e.NotWritten {
		t.Fatalf("Do on two reset idle connections: err %v, want a write error with NotWritten", err)
	}
	if Written(err) {
		t.Errorf("Written(%v) = true, want false", err)
	}
	if n := received.Load(); n != 2 {
		t.Errorf("server received %d requests, want 2", n)
	}
}

// Written is true for success, for a request the server took before it closed,
// and for errors that are not an *Error (a caller that cannot tell assumes it
// may have arrived); a request refused by Do's own check is not written.
func TestWrittenFlagOtherCases(t *testing.T) {
	addr := rawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		readRequest(br)
		c.Close() // took the request, never answered
	})
	c := newClient(t, Options{Addr: addr, Timeout: 5 * time.Second})
	var resp Response
	err := c.Do(context.Background(), sendReq(), &resp)
	if err == nil || !Written(err) {
		t.Errorf("request taken then dropped: err %v, Written %v; want an error with Written true", err, Written(err))
	}
	bad := sendReq()
	bad.Header = [][2]string{{"X-Bad", "a\r\nInjected: 1"}}
	err = c.Do(context.Background(), bad, &resp)
	if !errors.Is(err, ErrInvalidRequest) || Written(err) {
		t.Errorf("invalid request: err %v, Written %v; want ErrInvalidRequest, not written", err, Written(err))
	}
	if !Written(nil) || !Written(errors.New("other")) {
		t.Error("Written(nil) and Written(non-*Error) must be true")
	}
}
