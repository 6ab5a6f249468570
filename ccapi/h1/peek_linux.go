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

// fastSend tells that sendWait can write and wait in one poller call here.
const fastSend = true

// sendWaitFn is sendWait's callback for syscall.RawConn.Read. Its first call
// peeks (when alive deferred the peek) and writes; it returns false to wait
// for readability. The call after the wake-up returns true at once: bufio's
// read then finds the answer (or, after a spurious wake-up, waits as usual).
func (cn *conn) sendWaitFn(fd uintptr) bool {
	if cn.sendDone {
		return true
	}
	if cn.peekDue {
		n, _, errno := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&cn.peekBuf[0])), 1,
			syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
		if errno != syscall.EAGAIN && errno != syscall.EWOULDBLOCK {
			cn.peekN, cn.sendDead = int(n), true // closed (0 bytes), reset, or bytes nobody asked for
			return true
		}
	}
	n, err := syscall.Write(int(fd), cn.sendBuf)
	if err != nil {
		if errno, ok := err.(syscall.Errno); ok && errno != syscall.EAGAIN && errno != syscall.EINTR {
			cn.sendErr = errno
		}
		return true // an EAGAIN or EINTR: sendWait writes the rest with the blocking path
	}
	cn.sendN = n
	if n < len(cn.sendBuf) {
		return true
	}
	cn.sendDone = true
	return false
}
