//go:build !unix

package capacity

import "time"

// cpuTime is unknown on this platform: the CPU check is skipped.
func cpuTime() (time.Duration, bool) { return 0, false }
