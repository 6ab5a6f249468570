package capacity

import (
	"context"
	"testing"
	"time"

	"ccload/mock"
	"ccload/scenario"
)

// TestStepsLeaveNoSessionOpen: a capacity search's steps are separate runs, and each ends by
// disconnecting the customers its grace period cut, so after the search the mock (the referee)
// holds no session: none open, none queued, one DISCONNECT per CONNECT it received.
func TestStepsLeaveNoSessionOpen(t *testing.T) {
	srv := testMock(t, func(o *mock.Options) { o.Agents, o.HandleTime = 1, mock.Constant(time.Hour) })
	// Every session outlives its step: connect, queue for the one agent (or get it), wait a minute.
	sc, err := scenario.Parse("hold.yaml", []byte(`name: hold
auth: {app_key: k, app_secret: s}
load: {model: open, arrivals: uniform, rate: 1, duration: 1s}
seed: 1
thresholds:
  - {metric: error_rate, max: 50%}
sessions:
  - name: s
    poll: {interval: 200ms}
    steps: [connect, transfer, {await_agent: {timeout: 1m}}, {think: 1m}, disconnect]
`), ".", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), Options{Scenario: sc, BaseURL: srv.URL(), SLO: sc.Thresholds,
		StartRate: 4, MaxRate: 8, Warmup: 200 * time.Millisecond, Window: 400 * time.Millisecond, MinRequests: 1,
		Grace: 100 * time.Millisecond, Cooldown: -1, Budget: 4 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	rep := res.Report
	if rep.Capacity == nil || len(rep.Capacity.Steps) == 0 {
		t.Fatalf("no capacity steps: %+v", rep.Capacity)
	}
	var started, cut, stopped int64
	for _, st := range rep.Capacity.Steps {
		started += st.Sessions.Started
		cut += st.Sessions.CutByGrace
		stopped += st.Sessions.Interrupted // a step the budget's end stopped
	}
	s := srv.Stats()
	if s.Sessions.Open != 0 || s.Sessions.Queued != 0 {
		t.Errorf("after %d steps the mock holds sessions %+v, want none open or queued", len(rep.Capacity.Steps), s.Sessions)
	}
	if cut+stopped == 0 || cut+stopped != started {
		t.Errorf("steps started %d sessions, cut %d by grace and %d by a stop; want every one cut, by grace or by the search ending its step (they wait a minute)", started, cut, stopped)
	}
	if got, connects := s.ControlTypes["DISCONNECT"], s.ControlTypes["CONNECT"]; got != connects || connects == 0 {
		t.Errorf("mock received %d CONNECTs and %d DISCONNECTs, want one DISCONNECT per CONNECT", connects, got)
	}
}
