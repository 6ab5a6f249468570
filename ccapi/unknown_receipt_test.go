package ccapi

import (
	"context"
	"testing"

	"ccload/internal/faultsrv"
)

// A server that answers keep-alive (no Connection: close) and closes right after every other
// answer: requests written at once on such a connection never reach it. On both transports,
// each of them is an unknown receipt, never a reset of the target, and the calls that count as
// the target's requests are exactly those the server received.
func TestCloseRightAfterAnswerIsUnknownReceipt(t *testing.T) {
	for _, tr := range []string{TransportH1, TransportNetHTTP} {
		t.Run(tr, func(t *testing.T) {
			srv := faultsrv.Start(t, func(r *faultsrv.Request) faultsrv.Answer {
				a := faultsrv.Answer{Status: 200, Body: `{"resultCode":"0"}`}
				if r.N%2 == 0 {
					a.Then = "close"
				}
				return a
			})
			c, err := NewClient(Config{BaseURL: srv.URL(), AppKey: "k", AccessToken: "a", Transport: tr, MaxConns: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			cu := c.NewCustomer("u")
			cu.SetToken("cm")
			kinds := map[ErrKind]int{}
			cu.Observe = func(c *Call) {
				kinds[c.Kind]++
				if c.Kind == KindOther {
					t.Logf("other: %v", c.Err)
				}
			}
			for range 200 {
				cu.Send(context.Background(), chatReq("u"))
			}
			var received int
			for _, m := range srv.Counts() {
				received += m[faultsrv.Answered] + m[faultsrv.Broken]
			}
			var target int
			for k, n := range kinds {
				if !k.NotSent() && k != KindUnknownReceipt {
					target += n
				}
			}
			if target != received || kinds[KindReset] != 0 {
				t.Errorf("calls by kind %v: %d count as the target's requests (%d reset), the server received %d; want equal, no reset",
					kinds, target, kinds[KindReset], received)
			}
			t.Logf("%s: %v, server received %d", tr, kinds, received)
		})
	}
}
