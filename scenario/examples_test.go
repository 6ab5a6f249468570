package scenario

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"ccload/ccapi"
	"ccload/gates"
)

// sp is an expected session plan: name, share, requests per session, expected duration.
type sp struct {
	name  string
	share float64
	total float64
	dur   string
}

// TestExamples is the round trip of every file in scenarios/: it loads, validates, and
// its plan says what a user would read in `ccload validate`.
func TestExamples(t *testing.T) {
	want := map[string]struct {
		model         Model
		peakRate      float64
		peakCustomers float64
		peakRPS       float64
		latencyBound  bool
		mixTotal      float64
		sessions      []sp
	}{
		"bench-chat.yaml": {model: Closed, peakRate: 0, peakCustomers: 64, peakRPS: 0, latencyBound: true, mixTotal: 1002,
			sessions: []sp{{"chat-loop", 1, 1002, "0s"}}},
		"capacity.yaml": {model: Open, peakRate: 5, peakCustomers: 0, peakRPS: 30, mixTotal: 6,
			sessions: []sp{{"chat", 1, 6, "0s"}}},
		"ci-gate.yaml": {model: Open, peakRate: 16, peakCustomers: 5.76, peakRPS: 106.24, mixTotal: 6.64,
			sessions: []sp{{"robot", 0.8, 6.8, "450ms"}, {"agent", 0.2, 6, "0s"}}},
		"escalation.yaml": {model: Open, peakRate: 1, peakCustomers: 14.45, peakRPS: 23.45, mixTotal: 23.45,
			sessions: []sp{{"escalate", 0.8, 28.06, "18.062s"}, {"gives-up", 0.2, 5, "0s"}}},
		"peak-hour.yaml": {model: Open, peakRate: 150, peakCustomers: 4597, peakRPS: 3182, mixTotal: 21.21,
			sessions: []sp{{"robot", 0.85, 16.67, "23.014s"}, {"agent", 0.15, 46.97, "1m13.918s"}}},
		"push.yaml": {model: Open, peakRate: 5, peakCustomers: 4, peakRPS: 22, mixTotal: 4.4, // push awaits wait no poll interval
			sessions: []sp{{"robot", 0.8, 4, "1s"}, {"agent", 0.2, 6, "0s"}}},
		"quickstart.yaml": {model: Open, peakRate: 4, peakCustomers: 7, peakRPS: 36, mixTotal: 9,
			sessions: []sp{{"faq", 0.75, 9, "2s"}, {"escalate", 0.25, 9, "1s"}}},
		"robot-faq.yaml": {model: Open, peakRate: 10, peakCustomers: 96.66, peakRPS: 155.2, mixTotal: 15.52,
			sessions: []sp{{"one-question", 0.6, 12.85, "6.849s"}, {"several-questions", 0.3, 25.02, "17.521s"}, {"bounce", 0.1, 3, "3s"}}},
		"soak.yaml": {model: Open, peakRate: 8, peakCustomers: 247, peakRPS: 205.2, mixTotal: 25.64,
			sessions: []sp{{"robot", 0.8, 21.43, "21.844s"}, {"agent", 0.2, 42.49, "1m6.982s"}}},
		"webcard-campaign.yaml": {model: Open, peakRate: 20, peakCustomers: 46.67, peakRPS: 166.7, mixTotal: 8.333,
			sessions: []sp{{"card-and-photo", 0.6667, 10, "3s"}, {"static-card", 0.3333, 5, "1s"}}},
	}
	files, err := filepath.Glob("../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	near := func(got, want float64) bool { return math.Abs(got-want) <= 0.005*math.Abs(want)+1e-9 }
	for _, f := range files {
		base := filepath.Base(f)
		t.Run(base, func(t *testing.T) {
			w, ok := want[base]
			if !ok {
				t.Fatalf("%s has no expected plan in this test", base)
			}
			sc, err := LoadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			p := sc.Plan()
			if p.Model != w.model || p.LatencyBound != w.latencyBound {
				t.Errorf("model %v latencyBound %v", p.Model, p.LatencyBound)
			}
			for _, c := range []struct {
				name      string
				got, want float64
			}{{"peak rate", p.PeakArrivalRate, w.peakRate}, {"peak customers", p.PeakCustomers, w.peakCustomers},
				{"peak rps", p.PeakRPS, w.peakRPS}, {"mix total", p.Mix.Total, w.mixTotal}} {
				if !near(c.got, c.want) {
					t.Errorf("%s = %.4g, want %.4g", c.name, c.got, c.want)
				}
			}
			if len(p.Sessions) != len(w.sessions) {
				t.Fatalf("%d sessions, want %d", len(p.Sessions), len(w.sessions))
			}
			for i, ws := range w.sessions {
				g := p.Sessions[i]
				if g.Name != ws.name || !near(g.Share, ws.share) || !near(g.Total, ws.total) || g.Duration.String() != ws.dur {
					t.Errorf("session %d = %s share %.4g total %.4g duration %s, want %+v", i, g.Name, g.Share, g.Total, g.Duration, ws)
				}
			}
			var b strings.Builder
			if err := p.Write(&b); err != nil || !strings.Contains(b.String(), "SESSION") {
				t.Errorf("Write: %v\n%s", err, b.String())
			}
		})
	}
}

// TestQuickstartCompiled checks what the runner receives from the quick start, field by field.
func TestQuickstartCompiled(t *testing.T) {
	sc, err := LoadFile("../scenarios/quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Target.URL != "" || sc.Target.Paths != ccapi.DefaultPaths || sc.Target.Timeout != 10*time.Second || sc.Target.MaxConnections != 256 {
		t.Errorf("target %+v", sc.Target)
	}
	if sc.Seed != 42 || sc.Load.Model != Open || sc.Load.Arrivals != Poisson || sc.Load.Duration() != 15*time.Second {
		t.Errorf("seed %d load %+v", sc.Seed, sc.Load)
	}
	if r, _ := sc.Load.At(2500 * time.Millisecond); r != 2.5 {
		t.Errorf("rate at 2.5s = %v, want 2.5 (ramp 1 -> 4 over 5s)", r)
	}
	if sc.Mock == nil || sc.Mock.Agents != 5 || sc.Mock.RobotDelay != 200*time.Millisecond || sc.Mock.Latency != "2ms" {
		t.Errorf("mock %+v", sc.Mock)
	}
	if len(sc.Feeders) != 1 || sc.Feeders[0].Name != "questions" || sc.Feeders[0].Order != RandomOrder || len(sc.Feeders[0].Rows) != 12 {
		t.Errorf("feeders %+v", sc.Feeders)
	}
	faq := sc.Sessions[0]
	if faq.Name != "faq" || faq.Weight != 3 || !faq.Poll || faq.PollInterval != 500*time.Millisecond || len(faq.Steps) != 7 {
		t.Fatalf("faq %+v", faq)
	}
	if len(faq.Feeders) != 1 || faq.Feeders[0] != 0 {
		t.Errorf("faq reads feeders %v, want [0]", faq.Feeders)
	}
	ask := faq.Steps[4]
	if ask.Kind != StepChat || ask.Name != "ask" || ask.Path != "sessions[0].steps[4]" || ask.Send.ControlType != ccapi.Chat || ask.Send.MediaType != ccapi.Text {
		t.Errorf("ask %+v", ask)
	}
	env := &Env{SessionID: "1a", Customer: 9, Rows: [][]string{{"Where is my order?"}}}
	if got := ask.Send.Content.String(env); got != "Where is my order?" {
		t.Errorf("ask content %q", got)
	}
	for field, tp := range map[string]*Template{"channel": ask.Send.Channel, "to": ask.Send.To, "sourceType": ask.Send.SourceType, "user_id": faq.Channel.UserID} {
		want := map[string]string{"channel": "WEB", "to": MockChannelTo, "sourceType": "CUSTOMER", "user_id": "c9s1a"}[field]
		if got := tp.String(env); got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	if aw := faq.Steps[2]; aw.Kind != StepAwaitReply || aw.Timeout != 5*time.Second || aw.From != FromRobot || aw.OnTimeout != Abort {
		t.Errorf("await %+v", aw)
	}
	if th := faq.Steps[3].Think; th == nil || th.Kind != UniformDist || th.A != 0.5 || th.B != 1.5 {
		t.Errorf("think %+v", th)
	}
	esc := sc.Sessions[1]
	if esc.Steps[3].Kind != StepTransfer || esc.Steps[3].Send.ControlType != ccapi.Trans2Agent || esc.Steps[4].Kind != StepAwaitAgent || esc.Steps[4].Timeout != 10*time.Second {
		t.Errorf("escalate steps %+v %+v", esc.Steps[3], esc.Steps[4])
	}
	if len(sc.Thresholds) != 2 || sc.Thresholds[0].Metric != "error_rate" || sc.Thresholds[0].Max != 0.01 || !sc.Thresholds[0].HasMax ||
		sc.Thresholds[1].Max != 500_000 || sc.Thresholds[1].Group != "all" || sc.Thresholds[1].Name != "response_time.p99 all <= 500ms" {
		t.Errorf("thresholds %+v", sc.Thresholds)
	}
}

// TestBenchChatCompiled checks the benchmark scenario's static tokens and closed model.
func TestBenchChatCompiled(t *testing.T) {
	sc, err := LoadFile("../scenarios/bench-chat.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Auth.AccessToken != "bench-access-token" || sc.Auth.CCMessagingToken != "bench-cc-token" || sc.Auth.AppSecret != "" {
		t.Errorf("auth not static")
	}
	if sc.Load.Model != Closed || sc.Load.Peak() != 64 || sc.Load.Duration() != 20*time.Second {
		t.Errorf("load %+v", sc.Load)
	}
	s := sc.Sessions[0]
	if s.Poll || s.Steps[1].Kind != StepRepeat || s.Steps[1].Count.Kind != Constant || s.Steps[1].Count.A != 1000 {
		t.Errorf("session %+v", s)
	}
	chat := s.Steps[1].Steps[0].Send
	if got := chat.Content.String(&Env{Seq: 3, Customer: 2}); got != "benchmark message 3 from 2" {
		t.Errorf("chat %q", got)
	}
}

// TestCIGateThresholds checks the gate's thresholds as the report package receives them.
func TestCIGateThresholds(t *testing.T) {
	sc, err := LoadFile("../scenarios/ci-gate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []gates.Threshold{
		{Metric: "response_time.p99", Group: "all", Max: 250_000, HasMax: true, LimitText: "250ms"},
		{Metric: "service_time.p99", Group: "step:ask", Max: 200_000, HasMax: true, LimitText: "200ms"},
		{Metric: "error_rate", Group: "all", Max: 0.01, HasMax: true, LimitText: "1%"},
		{Metric: "result_code_share", Group: "all", Code: "0", Min: 0.99, HasMin: true, LimitText: "99%"},
		{Metric: "reply_latency.p95", Group: "all", Max: 2_000_000, HasMax: true, LimitText: "2s"},
		{Metric: "time_to_agent.p95", Group: "all", Max: 2_000_000, HasMax: true, LimitText: "2s"},
		{Metric: "failed_sessions", Group: "all", Max: 0.01, HasMax: true, LimitText: "1%"},
		{Metric: "rps", Group: "control_type:CHAT", Min: 2, HasMin: true, LimitText: "2"},
	}
	if len(sc.Thresholds) != len(want) {
		t.Fatalf("%d thresholds, want %d", len(sc.Thresholds), len(want))
	}
	for i, w := range want {
		g := sc.Thresholds[i].Threshold
		g.Name = ""
		if g != w {
			t.Errorf("threshold %d:\n got  %+v\n want %+v", i, g, w)
		}
	}
	if sc.Compare["p99"] != "20ms" || sc.Compare["error_rate"] != "0.1pp" || sc.Compare["rps"] != "5%" || sc.Compare["p95@step:ask"] != "20ms" {
		t.Errorf("compare %v", sc.Compare)
	}
	if sc.Load.Duration() > 15*time.Second {
		t.Errorf("the CI gate runs %v; keep it short", sc.Load.Duration())
	}
}

// TestWindowedThresholdNamesSayTheWindow: a windowed threshold must not read like a whole-run
// one in the plan, report.json and JUnit, which all show its name.
func TestWindowedThresholdNamesSayTheWindow(t *testing.T) {
	sc, err := LoadFile("../scenarios/soak.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, th := range sc.Thresholds {
		names = append(names, th.Name)
	}
	for _, want := range []string{"response_time.p99 all <= 800ms over 5m", "error_rate all <= 0.5% over 5m"} {
		if !slices.Contains(names, want) {
			t.Errorf("no threshold named %q in %q", want, names)
		}
	}
}
