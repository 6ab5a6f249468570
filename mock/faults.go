package mock

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"time"

	"ccload/ccapi"
)

// drop closes the client's connection without an answer: the client sees a
// reset or an EOF, as when a load balancer or a crashed backend drops it.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // net/http closes the connection without logging
}

// hold delays the answer by the endpoint's latency, the capacity queue's wait
// and any stall window the answer would fall into. It returns false when the
// client's context ended first.
func (s *Server) hold(ctx context.Context, ep ccapi.Endpoint, now int64) bool {
	var d time.Duration
	if dist := s.latency[ep]; !dist.IsZero() {
		d = s.sample(dist)
	}
	if s.capacity != nil {
		d += time.Duration(s.capacityWait(now))
	}
	if d > 0 {
		s.cnt.faults[faultDelayed].Add(1)
	}
	if s.opts.Stall > 0 {
		if end, ok := stallEnd(now+int64(d), int64(s.opts.Stall), int64(s.opts.StallEvery)); ok {
			s.cnt.faults[faultStalled].Add(1)
			d = time.Duration(end - now)
		}
	}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// stallEnd says whether instant t (server clock) falls into a stall window and
// when that window ends. The windows are the last `stall` of every `period`:
// [k*period + period - stall, (k+1)*period), so a fresh mock serves normally at first.
func stallEnd(t, stall, period int64) (end int64, stalled bool) {
	if stall <= 0 || period <= stall || t < 0 {
		return 0, false
	}
	r := t % period
	if r < period-stall {
		return 0, false
	}
	return t - r + period, true
}

// capacityWait models the platform as a single server that takes 1/Capacity
// seconds per request: a request waits until the requests before it are served,
// so latency grows as a queue's does once the offered rate exceeds Capacity.
// That wait is exactly the delay of a reservation on a token bucket of burst 1
// refilled at Capacity per second (now is the server clock, ns since start).
func (s *Server) capacityWait(now int64) int64 {
	t := s.start.Add(time.Duration(now))
	return int64(s.capacity.ReserveN(t, 1).DelayFrom(t))
}

func urlUnescape(v string) (string, error) { return url.QueryUnescape(v) }

// validBase64 accepts standard base64 with or without padding, ignoring nothing else.
func validBase64(s string) bool {
	if _, err := base64.StdEncoding.DecodeString(s); err == nil {
		return true
	}
	_, err := base64.RawStdEncoding.DecodeString(s)
	return err == nil
}
