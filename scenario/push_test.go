package scenario

import (
	"strings"
	"testing"
)

func TestPushKeys(t *testing.T) {
	base := "load: {rate: 1, duration: 1s}\n"
	sc, err := Parse("p.yaml", []byte(base+`
target: {delivery: push}
webhook: {listen: "127.0.0.1:9090", path: /hook, max_body: 4096, fault_rate: 0.1, fault: stall, stall: 1s}
sessions:
  - name: pushed
    steps: [connect, {chat: hi}, await_reply, disconnect]
  - name: polled
    delivery: poll
    steps: [connect, {chat: hi}, await_reply, disconnect]
`), ".", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p, q := sc.Sessions[0], sc.Sessions[1]; !p.Push || p.Poll || q.Push || !q.Poll {
		t.Errorf("pushed: push %v poll %v; polled: push %v poll %v", p.Push, p.Poll, q.Push, q.Poll)
	}
	w := sc.Webhook
	if w.Listen != "127.0.0.1:9090" || w.Path != "/hook" || w.MaxBody != 4096 || w.FaultRate != 0.1 || w.Fault != "stall" || w.StallFor.Seconds() != 1 {
		t.Errorf("webhook %+v", w)
	}
	for _, c := range []struct{ src, want string }{
		{"webhook: {listen: x}\nsessions: [{delivery: push, steps: [connect]}]", "webhook.listen"},
		{"webhook: {path: x}\nsessions: [{delivery: push, steps: [connect]}]", "webhook.path"},
		{"webhook: {fault_rate: 2}\nsessions: [{delivery: push, steps: [connect]}]", "webhook.fault_rate"},
		{"webhook: {listen: \"127.0.0.1:1\"}\nsessions: [{steps: [connect]}]", "no session has delivery: push"},
		{"sessions: [{delivery: push, poll: true, steps: [connect]}]", "never polls"},
		{"sessions: [{delivery: pull, steps: [connect]}]", "delivery"},
	} {
		_, err := Parse("p.yaml", []byte(base+c.src), ".", nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one naming %q", c.src, err, c.want)
		}
	}
}
