package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"ccload/mock"
	"ccload/report"
	"ccload/scenario"
)

// testMock starts a mock on loopback for one test.
func testMock(t *testing.T, edit func(*mock.Options)) *mock.Server {
	t.Helper()
	srv, err := mock.NewServer(mockOptions(edit))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// mockOptions are the test mocks' options (seeded, a quick robot) after edit.
func mockOptions(edit func(*mock.Options)) mock.Options {
	o := mock.DefaultOptions()
	o.Seed = 1
	o.RobotDelay = 10 * time.Millisecond
	if edit != nil {
		edit(&o)
	}
	return o
}

// agentsMock is a mock with 10 agents that each hang up after handle, replying within 10 ms.
func agentsMock(t *testing.T, handle time.Duration) *memMock {
	return bubbleMock(t, func(o *mock.Options) {
		o.Agents = 10
		o.HandleTime = mock.Constant(handle)
		o.AgentReplyDelay = 10 * time.Millisecond
	})
}

// parse compiles a scenario from YAML text.
func parse(t testing.TB, src string) *scenario.Scenario {
	t.Helper()
	sc, err := scenario.Parse("test.yaml", []byte(src), ".", nil)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

const auth = "auth: {app_key: k, app_secret: s}\n"

// runOK runs cfg against srv and checks the report's invariants.
func runOK(t *testing.T, ctx context.Context, cfg Config) *report.Report {
	t.Helper()
	if cfg.Grace == 0 {
		cfg.Grace = 10 * time.Second
	}
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range report.CheckInvariants(rep) {
		t.Errorf("invariant: %s", w)
	}
	s := rep.Sessions
	if s.Arrivals != s.Started+s.Dropped || s.Started != s.Completed+s.Failed+s.Interrupted+s.EndedByPlatform+s.CutByGrace {
		t.Errorf("session counts do not add up: %+v", s)
	}
	return rep
}

func TestClosedModelFollowsTheLevel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := bubbleMock(t, nil)
		sc := parse(t, auth+`
load:
  model: closed
  stages:
    - {duration: 1s, from: 0, to: 6}
    - {duration: 1s, customers: 6}
sessions:
  - name: s
    poll: false
    steps: [connect, {think: 100ms}, disconnect]
`)
		rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 1}))
		var peak int64
		for _, p := range rep.Timeseries {
			peak = max(peak, p.Active)
		}
		if peak > 6 {
			t.Errorf("peak active customers = %d, want at most the level 6", peak)
		}
		// 6 customers for ~1.5 s on average, sessions of ~0.1 s: dozens of sessions.
		if s := rep.Sessions; s.Completed < 20 || s.Failed != 0 {
			t.Errorf("sessions %+v: want dozens completed, none failed", s)
		}
	})
}

func TestMaxCustomersCountsDroppedArrivals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := bubbleMock(t, nil)
		sc := parse(t, auth+`
load: {model: open, arrivals: uniform, rate: 40, duration: 1s, max_customers: 5}
sessions:
  - name: slow
    poll: false
    steps: [connect, {think: 2s}, disconnect]
`)
		rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 1}))
		s := rep.Sessions
		if s.Arrivals != 40 || s.Started != 5 || s.Dropped != 35 {
			t.Errorf("sessions %+v: want 40 arrivals, 5 started (the cap), 35 dropped", s)
		}
	})
}

func TestShardsPartitionTheArrivals(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := bubbleMock(t, nil)
		sc := parse(t, auth+`
load: {model: open, arrivals: poisson, rate: 60, duration: 1s}
sessions:
  - name: s
    poll: false
    steps: [connect]
`)
		whole := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 9}))
		var sum int64
		for i := range 3 {
			rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 9, Shard: Shard{I: i, N: 3}}))
			sum += rep.Sessions.Arrivals
			if rep.Sessions.Arrivals == 0 {
				t.Errorf("shard %d/3 got no arrivals", i)
			}
		}
		if sum != whole.Sessions.Arrivals {
			t.Errorf("shards sum to %d arrivals, the whole run had %d", sum, whole.Sessions.Arrivals)
		}
	})
}

func TestStopIsGracefulThenKill(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := bubbleMock(t, nil)
		sc := parse(t, auth+`
load: {model: open, arrivals: uniform, rate: 20, duration: 60s}
sessions:
  - name: long
    poll: {interval: 100ms}
    steps: [connect, {think: 60s}, disconnect]
`)
		ctx, cancel := context.WithCancel(context.Background())
		kill := make(chan struct{})
		time.AfterFunc(500*time.Millisecond, cancel)                  // first signal: graceful
		time.AfterFunc(1500*time.Millisecond, func() { close(kill) }) // second: cancel everything
		began := time.Now()
		rep := runOK(t, ctx, srv.target(Config{Scenario: sc, Seed: 1, Grace: time.Minute, Kill: kill}))
		if took := time.Since(began); took > 10*time.Second {
			t.Errorf("Run took %v after the kill", took)
		}
		if !rep.Interrupted || rep.StopReason != "interrupted" {
			t.Errorf("interrupted=%v reason=%q", rep.Interrupted, rep.StopReason)
		}
		if s := rep.Sessions; s.Interrupted != s.Started || s.Started == 0 {
			t.Errorf("sessions %+v: every started session should be interrupted", s)
		}
		// Arrivals stopped at the first signal (~10 by then), not at the kill (~30).
		if a := rep.Sessions.Arrivals; a > 20 {
			t.Errorf("%d arrivals: arrivals did not stop at the graceful stop", a)
		}
	})
}

func TestAbortOnFailStopsTheRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := bubbleMock(t, func(o *mock.Options) { o.DefaultLatency = mock.Constant(30 * time.Millisecond) })
		sc := parse(t, auth+`
load: {model: open, arrivals: uniform, rate: 20, duration: 30s}
sessions:
  - name: s
    poll: false
    steps: [connect, disconnect]
thresholds:
  - {name: fast, metric: response_time.p99, max: 5ms, abort_on_fail: true}
`)
		began := time.Now()
		rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 1}))
		if took := time.Since(began); took > 10*time.Second {
			t.Errorf("the run went on for %v after its threshold failed", took)
		}
		if !strings.HasPrefix(rep.StopReason, "aborted: ") || !strings.Contains(rep.StopReason, "fast") {
			t.Errorf("stop_reason = %q, want aborted: fast", rep.StopReason)
		}
		if len(rep.Thresholds) != 1 || rep.Thresholds[0].Pass {
			t.Errorf("thresholds = %+v, want the failed one", rep.Thresholds)
		}
	})
}

func TestRuleBreakingRequestIsNotSent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := bubbleMock(t, nil)
		// from (the user id) may have at most 24 characters: this one has 30.
		sc := parse(t, auth+`
channel: {user_id: "{{rand_str 30}}"}
load: {model: open, arrivals: uniform, rate: 10, duration: 500ms}
sessions:
  - name: s
    poll: false
    steps: [connect, disconnect]
`)
		rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 1}))
		q := rep.Requests
		if q.NotSent != 5 || q.NotSentBy["client_validation"] != 5 || q.ClientErrors != 0 || rep.Sessions.Failed != 5 {
			t.Errorf("requests %+v sessions %+v: want 5 not sent (client_validation) and 5 failed sessions", q, rep.Sessions)
		}
		st := srv.Stats()
		if n := st.Endpoints["sendAsync"]; n != 0 {
			t.Errorf("the mock received %d sendAsync requests that broke a rule", n)
		}
		// The mock is the referee: total is what it received (the applyTokens), per group too.
		var received int64
		for _, n := range st.Endpoints {
			received += n
		}
		if q.Total != received {
			t.Errorf("requests.total %d, the mock received %d", q.Total, received)
		}
		for _, g := range rep.Groups {
			if g.Kind == "endpoint" && g.Total != st.Endpoints[g.Endpoint] {
				t.Errorf("group %s: total %d, the mock received %d", g.Name, g.Total, st.Endpoints[g.Endpoint])
			}
			if g.Name == "sendAsync CONNECT" && (g.NotSent != 5 || g.ResponseTimeUS.Count != 0 || len(g.Errors) != 0) {
				t.Errorf("group %s: not_sent %d, %d latencies, errors %v; want 5 not sent, no latency, no error", g.Name, g.NotSent, g.ResponseTimeUS.Count, g.Errors)
			}
		}
		if len(rep.Warnings) == 0 || !strings.Contains(strings.Join(rep.Warnings, "\n"), "from") {
			t.Errorf("warnings %q should name the broken rule", rep.Warnings)
		}
	})
}

func TestUploadThenMediaChat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := bubbleMock(t, nil)
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "photo.jpg"), []byte("not really a jpeg"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hello"), 0o644); err != nil {
			t.Fatal(err)
		}
		sc, err := scenario.Parse("u.yaml", []byte(auth+`
load: {model: open, arrivals: uniform, rate: 4, duration: 1s}
sessions:
  - name: s
    poll: false
    steps: [connect, {upload: photo.jpg}, {chat: {file: notes.txt, media: FILE}}, disconnect]
`), dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 1}))
		if s := rep.Sessions; s.Completed != 4 || s.Failed != 0 {
			t.Errorf("sessions %+v: want 4 completed", s)
		}
		st := srv.Stats()
		if st.Endpoints["uploadFileStream"] != 8 || st.ControlTypes["CHAT"] != 8 {
			t.Errorf("mock saw %d uploads and %d chats, want 8 and 8", st.Endpoints["uploadFileStream"], st.ControlTypes["CHAT"])
		}
	})
}

