package runner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"ccload/ccapi"
	"ccload/mock"
	"ccload/report"
)

// holdScenario has 3 customers (open: 6/s for 0.5 s; closed: 3 for 0.5 s) that connect,
// transfer to the mock's one agent (so one is with the agent and two queue) and wait far longer
// than any test: whatever ends the run cuts them while the platform holds their sessions.
const holdScenario = auth + `
load: %s
thresholds:
  - {metric: cut_by_grace, max: 0}
sessions:
  - name: waits
    poll: {interval: 100ms}
    steps: [connect, transfer, {await_agent: {timeout: 1m}}, {think: 1m}, disconnect]
`

func holdMock(t *testing.T) *memMock {
	return bubbleMock(t, func(o *mock.Options) {
		o.Agents = 1
		o.HandleTime = mock.Constant(time.Hour)
		o.SessionTimeout = 0 // only a DISCONNECT closes a session
	})
}

// teardownGroup is the report's group of the run's closing DISCONNECTs (nil when absent).
func teardownGroup(rep *report.Report) *report.Group {
	for i := range rep.Groups {
		if g := &rep.Groups[i]; g.Kind == "teardown" && g.ControlType == "DISCONNECT" {
			return g
		}
	}
	return nil
}

// checkTargetClean asserts what a user of the platform checks after a run: the mock holds no
// session open or queued, it received one DISCONNECT per CONNECT (a customer cut before its
// CONNECT went out sends neither), and the report counts those DISCONNECTs in the teardown
// group (and in requests.total), not in the scenario's own DISCONNECT group.
func checkTargetClean(t *testing.T, srv statser, rep *report.Report) {
	t.Helper()
	st := srv.Stats()
	if st.Sessions.Open != 0 || st.Sessions.Queued != 0 || st.Sessions.WithAgent != 0 {
		t.Errorf("after the run the mock holds sessions %+v, want none open, queued or with an agent", st.Sessions)
	}
	got := st.ControlTypes["DISCONNECT"]
	if connects := st.ControlTypes["CONNECT"]; got != connects || connects == 0 || connects > rep.Sessions.Started {
		t.Errorf("mock received %d CONNECTs and %d DISCONNECTs from %d started sessions, want one DISCONNECT per CONNECT", connects, got, rep.Sessions.Started)
	}
	g := teardownGroup(rep)
	if g == nil {
		t.Fatalf("no teardown group in the report; groups: %v", groupNames(rep))
	}
	if g.Name != "teardown sendAsync DISCONNECT" || g.Count != got || g.OK != got {
		t.Errorf("teardown group %q: %d requests (%d ok), want %d, all ok", g.Name, g.Count, g.OK, got)
	}
	for _, o := range rep.Groups {
		if o.Kind == "endpoint" && o.ControlType == "DISCONNECT" {
			t.Errorf("endpoint group %s counts %d DISCONNECTs the scenario never reached", o.Name, o.Count)
		}
	}
	if want := st.Total(); rep.Requests.Total != want {
		t.Errorf("requests.total = %d, the mock received %d", rep.Requests.Total, want)
	}
}

// statser is a target that counts what it received (the mock, in memory or on loopback).
type statser interface{ Stats() mock.Stats }

func groupNames(rep *report.Report) []string {
	var out []string
	for _, g := range rep.Groups {
		out = append(out, g.Name)
	}
	return out
}

func TestGraceCutIsItsOwnOutcomeAndDisconnects(t *testing.T) {
	for _, load := range []string{
		"{model: open, arrivals: uniform, rate: 6, duration: 500ms}",
		"{model: closed, stages: [{duration: 500ms, customers: 3}]}",
	} {
		t.Run(load, func(t *testing.T) { synctest.Test(t, func(t *testing.T) { testGraceCut(t, load) }) })
	}
}

