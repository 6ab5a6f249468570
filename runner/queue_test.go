package runner

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"ccload/mock"
	"ccload/report"
)

// One agent, three customers transferring together: the first gets the agent, the other two
// wait and queryQueueInfo tells them positions 1 and 2; the report keeps what it said.
func TestQueuePositionsWithOneAgentAndThreeTransferringCustomers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := bubbleMock(t, func(o *mock.Options) {
			o.Agents = 1
			o.HandleTime = mock.Constant(30 * time.Second) // the customer hangs up first
		})
		sc := parse(t, auth+`
load: {model: open, arrivals: uniform, rate: 30, duration: 100ms}
sessions:
  - name: s
    poll: {interval: 100ms}
    queue_interval: 100ms
    steps:
      - connect
      - transfer
      - await_agent: {timeout: 10s}
      - think: 400ms
      - disconnect
`)
		rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 1}))
		if s := rep.Sessions; s.Started != 3 || s.Completed != 3 {
			t.Fatalf("sessions %+v: want 3 started, 3 completed", s)
		}
		m := rep.SessionMetrics
		if p := m.QueuePosition; p.Count == 0 || p.Min != 1 || p.Max != 2 {
			t.Errorf("queue positions %+v: want positions 1 and 2 seen", p)
		}
		// The mock estimates position × mean handling time / agents: 30 s and 60 s.
		if e := m.QueueWaitEstimateUS; e.Count != m.QueuePosition.Count || e.Min < 29_900_000 || e.Max < 59_900_000 || e.Max > 60_100_000 {
			t.Errorf("estimated waits %+v: want 30 s to 60 s, one per position", e)
		}
		if m.TimeToAgentUS.Count != 3 {
			t.Errorf("time to agent counted %d times, want 3", m.TimeToAgentUS.Count)
		}
		var longest int64
		for _, p := range rep.Timeseries {
			longest = max(longest, p.QueueLength)
		}
		if longest != 2 {
			t.Errorf("longest queue_length over the run = %d, want 2", longest)
		}
		q := e2eGroupByName(rep, "queryQueueInfo")
		if q == nil || q.Count == 0 || q.OK != q.Count {
			t.Fatalf("queryQueueInfo group %+v: want every answer ok", q)
		}
		if len(q.ResultCodes) != 0 {
			t.Errorf("queue statuses %v in result_codes: they are kept apart", q.ResultCodes)
		}
		if a := m.QueueAnswers; a.Total() != q.OK || a.Queuing != m.QueuePosition.Count || a.WithAgent == 0 {
			t.Errorf("queue answers %+v against %d ok queries, %d positions", a, q.OK, m.QueuePosition.Count)
		}
		if got, want := q.Count, srv.Stats().Endpoints["queryQueueInfo"]; got != want {
			t.Errorf("report counts %d queryQueueInfo, the mock received %d", got, want)
		}
	})
}

// A CONNECT answered 500 (on_failure: continue) starts no poll grid: the await's polls are
// scheduled from the await, so their response time is their service time, not the time since
// the run began (it was 18 s in issue 10's run).
func TestPollsAfterAFailedConnectHaveServiceLikeResponseTimes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := bubbleMock(t, nil)
		var connects atomic.Int64
		front := memServe(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if bytes.Contains(body, []byte(`"CONNECT"`)) {
				connects.Add(1)
				http.Error(w, `{"resultCode":"500"}`, http.StatusInternalServerError)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			srv.Handler().ServeHTTP(w, r)
		}))
		sc := parse(t, auth+`
load: {model: open, arrivals: uniform, rate: 4, duration: 500ms}
sessions:
  - name: s
    on_failure: continue
    poll: {interval: 200ms}
    steps:
      - connect
      - think: 3s
      - await_reply: {timeout: 1s, on_timeout: continue}
`)
		rep := runOK(t, context.Background(), front.target(Config{Scenario: sc, Seed: 1}))
		if connects.Load() == 0 {
			t.Fatal("no CONNECT reached the front")
		}
		p := e2eGroupByName(rep, "poll")
		if p == nil || p.Count < 2*rep.Sessions.Started {
			t.Fatalf("poll group %+v: want the awaits' polls", p)
		}
		// Polls timed from the run's start would be at least the 3 s think late.
		if max := p.ResponseTimeUS.Max; max > 1_500_000 {
			t.Errorf("poll response time max %dµs (service max %dµs): polls were timed from before the await", max, p.ServiceTimeUS.Max)
		}
	})
}

// e2eGroupByName finds a report group by its name ("poll", "sendAsync CHAT").
func e2eGroupByName(rep *report.Report, name string) *report.Group {
	for i := range rep.Groups {
		if rep.Groups[i].Name == name {
			return &rep.Groups[i]
		}
	}
	return nil
}

// on_platform_end: reconnect against the mock: the agent's handling time ends the chat, the
// customer connects again and finishes its steps; nothing fails, every session completes.
func TestReconnectAfterTheAgentHangsUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := agentsMock(t, 300*time.Millisecond)
		sc := parse(t, auth+`
load: {model: open, arrivals: uniform, rate: 10, duration: 300ms}
sessions:
  - name: s
    poll: {interval: 50ms}
    on_platform_end: reconnect
    steps:
      - connect
      - transfer
      - await_agent: {timeout: 5s}
      - repeat: {count: 10, steps: [{chat: hi}, {think: 100ms}]}
      - disconnect
`)
		rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 1}))
		s := rep.Sessions
		if s.Started != 3 || s.Completed != 3 {
			t.Fatalf("sessions %+v: want 3 started, all completed after reconnecting", s)
		}
		st := srv.Stats()
		if c := st.ControlTypes["CONNECT"]; c <= s.Started {
			t.Errorf("the mock received %d CONNECTs for %d sessions: nobody reconnected", c, s.Started)
		}
		if d := st.ControlTypes["DISCONNECT"]; d != s.Started {
			t.Errorf("the mock received %d DISCONNECTs, want one per session (%d)", d, s.Started)
		}
		if g := e2eGroupByName(rep, "sendAsync CONNECT"); g == nil || g.Count != st.ControlTypes["CONNECT"] || g.OK != g.Count {
			t.Errorf("CONNECT group %+v: want every reconnect counted and ok (mock: %d)", g, st.ControlTypes["CONNECT"])
		}
	})
}
