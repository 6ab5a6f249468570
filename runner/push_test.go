package runner

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"ccload/ccapi"
	"ccload/mock"
	"ccload/report"
	"ccload/report/merge"
	"ccload/scenario"
	"ccload/webhook"
)

// pushRun runs sc in push mode against a pushing mock (edited by edit) and returns the report
// and the mock's stats once every push it made has been delivered or given up. It runs inside
// a synctest bubble: the mock and the receiver are served in memory (memnet_test.go), the mock
// pushing through PushDial, so the bubble's fake time covers the run, the mock and its pushes.
func pushRun(t *testing.T, src string, edit func(*mock.Options)) (*report.Report, mock.Stats) {
	t.Helper()
	sc := parse(t, src)
	ln := memWebhook()
	srv := bubbleMock(t, func(o *mock.Options) {
		o.PushURL, o.PushDial = WebhookURL(sc, ln), ln.dial
		o.PushBackoff = 20 * time.Millisecond
		if edit != nil {
			edit(o)
		}
	})
	rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 1, WebhookListener: ln}))
	return pushChecked(t, rep, srv.Server)
}

// realPushRun is pushRun over loopback TCP in real time, for a test of the receiver's real
// listener (the scenario's webhook.listen).
func realPushRun(t *testing.T, src string) (*report.Report, mock.Stats) {
	t.Helper()
	sc := parse(t, src)
	ln, err := ListenWebhook(sc, "")
	if err != nil {
		t.Fatal(err)
	}
	srv := testMock(t, func(o *mock.Options) {
		o.PushURL = WebhookURL(sc, ln)
		o.PushBackoff = 20 * time.Millisecond
	})
	rep := runOK(t, context.Background(), Config{Scenario: sc, BaseURL: srv.URL(), Seed: 1, WebhookListener: ln})
	return pushChecked(t, rep, srv)
}

// pushChecked waits for the mock's pushes to settle and checks both sides have a push section.
func pushChecked(t *testing.T, rep *report.Report, srv *mock.Server) (*report.Report, mock.Stats) {
	t.Helper()
	st := settled(t, srv)
	if st.Push == nil {
		t.Fatal("the mock reports no push section")
	}
	if rep.Push == nil {
		t.Fatal("the report has no push section")
	}
	return rep, st
}

// settled returns the mock's stats once its last deliveries are counted (the receiver may
// count a callback a moment before the mock sees its answer); bounded at about 2 s.
func settled(t *testing.T, srv *mock.Server) mock.Stats {
	t.Helper()
	for i := 0; i < 200 && !srv.PushIdle(); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if !srv.PushIdle() {
		t.Fatal("the mock's pushes never settled")
	}
	return srv.Stats()
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
	synctest.Test(t, testPushSessionsNeverPollAndCountEveryCallback)
}

