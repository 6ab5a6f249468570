//go:build !unix

package capacity

import "time"

// cpuTime is unknown on this platform: the CPU check is skipped.
func cpuTime() (time.Duration, bool) { return 0, false }

// machineTicks is unknown on this platform.
func machineTicks() (busy, total uint64) { return 0, 0 }
