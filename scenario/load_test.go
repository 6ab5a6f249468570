package scenario

import (
	"errors"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"ccload/ccapi"
)

// TestDistributions checks that each family is compiled with the parameters a user wrote:
// lognormal's median and p90 come back out of its draws, bounds hold, {min, max} is uniform.
func TestDistributions(t *testing.T) {
	sc := mustParse(t, head+`  - steps:
      - connect
      - think: 1500ms
      - think: {lognormal: {median: 2s, p90: 6s}}
      - think: {lognormal: {median: 2s, p90: 6s}, min: 1s, max: 3s}
      - think: {min: 1s, max: 2s}
      - think: {normal: {mean: 2s, stddev: 500ms}}
      - think: {exponential: {mean: 4s}}
      - think: {constant: 250ms}
`)
	st := sc.Sessions[0].Steps
	if d := st[1].Think; d.Kind != Constant || d.A != 1.5 {
		t.Errorf("constant %+v", d)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	draws := make([]float64, 20000)
	for i := range draws {
		draws[i] = st[2].Think.Sample(rng)
	}
	sort.Float64s(draws)
	if med, p90 := draws[len(draws)/2], draws[len(draws)*9/10]; math.Abs(med-2) > 0.1 || math.Abs(p90-6) > 0.3 {
		t.Errorf("lognormal median %.3f p90 %.3f, want 2 and 6", med, p90)
	}
	for range 1000 {
		if v := st[3].Think.Sample(rng); v < 1 || v > 3 {
			t.Fatalf("bounded draw %v outside [1, 3]", v)
		}
	}
	if d := st[4].Think; d.Kind != UniformDist || d.A != 1 || d.B != 2 {
		t.Errorf("{min, max} %+v, want uniform 1..2", d)
	}
	if d := st[5].Think; d.Kind != Normal || d.A != 2 || d.B != 0.5 {
		t.Errorf("normal %+v", d)
	}
	if d := st[6].Think; d.Kind != Exponential || d.Mean() != 4 {
		t.Errorf("exponential %+v", d)
	}
	if d := st[7].Think; d.Kind != Constant || d.Duration(rng) != 250*time.Millisecond {
		t.Errorf("constant %+v", d)
	}
}

// TestPlanEstimate checks the plan of a small scenario against a count done by hand.
func TestPlanEstimate(t *testing.T) {
	sc := mustParse(t, `load:
  max_customers: 10
  stages: [{duration: 10s, from: 0, to: 4}, {duration: 10s, rate: 4}]
sessions:
  - name: a
    weight: 3
    poll: {interval: 500ms}
    steps:
      - connect
      - repeat: {count: 3, steps: [{think: 1s}, {chat: hi}]}
      - await_reply: 2s
      - disconnect
      - think: 5s
  - name: b
    weight: 1
    poll: false
    steps: [connect, transfer, disconnect]
`)
	p := sc.Plan()
	a := p.Sessions[0]
	// a: 3 x 1s think + the await (one poll interval, 500ms) = 3.5s connected (7 polls);
	// the 5s think after disconnect is not polled.
	want := []PlanRequest{
		{ccapi.EpApplyToken, "", 1},
		{ccapi.EpSendAsync, ccapi.Connect, 1},
		{ccapi.EpSendAsync, ccapi.Chat, 3},
		{ccapi.EpSendAsync, ccapi.Disconnect, 1},
		{ccapi.EpPoll, "", 7},
	}
	if len(a.Requests) != len(want) {
		t.Fatalf("requests %+v", a.Requests)
	}
	for i := range want {
		if a.Requests[i] != want[i] {
			t.Errorf("request %d = %+v, want %+v", i, a.Requests[i], want[i])
		}
	}
	if a.Total != 13 || a.Duration != 8500*time.Millisecond || a.Share != 0.75 {
		t.Errorf("a: total %v duration %v share %v", a.Total, a.Duration, a.Share)
	}
	if b := p.Sessions[1]; b.Total != 4 || b.Duration != 0 {
		t.Errorf("b: %+v", b)
	}
	// Mix: 0.75*13 + 0.25*4 = 10.75 requests, 6.375s. At 4/s that is 25.5 concurrent, capped
	// at 10: 10 / 6.375s = 1.569 sessions/s, 16.86 requests/s.
	if p.Mix.Total != 10.75 || !p.Capped || p.PeakCustomers != 10 || math.Abs(p.PeakArrivalRate-10/6.375) > 1e-9 || math.Abs(p.PeakRPS-10/6.375*10.75) > 1e-9 {
		t.Errorf("plan %+v", p)
	}
	if p.ExpectedSessions != 60 {
		t.Errorf("expected sessions %v, want 20 + 40", p.ExpectedSessions)
	}
}

// TestFeatures loads a scenario using the less common keys and checks their compiled form.
func TestFeatures(t *testing.T) {
	sc, err := Parse("f.yaml", []byte(`
name: features
target:
  url: https://cc.example.com/
  api: send
  paths: {poll: /custom/poll}
  timeout: 3s
  max_connections: 8
  insecure_skip_verify: true
  lenient_rules: true
auth:
  app_key: ${KEY}
  access_token: ${TOKEN:-fallback}
  token_lifetime: 1200s
  locale: en
channel: {to: "42", user_id: "u{{customer}}", nickname: "n{{data.people.line}}"}
load:
  model: closed
  pause: {uniform: {min: 1s, max: 3s}}
  stages: [{duration: 5s, to: 4}, {duration: 5s, customers: 4}]
data:
  people: {lines: lines.txt, order: unique, wrap: true}
  users: {csv: users.csv, order: random}
sessions:
  - name: s
    on_failure: continue
    channel: {channel: WEB}
    steps:
      - connect: {name: hello, message_id: "m{{seq}}", trans_data: '{"a":1}'}
      - upload: users.csv
      - chat: {media: LOCATE, text: "1.0,2.0"}
      - {name: ask, chat: "{{data.users.tier}} $${NOT_ENV}"}
      - transfer
      - await_agent: {timeout: 5s, on_timeout: continue}
      - await_reply: {from: agent}
      - read: {text: "id1,id2"}
thresholds:
  - {metric: rps, group: ask, min: 1}
  - {metric: error_rate, group: poll, max: 5%}
  - {metric: response_time.p99, group: control_type:trans2agent, max: 1s, name: transfer p99}
  - {metric: dropped_arrivals, max: 1%}
  - {metric: error_rate, max: 20%, over: 10s, abort_on_fail: true, after: 5s}
  - {metric: response_time.p99, group: ask, max: 2s, over: 30s}
`), "testdata", func(k string) (string, bool) {
		if k == "KEY" {
			return "the-key", true
		}
		return "", false
	})
	if err != nil {
		t.Fatal(err)
	}
	tg := sc.Target
	if tg.URL != "https://cc.example.com" || !tg.UseSend || tg.Paths.Poll != "/custom/poll" || tg.Paths.Send != ccapi.DefaultPaths.Send ||
		tg.Timeout != 3*time.Second || tg.MaxConnections != 8 || !tg.InsecureSkipVerify || tg.Rules() != (ccapi.Rules{Lenient: true, AllowLocate: true}) {
		t.Errorf("target %+v", tg)
	}
	if a := sc.Auth; a.AppKey != "the-key" || a.AccessToken != "fallback" || a.TokenLifetime != 1200*time.Second || a.Locale != "en" {
		t.Errorf("auth %+v", a)
	}
	if sc.Load.Model != Closed || sc.Load.Pause == nil || sc.Load.Stages[0].From != 0 || sc.Load.Stages[0].To != 4 || sc.Load.Stages[1].From != 4 {
		t.Errorf("load %+v", sc.Load)
	}
	if f := sc.Feeders[0]; f.Name != "people" || f.Order != UniqueOrder || !f.Wrap || f.Columns[0] != "line" || len(f.Rows) != 2 {
		t.Errorf("feeder %+v", f)
	}
	s := sc.Sessions[0]
	if s.OnFailure != Continue || len(s.Feeders) != 2 {
		t.Errorf("session %+v", s)
	}
	env := &Env{Seq: 2, Customer: 5, Rows: [][]string{{"ann"}, {"ann", "gold"}}}
	st := s.Steps
	if st[0].Name != "hello" || st[0].Send.MessageID.String(env) != "m2" || st[0].Send.TransData.String(env) != `{"a":1}` {
		t.Errorf("connect %+v", st[0])
	}
	if up := st[1].Send.Upload; up == nil || up.FileType != "csv" || st[1].Send.MediaType != ccapi.File || up.Base64 == "" {
		t.Errorf("upload %+v", st[1].Send)
	}
	if st[2].Send.MediaType != ccapi.Locate {
		t.Errorf("locate %+v", st[2].Send)
	}
	if got := st[3].Send.Content.String(env); st[3].Name != "ask" || got != "gold ${NOT_ENV}" {
		t.Errorf("ask %q", got)
	}
	if st[5].OnTimeout != Continue || st[6].From != FromAgent || st[6].Timeout != DefaultReplyTimeout {
		t.Errorf("awaits %+v %+v", st[5], st[6])
	}
	if got := st[3].Send.SenderNickname.String(env); got != "nann" {
		t.Errorf("nickname %q", got)
	}
	groups := []string{"step:ask", "endpoint:poll", "control_type:TRANS2AGENT", "all", "all", "step:ask"}
	for i, g := range groups {
		if sc.Thresholds[i].Group != g {
			t.Errorf("threshold %d group %q, want %q", i, sc.Thresholds[i].Group, g)
		}
	}
	if th := sc.Thresholds[3]; th.Max != 0.01 || th.LimitText != "1%" {
		t.Errorf("dropped share %+v", th)
	}
	if th := sc.Thresholds[4]; th.Over != 10*time.Second || !th.AbortOnFail || th.After != 5*time.Second {
		t.Errorf("windowed %+v", th)
	}
	if th := sc.Thresholds[5]; th.Over != 30*time.Second || th.Max != 2e6 {
		t.Errorf("windowed per-group %+v", th)
	}
	if sc.Thresholds[2].Name != "transfer p99" {
		t.Errorf("name %q", sc.Thresholds[2].Name)
	}
}

// TestUniqueFeederExhausts checks that a unique feeder without wrap reports exhaustion.
func TestUniqueFeederExhausts(t *testing.T) {
	f := &Feeder{Name: "u", Columns: []string{"line"}, Order: UniqueOrder, Rows: [][]string{{"a"}, {"b"}}}
	for _, want := range []string{"a", "b"} {
		if row, err := f.Next(nil); err != nil || row[0] != want {
			t.Fatalf("Next = %v, %v", row, err)
		}
	}
	if _, err := f.Next(nil); !errors.Is(err, ErrFeederExhausted) {
		t.Errorf("third Next: %v, want ErrFeederExhausted", err)
	}
}