func testGraceCut(t *testing.T, load string) {
	srv := holdMock(t)
	sc := parse(t, fmt.Sprintf(holdScenario, load))
	rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 1, Grace: 300 * time.Millisecond}))
	s := rep.Sessions
	if s.Started != 3 || s.CutByGrace != 3 || s.Interrupted != 0 || s.Completed != 0 {
		t.Errorf("sessions %+v: want 3 started, all 3 cut_by_grace, none interrupted or completed", s)
	}
	if rep.StopReason != report.StopGraceCut || rep.Interrupted {
		t.Errorf("stop_reason %q interrupted %v, want %q, not interrupted", rep.StopReason, rep.Interrupted, report.StopGraceCut)
	}
	if rep.GraceS != 0.3 {
		t.Errorf("grace_s = %v, want 0.3", rep.GraceS)
	}
	// The grace period runs from the end of the last stage, not from the last arrival (a lower
	// bound only: a busy machine can make the run end later, never earlier).
	if rep.DurationS < 0.5+0.3 {
		t.Errorf("the run ended after %.3fs, before its stages (0.5s) and grace period (0.3s) were over", rep.DurationS)
	}
	if len(rep.Thresholds) != 1 || rep.Thresholds[0].Pass || rep.Thresholds[0].Display != "100.0%" {
		t.Errorf("threshold cut_by_grace <= 0: %+v, want it failed at 100.0%%", rep.Thresholds)
	}
	if !hasWarning(rep, "cut_by_grace") {
		t.Errorf("no warning names the cut sessions: %q", rep.Warnings)
	}
	checkTargetClean(t, srv, rep)
}

func TestStoppedRunDisconnectsWhoIsConnected(t *testing.T) {
	for _, tc := range []struct {
		name       string
		thresholds string
		stop       func(cancel context.CancelFunc, kill chan struct{}) // nil: the run stops itself
		reason     string
	}{
		{"ctx cancel (SIGINT) then grace", "", func(cancel context.CancelFunc, _ chan struct{}) { cancel() }, "interrupted"},
		{"kill (second signal)", "", func(_ context.CancelFunc, kill chan struct{}) { close(kill) }, "interrupted"},
		{"abort_on_fail", "thresholds: [{name: fast, metric: rps, min: 1000, abort_on_fail: true}]\n", nil, "aborted: fast"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := holdMock(t)
				sc := parse(t, auth+tc.thresholds+`
load: {model: open, arrivals: uniform, rate: 6, duration: 1m}
sessions:
  - name: waits
    poll: {interval: 100ms}
    steps: [connect, transfer, {await_agent: {timeout: 1m}}, {think: 1m}, disconnect]
`)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				kill := make(chan struct{})
				go func() {
					// Stop once three customers are connected (bounded: the run's own minute is the backstop).
					for i := 0; i < 500 && srv.Stats().Sessions.Open < 3; i++ {
						time.Sleep(10 * time.Millisecond)
					}
					if tc.stop != nil {
						tc.stop(cancel, kill)
					}
				}()
				rep := runOK(t, ctx, srv.target(Config{Scenario: sc, Seed: 1, Grace: 200 * time.Millisecond, Kill: kill}))
				s := rep.Sessions
				if s.Started < 3 || s.Interrupted != s.Started || s.CutByGrace != 0 {
					t.Errorf("sessions %+v: want at least 3 started, all interrupted (the run was stopped), none cut_by_grace", s)
				}
				if rep.StopReason != tc.reason || !rep.Interrupted {
					t.Errorf("stop_reason %q interrupted %v, want %q, interrupted", rep.StopReason, rep.Interrupted, tc.reason)
				}
				checkTargetClean(t, srv, rep)
			})
		})
	}
}

