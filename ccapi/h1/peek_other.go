//go:build !linux

package h1

import "syscall"

// peek is not implemented here: idle connections are assumed alive, and a
// stale one fails its exchange instead of being replaced before it.
func (cn *conn) peek(fd uintptr) bool {
	cn.peekN, cn.peekErr = 0, syscall.EAGAIN
	return true
}

// fastSend is false here: requests take the portable write-then-read path.
const fastSend = false

// sendWaitFn is never called where fastSend is false.
func (cn *conn) sendWaitFn(fd uintptr) bool { return true }
