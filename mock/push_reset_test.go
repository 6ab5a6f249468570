package mock_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"ccload/ccapi"
)

// POST /mock/reset zeroes /mock/stats' push counters as it zeroes the others; a message still
// on its way at the reset stays pending (a gauge) and counts as made after it, so made =
// delivered + failed + dropped + pending holds across the reset.
func TestPushCountersReset(t *testing.T) {
	release := make(chan struct{})
	got := make(chan string, 8)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
		if strings.Contains(string(b), `"to":"held"`) {
			<-release // held until the test has reset the counters
		}
		io.WriteString(w, `{"resultCode":"0"}`)
	}))
	defer hs.Close()
	o := quickOptions()
	o.PushURL = hs.URL + "/webhooks/v1/messages"
	s := newMock(t, o)
	c := newClient(t, s)
	recv := func(who string) {
		t.Helper()
		select {
		case b := <-got:
			if !strings.Contains(b, `"to":"`+who+`"`) {
				t.Fatalf("callback %s, want one for %s", b, who)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no callback for %s", who)
		}
	}
	c.sendCode("before", ccapi.Connect, "")
	c.sendCode("before", ccapi.Chat, "hello")
	recv("before")
	waitIdle(t, s)
	c.sendCode("held", ccapi.Connect, "")
	c.sendCode("held", ccapi.Chat, "hello")
	recv("held") // its delivery is in flight, held by the webhook
	if p := c.stats().Push; p.Made["robot"] != 2 || p.Delivered["robot"] != 1 || p.Attempts != 2 || p.Pending != 1 {
		t.Fatalf("before the reset: push stats %+v, want 2 made, 1 delivered, 2 attempts, 1 pending", *p)
	}

	if r := c.do("POST", "/mock/reset", nil, nil); r.status != 200 {
		t.Fatalf("POST /mock/reset: %d", r.status)
	}
	p := c.stats().Push
	if p.Delivered["robot"] != 0 || p.Attempts != 0 || p.Retries != 0 || p.Failed != 0 || p.Dropped != 0 {
		t.Errorf("after the reset: push stats %+v, want delivered, attempts, retries, failed and dropped zero", *p)
	}
	if p.Pending != 1 || p.Made["robot"] != 1 {
		t.Errorf("after the reset: push stats %+v, want the held message pending and counted made (1)", *p)
	}

	close(release)
	c.sendCode("after", ccapi.Connect, "")
	c.sendCode("after", ccapi.Chat, "hello")
	recv("after")
	waitIdle(t, s)
	p = c.stats().Push
	if p.Made["robot"] != 2 || p.Delivered["robot"] != 2 || p.Failed+p.Dropped+p.Pending != 0 {
		t.Errorf("after the reset and two deliveries: push stats %+v, want made 2 = delivered 2", *p)
	}
}
