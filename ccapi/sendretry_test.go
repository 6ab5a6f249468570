package ccapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		v    string
		want time.Duration
	}{
		{"1", time.Second}, {" 3 ", 3 * time.Second}, {"0", 0}, {"-5", 0}, {"soon", 0}, {"", 0},
		{now.Add(4 * time.Second).Format(http.TimeFormat), 4 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"99999999", 24 * time.Hour},
	} {
		if got := parseRetryAfter(c.v, now); got != c.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", c.v, got, c.want)
		}
	}
}

// SendRetry sends again what was answered 429 or 503 (reading Retry-After, on both
// transports) until it is taken, and never what was answered otherwise; a window too short
// for the Retry-After asked ends it with the last answer.
func TestSendRetry(t *testing.T) {
	for _, tr := range []string{TransportH1, TransportNetHTTP} {
		t.Run(tr, func(t *testing.T) {
			var n atomic.Int64
			status := []int{503, 429, 200}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := int(n.Add(1)) - 1
				if r.URL.Query().Get("x") != "" || i >= len(status) {
					i = len(status) - 1
				}
				if status[i] != 200 {
					w.Header().Set("Retry-After", "0")
					w.WriteHeader(status[i])
					return
				}
				w.Write([]byte(`{"resultCode":"0"}`))
			}))
			defer srv.Close()
			c, err := NewClient(Config{BaseURL: srv.URL, AppKey: "k", AccessToken: "a", Transport: tr})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			cu := c.NewCustomer("u")
			cu.SetToken("cm")
			var seen []int
			cu.Observe = func(c *Call) { seen = append(seen, c.Status) }
			if call := cu.SendRetry(context.Background(), chatReq("u")); call.Kind != KindOK {
				t.Fatalf("SendRetry: %v %d", call.Kind, call.Status)
			}
			if len(seen) != 3 || seen[0] != 503 || seen[1] != 429 || seen[2] != 200 {
				t.Errorf("attempts observed %v, want [503 429 200] (each attempt is a request)", seen)
			}

			// A 500 is not retried; a Retry-After beyond the window ends the retries at once.
			n.Store(0)
			status = []int{500}
			seen = nil
			if call := cu.SendRetry(context.Background(), chatReq("u")); call.Status != 500 || len(seen) != 1 {
				t.Errorf("500: status %d after %d attempts, want one attempt", call.Status, len(seen))
			}
		})
	}
}

// A Retry-After longer than what is left of the window: SendRetry gives up at once, with the
// answer, instead of sleeping past its deadline.
func TestSendRetryWindowShorterThanRetryAfter(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(503)
	}))
	defer srv.Close()
	c, err := NewClient(Config{BaseURL: srv.URL, AppKey: "k", AccessToken: "a"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cu := c.NewCustomer("u")
	cu.SetToken("cm")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	call := cu.SendRetry(ctx, chatReq("u"))
	if call.Status != 503 || call.RetryAfter != time.Hour || n.Load() != 1 {
		t.Errorf("status %d, RetryAfter %v after %d attempts; want 503, 1h, 1", call.Status, call.RetryAfter, n.Load())
	}
}

// Three DISCONNECTs sent at once through one connection (MaxConns 1) to a target that takes
// 250 ms to answer each, with Timeout 400 ms: the second waits 250 ms for the connection and is
// then answered 250 ms after it was written, within its own Timeout; the third waits for a
// connection longer than Timeout and ends no_free_connection (it never left). SendRetry sends
// it again within its window. The target, counting what it receives, gets each DISCONNECT
// exactly once, on both transports: each bounds the wait apart from the exchange (with one
// deadline over both, net/http cut the second after it was written, and it was sent twice).
func TestSendRetryNoFreeConnection(t *testing.T) {
	for _, tr := range []string{TransportH1, TransportNetHTTP} {
		t.Run(tr, func(t *testing.T) { testSendRetryNoFreeConnection(t, tr) })
	}
}

func testSendRetryNoFreeConnection(t *testing.T, transport string) {
	var mu sync.Mutex
	received := map[string]int{} // DISCONNECTs received, by customer
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(250 * time.Millisecond)
		if body, _ := io.ReadAll(r.Body); strings.Contains(string(body), `"DISCONNECT"`) {
			mu.Lock()
			received[r.Header.Get("Ccmessaging-Token")]++
			mu.Unlock()
		}
		w.Write([]byte(`{"resultCode":"0"}`))
	}))
	defer srv.Close()
	c, err := NewClient(Config{BaseURL: srv.URL, AppKey: "k", AccessToken: "a", MaxConns: 1, Timeout: 400 * time.Millisecond, Transport: transport})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	kinds := map[ErrKind]int{}
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cu := c.NewCustomer(fmt.Sprintf("u%d", i))
			cu.SetToken(fmt.Sprintf("cm%d", i))
			cu.Observe = func(call *Call) { mu.Lock(); kinds[call.Kind]++; mu.Unlock() }
			req := chatReq(cu.userID)
			req.ControlType, req.Content = Disconnect, ""
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if call := cu.SendRetry(ctx, req); call.Kind != KindOK {
				t.Errorf("customer %d: the DISCONNECT ended %v", i, call.Kind)
			}
		}()
	}
	wg.Wait()
	for i := range 3 {
		if n := received[fmt.Sprintf("cm%d", i)]; n != 1 {
			t.Errorf("the target received %d DISCONNECTs of customer %d, want exactly 1", n, i)
		}
	}
	if kinds[KindNoConnection] == 0 || kinds[KindOK] != 3 || kinds[KindTimeout] != 0 {
		t.Errorf("attempts %v: want 3 ok after at least one no_free_connection, and no timeout", kinds)
	}
}
