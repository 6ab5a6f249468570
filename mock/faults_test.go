package mock_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"ccload/ccapi"
	"ccload/mock"
)

func TestErrorRate(t *testing.T) {
	o := quickOptions()
	o.ErrorRate = 0.3
	c := newClient(t, newMock(t, o))
	const n = 300
	got500 := 0
	for i := range n {
		r := c.send(fmt.Sprintf("e%d", i), ccapi.Connect, "")
		switch r.status {
		case 500:
			got500++
		case 200:
		default:
			t.Fatalf("status %d %s", r.status, r.body)
		}
	}
	// Loose bounds: 30% of 300 is 90; a fixed seed keeps this reproducible anyway.
	if got500 < 45 || got500 > 135 {
		t.Errorf("%d of %d sends answered 500, want about 30%%", got500, n)
	}
	if f := c.stats().Faults["error"]; f != int64(got500) {
		t.Errorf("faults[error] = %d, want %d", f, got500)
	}
}

func TestErrorKinds(t *testing.T) {
	for _, kind := range []string{mock.ErrorKind12, mock.ErrorKind13} {
		t.Run(kind, func(t *testing.T) {
			o := quickOptions()
			o.ErrorRate = 1
			o.ErrorKind = kind
			c := newClient(t, newMock(t, o))
			r := c.send("kind", ccapi.Connect, "")
			if r.status != 200 || r.resultCode(t) != kind {
				t.Fatalf("got %d %s, want 200 with resultCode %s", r.status, r.body, kind)
			}
			// Injected errors hit send calls only.
			c.poll("kind")
		})
	}
	o := quickOptions()
	o.ErrorKind = "418"
	if _, err := mock.NewServer(o); err == nil {
		t.Error("ErrorKind 418 accepted, want an error")
	}
}

func TestMalformedBody(t *testing.T) {
	o := quickOptions()
	o.MalformedRate = 1
	c := newClient(t, newMock(t, mock.DefaultOptions()))
	c.base = newMock(t, o).URL() // tokens are per mock: use the faulty one only for the call under test
	r := c.do("GET", "/mock/stats", nil, nil)
	if r.status != 200 || !json.Valid(r.body) {
		t.Fatalf("/mock/stats must never be faulted: %d %s", r.status, r.body)
	}
	r = c.do("POST", ccapi.DefaultPaths.TokenByAkSk, []byte(`{"app_key":"a","app_secret":"b"}`), nil)
	if r.status != 200 || json.Valid(r.body) {
		t.Fatalf("got %d %q, want 200 with a body that is not JSON", r.status, r.body)
	}
}

func TestDroppedConnection(t *testing.T) {
	o := quickOptions()
	o.DropRate = 1
	s := newMock(t, o)
	c := &client{t: t, base: s.URL(), hc: &http.Client{Timeout: 10 * time.Second}}
	_, err := c.try("POST", ccapi.DefaultPaths.TokenByAkSk, []byte(`{"app_key":"a","app_secret":"b"}`), nil)
	if err == nil {
		t.Fatal("request succeeded, want a transport error from the dropped connection")
	}
	var ue interface{ Timeout() bool }
	if errors.As(err, &ue) && ue.Timeout() {
		t.Fatalf("got a timeout %v, want the connection closed at once", err)
	}
	if st := s.Stats(); st.Faults["dropped"] != 1 || st.Endpoints["tokenByAkSk"] != 1 || len(st.HTTPStatus) != 0 {
		t.Errorf("stats %+v: want the request counted as received and dropped, with no status", st)
	}
}

func TestLatencyAddsDelay(t *testing.T) {
	o := quickOptions()
	o.DefaultLatency = mock.Constant(20 * time.Millisecond)
	o.Latency = map[ccapi.Endpoint]mock.Dist{ccapi.EpPoll: mock.Constant(150 * time.Millisecond)}
	s := newMock(t, o)
	c := newClient(t, s)
	c.sendCode("slow", ccapi.Connect, "")

	start := time.Now()
	c.poll("slow")
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("poll took %v, want at least its 150ms latency", d)
	}
	start = time.Now()
	c.sendCode("slow", ccapi.Chat, "x")
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("sendAsync took %v, want at least the default 20ms latency", d)
	}
}

