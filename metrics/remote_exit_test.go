package metrics

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

// hangingReceiver is a remote-write receiver that never answers: each push blocks until its
// request's context ends. It records each push's deadline.
type hangingReceiver struct {
	mu        sync.Mutex
	deadlines []time.Time // zero: the push had none
	started   chan struct{}
}

func (h *hangingReceiver) RoundTrip(r *http.Request) (*http.Response, error) {
	d, _ := r.Context().Deadline()
	h.mu.Lock()
	h.deadlines = append(h.deadlines, d)
	h.mu.Unlock()
	select {
	case h.started <- struct{}{}:
	default:
	}
	<-r.Context().Done()
	return nil, r.Context().Err()
}

// TestStopBoundedByFinalPushTimeout: with a receiver that hangs, Stop abandons the periodic push
// in flight and gives the final push a deadline of FinalPushTimeout, however long the caller's
// own context is, so a run's exit is bounded.
func TestStopBoundedByFinalPushTimeout(t *testing.T) {
	h := &hangingReceiver{started: make(chan struct{}, 1)}
	w, err := NewRemoteWriter("http://127.0.0.1:1/api/v1/write", 10*time.Millisecond, New("0/1").Gatherer(), nil)
	if err != nil {
		t.Fatal(err)
	}
	w.client = &http.Client{Transport: h} // no client timeout: only the contexts bound a push
	w.Start()
	select {
	case <-h.started: // a periodic push is in flight, hanging
	case <-time.After(10 * time.Second):
		t.Fatal("no periodic push within 10s")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	stopAt := time.Now()
	if err := w.Stop(ctx); err == nil {
		t.Fatal("Stop: want the hanging final push's error")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.deadlines) < 2 {
		t.Fatalf("%d pushes seen, want the periodic one and the final one", len(h.deadlines))
	}
	if d := h.deadlines[0]; !d.IsZero() {
		t.Errorf("the periodic push had a deadline %v; want none (Stop cancels it)", d)
	}
	final := h.deadlines[len(h.deadlines)-1]
	if final.IsZero() || final.Sub(stopAt) > time.Minute {
		t.Errorf("final push deadline %v, want at most FinalPushTimeout (%v) after Stop was called (%v), not the caller's hour",
			final, FinalPushTimeout, stopAt)
	}
	if p, f := w.Counts(); f != p || p < 2 {
		t.Errorf("pushes %d, failures %d; want every push failed", p, f)
	}
}
