//go:build !linux

package runner

import "time"

// fdTimer exists only on Linux (timerfd); elsewhere the Clock's own timer is used.
type fdTimer struct{ Timer }

func newFDTimer(time.Duration) *fdTimer { return nil }

func (t *fdTimer) close() {}
