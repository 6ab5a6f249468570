package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"ccload/mock"
	"ccload/runner"
	"ccload/scenario"
)

// pushMetricsScenario: robot sessions in push mode; the receiver answers every fourth callback
// 500, so the mock retries and the faulted outcome is not zero.
const pushMetricsScenario = `name: push-metrics
seed: 4
auth: {app_key: k, app_secret: s}
channel: {to: "1011577355744904195"}
target: {delivery: push}
webhook: {fault_rate: 0.25}
load: {model: open, arrivals: uniform, stages: [{duration: 1s, rate: 10}]}
sessions:
  - name: robot
    steps: [connect, {chat: hi}, {await_reply: {timeout: 5s}}, disconnect]
`

// Live push metrics agree with report.json (issue 22: callbacks in /metrics as in the report),
// driven through the runner against the pushing mock: /metrics' last scrape has every callback
// and message outcome of report.json's push section, and the mock's attempts, counted where
// they were sent, equal the callbacks.
func TestLivePushMetricsAgreeWithTheReport(t *testing.T) {
	realTime(t)
	sc, err := scenario.Parse("push-metrics.yaml", []byte(pushMetricsScenario), ".", nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := runner.ListenWebhook(sc, "")
	if err != nil {
		t.Fatal(err)
	}
	srv := e2eMock(t, func(o *mock.Options) {
		o.PushURL = runner.WebhookURL(sc, ln)
		o.PushBackoff = 10 * time.Millisecond
		o.RobotDelay = 10 * time.Millisecond
	})
	rep, addr := runServingMetrics(t, runner.Config{Scenario: sc, BaseURL: srv.URL(), Grace: 10 * time.Second, WebhookListener: ln})
	if rep.Push == nil {
		t.Fatal("the report has no push section")
	}
	p := rep.Push
	if p.Faulted == 0 || p.Messages.Matched == 0 || rep.Sessions.Completed != rep.Sessions.Started {
		t.Fatalf("push %+v, sessions %+v: want faulted callbacks retried and every session completed on its pushed answer", *p, rep.Sessions)
	}
	if st := srv.Stats().Push; st == nil || st.Attempts != p.Callbacks {
		t.Errorf("mock push stats %+v; the receiver counted %d callbacks: want every attempt received once", st, p.Callbacks)
	}
	resp, err := http.Get("http://" + addr + "/metrics") // the last scrape: the run is over
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	resp.Body.Close()
	for _, c := range []struct {
		series string
		want   int64
	}{
		{`ccload_callbacks_total{outcome="accepted",shard="0/1"}`, p.Accepted},
		{`ccload_callbacks_total{outcome="faulted",shard="0/1"}`, p.Faulted},
		{`ccload_callbacks_total{outcome="malformed",shard="0/1"}`, p.Malformed},
		{`ccload_callbacks_bad_auth_total{shard="0/1"}`, p.BadAuth},
		{`ccload_callback_messages_total{outcome="matched",shard="0/1"}`, p.Messages.Matched},
		{`ccload_callback_messages_total{outcome="unknown",shard="0/1"}`, p.Messages.Unknown},
		{`ccload_callback_messages_total{outcome="duplicated",shard="0/1"}`, p.Messages.Duplicated},
	} {
		if line := fmt.Sprintf("%s %d\n", c.series, c.want); !strings.Contains(string(body), line) {
			t.Errorf("/metrics lacks %q (report.json's push section)", strings.TrimSpace(line))
		}
	}
}
