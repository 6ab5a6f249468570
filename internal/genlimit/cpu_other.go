//go:build !unix

package genlimit

import "time"

// ProcessCPU is unknown on this platform: the CPU check is skipped.
func ProcessCPU() (time.Duration, bool) { return 0, false }

// MachineTicks is unknown on this platform.
func MachineTicks() (busy, total uint64) { return 0, 0 }
