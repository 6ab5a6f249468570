package ccapi

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"ccload/ccapi/h1"
)

// TestUserAgentOnEveryCall: both transports send exactly one User-Agent on every request,
// token calls included: Config.UserAgent when set, else h1.DefaultUserAgent (never net/http's
// own "Go-http-client/1.1"); the server that records the header is the referee.
func TestUserAgentOnEveryCall(t *testing.T) {
	for _, tr := range []string{TransportH1, TransportNetHTTP} {
		for _, ua := range []string{"", "soak-probe/2 (team capacity)"} {
			want := ua
			if want == "" {
				want = h1.DefaultUserAgent
			}
			t.Run(tr+"/"+want, func(t *testing.T) {
				f := newFake(t)
				var mu sync.Mutex
				var seen [][]string
				f.setHook(func(ep string, w http.ResponseWriter, r *http.Request) bool {
					mu.Lock()
					seen = append(seen, r.Header.Values("User-Agent"))
					mu.Unlock()
					return false
				})
				c := newTestClient(t, f, func(cfg *Config) { cfg.Transport, cfg.UserAgent = tr, ua })
				cu := c.NewCustomer("user-1")
				ctx := context.Background()
				mustOK(t, cu.ApplyToken(ctx, "User One", "cfg-1", "en"))
				mustOK(t, cu.Send(ctx, chatReq("user-1")))
				_, pc := cu.Poll(ctx, "WEB", nil)
				mustOK(t, pc)
				_, qc := cu.QueryQueueInfo(ctx, &QueueInfoReq{UserID: "user-1", ChannelConfigID: "cfg-1", Channel: "WEB"})
				mustOK(t, qc)
				mu.Lock()
				defer mu.Unlock()
				if len(seen) != f.total() || len(seen) != 5 {
					t.Fatalf("hook saw %d requests, the server counted %d, want 5 (tokenByAkSk, applyToken, send, poll, queryQueueInfo)", len(seen), f.total())
				}
				for i, v := range seen {
					if len(v) != 1 || v[0] != want {
						t.Errorf("request %d: User-Agent %q, want exactly [%q]", i+1, v, want)
					}
				}
			})
		}
	}
}

// TestNewClientRefusesABadUserAgent: a value that cannot be a header (CR, LF, NUL, other control
// characters) or is over MaxUserAgent is refused by NewClient on both transports, before any request.
func TestNewClientRefusesABadUserAgent(t *testing.T) {
	f := newFake(t)
	for _, tr := range []string{TransportH1, TransportNetHTTP} {
		for _, ua := range []string{"probe\r\nX-Injected: 1", "probe\x00", "probe\x1b[31m", strings.Repeat("u", MaxUserAgent+1)} {
			_, err := NewClient(Config{BaseURL: f.srv.URL, AppKey: testAppKey, AppSecret: testAppSecret, Transport: tr, UserAgent: ua})
			if err == nil || !strings.Contains(err.Error(), "UserAgent") {
				t.Errorf("%s, UserAgent %.20q: err %v, want a UserAgent error", tr, ua, err)
			}
		}
	}
	if f.total() != 0 {
		t.Errorf("the server received %d requests, want none", f.total())
	}
	if err := CheckUserAgent(strings.Repeat("u", MaxUserAgent) + ""); err != nil {
		t.Errorf("a %d-byte User-Agent: %v, want accepted", MaxUserAgent, err)
	}
}
