package scenario

import (
	"strings"
	"testing"
	"time"

	"ccload/ccapi"
)

// TestPlanPushAwaitHasNoPollInterval: validate's plan gives a push session's await_reply no
// poll interval (the answer is pushed as it is made) and no polls, while the same steps
// delivered by poll wait one interval per await and poll while connected.
func TestPlanPushAwaitHasNoPollInterval(t *testing.T) {
	sc := mustParse(t, `load: {rate: 2, duration: 10s}
sessions:
  - name: polled
    poll: {interval: 2s}
    steps: [connect, {think: 1s}, {chat: hi}, {await_reply: 10s}, {chat: again}, {await_reply: 10s}, disconnect]
  - name: pushed
    delivery: push
    steps: [connect, {think: 1s}, {chat: hi}, {await_reply: 10s}, {chat: again}, {await_reply: 10s}, disconnect]
`)
	p := sc.Plan()
	polled, pushed := p.Sessions[0], p.Sessions[1]
	// polled: 1 s think + 2 awaits of one 2 s poll interval = 5 s connected, 2.5 polls.
	if polled.Duration != 5*time.Second {
		t.Errorf("poll session duration %v, want 5s (think 1s + two awaits of one 2s poll interval)", polled.Duration)
	}
	if n := perSession(polled, ccapi.EpPoll); n != 2.5 {
		t.Errorf("poll session: %v polls, want 2.5 (5 s connected / 2 s)", n)
	}
	// pushed: the think only; the awaits end when the push arrives; no poll at all.
	if pushed.Duration != time.Second {
		t.Errorf("push session duration %v, want 1s (the think; a push await has no poll interval)", pushed.Duration)
	}
	if n := perSession(pushed, ccapi.EpPoll); n != 0 {
		t.Errorf("push session: %v polls per session in the plan, want none", n)
	}
	if pushed.Total != polled.Total-2.5 {
		t.Errorf("push session: %v requests, want the poll session's %v minus its 2.5 polls", pushed.Total, polled.Total)
	}
	// The open model's peak customers (Little's law) follow: 2/s × (5 s + 1 s)/2.
	if p.PeakCustomers != 6 {
		t.Errorf("peak customers %v, want 2/s × 3 s mean session = 6", p.PeakCustomers)
	}
	// The printed plan names the push sessions and where the platform must deliver.
	var out strings.Builder
	if err := p.Write(&out); err != nil {
		t.Fatal(err)
	}
	if want := "delivery by webhook (push): pushed, at 127.0.0.1:0/webhooks/v1/messages; they never poll"; !strings.Contains(out.String(), want) {
		t.Errorf("the plan does not say %q:\n%s", want, out.String())
	}
}

func perSession(sp SessionPlan, ep ccapi.Endpoint) float64 {
	for _, r := range sp.Requests {
		if r.Endpoint == ep {
			return r.PerSession
		}
	}
	return 0
}
