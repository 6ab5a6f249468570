package ccapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// forgetful is a platform that knows only the tokens it issued since its last restart, and
// answers an unknown one 401 (as the mock does), echoing the request's Authorization header
// in the body (as careless gateways do). refuseApply makes it refuse every applyToken.
type forgetful struct {
	mu          sync.Mutex
	known       map[string]bool
	n           int
	fetches     atomic.Int64
	refuseApply bool
}

func (p *forgetful) issue(kind string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	t := kind + "-" + strconv.Itoa(p.n)
	p.known[t] = true
	return t
}

func (p *forgetful) restart() {
	p.mu.Lock()
	p.known = map[string]bool{}
	p.mu.Unlock()
}

func (p *forgetful) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ep := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	p.mu.Lock()
	at := p.known[strings.TrimPrefix(r.Header.Get(HeaderAuthorization), "Bearer ")]
	cm := p.known[r.Header.Get(HeaderToken)]
	refuse := p.refuseApply
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case ep == "tokenByAkSk":
		p.fetches.Add(1)
		w.Write([]byte(`{"AccessToken":"` + p.issue("at") + `","Expires":"600"}`))
	case !at || ep == "applyToken" && refuse:
		w.WriteHeader(401)
		w.Write([]byte(`{"errorCode":"1","exceptionInfo":"unknown AccessToken ` + r.Header.Get(HeaderAuthorization) + `"}`))
	case ep == "applyToken":
		w.Write([]byte(`{"resultCode":"0","token":"` + p.issue("cm") + `"}`))
	case !cm:
		w.WriteHeader(401)
		w.Write([]byte(`{"errorCode":"1","exceptionInfo":"unknown ccmessaging-token"}`))
	default:
		w.Write([]byte(`{"resultCode":"0","resultDesc":"ok"}`))
	}
}

// After the platform restarts (every token forgotten), each customer's next send is refused
// 401, its re-apply is refused 401 too (the AccessToken is unknown): one fresh AccessToken is
// fetched for all of them, and every send then succeeds on its one retry. Both transports.
func TestRestartedPlatformOneSharedAccessTokenFetch(t *testing.T) {
	for _, tr := range []string{TransportH1, TransportNetHTTP} {
		t.Run(tr, func(t *testing.T) {
			p := &forgetful{known: map[string]bool{}}
			srv := httptest.NewServer(p)
			defer srv.Close()
			var warned []string
			c, err := NewClient(Config{BaseURL: srv.URL, AppKey: testAppKey, AppSecret: testAppSecret, Transport: tr,
				Warn: func(s string) { warned = append(warned, s) }})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			const n = 50
			cus := make([]*Customer, n)
			for i := range cus {
				cus[i] = c.NewCustomer("u" + strconv.Itoa(i))
				if call := cus[i].ApplyToken(context.Background(), "U", "cfg-1", "en"); call.Kind != KindOK {
					t.Fatalf("applyToken before the restart: %v %v", call.Kind, call.Err)
				}
			}
			p.restart()
			var wg sync.WaitGroup
			var failed atomic.Int64
			for _, cu := range cus {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if call := cu.Send(context.Background(), chatReq(cu.UserID())); call.Kind != KindOK {
						failed.Add(1)
					}
				}()
			}
			wg.Wait()
			if f := p.fetches.Load(); f != 2 {
				t.Errorf("tokenByAkSk fetched %d times, want 2 (the first token, and one for all %d customers after the restart)", f, n)
			}
			if failed.Load() != 0 || len(warned) != 0 {
				t.Errorf("%d of %d sends failed after the restart, warnings %q; want none", failed.Load(), n, warned)
			}
		})
	}
}

// A platform that refuses applyToken even with a freshly fetched AccessToken: one fresh
// fetch is tried, then refusing is its answer, told once (its message quoted, without the
// token it echoes), and no fetch storm follows.
func TestRefusingPlatformReportedOnce(t *testing.T) {
	p := &forgetful{known: map[string]bool{}, refuseApply: true}
	srv := httptest.NewServer(p)
	defer srv.Close()
	var mu sync.Mutex
	var warned []string
	c, err := NewClient(Config{BaseURL: srv.URL, AppKey: testAppKey, AppSecret: testAppSecret,
		Warn: func(s string) { mu.Lock(); warned = append(warned, s); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if call := c.NewCustomer("u"+strconv.Itoa(i)).ApplyToken(context.Background(), "U", "cfg-1", "en"); call.Status == 401 {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 40 {
		t.Errorf("%d of 40 applyTokens ended 401, want all (the platform refuses them)", failed.Load())
	}
	if f := p.fetches.Load(); f > 2 {
		t.Errorf("tokenByAkSk fetched %d times for 40 refused customers, want at most 2", f)
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "HTTP 401") || !strings.Contains(warned[0], "unknown AccessToken") {
		t.Fatalf("warnings %q: want one, quoting the target's answer", warned)
	}
	for _, secret := range []string{"at-1", "at-2", testAppSecret} {
		if strings.Contains(warned[0], secret) {
			t.Errorf("warning %q shows the credential %q", warned[0], secret)
		}
	}
}
