package htmlreport

import (
	"ccload/report"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// gatesBuilder builds Reports for tests with real encoded HdrHistograms, so the code under test
// reads the same data a run writes, without depending on the Recorder.
type gatesBuilder struct {
	t        testing.TB
	seconds  int
	overall  *gatesBGroup
	groups   []*gatesBGroup
	points   []gatesBPoint
	sessions report.SessionCounts
	reply    *hdrhistogram.Histogram
	toAgent  *hdrhistogram.Histogram
	duration *hdrhistogram.Histogram
	lag      *hdrhistogram.Histogram
}

type gatesBGroup struct {
	g         report.Group
	svc, resp *hdrhistogram.Histogram
}

type gatesBPoint struct {
	p    report.Point
	hist *hdrhistogram.Histogram
}

func newGatesBuilder(t testing.TB, seconds int) *gatesBuilder {
	b := &gatesBuilder{t: t, seconds: seconds,
		reply: gatesNewHist(), toAgent: gatesNewHist(), duration: hdrhistogram.New(1, 86_400_000_000, 3), lag: gatesNewHist()}
	b.overall = b.newGroup(report.Group{Name: "all", Kind: "all"})
	b.points = make([]gatesBPoint, seconds)
	for i := range b.points {
		b.points[i] = gatesBPoint{p: report.Point{T: float64(i)}, hist: gatesNewHist()}
	}
	return b
}

func gatesNewHist() *hdrhistogram.Histogram { return hdrhistogram.New(1, 60_000_000, 3) }

func (b *gatesBuilder) newGroup(g report.Group) *gatesBGroup {
	g.ResultCodes, g.HTTPStatus, g.Errors = map[string]int64{}, map[string]int64{}, map[string]int64{}
	return &gatesBGroup{g: g, svc: gatesNewHist(), resp: gatesNewHist()}
}

// endpoint registers an endpoint × controlType group and returns its index.
func (b *gatesBuilder) endpoint(ep, ct string) int {
	name := ep
	if ct != "" {
		name += " " + ct
	}
	b.groups = append(b.groups, b.newGroup(report.Group{Name: name, Kind: "endpoint", Endpoint: ep, ControlType: ct}))
	return len(b.groups) - 1
}

// step registers a named-step group and returns its index.
func (b *gatesBuilder) step(name string) int {
	b.groups = append(b.groups, b.newGroup(report.Group{Name: "step:" + name, Kind: "step", Step: name}))
	return len(b.groups) - 1
}

// req records one request in second sec into the overall group and the given groups.
func (b *gatesBuilder) req(sec int, respUS, svcUS int64, code string, class report.ErrClass, groups ...int) {
	all := []*gatesBGroup{b.overall}
	for _, i := range groups {
		all = append(all, b.groups[i])
	}
	for _, g := range all {
		g.g.Count++
		g.g.Total++
		switch class.Bucket() {
		case "ok":
			g.g.OK++
		case "app":
			g.g.AppErrors++
		case "http":
			g.g.HTTPErrors++
		case "client":
			g.g.ClientErrors++
		default:
			g.g.TransportErrors++
		}
		if code != "" {
			g.g.ResultCodes[code]++
		}
		if class != report.ClassOK {
			g.g.Errors[class.String()]++
		}
		if class != report.ClassTimeout && class != report.ClassRefused && class != report.ClassReset {
			status := "200"
			if class == report.ClassHTTP {
				status = "500"
			}
			g.g.HTTPStatus[status]++
		}
		g.g.BytesSent += 420
		g.g.BytesRecv += 160
		gatesRecord(b.t, g.svc, svcUS)
		gatesRecord(b.t, g.resp, respUS)
	}
	p := &b.points[sec]
	p.p.Requests++
	if class != report.ClassOK {
		p.p.Errors++
	}
	if code != "" && code != "0" {
		if p.p.ResultCodes == nil {
			p.p.ResultCodes = map[string]int64{}
		}
		p.p.ResultCodes[code]++
	}
	gatesRecord(b.t, p.hist, respUS)
	gatesRecord(b.t, b.lag, max(1, respUS-svcUS))
}

func gatesRecord(t testing.TB, h *hdrhistogram.Histogram, v int64) {
	t.Helper()
	if err := h.RecordValue(v); err != nil {
		t.Fatalf("recording %d: %v", v, err)
	}
}

// session records an arrival in second sec; dropped, failed or completed with the given latencies.
func (b *gatesBuilder) session(sec int, dropped, failed bool, durationUS, replyUS, agentUS int64) {
	b.sessions.Arrivals++
	b.points[sec].p.Arrivals++
	if dropped {
		b.sessions.Dropped++
		b.points[sec].p.Dropped++
		return
	}
	b.sessions.Started++
	if failed {
		b.sessions.Failed++
		b.points[sec].p.SessionsFailed++
	} else {
		b.sessions.Completed++
	}
	gatesRecord(b.t, b.duration, durationUS)
	if replyUS > 0 {
		gatesRecord(b.t, b.reply, replyUS)
	}
	if agentUS > 0 {
		gatesRecord(b.t, b.toAgent, agentUS)
	}
}

func gatesEnc(t testing.TB, h *hdrhistogram.Histogram) string {
	t.Helper()
	if h.TotalCount() == 0 {
		return ""
	}
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (b *gatesBuilder) latency(h *hdrhistogram.Histogram) report.Latency {
	l := gatesSummary(h)
	l.Histogram = gatesEnc(b.t, h)
	return l
}

// finish returns the report.Report.
func (b *gatesBuilder) finish() *report.Report {
	start := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	d := float64(b.seconds)
	r := &report.Report{
		Schema: report.Schema, Scenario: "checkout-peak", File: "scenarios/checkout-peak.yaml", Target: "http://127.0.0.1:18080",
		StartedAt: start, EndedAt: start.Add(time.Duration(b.seconds) * time.Second), DurationS: d,
		StopReason: "completed", Seed: 42, Shards: 1, Sessions: b.sessions, IntervalS: 1,
		SessionMetrics: report.SessionMetrics{ReplyLatencyUS: b.latency(b.reply), TimeToAgentUS: b.latency(b.toAgent),
			SessionDurationUS: b.latency(b.duration)},
		SchedulerLagUS: b.latency(b.lag),
	}
	fin := func(g *gatesBGroup) report.Group {
		out := g.g
		out.RPS = float64(out.Count) / d
		out.ServiceTimeUS, out.ResponseTimeUS = gatesSummary(g.svc), gatesSummary(g.resp)
		out.ServiceHistogram, out.ResponseHistogram = gatesEnc(b.t, g.svc), gatesEnc(b.t, g.resp)
		return out
	}
	r.Overall = fin(b.overall)
	r.Requests = r.Overall.RequestCounts
	for _, g := range b.groups {
		r.Groups = append(r.Groups, fin(g))
	}
	for _, p := range b.points {
		pt := p.p
		if p.hist.TotalCount() > 0 {
			pt.P50US, pt.P99US = p.hist.ValueAtQuantile(50), p.hist.ValueAtQuantile(99)
			pt.Histogram = gatesEnc(b.t, p.hist)
		}
		r.Timeseries = append(r.Timeseries, pt)
	}
	return r
}

// gatesRealistic builds a two-minute run of a web-chat scenario: a ramp, a plateau and a spike,
// lognormal latencies, a burst of resultCode 12 errors between 70 s and 80 s, a few timeouts,
// dropped arrivals at the spike and session metrics. Deterministic for a given seed.
func gatesRealistic(t testing.TB, seed uint64) *report.Report {
	rng := rand.New(rand.NewPCG(seed, 7))
	const secs = 120
	b := newGatesBuilder(t, secs)
	type ep struct {
		idx, step int
		weight    float64
		medianMS  float64
	}
	eps := []ep{
		{b.endpoint("applyToken", ""), -1, 1, 6},
		{b.endpoint("sendAsync", "CONNECT"), -1, 1, 18},
		{b.endpoint("sendAsync", "CHAT"), b.step("ask"), 4, 24},
		{b.endpoint("sendAsync", "TRANS2AGENT"), -1, 0.3, 30},
		{b.endpoint("sendAsync", "DISCONNECT"), -1, 1, 14},
		{b.endpoint("poll", ""), -1, 8, 9},
		{b.endpoint("queryQueueInfo", ""), -1, 0.6, 12},
	}
	var total float64
	for _, e := range eps {
		total += e.weight
	}
	level := func(s int) float64 { // sessions per second
		switch {
		case s < 20:
			return 2 + 8*float64(s)/20
		case s < 90:
			return 10
		case s < 105:
			return 16
		}
		return 10
	}
	for s := 0; s < secs; s++ {
		b.points[s].p.Active = int64(level(s) * 9)
		arrivals := int(level(s) + rng.Float64())
		for range arrivals {
			dropped := s >= 90 && s < 105 && rng.Float64() < 0.08
			failed := !dropped && rng.Float64() < 0.03
			agent := int64(0)
			if rng.Float64() < 0.3 {
				agent = int64(4e6 * math.Exp(rng.NormFloat64()*0.5))
			}
			b.session(s, dropped, failed, int64(40e6*math.Exp(rng.NormFloat64()*0.3)),
				int64(800e3*math.Exp(rng.NormFloat64()*0.4)), agent)
		}
		reqs := int(level(s) * 12)
		slow := 1.0
		if s >= 90 && s < 105 {
			slow = 2.2
		}
		for range reqs {
			x := rng.Float64() * total
			e := eps[len(eps)-1]
			for _, c := range eps {
				if x < c.weight {
					e = c
					break
				}
				x -= c.weight
			}
			svc := int64(e.medianMS * slow * 1000 * math.Exp(rng.NormFloat64()*0.45))
			resp := svc + int64(rng.ExpFloat64()*300)
			code, class := "0", report.ClassOK
			switch u := rng.Float64(); {
			case s >= 70 && s < 80 && u < 0.25:
				code, class = "12", report.ClassApp
			case u < 0.004:
				code, class = "13", report.ClassApp
			case u < 0.005:
				code, class, resp, svc = "", report.ClassTimeout, 10_000_000, 10_000_000
			}
			groups := []int{e.idx}
			if e.step >= 0 {
				groups = append(groups, e.step)
			}
			b.req(s, resp, svc, code, class, groups...)
		}
	}
	r := b.finish()
	r.Stages = []report.StageMark{{T: 0, Target: 10, Label: "ramp 2→10/s"}, {T: 20, Target: 10, Label: "hold 10/s"},
		{T: 90, Target: 16, Label: "spike 16/s"}, {T: 105, Target: 10, Label: "hold 10/s"}}
	r.ScenarioText = gatesScenarioText
	r.Warnings = []string{"8 arrivals dropped: max_customers 150 reached"}
	return r
}

const gatesScenarioText = `name: checkout-peak
target:
  url: ${TARGET_URL}
  timeout: 10s
load:
  model: open
  max_customers: 150
  stages:
    - {duration: 20s, from: 2, to: 10}
    - {duration: 70s, rate: 10}
    - {duration: 15s, rate: 16}
    - {duration: 15s, rate: 10}
sessions:
  - name: ask-then-agent
    steps:
      - connect: {}
      - chat: {content: "<b>Where is order {{seq}}?</b> & more"}
        name: ask
      - await_reply: {timeout: 5s}
      - transfer: {}
      - disconnect: {}
thresholds:
  - {metric: response_time.p99, max: 250ms}
  - {metric: error_rate, max: 1%, over: 10s}
`

// gatesSortedKeys returns m's keys in order (tests compare maps deterministically).
func gatesSortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// gatesRealisticWithThresholds is the realistic run with its thresholds evaluated, as the runner writes it.
func gatesRealisticWithThresholds(t testing.TB) *report.Report {
	r := gatesRealistic(t, 1)
	r.Thresholds = report.EvaluateThresholds(r, []report.ThresholdSpec{
		{Metric: "response_time.p99", Max: 250_000, HasMax: true},
		{Metric: "response_time.p95", Group: "step:ask", Max: 120_000, HasMax: true},
		{Metric: "error_rate", Max: 0.05, HasMax: true},
		{Metric: "error_rate", Max: 0.05, HasMax: true, Over: 10 * time.Second},
		{Metric: "result_code_share", Code: "0", Min: 0.95, HasMin: true},
		{Metric: "rps", Min: 100, HasMin: true},
		{Metric: "reply_latency.p95", Max: 2e6, HasMax: true},
		{Metric: "dropped_arrivals", Max: 0.02, HasMax: true, LimitText: "2%"},
	})
	return r
}

// gatesSummary summarises a histogram the way report.Latency does (a copy of report's unexported helper).
func gatesSummary(h *hdrhistogram.Histogram) report.Latency {
	if h.TotalCount() == 0 {
		return report.Latency{}
	}
	return report.Latency{
		Count: h.TotalCount(), Min: h.Min(), Mean: h.Mean(), Max: h.Max(),
		P50: h.ValueAtQuantile(50), P90: h.ValueAtQuantile(90), P95: h.ValueAtQuantile(95),
		P99: h.ValueAtQuantile(99), P999: h.ValueAtQuantile(99.9),
	}
}
