package mock_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ccload/ccapi"
	"ccload/mock"
	"ccload/webhook"
)

// hook is a test webhook: it records every callback and answers with status.
type hook struct {
	mu     sync.Mutex
	bodies []string
	auths  []string
	status atomic.Int32
}

func newHook(t *testing.T) (*hook, *httptest.Server) {
	h := &hook{}
	h.status.Store(200)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.bodies = append(h.bodies, string(b))
		h.auths = append(h.auths, r.Header.Get("Authorization"))
		h.mu.Unlock()
		w.WriteHeader(int(h.status.Load()))
		io.WriteString(w, `{"resultCode":"0"}`)
	}))
	t.Cleanup(srv.Close)
	return h, srv
}

func waitIdle(t *testing.T, s *mock.Server) {
	t.Helper()
	for i := 0; i < 500 && !s.PushIdle(); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if !s.PushIdle() {
		t.Fatal("the mock's pushes never settled")
	}
}

// With --push the robot's answer is POSTed to the webhook with an auth-v2 header, in the
// platform's callback form, and poll finds nothing.
func TestPushDeliversInsteadOfPoll(t *testing.T) {
	h, hs := newHook(t)
	o := quickOptions()
	o.PushURL = hs.URL + "/webhooks/v1/messages"
	s := newMock(t, o)
	c := newClient(t, s)
	c.sendCode("pusher", ccapi.Connect, "")
	c.sendCode("pusher", ccapi.Chat, "hello")
	waitIdle(t, s)
	if msgs := c.poll("pusher"); len(msgs) != 0 {
		t.Errorf("poll of a pushed customer returned %+v, want nothing", msgs)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.bodies) != 1 {
		t.Fatalf("%d callbacks, want 1", len(h.bodies))
	}
	var cb struct {
		Messages  []ccapi.DownlinkMessage `json:"messages"`
		Timestamp int64                   `json:"timestamp"`
	}
	if err := json.Unmarshal([]byte(h.bodies[0]), &cb); err != nil {
		t.Fatal(err)
	}
	if len(cb.Messages) != 1 || cb.Messages[0].To != "pusher" || cb.Messages[0].SourceType != ccapi.SourceRobot || cb.Timestamp == 0 {
		t.Errorf("callback %s: want one ROBOT message to pusher and a timestamp", h.bodies[0])
	}
	if !webhook.AuthWellFormed(h.auths[0]) {
		t.Errorf("Authorization %q is not a well-formed auth-v2 header", h.auths[0])
	}
	st := s.Stats()
	if p := st.Push; p == nil || p.Made["robot"] != 1 || p.Delivered["robot"] != 1 || p.Attempts != 1 || p.Retries != 0 || p.Failed != 0 {
		t.Errorf("push stats %+v: want one robot message made and delivered at the first attempt", st.Push)
	}
}

// A webhook that keeps failing gets PushAttempts tries, then the message is counted failed.
func TestPushRetriesThenGivesUp(t *testing.T) {
	h, hs := newHook(t)
	h.status.Store(500)
	o := quickOptions()
	o.PushURL = hs.URL + "/hook"
	o.PushBackoff = time.Millisecond
	s := newMock(t, o)
	c := newClient(t, s)
	c.sendCode("unlucky", ccapi.Connect, "")
	c.sendCode("unlucky", ccapi.Chat, "hello")
	waitIdle(t, s)
	p := s.Stats().Push
	if p.Attempts != mock.PushAttempts || p.Retries != mock.PushAttempts-1 || p.Failed != 1 || p.Delivered["robot"] != 0 {
		t.Errorf("push stats %+v: want %d attempts, %d retries, 1 failed", *p, mock.PushAttempts, mock.PushAttempts-1)
	}
	h.mu.Lock()
	n := len(h.bodies)
	h.mu.Unlock()
	if n != mock.PushAttempts {
		t.Errorf("the webhook saw %d callbacks, want %d", n, mock.PushAttempts)
	}
}

func TestPushURLChecked(t *testing.T) {
	o := quickOptions()
	o.PushURL = "ftp://x/hook"
	o.Addr = "127.0.0.1:0"
	if _, err := mock.NewServer(o); err == nil || !strings.Contains(err.Error(), "push URL") {
		t.Errorf("NewServer with an ftp push URL: %v, want an error naming the push URL", err)
	}
}

// Closing the mock does not wait for a webhook that holds its answers.
func TestPushCloseDoesNotWaitForAStalledWebhook(t *testing.T) {
	release, arrived := make(chan struct{}), make(chan struct{}, 1)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-release
	}))
	defer hs.Close()
	defer close(release)
	o := quickOptions()
	o.PushURL = hs.URL
	o.Addr = "127.0.0.1:0"
	s, err := mock.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s)
	c.sendCode("held", ccapi.Connect, "")
	c.sendCode("held", ccapi.Chat, "hello")
	select { // the delivery is in flight, held by the webhook
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the mock did not push the reply to the webhook within 10 s")
	}
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for a webhook that never answers")
	}
	if p := s.Stats().Push; p.Failed != 1 || p.Pending != 0 {
		t.Errorf("push stats %+v: want the held delivery counted failed", *p)
	}
}
