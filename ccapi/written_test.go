package ccapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// On both transports, with one connection held by a server that never answers: a
// send cancelled while it waits for that connection is not sent (canceled_waiting,
// Written false) and the held one, cancelled too, is cut (written). The server's
// count is the referee: it received one request.
func TestNotSentAndCutOnBothTransports(t *testing.T) {
	for _, tr := range []string{TransportH1, TransportNetHTTP} {
		t.Run(tr, func(t *testing.T) {
			var received atomic.Int64
			got := make(chan struct{}, 4)
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				received.Add(1)
				got <- struct{}{}
				select {
				case <-release:
				case <-r.Context().Done():
				}
			}))
			defer srv.Close()
			defer close(release)
			c, err := NewClient(Config{BaseURL: srv.URL, AccessToken: "at", AppKey: "ak", Timeout: 10 * time.Second, MaxConns: 1, Transport: tr})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()

			heldCtx, cancelHeld := context.WithCancel(context.Background())
			held := make(chan Call, 1)
			go func() {
				cu := c.NewCustomer("u1")
				cu.SetToken("cm")
				held <- *cu.Send(heldCtx, chatFrom("u1", 0))
			}()
			select {
			case <-got:
			case <-time.After(5 * time.Second):
				t.Fatal("the first request never reached the server")
			}
			waitCtx, cancelWait := context.WithCancel(context.Background())
			waiting := make(chan Call, 1)
			observed := make(chan observedCall, 4)
			go func() {
				cu := c.NewCustomer("u2")
				cu.SetToken("cm")
				cu.Observe = func(c *Call) { observed <- observedCall{c.Kind, c.Written} }
				waiting <- *cu.Send(waitCtx, chatFrom("u2", 0))
			}()
			time.Sleep(20 * time.Millisecond) // let it queue (order only: it is unwritten either way)
			cancelWait()
			w := recvCall(t, waiting)
			cancelHeld()
			h := recvCall(t, held)
			if w.Kind != KindCanceledWaiting || w.Written {
				t.Errorf("waiting send: kind %s written %v (err %v), want canceled_waiting, not written", w.Kind, w.Written, w.Err)
			}
			if o := <-observed; o.kind != KindCanceledWaiting {
				t.Errorf("waiting send observed as %s, want canceled_waiting (a not-sent call is still observed)", o.kind)
			}
			if h.Kind != KindCut || !h.Written {
				t.Errorf("held send: kind %s written %v (err %v), want cut, written", h.Kind, h.Written, h.Err)
			}
			if n := received.Load(); n != 1 {
				t.Errorf("server received %d requests, want 1", n)
			}
		})
	}
}

// observedCall is an observed call's kind and Written flag.
type observedCall struct {
	kind    ErrKind
	written bool
}

func recvCall(t *testing.T, ch chan Call) Call {
	t.Helper()
	select {
	case c := <-ch:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("Send did not return after its ctx was cancelled")
	}
	return Call{}
}

// classifySend: what the transport proves of a failed request decides between the
// target's error, cut and not sent (with its reason).
func TestClassifySend(t *testing.T) {
	live := context.Background()
	done, cancel := context.WithCancel(context.Background())
	cancel()
	poolTimeout := fmt.Errorf("%w: no free connection", os.ErrDeadlineExceeded)
	for _, tc := range []struct {
		name string
		err  error
		ctx  context.Context
		u    unsent
		want ErrKind
	}{
		{"written, reset", syscall.ECONNRESET, live, mayBeSent, KindReset},
		{"written, timeout", context.DeadlineExceeded, live, mayBeSent, KindTimeout},
		{"written, run ended", context.Canceled, done, mayBeSent, KindCut},
		{"waiting, run ended", context.Canceled, done, unsentWait, KindCanceledWaiting},
		{"waiting, pool timeout", poolTimeout, live, unsentWait, KindNoConnection},
		{"dialing, run ended", context.Canceled, done, unsentDial, KindCanceledWaiting},
		{"dial refused", syscall.ECONNREFUSED, live, unsentDial, KindRefused},
		{"dial timeout", poolTimeout, live, unsentDial, KindTimeout},
		{"peer closed", syscall.EPIPE, live, unsentPeerClosed, KindPeerClosed},
		{"invalid header", errors.New("h1: invalid request"), live, unsentInvalid, KindClient},
		{"client closed", errors.New("h1: client closed"), live, unsentClosed, KindRunEnded},
	} {
		if got := classifySend(tc.err, tc.ctx, tc.u); got != tc.want {
			t.Errorf("%s: classifySend = %s, want %s", tc.name, got, tc.want)
		}
	}
}
