//go:build unix

package loopback

import (
	"errors"
	"net"
	"syscall"
	"testing"
)

// The address refuses, and no listener can take its port while the test holds it.
func TestRefusedAddrRefusesAndKeepsItsPort(t *testing.T) {
	addr := RefusedAddr(t)
	if _, err := net.Dial("tcp", addr); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial %s: err = %v, want connection refused", addr, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		ln.Close()
		t.Fatalf("listen %s succeeded; the port should be held", addr)
	}
}