func hasWarning(rep *report.Report, sub string) bool {
	for _, w := range rep.Warnings {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}

// TestWhoTheTeardownDisconnects: clock-free, the customer says whether the platform may hold
// its session when the run cuts it after a script of turns (the exchange the last one asked
// for is the one cut).
func TestWhoTheTeardownDisconnects(t *testing.T) {
	src := progHead + "    poll: false\n    steps: [connect, {think: 5s}, {chat: hi}, disconnect]\n"
	connect := turn{0, result{}, "connect @0s"}
	connected := turn{10 * time.Millisecond, ok(0, 10), "wake 5s"}
	chat := turn{5 * time.Second, result{}, "chat @5s"}
	chatted := turn{5010 * time.Millisecond, ok(5000, 5010), "disconnect @5s"}
	for _, tc := range []struct {
		name   string
		script []turn
		want   bool
	}{
		{"cut before anything was sent", nil, false},
		{"cut while its CONNECT is in flight (the platform may have taken it)", []turn{connect}, true},
		{"cut after a refused CONNECT", []turn{connect, {10 * time.Millisecond, fail(0, 10), "done failed"}}, false},
		{"cut while thinking after CONNECT", []turn{connect, connected}, true},
		{"cut while its CHAT is in flight", []turn{connect, connected, chat}, true},
		{"cut while its DISCONNECT is in flight (sent again: DISCONNECT is idempotent)", []turn{connect, connected, chat, chatted}, true},
		{"its DISCONNECT went out", []turn{connect, connected, chat, chatted, {5020 * time.Millisecond, ok(5010, 5020), "done ok"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCustomer(t, src, 0, false)
			for i, tu := range tc.script {
				if a := c.next(int64(tu.now), tu.res); a.String() != tu.want {
					t.Fatalf("turn %d: got %q, want %q", i, a, tu.want)
				}
			}
			if got := c.mayBeConnected(); got != tc.want {
				t.Errorf("mayBeConnected = %v, want %v (connected %v, ex %v, pc %d)", got, tc.want, c.connected, c.ex, c.pc)
			}
		})
	}
}

func TestDefaultGraceForTheScenario(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      time.Duration
	}{
		{"no waits: one request timeout (the default 10s)", progHead + "    steps: [connect, disconnect]\n", 10 * time.Second},
		{"longest await + one request timeout", "target: {timeout: 5s}\n" + progHead +
			"    steps: [connect, {chat: hi}, {await_reply: 20s}, transfer, {await_agent: 2m}, disconnect]\n", 2*time.Minute + 5*time.Second},
		{"+ the longest think (its bound)", progHead +
			"    steps: [connect, {think: {uniform: {min: 1s, max: 4s}}}, {repeat: {count: 2, steps: [{think: 7s}, {chat: hi}, {await_reply: 30s}]}}, disconnect]\n", 7*time.Second + 30*time.Second + 10*time.Second},
		{"docs/run.md's example: await_agent 60s, think 5s, default timeout", progHead +
			"    steps: [connect, transfer, {await_agent: 60s}, {think: 5s}, disconnect]\n", 75 * time.Second},
		{"+ 3 × the mean of an unbounded think", progHead +
			"    steps: [connect, {think: {exponential: {mean: 2s}}}, disconnect]\n", 6*time.Second + 10*time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := DefaultGraceFor(parse(t, tc.src)); got != tc.want {
				t.Errorf("DefaultGraceFor = %s, want %s", got, tc.want)
			}
		})
	}
	cfg, err := Config{Scenario: parse(t, progHead+"    steps: [connect, {think: 3s}, disconnect]\n"), BaseURL: "http://127.0.0.1:1"}.withDefaults()
	if err != nil || cfg.Grace != 13*time.Second {
		t.Errorf("Config without Grace gets %s (%v), want the computed 13s", cfg.Grace, err)
	}
}

// ccload's own traffic stays apart in a real run (issue 20): the teardown DISCONNECTs of a cut
// run are in requests.total and their own group, not in "all", so all's latencies are the
// scenario's requests' alone, however slow the teardown was.
func TestCutRunTeardownOutOfAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := holdMock(t)
		sc := parse(t, fmt.Sprintf(holdScenario, "{model: open, arrivals: uniform, rate: 6, duration: 500ms}"))
		rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 1, Grace: 300 * time.Millisecond}))
		checkTargetClean(t, srv, rep)
		td := teardownGroup(rep)
		var scenarioTotal, scenarioTimed int64
		var merged *hdrhistogram.Histogram
		for _, g := range rep.Groups {
			if g.Kind != "endpoint" {
				continue
			}
			scenarioTotal += g.Total
			scenarioTimed += g.ResponseTimeUS.Count
			h, err := report.DecodeHistogram(g.ResponseHistogram)
			if err != nil {
				t.Fatal(err)
			}
			if merged == nil {
				merged = h
			} else {
				merged.Merge(h)
			}
		}
		if rep.Overall.Total != scenarioTotal || rep.Requests.Total != scenarioTotal+td.Total {
			t.Errorf("all holds %d requests, requests.total %d: want the scenario's %d, and %d with the teardown's %d",
				rep.Overall.Total, rep.Requests.Total, scenarioTotal, scenarioTotal+td.Total, td.Total)
		}
		if got, want := rep.Overall.ResponseTimeUS.P99, merged.ValueAtQuantile(99); rep.Overall.ResponseTimeUS.Count != scenarioTimed || got != want {
			t.Errorf("all's response-time p99 %d µs over %d requests, want the scenario's %d µs over %d: the teardown moved it",
				got, rep.Overall.ResponseTimeUS.Count, want, scenarioTimed)
		}
	})
}

