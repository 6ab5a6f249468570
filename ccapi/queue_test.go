package ccapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// queryQueueInfo's statuses (queuing, with an agent, the session ended) are answers the client
// acts on, not errors: KindOK with their resultCode. Its other codes are app errors.
func TestQueryQueueInfoStatusesAreOK(t *testing.T) {
	for code, want := range map[string]ErrKind{
		QueueQueuing: KindOK, QueueWithAgent: KindOK, QueueSessionEnded: KindOK, QueueSessionExpired: KindOK,
		QueueSessionMissing: KindOK, "1": KindApp, "2": KindApp, "160001": KindApp, "160022": KindApp,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"position": 0, "resultCode": "` + code + `"}`))
		}))
		c, err := NewClient(Config{BaseURL: srv.URL, AppKey: "k", AccessToken: "at", Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		cu := c.NewCustomer("u1")
		cu.SetToken("cc")
		q, call := cu.QueryQueueInfo(context.Background(), &QueueInfoReq{UserID: "u1", ChannelConfigID: "cfg", Channel: "WEB"})
		if call.Kind != want || call.ResultCode != code || q == nil || q.ResultCode != code {
			t.Errorf("resultCode %s: kind %s code %q answer %+v, want kind %s", code, call.Kind, call.ResultCode, q, want)
		}
		c.Close()
		srv.Close()
	}
}
