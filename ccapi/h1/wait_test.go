package h1

import (
	"context"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// With every connection taken by a dial that hangs (a TLS server that never
// answers the handshake), a caller relying on Timeout alone gets a timeout
// for its wait, not a wait as long as the stalled dial.
func TestWaitForConnectionIsBoundedByTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release) // ends the hanging handshake, also when the test fails
	accepted := make(chan struct{}, 1)
	addr := rawServer(t, func(c net.Conn) {
		accepted <- struct{}{}
		go func() { <-release; c.Close() }()
		io.Copy(io.Discard, c) // never answer the ClientHello
	})
	c := newClient(t, Options{BaseURL: "https://" + addr, MaxConns: 1, Timeout: 100 * time.Millisecond, DialTimeout: time.Minute})
	go func() {
		var resp Response
		c.Do(context.Background(), sendReq(), &resp) // holds the only slot, dialing
	}()
	within(t, accepted, "the first dial")

	second := make(chan error, 1)
	go func() {
		var resp Response
		second <- c.Do(context.Background(), sendReq(), &resp)
	}()
	var err error
	select {
	case err = <-second:
	case <-time.After(5 * time.Second):
		t.Fatal("Do waited for a connection past 5s with Timeout 100ms")
	}
	var e *Error
	if !errors.As(err, &e) || e.Op != "wait" || !e.Timeout() {
		t.Errorf("waiting Do: err %v, want a wait timeout", err)
	}
}
