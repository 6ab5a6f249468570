package h1

import (
	"syscall"
	"unsafe"
)

// peek looks, without consuming or blocking, for bytes or a close on the
// socket: it records recv(MSG_PEEK|MSG_DONTWAIT)'s result for alive.
func (cn *conn) peek(fd uintptr) bool {
	n, _, errno := syscall.Syscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&cn.peekBuf[0])), 1,
		syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
	cn.peekN, cn.peekErr = int(n), errno
	if errno != 0 {
		cn.peekN = 0
	}
	return true // never wait for readability
}
