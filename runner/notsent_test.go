package runner

import (
	"context"
	"testing"
	"testing/synctest"
	"time"
)

// Customers still thinking when the grace period ends were due for nothing: they count no
// request not sent, and what the mock received is every group's total.
func TestThinkingCustomersCountNothingNotSentAtTheEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := bubbleMock(t, nil)
		sc := parse(t, auth+`
load: {model: open, arrivals: uniform, rate: 10, duration: 500ms}
sessions:
  - name: s
    poll: false
    steps: [connect, {think: 30s}, {chat: hi}, disconnect]
`)
		rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 1, Grace: 200 * time.Millisecond}))
		q := rep.Requests
		if q.NotSent != 0 || q.Cut != 0 || rep.Sessions.CutByGrace != rep.Sessions.Started || rep.Sessions.Started == 0 {
			t.Errorf("requests %+v sessions %+v: want nothing not sent or cut, every session cut by grace in its think time", q, rep.Sessions)
		}
		// The teardown's DISCONNECTs are requests of the target too, in their own group.
		st := srv.Stats()
		byEndpoint := map[string]int64{}
		for _, g := range rep.Groups {
			if g.Kind == "endpoint" || g.Kind == "teardown" {
				byEndpoint[g.Endpoint] += g.Total
			}
		}
		for ep, n := range byEndpoint {
			if n != st.Endpoints[ep] {
				t.Errorf("endpoint %s: total %d, the mock received %d", ep, n, st.Endpoints[ep])
			}
		}
	})
}
