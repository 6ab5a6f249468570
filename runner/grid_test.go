package runner

import (
	"testing"
	"time"
)

// The poll and queue grids tick every interval from where they started; an exchange that ends
// past one or more ticks skips them (the next tick is the first after its end), never bursts.
func TestGridSkipsTheTicksASlowExchangeMissed(t *testing.T) {
	const iv = int64(100 * time.Millisecond)
	ms := func(n int64) int64 { return n * int64(time.Millisecond) }
	for _, tc := range []struct {
		name       string
		start, end int64 // where the grid started, when its exchange (at the first tick) ended
		want       int64 // the tick after it
	}{
		{"a fast exchange: the next tick", 0, ms(10), ms(200)},
		{"ended on the next tick: that tick is skipped", 0, ms(200), ms(300)},
		{"ended just past it", 0, ms(201), ms(300)},
		{"three ticks missed", ms(50), ms(480), ms(550)},
		{"ended just before a tick", ms(50), ms(349), ms(350)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var g grid
			g.startAfter(tc.start, iv)
			if first := tc.start + iv; g.next != first || !g.due(first) || g.due(first-1) {
				t.Fatalf("started after %d: next %d (due at %d: %v), want the first tick at %d", tc.start, g.next, first, g.due(first), first)
			}
			g.skipPast(tc.end, iv)
			if g.next != tc.want {
				t.Errorf("after an exchange ending at %s: next tick %s, want %s", time.Duration(tc.end), time.Duration(g.next), time.Duration(tc.want))
			}
			if g.due(tc.end) || (g.next-tc.start)%iv != 0 {
				t.Errorf("next tick %s is due at the exchange's end or off the grid", time.Duration(g.next))
			}
		})
	}
}

// A session's grid interval is its own, or the scenario's default when unset.
func TestGridEveryDefaults(t *testing.T) {
	if got := every(0, 5*time.Second); got != int64(5*time.Second) {
		t.Errorf("unset interval: %d, want the default 5s", got)
	}
	if got := every(250*time.Millisecond, 5*time.Second); got != int64(250*time.Millisecond) {
		t.Errorf("set interval: %d, want 250ms", got)
	}
}
