package ccapi_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"ccload/ccapi"
	"ccload/mock"
)

// Client tests against the real mock platform (mock.NewServer): what the client
// observed must equal what the mock counts it received.

func startMock(t *testing.T, mod func(*mock.Options)) *mock.Server {
	t.Helper()
	o := mock.DefaultOptions()
	o.RobotDelay = 10 * time.Millisecond
	o.Seed = 1
	if mod != nil {
		mod(&o)
	}
	s, err := mock.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// counter counts observed calls per endpoint; safe for the main and poll goroutines.
type counter struct {
	mu sync.Mutex
	n  map[string]int64
	// retries counts calls with Retry set.
	retries int
	kinds   map[ccapi.ErrKind]int
}

func (c *counter) observe(call *ccapi.Call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n, c.kinds = map[string]int64{}, map[ccapi.ErrKind]int{}
	}
	c.n[call.Endpoint.String()]++
	c.kinds[call.Kind]++
	if call.Retry {
		c.retries++
	}
}

func (c *counter) matches(t *testing.T, s *mock.Server) {
	t.Helper()
	st := s.Stats()
	c.mu.Lock()
	defer c.mu.Unlock()
	for ep := ccapi.Endpoint(0); ep < ccapi.NumEndpoints; ep++ {
		if got, want := c.n[ep.String()], st.Endpoints[ep.String()]; got != want {
			t.Errorf("%s: observed %d calls, the mock received %d", ep, got, want)
		}
	}
}

