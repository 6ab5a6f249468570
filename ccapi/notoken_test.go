package ccapi

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// A call that could not get an AccessToken says so, whether it made the failed fetch, or
// failed fast in the backoff after it; a call that had a token does not.
func TestCallSaysItHadNoAccessToken(t *testing.T) {
	f := newFake(t)
	c := newTestClient(t, f, func(cfg *Config) { cfg.AppSecret = "wrong-" + testAppSecret })
	c.now = func() time.Time { return time.Unix(1_000_000, 0) } // the backoff never runs out
	for i := range 3 {
		call := c.NewCustomer("u"+strconv.Itoa(i)).Send(context.Background(), chatReq("u"))
		if !call.NoAccessToken || call.Kind != KindHTTP {
			t.Errorf("call %d: NoAccessToken %v, kind %v; want true and the fetch's KindHTTP", i, call.NoAccessToken, call.Kind)
		}
	}
	if got := f.count("tokenByAkSk"); got != 1 {
		t.Errorf("tokenByAkSk called %d times, want 1", got)
	}
	good := newTestClient(t, newFake(t), nil)
	if call := good.NewCustomer("u").ApplyToken(context.Background(), "n", "cfg-1", ""); call.NoAccessToken || call.Kind != KindOK {
		t.Errorf("a call with a token: NoAccessToken %v, kind %v; want false and ok", call.NoAccessToken, call.Kind)
	}
}
