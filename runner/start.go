package runner

import (
	"context"
	"fmt"
	"time"
)

// lateStart is how far past Config.StartAt a run may begin and still keep StartAt as its origin
// (the late part shows as scheduler lag); a later run begins its schedule when it begins, and warns.
const lateStart = time.Second

// begin waits for cfg.StartAt (when set) and sets the run's origin t0. It returns false when a stop
// (ctx or Kill) came first: then nothing may be sent.
func (r *run) begin(ctx context.Context) bool {
	at := r.cfg.StartAt
	if at.IsZero() {
		r.t0 = r.clock.Now()
		return true
	}
	if d := at.Sub(r.clock.Now()); d > 0 {
		timer := r.clock.NewTimer(d)
		defer timer.Stop()
		select {
		case <-ctx.Done():
			r.t0 = r.clock.Now()
			return false
		case <-r.cfg.Kill:
			r.t0 = r.clock.Now()
			return false
		case <-timer.C():
		}
	}
	now := r.clock.Now()
	if late := now.Sub(at); late > lateStart {
		r.t0 = now
		r.warn(fmt.Sprintf("began %s after start_at %s: this shard's schedule is shifted by that much", late.Round(time.Millisecond), at.UTC().Format(time.RFC3339Nano)))
		return true
	}
	r.t0 = at
	return true
}
