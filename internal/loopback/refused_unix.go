//go:build unix

package loopback

import (
	"net"
	"strconv"
	"syscall"
	"testing"
)

// RefusedAddr returns 127.0.0.1:PORT where PORT is held by a bound socket that never listens, so
// every connection to it is refused until the test ends; a listen-then-close port can be handed
// to the next listener (another case's server) before the client dials it.
func RefusedAddr(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	syscall.CloseOnExec(fd)
	t.Cleanup(func() { syscall.Close(fd) })
	// No SO_REUSEADDR: nobody else can bind the port while this socket holds it.
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
}