func testPushSessionsNeverPollAndCountEveryCallback(t *testing.T) {
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

// The agent's DISCONNECT, pushed, ends the session as ended_by_platform, as it does with poll;
// the agent's joining comes by push too (await_agent).
func TestPushedHangUpEndsTheSession(t *testing.T) { synctest.Test(t, testPushedHangUpEndsTheSession) }

func testPushedHangUpEndsTheSession(t *testing.T) {
	rep, st := pushRun(t, auth+`
target: {delivery: push}
load: {rate: 10, duration: 500ms}
sessions:
  - name: agent
    steps: [connect, transfer, {await_agent: {timeout: 10s}}, {think: 20s}, disconnect]
`, func(o *mock.Options) {
		o.Agents = 10
		o.HandleTime = mock.Constant(300 * time.Millisecond)
	})
	s := rep.Sessions
	if s.Started == 0 || s.EndedByPlatform != s.Started {
		t.Fatalf("sessions %+v: want every session ended by the platform (the agent's pushed DISCONNECT)", s)
	}
	if n := rep.SessionMetrics.TimeToAgentUS.Count; n != s.Started {
		t.Errorf("time to agent counted %d times, want %d", n, s.Started)
	}
	if st.Endpoints["poll"] != 0 {
		t.Errorf("%d polls; want none", st.Endpoints["poll"])
	}
	// Each session was pushed "connected to an agent" and the agent's DISCONNECT.
	if p := rep.Push; p.Kinds.System != s.Started || p.Kinds.Agent != s.Started || p.Messages.Matched != 2*s.Started {
		t.Errorf("push %+v: want %d system and %d agent messages, all matched", *p, s.Started, s.Started)
	}
}

// A receiver that answers 500 to a share of callbacks makes the mock retry: every attempt is
// a callback received, every retry answers a fault, and no message is lost or duplicated.
func TestReceiverFaultsAreRetriedByTheMock(t *testing.T) {
	synctest.Test(t, testReceiverFaultsAreRetriedByTheMock)
}

func testReceiverFaultsAreRetriedByTheMock(t *testing.T) {
	rep, st := pushRun(t, pushChat+`
webhook: {fault_rate: 0.3}
`, nil)
	p := rep.Push
	if p.Faulted == 0 {
		t.Fatal("no callback faulted at fault_rate 0.3")
	}
	if st.Push.Failed != 0 || st.Push.Dropped != 0 {
		t.Errorf("mock push stats %+v: want none given up", *st.Push)
	}
	if p.Callbacks != st.Push.Attempts || p.Faulted != st.Push.Retries || p.Accepted != st.Push.Attempts-st.Push.Retries {
		t.Errorf("receiver %+v vs mock %+v: every attempt is a callback, every fault one retry", *p, *st.Push)
	}
	s := rep.Sessions
	if s.Completed != s.Started || p.Messages.Matched != 2*s.Started || p.Messages.Duplicated != 0 {
		t.Errorf("sessions %+v push %+v: want every session completed, every reply matched once", s, *p)
	}
}

// Reply latency through push is the mock's robot delay: never less (within HdrHistogram's
// precision, 0.1%), and more only by the loopback transit of the CHAT and of the push, bounded
// from the same run's own sendAsync response times so a loaded machine does not flake it.
func TestPushReplyLatencyIsTheRobotDelay(t *testing.T) {
	synctest.Test(t, testPushReplyLatencyIsTheRobotDelay)
}

func testPushReplyLatencyIsTheRobotDelay(t *testing.T) {
	const delay = 300 * time.Millisecond
	rep, _ := pushRun(t, pushChat, func(o *mock.Options) { o.RobotDelay = delay })
	l := rep.SessionMetrics.ReplyLatencyUS
	if l.Count == 0 {
		t.Fatal("no reply latency")
	}
	var sendP99 int64
	for _, g := range rep.Groups {
		if g.Kind == "endpoint" && g.ControlType == "CHAT" {
			sendP99 = max(sendP99, g.ResponseTimeUS.P99)
		}
	}
	lo := delay.Microseconds() * 999 / 1000
	hi := delay.Microseconds() + 5*sendP99 + 50_000
	for name, v := range map[string]int64{"min": l.Min, "p50": l.P50, "p99": l.P99} {
		if v < lo || v > hi {
			t.Errorf("reply latency %s = %d µs; want the robot delay %d µs (from %d to %d µs: CHAT p99 %d µs)", name, v, delay.Microseconds(), lo, hi, sendP99)
		}
	}
}

// The receiver's routing: a message for a customer of this run is matched once, a repeat is
// duplicated, a stranger's is unknown, and one after the session ended is late; the customer
// takes the matched message as a poll's answer, stamped with its receipt time.
func TestRoutePushOutcomes(t *testing.T) {
	r := &run{t0: time.Now()}
	r.push = &pushReceiver{reg: newPushRegistry()}
	r.sched = &scheduler{r: r, kick: make(chan struct{}, 1)}
	c := &vc{r: r, hidx: -1, sess: &scenario.Session{Push: true}}
	c.env.UserID = "u1"
	c.pushBegin()
	m := ccapi.DownlinkMessage{To: "u1", ControlType: ccapi.Chat, SourceType: ccapi.SourceRobot, Content: "hi", Timestamp: 7}
	at := r.t0.Add(time.Second)
	if o := r.routePush(&m, at); o != webhook.Matched {
		t.Errorf("first message: %v, want matched", o)
	}
	if o := r.routePush(&m, at); o != webhook.Duplicated {
		t.Errorf("same message again: %v, want duplicated", o)
	}
	stranger := m
	stranger.To = "u2"
	if o := r.routePush(&stranger, at); o != webhook.Unknown {
		t.Errorf("stranger: %v, want unknown", o)
	}
	res := c.takePush(result{})
	if !res.ok || !res.robot || res.end != int64(time.Second) || c.m.ex != exPoll {
		t.Errorf("taken %+v (ex %d): want the robot reply received at 1s, as a poll answer", res, c.m.ex)
	}
	if c.pushWaiting() {
		t.Error("box still waiting after its only message was taken")
	}
	c.pushEnd()
	m.Timestamp = 8
	if o := r.routePush(&m, at); o != webhook.Late {
		t.Errorf("after the session ended: %v, want late", o)
	}
}

// A customer that falls behind its pushes: its mailbox holds 64 messages; the 65th pushes the
// oldest out, and that loss is counted (push.messages.overflowed), every message still matched
// once; the customer then takes the 64 newest, oldest first.
func TestPushOverflowIsCounted(t *testing.T) {
	srv, err := webhook.New(webhook.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &run{t0: time.Now()}
	r.push = &pushReceiver{srv: srv, reg: newPushRegistry()}
	r.sched = &scheduler{r: r, kick: make(chan struct{}, 1)}
	c := &vc{r: r, hidx: -1, sess: &scenario.Session{Push: true}}
	c.env.UserID = "u1"
	c.pushBegin()
	const sent = pushQueueCap + 3
	for i := range sent {
		m := ccapi.DownlinkMessage{To: "u1", ControlType: ccapi.Chat, SourceType: ccapi.SourceRobot, Content: "hi", Timestamp: int64(i)}
		if o := r.routePush(&m, r.t0.Add(time.Duration(i)*time.Millisecond)); o != webhook.Matched {
			t.Fatalf("message %d: %v, want matched", i, o)
		}
	}
	if got := srv.Counts().Overflowed; got != sent-pushQueueCap {
		t.Errorf("overflowed %d, want %d (the messages pushed out of a full mailbox)", got, sent-pushQueueCap)
	}
	rep := pushFromCounts(srv.Counts(), "")
	if rep.Messages.Overflowed != srv.Counts().Overflowed {
		t.Errorf("report's push.messages.overflowed %d, receiver's %d", rep.Messages.Overflowed, srv.Counts().Overflowed)
	}
	for i := range pushQueueCap {
		res := c.takePush(result{})
		if want := int64(sent-pushQueueCap+i) * int64(time.Millisecond); !res.ok || res.end != want {
			t.Fatalf("take %d: %+v, want the message received at %v", i, res, time.Duration(want))
		}
		c.m.ex = exNone // the program handled that answer and awaits the next
	}
	if c.pushWaiting() {
		t.Error("box still waiting after the 64 kept messages were taken")
	}
}

// Two shards, each with its own receiver, behind a router that sends each callback to the
// shard playing its customer (customer k is shard k mod 2's, and its user id says k): every
// callback reaches its shard, and the merged push section is the sum of the shards'.
func TestPushShardsEachTakeTheirOwnCallbacks(t *testing.T) {
	synctest.Test(t, testPushShardsEachTakeTheirOwnCallbacks)
}

func testPushShardsEachTakeTheirOwnCallbacks(t *testing.T) {
	sc := parse(t, pushChat+"seed: 5\n")
	var lns [2]*memListener
	for i := range lns {
		lns[i] = memWebhook()
	}
	forward := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		for _, ln := range lns {
			if ln.Addr().String() == addr {
				return ln.dial(ctx, network, addr)
			}
		}
		return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
	}}}
	defer forward.CloseIdleConnections()
	userK := regexp.MustCompile(`"to":"c(\d+)s`)
	router := memServe(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		m := userK.FindSubmatch(body)
		if m == nil {
			http.Error(w, "no customer", 400)
			return
		}
		k, _ := strconv.Atoi(string(m[1]))
		req, _ := http.NewRequest(http.MethodPost, WebhookURL(sc, lns[k%2]), bytes.NewReader(body))
		req.Header = r.Header.Clone()
		rsp, err := forward.Do(req)
		if err != nil {
			http.Error(w, err.Error(), 502)
			return
		}
		rsp.Body.Close()
		w.WriteHeader(rsp.StatusCode)
	}))
	defer router.Close()
	srv := bubbleMock(t, func(o *mock.Options) {
		o.PushURL, o.PushDial = router.URL()+"/webhooks/v1/messages", router.ln.dial
	})
	var reps [2]*report.Report
	var wg sync.WaitGroup
	for i := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i], _ = Run(context.Background(), srv.target(Config{Scenario: sc, Shard: Shard{I: i, N: 2}, WebhookListener: lns[i], Grace: 10 * time.Second}))
		}()
	}
	wg.Wait()
	for i, r := range reps {
		if r == nil || r.Push == nil {
			t.Fatalf("shard %d: no report or no push section", i)
		}
		if r.Push.Messages.Matched == 0 || r.Push.Messages.Unknown != 0 || r.Sessions.Completed != r.Sessions.Started {
			t.Errorf("shard %d: push %+v sessions %+v: want its own callbacks only, every session completed", i, *r.Push, r.Sessions)
		}
	}
	merged, err := merge.Reports(reps[0], reps[1])
	if err != nil {
		t.Fatal(err)
	}
	st := settled(t, srv.Server)
	if p := merged.Push; p.Callbacks != st.Push.Attempts || p.Messages.Matched != st.Push.Delivered["robot"] || p.Messages.Matched != 2*merged.Sessions.Started {
		t.Errorf("merged push %+v, mock %+v, %d sessions: want every callback the mock sent matched once, two per session", *p, *st.Push, merged.Sessions.Started)
	}
}

