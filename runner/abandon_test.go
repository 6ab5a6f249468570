package runner

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"ccload/mock"
	"ccload/report"
)

// refusingChats puts a referee in front of srv: every other CHAT it answers itself with
// resultCode 13 (as the platform refuses a send), counting them in refused; everything else
// goes on to the mock, which counts it. The mock's own faults are off, so the CONNECTs and
// DISCONNECTs it receives are all accepted.
func refusingChats(t *testing.T, srv *memMock, refused *atomic.Int64) *memTarget {
	t.Helper()
	var chats atomic.Int64
	h := srv.Handler()
	return memServe(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/sendAsync") {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			if bytes.Contains(body, []byte(`"controlType":"CHAT"`)) && chats.Add(1)%2 == 1 {
				refused.Add(1)
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"resultCode":"13","resultDesc":"send message failed"}`))
				return
			}
		}
		h.ServeHTTP(w, r)
	}))
}

// endpointCounts sums the report's endpoint and teardown groups (the scenario's requests and
// the DISCONNECTs ccload sent on its own) by endpoint, and by controlType for sendAsync.
func endpointCounts(rep *report.Report) map[string]int64 {
	out := map[string]int64{}
	for _, g := range rep.Groups {
		if g.Kind != "endpoint" && g.Kind != "teardown" {
			continue
		}
		k := g.Endpoint
		if g.ControlType != "" {
			k += " " + g.ControlType
		}
		out[k] += g.Total
	}
	return out
}

// A share of CHATs is refused (resultCode 13) and the session aborts, with and without the
// confirming poll: every failed session still disconnects, so the mock is left with nothing
// open, it received one DISCONNECT per CONNECT, and the report counts exactly what reached it.
func TestFailedSessionsDisconnectBeforeTheyEnd(t *testing.T) {
	for _, load := range []string{
		"{model: open, arrivals: uniform, rate: 40, duration: 500ms}",
		"{model: closed, stages: [{duration: 500ms, customers: 4}]}",
	} {
		t.Run(load, func(t *testing.T) { synctest.Test(t, func(t *testing.T) { testFailedSessionsDisconnect(t, load) }) })
	}
}

func testFailedSessionsDisconnect(t *testing.T, load string) {
	srv := bubbleMock(t, func(o *mock.Options) { o.SessionTimeout = 0 }) // only a DISCONNECT closes a session
	var refused atomic.Int64
	front := refusingChats(t, srv, &refused)
	sc := parse(t, auth+`
load: `+load+`
sessions:
  - name: quiet
    poll: false
    steps: [connect, {chat: hi, name: ask}, {think: 50ms}, disconnect]
  - name: polling
    poll: {interval: 100ms}
    steps: [connect, {chat: hi}, {think: 50ms}, {disconnect: {text: bye}}]
`)
	rep := runOK(t, context.Background(), front.target(Config{Scenario: sc, Seed: 1}))
	s := rep.Sessions
	if s.Failed == 0 || s.Completed == 0 || s.Failed != refused.Load() || s.Started != s.Failed+s.Completed {
		t.Fatalf("sessions %+v, %d CHATs refused: want one failed session per refused CHAT, the rest completed", s, refused.Load())
	}
	// The failure is the CHAT's, as before: the DISCONNECT on the way out changes nothing.
	var failed int64
	for _, f := range rep.FailureReasons {
		if f.Reason != "resultCode 13" || (f.Step != "step:ask" && f.Step != "steps[1] chat") || f.Count != f.SessionsFailed {
			t.Errorf("failure reason %+v: want resultCode 13 at the chat step, each ending its session", f)
		}
		failed += f.SessionsFailed
	}
	if failed != s.Failed {
		t.Errorf("failure reasons list %d failed sessions, sessions.failed is %d", failed, s.Failed)
	}

	st := srv.Stats()
	if st.Sessions.Open != 0 || st.Sessions.Queued != 0 || st.Sessions.WithAgent != 0 {
		t.Errorf("after the run the mock holds sessions %+v, want none open, queued or with an agent", st.Sessions)
	}
	if c, d := st.ControlTypes["CONNECT"], st.ControlTypes["DISCONNECT"]; c != s.Started || d != c {
		t.Errorf("mock accepted %d CONNECTs and received %d DISCONNECTs from %d sessions, want one of each per session", c, d, s.Started)
	}
	ab := group(t, rep, "abandon sendAsync DISCONNECT")
	if ab.Kind != "teardown" || ab.Count != s.Failed || ab.OK != s.Failed {
		t.Errorf("abandon group %+v: want kind teardown, one ok DISCONNECT per failed session (%d)", ab.RequestCounts, s.Failed)
	}
	if own := group(t, rep, "sendAsync DISCONNECT"); own.Count != s.Completed {
		t.Errorf("the scenario's DISCONNECT group counts %d, want only the %d completed sessions' own steps", own.Count, s.Completed)
	}
	// The referee: per endpoint, endpoint and teardown groups together count what arrived.
	got := endpointCounts(rep)
	want := map[string]int64{"sendAsync CHAT": st.ControlTypes["CHAT"] + refused.Load()}
	for _, ct := range []string{"CONNECT", "DISCONNECT"} {
		want["sendAsync "+ct] = st.ControlTypes[ct]
	}
	for ep, n := range st.Endpoints {
		if ep != "sendAsync" && n > 0 {
			want[ep] = n
		}
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: the report counts %d requests, %d reached the target", k, got[k], n)
		}
	}
	if total := st.Total() + refused.Load(); rep.Requests.Total != total {
		t.Errorf("requests.total = %d, %d reached the target", rep.Requests.Total, total)
	}
}

// await_agent times out (on_timeout: fail) while the customer is queued behind the mock's one
// busy agent: its DISCONNECT takes it out of the queue, and it still fails as an await timeout.
func TestAwaitTimeoutLeavesTheQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := holdMock(t)
		sc := parse(t, auth+`
load: {model: open, arrivals: uniform, rate: 10, duration: 300ms}
sessions:
  - name: waits
    poll: {interval: 50ms}
    steps: [connect, transfer, {await_agent: {timeout: 300ms, on_timeout: fail}}, {think: 1s}, disconnect]
`)
		rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 1}))
		s := rep.Sessions
		if s.Started != 3 || s.Completed != 1 || s.Failed != 2 {
			t.Fatalf("sessions %+v: want 3 started, the one with the agent completed, the 2 queued failed", s)
		}
		if len(rep.FailureReasons) != 1 || rep.FailureReasons[0].Reason != "await timeout" || rep.FailureReasons[0].SessionsFailed != 2 {
			t.Errorf("failure reasons %+v: want the 2 sessions failed by await timeout", rep.FailureReasons)
		}
		if n := rep.SessionMetrics.QueuePosition.Count; n == 0 {
			t.Errorf("no queue position recorded: the failed customers were never queued")
		}
		st := srv.Stats()
		if st.Sessions.Open != 0 || st.Sessions.Queued != 0 || st.Sessions.WithAgent != 0 {
			t.Errorf("after the run the mock holds sessions %+v, want none open, queued or with an agent", st.Sessions)
		}
		if c, d := st.ControlTypes["CONNECT"], st.ControlTypes["DISCONNECT"]; c != 3 || d != 3 {
			t.Errorf("mock received %d CONNECTs and %d DISCONNECTs, want 3 of each", c, d)
		}
		if ab := group(t, rep, "abandon sendAsync DISCONNECT"); ab.Count != 2 || ab.OK != 2 {
			t.Errorf("abandon group %+v: want the 2 queued customers' DISCONNECTs, ok", ab.RequestCounts)
		}
		if rep.Requests.Total != st.Total() {
			t.Errorf("requests.total = %d, the mock received %d", rep.Requests.Total, st.Total())
		}
	})
}

// The run is stopped (a second signal: every session cancelled at once) while a failed
// session's DISCONNECT is in flight: that DISCONNECT is not cut, it completes under the
// teardown's bound, and the session still counts as failed, not interrupted.
func TestStopDoesNotCutAFailedSessionsDisconnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := bubbleMock(t, func(o *mock.Options) { o.SessionTimeout = 0 })
		h := srv.Handler()
		arrived := make(chan struct{})
		var once sync.Once
		var refused atomic.Int64
		front := memServe(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/sendAsync") {
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				switch {
				case bytes.Contains(body, []byte(`"controlType":"CHAT"`)):
					refused.Add(1)
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write([]byte(`{"resultCode":"13","resultDesc":"send message failed"}`))
					return
				case bytes.Contains(body, []byte(`"controlType":"DISCONNECT"`)):
					once.Do(func() { close(arrived) })
					time.Sleep(200 * time.Millisecond) // answered well after the stop
				}
			}
			h.ServeHTTP(w, r)
		}))
		sc := parse(t, auth+`
load: {model: open, arrivals: uniform, rate: 5, duration: 1m}
sessions:
  - name: s
    poll: false
    steps: [connect, {think: 1s}, {chat: hi}, disconnect]
`)
		kill := make(chan struct{})
		go func() {
			select {
			case <-arrived: // the first session failed and sent its DISCONNECT
			case <-time.After(30 * time.Second): // a backstop: the test then fails on its counts
			}
			close(kill)
		}()
		rep := runOK(t, context.Background(), front.target(Config{Scenario: sc, Seed: 1, Grace: time.Second, Kill: kill}))
		s := rep.Sessions
		if s.Failed < 1 || s.Failed != refused.Load() || s.Started != s.Failed+s.Interrupted {
			t.Fatalf("sessions %+v, %d CHATs refused: want each refused CHAT a failed session, the rest interrupted", s, refused.Load())
		}
		if ab := group(t, rep, "abandon sendAsync DISCONNECT"); ab.Total != s.Failed || ab.OK != s.Failed || ab.Cut != 0 {
			t.Errorf("abandon group %+v: want the %d failed sessions' DISCONNECTs, all ok, none cut by the stop", ab.RequestCounts, s.Failed)
		}
		st := srv.Stats()
		if st.Sessions.Open != 0 || st.Sessions.Queued != 0 || st.Sessions.WithAgent != 0 {
			t.Errorf("after the run the mock holds sessions %+v, want none", st.Sessions)
		}
		if c, d := st.ControlTypes["CONNECT"], st.ControlTypes["DISCONNECT"]; d != c {
			t.Errorf("mock accepted %d CONNECTs and %d DISCONNECTs, want one DISCONNECT per CONNECT", c, d)
		}
	})
}