func TestLatencyRespectsCancellation(t *testing.T) {
	o := quickOptions()
	o.DefaultLatency = mock.Constant(time.Hour)
	s := newMock(t, o)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", s.URL()+ccapi.DefaultPaths.TokenByAkSk, nil)
	_, err := http.DefaultClient.Do(req)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the client's deadline", err)
	}
	// The held handler notices the client left and returns; Close does not wait an hour.
	waitFor(t, "Close", func() bool { return s.Close() == nil })
	if st := s.Stats(); st.Faults["abandoned"] != 1 || len(st.HTTPStatus) != 0 {
		t.Errorf("stats %+v: want the request counted as abandoned, with no answer", st)
	}
}

func TestStallHoldsResponses(t *testing.T) {
	o := quickOptions()
	o.Stall, o.StallEvery = 400*time.Millisecond, 500*time.Millisecond
	s := newMock(t, o)
	c := &client{t: t, base: s.URL(), hc: &http.Client{Timeout: 10 * time.Second}}
	// Sequential requests for a little over one period: the first one that
	// arrives in the stall window [100ms, 500ms) is held to its end.
	var longest time.Duration
	for deadline := time.Now().Add(700 * time.Millisecond); time.Now().Before(deadline); {
		start := time.Now()
		c.do("POST", ccapi.DefaultPaths.TokenByAkSk, []byte(`{"app_key":"a","app_secret":"b"}`), nil)
		longest = max(longest, time.Since(start))
	}
	if longest < 100*time.Millisecond {
		t.Errorf("longest response took %v, want one held by the 400ms stall", longest)
	}
	if s.Stats().Faults["stalled"] == 0 {
		t.Error("faults[stalled] = 0, want the held responses counted")
	}
}

func TestCapacityQueuesRequests(t *testing.T) {
	o := quickOptions()
	o.Capacity = 2 // a request takes 500ms of the virtual server
	s := newMock(t, o)
	c := &client{t: t, base: s.URL(), hc: &http.Client{Timeout: 10 * time.Second}}
	var (
		mu      sync.Mutex
		longest time.Duration
		wg      sync.WaitGroup
	)
	for range 3 {
		wg.Go(func() {
			start := time.Now()
			c.do("POST", ccapi.DefaultPaths.TokenByAkSk, []byte(`{"app_key":"a","app_secret":"b"}`), nil)
			mu.Lock()
			longest = max(longest, time.Since(start))
			mu.Unlock()
		})
	}
	wg.Wait()
	// Three at once: the last waits for the two before it (1 s); allow for arrival spread.
	if longest < 400*time.Millisecond {
		t.Errorf("longest of 3 concurrent requests took %v, want the queue to delay it", longest)
	}
}

// TestStatsAccountForEveryRequestUnderFaults is the property the harness's own
// tests lean on: whatever the faults, every request sent is counted, and the
// answers plus the dropped connections add up to it.
func TestStatsAccountForEveryRequestUnderFaults(t *testing.T) {
	o := quickOptions()
	o.DropRate, o.MalformedRate, o.ErrorRate = 0.1, 0.1, 0.1
	s := newMock(t, mock.DefaultOptions()) // a clean mock issues the tokens ...
	c := newClient(t, s)
	faulty := newMock(t, o) // ... which the faulty one does not know: use 401s as answers too
	c.base = faulty.URL()
	const workers, each = 8, 25
	var wg sync.WaitGroup
	var mu sync.Mutex
	clientErrors := 0
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				body := chatBody(fmt.Sprintf("w%d-%d", w, i))
				if _, err := c.try("POST", ccapi.DefaultPaths.SendAsync, body, c.headers()); err != nil {
					mu.Lock()
					clientErrors++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	st := faulty.Stats()
	var answered int64
	for _, v := range st.HTTPStatus {
		answered += v
	}
	if st.Endpoints["sendAsync"] != workers*each || st.ControlTypes["CHAT"] != workers*each {
		t.Errorf("received %d sendAsync / %d CHAT, want %d", st.Endpoints["sendAsync"], st.ControlTypes["CHAT"], workers*each)
	}
	if answered+st.Faults["dropped"] != workers*each {
		t.Errorf("answered %d + dropped %d != %d sent", answered, st.Faults["dropped"], workers*each)
	}
	if int64(clientErrors) != st.Faults["dropped"] {
		t.Errorf("client saw %d transport errors, mock dropped %d", clientErrors, st.Faults["dropped"])
	}
}
