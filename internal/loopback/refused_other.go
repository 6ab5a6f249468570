//go:build !unix

package loopback

import (
	"net"
	"testing"
)

// RefusedAddr returns a loopback address nothing listened on a moment ago; without a bound
// socket to hold the port this is best effort.
func RefusedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