// A send refused because the agent has just hung up waits for the pushed DISCONNECT (as a poll
// session polls once): the session ends ended_by_platform, not failed.
func TestPushRefusedSendWaitsForTheHangUp(t *testing.T) {
	synctest.Test(t, testPushRefusedSendWaitsForTheHangUp)
}

func testPushRefusedSendWaitsForTheHangUp(t *testing.T) {
	rep, _ := pushRun(t, auth+`
target: {delivery: push}
load: {rate: 4, duration: 500ms}
sessions:
  - name: chatty
    steps:
      - connect
      - transfer
      - {await_agent: {timeout: 10s}}
      - repeat: {count: 100000, steps: [{chat: more}]}   # back to back: no wait takes the push before a refusal
      - disconnect
`, func(o *mock.Options) {
		o.Agents = 10
		o.HandleTime = mock.Constant(300 * time.Millisecond)
		o.AgentReplyDelay = time.Hour // no agent answers in the mailbox: only the hang-up
		// In the bubble a request takes no time unless the mock says so: a millisecond each, as
		// over loopback, so the back-to-back CHATs reach the hang-up rather than the repeat's end.
		o.DefaultLatency = mock.Constant(time.Millisecond)
	})
	s := rep.Sessions
	if s.Started == 0 || s.EndedByPlatform != s.Started || s.Failed != 0 {
		t.Errorf("sessions %+v: want every session ended by the platform, none failed on the refused CHAT", s)
	}
	var refused int64
	for _, g := range rep.Groups {
		if g.Kind == "endpoint" && g.ControlType == "CHAT" {
			refused += g.ResultCodes["13"]
		}
	}
	if refused != s.Started {
		t.Errorf("%d CHATs refused with 13; want one per session (each CHATs until the hang-up refuses it)", refused)
	}
}