func newClient(t *testing.T, s *mock.Server, mod func(*ccapi.Config)) *ccapi.Client {
	t.Helper()
	cfg := ccapi.Config{BaseURL: s.URL(), AppKey: "ak", AppSecret: "sk", Timeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := ccapi.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func msg(ct ccapi.ControlType, content string) *ccapi.SendMsgReq {
	return &ccapi.SendMsgReq{Channel: "WEB", Content: content, ControlType: ct, From: "mock-user-1",
		MediaType: ccapi.Text, SourceType: ccapi.SourceCustomer, To: "1011577355744904195"}
}

func TestMockSession(t *testing.T) {
	s := startMock(t, nil)
	c := newClient(t, s, nil)
	var cnt counter
	cu := c.NewCustomer("mock-user-1")
	cu.Observe = cnt.observe
	ctx := context.Background()
	ok := func(call *ccapi.Call) {
		t.Helper()
		if call.Kind != ccapi.KindOK {
			t.Fatalf("%s %s: kind %s status %d code %q err %v", call.Endpoint, call.ControlType, call.Kind, call.Status, call.ResultCode, call.Err)
		}
	}
	ok(cu.ApplyToken(ctx, "User", "1011577355744904195", "en"))
	ok(cu.Send(ctx, msg(ccapi.Connect, "")))
	ok(cu.Send(ctx, msg(ccapi.Chat, "Version")))
	var got []ccapi.DownlinkMessage
	for i := 0; i < 200 && len(got) == 0; i++ { // the robot answers within RobotDelay; bounded at ~2 s
		var call *ccapi.Call
		got, call = cu.Poll(ctx, "WEB", got)
		ok(call)
		if len(got) == 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if len(got) == 0 || got[0].SourceType != ccapi.SourceRobot {
		t.Fatalf("no robot reply through poll: %+v", got)
	}
	ok(cu.Send(ctx, msg(ccapi.Disconnect, "")))
	cnt.matches(t, s)
	if st := s.Stats(); st.Endpoints["tokenByAkSk"] != 1 || st.Endpoints["applyToken"] != 1 {
		t.Errorf("token calls %v, want one of each", st.Endpoints)
	}
}

func TestMockOneTokenFetchForManyCallers(t *testing.T) {
	s := startMock(t, nil)
	c := newClient(t, s, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for range 1000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.AccessToken(context.Background()); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := s.Stats().Endpoints["tokenByAkSk"]; n != 1 {
		t.Errorf("tokenByAkSk called %d times for 1000 concurrent callers, want 1", n)
	}
}

func TestMockTokenRenewedBeforeExpiry(t *testing.T) {
	s := startMock(t, nil)
	c := newClient(t, s, func(cfg *ccapi.Config) { cfg.TokenLifetime = time.Second })
	var cnt counter
	cu := c.NewCustomer("mock-user-1")
	cu.Observe = cnt.observe
	ctx := context.Background()
	if call := cu.ApplyToken(ctx, "", "1011577355744904195", ""); call.Kind != ccapi.KindOK {
		t.Fatal(call.Kind, call.Err)
	}
	time.Sleep(900 * time.Millisecond) // past 80% of the 1 s lifetime
	if call := cu.Send(ctx, msg(ccapi.Connect, "")); call.Kind != ccapi.KindOK || call.Retry {
		t.Fatalf("send after 0.9 s: kind %s status %d retry %v", call.Kind, call.Status, call.Retry)
	}
	if n := s.Stats().Endpoints["tokenByAkSk"]; n != 2 {
		t.Errorf("tokenByAkSk called %d times, want 2 (renewed before expiry, no 403)", n)
	}
	cnt.matches(t, s)
}

func TestMockFreshCCTokenAdopted(t *testing.T) {
	s := startMock(t, func(o *mock.Options) { o.CCTokenLifetime = 300 * time.Millisecond })
	c := newClient(t, s, nil)
	cu := c.NewCustomer("mock-user-1")
	ctx := context.Background()
	if call := cu.ApplyToken(ctx, "", "1011577355744904195", ""); call.Kind != ccapi.KindOK {
		t.Fatal(call.Kind, call.Err)
	}
	first := cu.Token()
	time.Sleep(400 * time.Millisecond) // the mock renews an expired token in the response header
	if call := cu.Send(ctx, msg(ccapi.Connect, "")); call.Kind != ccapi.KindOK {
		t.Fatalf("kind %s status %d", call.Kind, call.Status)
	}
	if cu.Token() == first || cu.Token() == "" {
		t.Errorf("token not switched after the mock sent a fresh one")
	}
	if call := cu.Send(ctx, msg(ccapi.Chat, "hi")); call.Kind != ccapi.KindOK {
		t.Errorf("send with the fresh token: kind %s status %d", call.Kind, call.Status)
	}
}

func TestMockUnknownTokenReappliedOnce(t *testing.T) {
	s := startMock(t, nil)
	c := newClient(t, s, nil)
	var cnt counter
	cu := c.NewCustomer("mock-user-1")
	cu.Observe = cnt.observe
	ctx := context.Background()
	if call := cu.ApplyToken(ctx, "", "1011577355744904195", ""); call.Kind != ccapi.KindOK {
		t.Fatal(call.Kind, call.Err)
	}
	cu.SetToken("not-a-token-the-mock-issued") // the next call gets 401; the kept apply parameters re-apply
	call := cu.Send(ctx, msg(ccapi.Connect, ""))
	if call.Kind != ccapi.KindOK || !call.Retry {
		t.Fatalf("kind %s status %d retry %v, want the successful retry", call.Kind, call.Status, call.Retry)
	}
	if st := s.Stats(); st.Endpoints["applyToken"] != 2 || st.Endpoints["sendAsync"] != 2 || cnt.retries != 1 {
		t.Errorf("mock saw %v, %d retries observed; want 2 applyToken, 2 sendAsync, 1 retry", st.Endpoints, cnt.retries)
	}
	cnt.matches(t, s)
}

// ExampleNewClient plays the start of one customer session against the embedded mock.
func ExampleNewClient() {
	srv, err := mock.NewServer(mock.DefaultOptions())
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	c, err := ccapi.NewClient(ccapi.Config{BaseURL: srv.URL(), AppKey: "ak", AppSecret: "sk"})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	ctx := context.Background()
	cu := c.NewCustomer("user-1")
	cu.Observe = func(call *ccapi.Call) { fmt.Println(call.Endpoint, call.Status, call.Kind) }
	cu.ApplyToken(ctx, "User One", "1011577355744904195", "en")
	req := ccapi.SendMsgReq{Channel: "WEB", ControlType: ccapi.Connect, From: "user-1",
		MediaType: ccapi.Text, SourceType: ccapi.SourceCustomer, To: "1011577355744904195"}
	if errs := req.Validate(ccapi.Rules{}); errs != nil {
		panic(errs)
	}
	call := cu.Send(ctx, &req)
	fmt.Println("resultCode", call.ResultCode)
	// Output:
	// tokenByAkSk 200 ok
	// applyToken 200 ok
	// sendAsync 200 ok
	// resultCode 0
}
