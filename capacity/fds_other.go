//go:build !unix

package capacity

// openFileLimit is unknown off Unix (0): the connection count is bounded by maxCustomerConns alone.
func openFileLimit() uint64 { return 0 }