// A receiver asked to listen on a host name (a shard's stable DNS name in a cluster) gives
// its callback URL with that name, not the address it resolved to, in what it prints and in
// report.json; the mock pushing to that URL reaches it.
func TestPushListenOnAHostNameKeepsTheName(t *testing.T) {
	rep, st := realPushRun(t, pushChat+"webhook: {listen: \"localhost:0\"}\n")
	if !regexp.MustCompile(`^http://localhost:\d+/webhooks/v1/messages$`).MatchString(rep.Push.URL) {
		t.Errorf("report push.url = %q, want http://localhost:PORT/webhooks/v1/messages", rep.Push.URL)
	}
	if d := st.Push.Delivered["robot"]; d == 0 || rep.Push.Kinds.Robot != d {
		t.Errorf("the mock delivered %d robot answers through the named URL, the receiver counted %d", d, rep.Push.Kinds.Robot)
	}
	sc := parse(t, pushChat)
	for _, c := range []struct{ listen, want string }{
		{"127.0.0.1:0", `^http://127\.0\.0\.1:\d+/webhooks/v1/messages$`},
		{"localhost:0", `^http://localhost:\d+/webhooks/v1/messages$`},
	} {
		ln, err := ListenWebhook(sc, c.listen)
		if err != nil {
			t.Fatal(err)
		}
		if u := WebhookURL(sc, ln); !regexp.MustCompile(c.want).MatchString(u) {
			t.Errorf("listen %s: URL %q, want %s", c.listen, u, c.want)
		}
		ln.Close()
	}
}
