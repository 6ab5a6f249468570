package mock_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ccload/ccapi"
)

// A retried delivery holds its lane (docs/mock.md, "Order"): the customer's first pushed
// message, refused by the webhook until the mock has made two more for the same customer, is
// still the first delivered, and the others follow in the order the mock made them; each is
// delivered once and none fails. The webhook counts what it receives: it is the referee.
func TestPushRetryKeepsTheCustomersOrder(t *testing.T) {
	var (
		mu        sync.Mutex
		refused   []string // bodies answered 500, in arrival order
		delivered []ccapi.DownlinkMessage
		release   atomic.Bool
	)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if !release.Load() {
			refused = append(refused, string(b))
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		var cb struct {
			Messages []ccapi.DownlinkMessage `json:"messages"`
		}
		if err := json.Unmarshal(b, &cb); err != nil {
			t.Errorf("callback %s: %v", b, err)
		}
		delivered = append(delivered, cb.Messages...)
		io.WriteString(w, `{"resultCode":"0"}`)
	}))
	defer hs.Close()
	o := quickOptions()
	o.PushURL = hs.URL + "/webhooks/v1/messages"
	o.PushBackoff = 100 * time.Millisecond // 100 ms .. 1.6 s: 3.1 s of retries before a message fails
	s := newMock(t, o)
	c := newClient(t, s)
	const user = "orderly"
	c.sendCode(user, ccapi.Connect, "")
	c.sendCode(user, ccapi.Trans2Agent, "")
	made := func() (n int64) {
		for _, v := range s.Stats().Push.Made {
			n += v
		}
		return n
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for i := 0; i < 300 && !ok(); i++ { // bounded: 3 s
			time.Sleep(10 * time.Millisecond)
		}
		if !ok() {
			t.Fatalf("%s never happened (push stats %+v)", what, *s.Stats().Push)
		}
	}
	waitFor("an agent joining", func() bool { return s.Stats().Sessions.WithAgent == 1 })
	waitFor("the webhook refusing the first message", func() bool { mu.Lock(); defer mu.Unlock(); return len(refused) > 0 })
	first := made()
	c.sendCode(user, ccapi.Chat, "one")
	c.sendCode(user, ccapi.Chat, "two")
	waitFor("two agent answers made", func() bool { return made() >= first+2 })
	release.Store(true)
	waitIdle(t, s)

	p := s.Stats().Push
	mu.Lock()
	defer mu.Unlock()
	if p.Failed != 0 || p.Dropped != 0 || int64(len(delivered)) != made() {
		t.Fatalf("push stats %+v, %d delivered: want every message made delivered once", *p, len(delivered))
	}
	var head struct {
		Messages []ccapi.DownlinkMessage `json:"messages"`
	}
	if err := json.Unmarshal([]byte(refused[0]), &head); err != nil || len(head.Messages) != 1 {
		t.Fatalf("first refused callback %s: %v", refused[0], err)
	}
	if d := delivered[0]; d.Content != head.Messages[0].Content || d.SourceType != head.Messages[0].SourceType {
		t.Errorf("first delivered %s %q, want the message retried first, %s %q: a later message overtook it",
			d.SourceType, d.Content, head.Messages[0].SourceType, head.Messages[0].Content)
	}
	last := len(delivered) - 2
	for i, d := range delivered {
		if d.To != user {
			t.Errorf("message %d went to %q, want %q", i, d.To, user)
		}
		if i > 0 && d.Timestamp < delivered[i-1].Timestamp {
			t.Errorf("message %d (%s %q, made at %d) delivered after one made later (%d)", i, d.SourceType, d.Content, d.Timestamp, delivered[i-1].Timestamp)
		}
	}
	if a, b := delivered[last], delivered[last+1]; a.SourceType != ccapi.SourceAgent || b.SourceType != ccapi.SourceAgent {
		t.Errorf("the last two delivered are %s and %s, want the two agent answers", a.SourceType, b.SourceType)
	}
}