// Three cut customers tear down at once through one connection (target.max_connections 1)
// to a target that takes 250 ms to answer a DISCONNECT, with target.timeout 400 ms: one of
// them waits for a connection longer than the timeout and ends no_free_connection (it never
// left). The teardown sends it again within its window, so the mock, counting what it
// receives, gets every cut session's DISCONNECT and holds none open; no customer is left for
// the run's teardown warning. On h1, the default transport, whose pool bounds the wait for a
// connection apart from the exchange (net/http's Timeout covers both: a late exchange times
// out instead).
func TestTeardownRetriesNoFreeConnection(t *testing.T) {
	t.Setenv(ccapi.TransportEnv, ccapi.TransportH1)
	synctest.Test(t, func(t *testing.T) {
		srv := bubbleMock(t, func(o *mock.Options) { o.SessionTimeout = 0 }) // only a DISCONNECT closes a session
		front := memServe(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if bytes.Contains(body, []byte(`"controlType":"DISCONNECT"`)) {
				time.Sleep(250 * time.Millisecond)
			}
			srv.Handler().ServeHTTP(w, r)
		}))
		sc := parse(t, auth+`target: {max_connections: 1, timeout: 400ms}
load: {rate: 3, duration: 1s}
sessions:
  - name: s
    poll: false
    steps: [connect, {think: 1m}, disconnect]
`)
		r, err := newRun(front.target(Config{Scenario: sc, Seed: 1}))
		if err != nil {
			t.Fatal(err)
		}
		defer r.client.Close()
		r.events = make(chan event, 1024)
		r.t0 = r.clock.Now()
		r.life.t0 = r.t0
		ctx := context.Background()
		const n = 3
		var cs []*vc
		for k := range int64(n) {
			c := r.newVC(k)
			if f := c.prepare(0, k); f != flowOK {
				t.Fatalf("customer %d could not start: %v", k, f)
			}
			if call := c.cu.ApplyToken(ctx, "n", c.to, ""); call.Kind != ccapi.KindOK {
				t.Fatalf("customer %d: applyToken %v", k, call.Kind)
			}
			c.build(sc.Sessions[0].Steps[0].Send, "")
			if call := c.cu.Send(ctx, &c.x.req); call.Kind != ccapi.KindOK {
				t.Fatalf("customer %d: CONNECT %v", k, call.Kind)
			}
			c.owesDisconnect = true // cut while thinking, connected
			cs = append(cs, c)
		}
		if open := srv.Stats().Sessions.Open; open != n {
			t.Fatalf("the mock holds %d sessions open before the cut, want %d", open, n)
		}
		r.life.Cut()
		var wg sync.WaitGroup
		for _, c := range cs {
			wg.Add(1)
			go func() { defer wg.Done(); c.teardown() }() // as n exchange workers would
		}
		wg.Wait()
		close(r.events)
		classes := map[report.ErrClass]int{}
		for ev := range r.events {
			if ev.kind == evSample && ev.origin == report.OriginTeardown {
				classes[ev.s.Class]++
			}
		}
		st := srv.Stats()
		if d := st.ControlTypes["DISCONNECT"]; d != n || st.Sessions.Open != 0 {
			t.Errorf("the mock received %d DISCONNECTs and holds %d sessions open, want %d and none", d, st.Sessions.Open, n)
		}
		if left := r.life.tdLeft.Load(); left != 0 {
			t.Errorf("%d customers left for the teardown warning, want none", left)
		}
		if classes[report.ErrClass(ccapi.KindNoConnection)] == 0 || classes[report.ClassOK] != n {
			t.Errorf("teardown attempts by class %v: want %d ok after at least one no_free_connection", classes, n)
		}
	})
}
