package runner

import (
	"context"
	"testing"
	"time"

	"ccload/mock"
	"ccload/report"
)

// pushRun runs sc in push mode against a pushing mock (edited by edit) and returns the report
// and the mock's stats once every push it made has been delivered or given up.
func pushRun(t *testing.T, src string, edit func(*mock.Options)) (*report.Report, mock.Stats) {
	t.Helper()
	sc := parse(t, src)
	ln, err := ListenWebhook(sc, "")
	if err != nil {
		t.Fatal(err)
	}
	srv := testMock(t, func(o *mock.Options) {
		o.PushURL = WebhookURL(sc, ln)
		o.PushBackoff = 20 * time.Millisecond
		if edit != nil {
			edit(o)
		}
	})
	rep := runOK(t, context.Background(), Config{Scenario: sc, BaseURL: srv.URL(), Seed: 1, WebhookListener: ln})
	st := srv.Stats()
	if st.Push == nil {
		t.Fatal("the mock reports no push section")
	}
	if rep.Push == nil {
		t.Fatal("the report has no push section")
	}
	return rep, st
}

const pushChat = auth + `
target: {delivery: push}
load: {rate: 20, duration: 1s}
sessions:
  - name: chat
    steps: [connect, {chat: hi}, {await_reply: {timeout: 5s}}, {chat: again}, {await_reply: {timeout: 5s}}, disconnect]
`

// A push session never polls, every reply comes through the webhook, and the receiver took
// exactly what the mock delivered, kind by kind.
func TestPushSessionsNeverPollAndCountEveryCallback(t *testing.T) {
	rep, st := pushRun(t, pushChat, nil)
	if n := st.Endpoints["poll"]; n != 0 {
		t.Errorf("the mock received %d polls from push sessions; want none", n)
	}
	s := rep.Sessions
	if s.Started < 10 || s.Completed != s.Started {
		t.Fatalf("sessions %+v: want every session started completed", s)
	}
	if n := rep.SessionMetrics.ReplyLatencyUS.Count; n != 2*s.Started {
		t.Errorf("reply latencies %d, want %d (two per session, seen through push)", n, 2*s.Started)
	}
	p := rep.Push
	if p.Callbacks != st.Push.Attempts || p.Accepted != st.Push.Delivered["robot"]+st.Push.Delivered["agent"]+st.Push.Delivered["system"] {
		t.Errorf("receiver callbacks %d accepted %d; mock attempts %d delivered %v", p.Callbacks, p.Accepted, st.Push.Attempts, st.Push.Delivered)
	}
	if p.Kinds.Robot != st.Push.Delivered["robot"] || p.Kinds.Agent != st.Push.Delivered["agent"] || p.Kinds.System != st.Push.Delivered["system"] {
		t.Errorf("kinds received %+v, delivered by the mock %v", p.Kinds, st.Push.Delivered)
	}
	if p.Kinds.Robot != 2*s.Started || p.Messages.Matched != 2*s.Started || p.BadAuth != 0 {
		t.Errorf("push %+v: want %d robot messages, all matched, all with a well-formed auth-v2 header", *p, 2*s.Started)
	}
}
