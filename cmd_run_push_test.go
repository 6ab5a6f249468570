package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ccload/mock"
)

// `ccload mock --push URL` and `ccload run --webhook-listen` together, as two processes would
// run them: the run's push sessions never poll, and every callback the mock sent is one the
// receiver counted, kind by kind.
func TestRunPushAgainstTheMockCommand(t *testing.T) {
	realTime(t)
	hook := freePort(t)
	base := startMockCommand(t, "--robot-delay", "20ms", "--agents", "5", "--handle-time", "300ms",
		"--push", "http://"+hook+"/webhooks/v1/messages").url
	sc := filepath.Join(t.TempDir(), "push.yaml")
	os.WriteFile(sc, []byte(`
auth: {app_key: k, app_secret: s}
channel: {to: "1011577355744904195"}
target: {delivery: push}
load: {rate: 10, duration: 1s}
seed: 3
sessions:
  - name: robot
    weight: 3
    steps: [connect, {chat: hi}, {await_reply: {timeout: 5s}}, disconnect]
  - name: agent
    steps: [connect, transfer, {await_agent: {timeout: 5s}}, {think: 10s}, disconnect]
thresholds:
  - {metric: callbacks_unknown, max: 0}
`), 0o644)
	res := e2eRun(t, nil, sc, "--target", base, "--webhook-listen", hook, "--grace", "10s")
	if res.code != 0 {
		t.Fatalf("exit %d; stderr %s", res.code, res.stderr)
	}
	if !strings.Contains(res.stderr, "push mode: taking the platform's callbacks at http://"+hook+"/webhooks/v1/messages") {
		t.Errorf("stderr does not say where the callbacks go:\n%s", res.stderr)
	}
	var st mock.Stats
	for i := 0; i < 100; i++ { // the mock's last deliveries settle (bounded at ~1 s)
		rsp, err := http.Get(base + "/mock/stats")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(rsp.Body).Decode(&st)
		rsp.Body.Close()
		if st.Push != nil && st.Push.Pending == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	rep := res.rep
	e2eInvariants(t, rep)
	if st.Endpoints["poll"] != 0 {
		t.Errorf("the mock received %d polls; push sessions never poll", st.Endpoints["poll"])
	}
	p := rep.Push
	if p == nil || st.Push == nil {
		t.Fatalf("push sections: report %v, mock %v", p, st.Push)
	}
	if p.Callbacks != st.Push.Attempts || p.Kinds.Robot != st.Push.Delivered["robot"] || p.Kinds.Agent != st.Push.Delivered["agent"] || p.Kinds.System != st.Push.Delivered["system"] {
		t.Errorf("receiver %+v; mock %+v: every callback sent is one received, per kind", *p, *st.Push)
	}
	s := rep.Sessions
	if s.EndedByPlatform == 0 || s.Completed+s.EndedByPlatform != s.Started {
		t.Errorf("sessions %+v: want robot sessions completed and agent sessions ended by the agent's pushed hang-up", s)
	}
}

func TestWebhookFlagsRefused(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	sc := filepath.Join(t.TempDir(), "poll.yaml")
	os.WriteFile(sc, []byte("load: {rate: 1, duration: 1s}\nsessions: [{steps: [connect, disconnect]}]\n"), 0o644)
	if code := ccloadTo(t, []string{"run", sc, "--webhook-listen", "127.0.0.1:0", "--out", t.TempDir()}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "--webhook-listen is for push mode") {
		t.Errorf("run --webhook-listen on a poll scenario: exit %d, stderr %q; want 2 naming the flag", code, errb.String())
	}
	errb.Reset()
	push := filepath.Join(t.TempDir(), "push.yaml")
	os.WriteFile(push, []byte("load: {rate: 1, duration: 1s}\ntarget: {delivery: push}\nsessions: [{steps: [connect, {chat: hi}, await_reply, disconnect]}]\n"), 0o644)
	if code := ccloadTo(t, []string{"capacity", push, "--slo", "error_rate<1%", "--out", t.TempDir()}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "ccload mock --push") {
		t.Errorf("capacity of a push scenario against the embedded mock: exit %d, stderr %q; want 2 saying how to run it", code, errb.String())
	}
	errb.Reset()
	if code := ccloadTo(t, []string{"mock", "--addr", "127.0.0.1:0", "--push", "ftp://x"}, &out, &errb); code != exitUsage || !strings.Contains(errb.String(), "push URL") {
		t.Errorf("mock --push ftp://x: exit %d, stderr %q; want 2 naming the push URL", code, errb.String())
	}
}

// A scenario mixing push and poll sessions against the embedded mock: the mock pushes only the
// push sessions' channel configuration, so both kinds get their answers.
func TestRunMixedPushAndPollAgainstTheEmbeddedMock(t *testing.T) {
	realTime(t)
	sc := filepath.Join(t.TempDir(), "mixed.yaml")
	os.WriteFile(sc, []byte(`
load: {rate: 10, duration: 1s}
seed: 4
sessions:
  - name: pushed
    delivery: push
    channel: {to: "push-config"}
    steps: [connect, {chat: hi}, {await_reply: {timeout: 5s}}, disconnect]
  - name: polled
    poll: {interval: 50ms}
    steps: [connect, {chat: hi}, {await_reply: {timeout: 5s}}, disconnect]
`), 0o644)
	res := e2eRun(t, nil, sc)
	if res.code != 0 || res.rep == nil {
		t.Fatalf("exit %d; stderr %s", res.code, res.stderr)
	}
	rep := res.rep
	s := rep.Sessions
	if s.Completed != s.Started || rep.SessionMetrics.ReplyLatencyUS.Count != s.Started {
		t.Errorf("sessions %+v, %d replies: want every session completed with its reply", s, rep.SessionMetrics.ReplyLatencyUS.Count)
	}
	poll := e2eGroup(rep, "endpoint", "poll")
	if rep.Push == nil || rep.Push.Messages.Matched == 0 || rep.Push.Messages.Matched >= s.Started || poll == nil || poll.Count == 0 {
		t.Errorf("push %+v, poll group %v: want the push sessions' replies pushed and the poll sessions polling", rep.Push, poll)
	}

	os.WriteFile(sc, []byte(`
load: {rate: 1, duration: 1s}
sessions:
  - {name: pushed, delivery: push, steps: [connect, disconnect]}
  - {name: polled, steps: [connect, disconnect]}
`), 0o644)
	res = e2eRun(t, nil, sc)
	if res.code != 2 || !strings.Contains(res.stderr, "share channel.to") {
		t.Errorf("push and poll sessions sharing a channel configuration: exit %d, stderr %q; want 2 explaining", res.code, res.stderr)
	}
}
