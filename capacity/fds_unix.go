//go:build unix

package capacity

import "syscall"

// openFileLimit is the process's open-file limit (0: unknown): a customers step opens a
// connection per customer, and each is a file.
func openFileLimit() uint64 {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) != nil {
		return 0
	}
	return uint64(l.Cur)
}