// TestExhaustedFeederEndsArrivals runs out a unique feeder of 3 rows, in both load models:
// arrivals end there, the sessions that had rows complete, and the report says the data ran
// out (stop_reason, warning) instead of calling the run completed, without marking it
// interrupted (no session was cut short).
func TestExhaustedFeederEndsArrivals(t *testing.T) {
	for _, tt := range []struct{ name, load string }{
		{"open", "load: {model: open, arrivals: uniform, rate: 5, duration: 30s}"},
		{"closed", "load: {model: closed, customers: 2, duration: 30s}"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := bubbleMock(t, nil)
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "users.txt"), []byte("ann\nbob\ncid\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				sc, err := scenario.Parse("f.yaml", []byte(auth+`
data:
  users: {lines: users.txt, order: unique}
`+tt.load+`
sessions:
  - name: s
    poll: false
    steps: [connect, {chat: "I am {{data.users.line}}"}]
`), dir, nil)
				if err != nil {
					t.Fatal(err)
				}
				rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 1}))
				if rep.DurationS >= 30 {
					t.Errorf("the run lasted %.1fs, its whole stage, with no rows left", rep.DurationS)
				}
				if s := rep.Sessions; s.Completed != 3 || s.Interrupted != 0 {
					t.Errorf("sessions %+v: want the 3 rows' sessions completed, none interrupted", s)
				}
				if want := "data exhausted: feeder users"; rep.StopReason != want {
					t.Errorf("stop_reason = %q, want %q", rep.StopReason, want)
				}
				if rep.Interrupted {
					t.Error("interrupted = true: running out of data cuts no session short")
				}
				if !strings.Contains(strings.Join(rep.Warnings, "\n"), "ran out of rows") {
					t.Errorf("warnings %q do not say the feeder ran out", rep.Warnings)
				}
			})
		})
	}
}

func TestClosedCustomersBackOffWhenSessionsFailAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := bubbleMock(t, nil)
		srv.Close() // connections are refused within microseconds
		sc := parse(t, auth+`
load: {model: closed, customers: 2, duration: 1s}
sessions:
  - {name: s, poll: false, steps: [connect]}
`)
		rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 1}))
		// Without a back-off each customer would loop thousands of times a second.
		if s := rep.Sessions; s.Started > 40 || s.Failed != s.Started {
			t.Errorf("sessions %+v: want a handful, all failed", s)
		}
		if rep.StopReason != "unreachable" {
			t.Errorf("stop_reason = %q, want unreachable", rep.StopReason)
		}
	})
}

func TestAgentHangUpMidChatEndsTheSessionAsEndedByPlatform(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := agentsMock(t, 400*time.Millisecond)
		// The chat goes on well past the agent's 400 ms of handling time.
		sc := parse(t, auth+`
load: {model: open, arrivals: uniform, rate: 10, duration: 500ms}
sessions:
  - name: s
    poll: {interval: 50ms}
    steps:
      - connect
      - transfer
      - await_agent: {timeout: 5s}
      - repeat: {count: 20, steps: [{chat: hi}, {think: 100ms}]}
      - disconnect
`)
		rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 1}))
		if s := rep.Sessions; s.Started != 5 || s.EndedByPlatform != 5 || s.Failed != 0 {
			t.Errorf("sessions %+v: want all 5 ended by the platform, none failed", s)
		}
		st := srv.Stats()
		if n := st.ControlTypes["DISCONNECT"]; n != 0 {
			t.Errorf("the mock received %d DISCONNECTs for sessions it had already ended", n)
		}
		// A CHAT racing the hang-up may be refused (13); no cascade of them.
		if n := rep.Requests.AppErrors; n > 5 {
			t.Errorf("%d app errors: sends went on after the platform ended the sessions", n)
		}
	})
}

// TestClosedModelLevelFallsAndRises lowers the level from 6 to 2 and raises it again: the
// producer touches only the slots whose part changes (issue 24), so the four asked to stop must
// be started again when the level rises, and the live customers never exceed the level.
func TestClosedModelLevelFallsAndRises(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := bubbleMock(t, nil)
		sc := parse(t, auth+`
load:
  model: closed
  stages:
    - {duration: 1s, customers: 6}
    - {duration: 1s, customers: 2}
    - {duration: 2s, customers: 6}
sessions:
  - name: s
    poll: false
    steps: [connect, {think: 110ms}, disconnect]   # off the 1 s samples: in fake time a session's end, its successor's start and a sample at one instant come in any order
`)
		rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 1}))
		var peak, late int64
		for _, p := range rep.Timeseries {
			peak = max(peak, p.Active)
			if p.T >= 3 && p.T <= 4 {
				late = max(late, p.Active)
			}
		}
		if peak > 6 {
			t.Errorf("peak active customers = %d, want at most the level 6", peak)
		}
		if late != 6 {
			t.Errorf("%d customers live in the last second, want the level 6 again (points %+v)", late, rep.Timeseries)
		}
		if s := rep.Sessions; s.Failed != 0 || s.Completed < 20 {
			t.Errorf("sessions %+v: want dozens completed, none failed", s)
		}
	})
}
