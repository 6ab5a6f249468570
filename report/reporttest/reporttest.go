// Package reporttest builds realistic reports for tests, with real encoded HdrHistograms.
package reporttest

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"

	"ccload/gates/evaluate"
	"ccload/report"
	"ccload/report/record"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Builder builds Reports for tests with real encoded HdrHistograms, so the code under test
// reads the same data a run writes, without depending on the Recorder.
type Builder struct {
	// GroupPoints makes Finish fill each point's Groups (per-group interval histograms), as a run
	// does: the per-group charts and windowed group thresholds need them; they cost about eight
	// times the encoding, and every merge of the report decodes them.
	GroupPoints bool

	t        testing.TB
	seconds  int
	overall  *bGroup
	groups   []*bGroup
	points   []bPoint
	sessions report.SessionCounts
	reply    *hdrhistogram.Histogram
	toAgent  *hdrhistogram.Histogram
	duration *hdrhistogram.Histogram
	lag      *hdrhistogram.Histogram
	scratch  *hdrhistogram.Histogram // see scratchOf
}

type bGroup struct {
	g         report.Group
	svc, resp *hdrhistogram.Histogram
}

type bPoint struct {
	p      report.Point
	vals   []int64              // response times, into a histogram at Finish (one histogram per point would cost 0.4 MB each)
	groups map[int]*bGroupPoint // by index in Builder.groups
}

// bGroupPoint is one group's share of an interval, as report.GroupPoint carries it.
type bGroupPoint struct {
	requests, errors int64
	vals             []int64
}

// NewBuilder starts a run of the given length in seconds, one time-series point a second.
func NewBuilder(t testing.TB, seconds int) *Builder {
	b := &Builder{t: t, seconds: seconds,
		reply: NewHist(), toAgent: NewHist(), duration: hdrhistogram.New(1, 86_400_000_000, 3), lag: NewHist()}
	b.overall = b.newGroup(report.Group{Name: "all", Kind: "all"})
	b.points = make([]bPoint, seconds)
	for i := range b.points {
		b.points[i] = bPoint{p: report.Point{T: float64(i)}}
	}
	return b
}

// NewHist is a response-time histogram with the Recorder's range (1 µs to 60 s, 3 digits).
func NewHist() *hdrhistogram.Histogram { return hdrhistogram.New(1, 60_000_000, 3) }

func (b *Builder) newGroup(g report.Group) *bGroup {
	g.ResultCodes, g.HTTPStatus, g.Errors = map[string]int64{}, map[string]int64{}, map[string]int64{}
	return &bGroup{g: g, svc: NewHist(), resp: NewHist()}
}

// Endpoint registers an endpoint × controlType group and returns its index.
func (b *Builder) Endpoint(ep, ct string) int {
	name := ep
	if ct != "" {
		name += " " + ct
	}
	b.groups = append(b.groups, b.newGroup(report.Group{Name: name, Kind: "endpoint", Endpoint: ep, ControlType: ct}))
	return len(b.groups) - 1
}

// Step registers a named-step group and returns its index.
func (b *Builder) Step(name string) int {
	b.groups = append(b.groups, b.newGroup(report.Group{Name: "step:" + name, Kind: "step", Step: name}))
	return len(b.groups) - 1
}

// Req records one request in second sec into the overall group and the given groups.
func (b *Builder) Req(sec int, respUS, svcUS int64, code string, class report.ErrClass, groups ...int) {
	all := []*bGroup{b.overall}
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
		recordValue(b.t, g.svc, svcUS)
		recordValue(b.t, g.resp, respUS)
	}
	p := &b.points[sec]
	for _, i := range groups {
		if !b.GroupPoints {
			break
		}
		if p.groups == nil {
			p.groups = map[int]*bGroupPoint{}
		}
		gp := p.groups[i]
		if gp == nil {
			gp = &bGroupPoint{}
			p.groups[i] = gp
		}
		gp.requests++
		if class != report.ClassOK {
			gp.errors++
		}
		gp.vals = append(gp.vals, respUS)
	}
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
	p.vals = append(p.vals, respUS)
	recordValue(b.t, b.lag, max(1, respUS-svcUS))
}

func recordValue(t testing.TB, h *hdrhistogram.Histogram, v int64) {
	t.Helper()
	if err := h.RecordValue(v); err != nil {
		t.Fatalf("recording %d: %v", v, err)
	}
}

// Session records an arrival in second sec; dropped, failed or completed with the given latencies.
func (b *Builder) Session(sec int, dropped, failed bool, durationUS, replyUS, agentUS int64) {
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
	recordValue(b.t, b.duration, durationUS)
	if replyUS > 0 {
		recordValue(b.t, b.reply, replyUS)
	}
	if agentUS > 0 {
		recordValue(b.t, b.toAgent, agentUS)
	}
}

func encode(t testing.TB, h *hdrhistogram.Histogram) string {
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

func (b *Builder) latency(h *hdrhistogram.Histogram) report.Latency {
	l := report.Summarize(h)
	l.Histogram = encode(b.t, h)
	return l
}

// scratchOf returns the Builder's one scratch histogram holding just vals.
func (b *Builder) scratchOf(vals []int64) *hdrhistogram.Histogram {
	if b.scratch == nil {
		b.scratch = NewHist()
	}
	b.scratch.Reset()
	for _, v := range vals {
		recordValue(b.t, b.scratch, v)
	}
	return b.scratch
}

// Finish returns the built Report, with every histogram encoded as report.json carries it.
func (b *Builder) Finish() *report.Report {
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
	fin := func(g *bGroup) report.Group {
		out := g.g
		out.RPS = float64(out.Count) / d
		out.ServiceTimeUS, out.ResponseTimeUS = report.Summarize(g.svc), report.Summarize(g.resp)
		out.ServiceHistogram, out.ResponseHistogram = encode(b.t, g.svc), encode(b.t, g.resp)
		return out
	}
	r.Overall = fin(b.overall)
	r.Requests = r.Overall.RequestCounts
	for _, g := range b.groups {
		r.Groups = append(r.Groups, fin(g))
	}
	for _, p := range b.points {
		pt := p.p
		if h := b.scratchOf(p.vals); h.TotalCount() > 0 {
			pt.P50US, pt.P99US = h.ValueAtQuantile(50), h.ValueAtQuantile(99)
			pt.Histogram = encode(b.t, h)
		}
		for i, gp := range p.groups {
			pt.Groups = append(pt.Groups, report.GroupPoint{Name: b.groups[i].g.Name, Requests: gp.requests, Errors: gp.errors, Histogram: encode(b.t, b.scratchOf(gp.vals))})
		}
		sort.Slice(pt.Groups, func(i, j int) bool { return pt.Groups[i].Name < pt.Groups[j].Name })
		r.Timeseries = append(r.Timeseries, pt)
	}
	return r
}

// Realistic builds a two-minute run of a web-chat scenario: a ramp, a plateau and a spike,
// lognormal latencies, a burst of resultCode 12 errors between 70 s and 80 s, a few timeouts,
// dropped arrivals at the spike and session metrics. Deterministic for a given seed.
//
// Its points carry no per-group intervals (RealisticWithGroupPoints has them).
//
// The first call for a seed builds the run (about 14,000 requests into real histograms, a large
// part of a test's time under -race); later calls decode a copy of it, which the caller may change.
func Realistic(t testing.TB, seed uint64) *report.Report {
	t.Helper()
	return realistic(t, seed, false)
}

// RealisticWithGroupPoints is Realistic with every point's per-group intervals, as a run writes
// them: for the per-group charts.
func RealisticWithGroupPoints(t testing.TB, seed uint64) *report.Report {
	t.Helper()
	return realistic(t, seed, true)
}

func realistic(t testing.TB, seed uint64, groupPoints bool) *report.Report {
	t.Helper()
	key := realisticKey{seed, groupPoints}
	realisticMu.Lock()
	enc, ok := realisticJSON[key]
	if !ok {
		var err error
		if enc, err = json.Marshal(buildRealistic(t, seed, groupPoints)); err != nil {
			realisticMu.Unlock()
			t.Fatalf("reporttest: encoding the realistic run: %v", err)
		}
		realisticJSON[key] = enc
	}
	realisticMu.Unlock()
	r := new(report.Report)
	if err := json.Unmarshal(enc, r); err != nil {
		t.Fatalf("reporttest: decoding the realistic run: %v", err)
	}
	return r
}

// realisticJSON caches each realistic run as report.json text.
var (
	realisticMu   sync.Mutex
	realisticJSON = map[realisticKey][]byte{}
)

type realisticKey struct {
	seed        uint64
	groupPoints bool
}

func buildRealistic(t testing.TB, seed uint64, groupPoints bool) *report.Report {
	rng := rand.New(rand.NewPCG(seed, 7))
	const secs = 120
	b := NewBuilder(t, secs)
	b.GroupPoints = groupPoints
	type ep struct {
		idx, step int
		weight    float64
		medianMS  float64
	}
	eps := []ep{
		{b.Endpoint("applyToken", ""), -1, 1, 6},
		{b.Endpoint("sendAsync", "CONNECT"), -1, 1, 18},
		{b.Endpoint("sendAsync", "CHAT"), b.Step("ask"), 4, 24},
		{b.Endpoint("sendAsync", "TRANS2AGENT"), -1, 0.3, 30},
		{b.Endpoint("sendAsync", "DISCONNECT"), -1, 1, 14},
		{b.Endpoint("poll", ""), -1, 8, 9},
		{b.Endpoint("queryQueueInfo", ""), -1, 0.6, 12},
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
			b.Session(s, dropped, failed, int64(40e6*math.Exp(rng.NormFloat64()*0.3)),
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
			b.Req(s, resp, svc, code, class, groups...)
		}
	}
	r := b.Finish()
	// The stages end at 110 s; the run's last 10 s are the grace period its sessions had.
	r.Stages = []report.StageMark{{T: 0, Target: 10, Label: "ramp 2→10/s", DurationS: 20}, {T: 20, Target: 10, Label: "hold 10/s", DurationS: 70},
		{T: 90, Target: 16, Label: "spike 16/s", DurationS: 15}, {T: 105, Target: 10, Label: "hold 10/s", DurationS: 5}}
	r.GraceS = 10
	r.ScenarioText = ScenarioText
	r.Warnings = []string{"8 arrivals dropped: max_customers 150 reached"}
	return r
}

const ScenarioText = `name: checkout-peak
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
    - {duration: 5s, rate: 10}
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

// SortedKeys returns m's keys in order (tests compare maps deterministically).
func SortedKeys(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// RealisticWithThresholds is the realistic run (with group points) with its thresholds evaluated,
// as the runner writes it.
func RealisticWithThresholds(t testing.TB) *report.Report {
	r := RealisticWithGroupPoints(t, 1)
	r.Thresholds = evaluate.Thresholds(r, []evaluate.ThresholdSpec{
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

// Capacity is a realistic run report carrying the capacity section of a search like the
// one of `ccload capacity` against `mock --capacity 100` (6 requests per session): the steps'
// numbers are those that search printed.
func Capacity(t testing.TB) *report.Report {
	r := RealisticWithThresholds(t)
	steps := []struct {
		rate     float64
		phase    string
		pass     bool
		p50, p99 int64
	}{
		{4, "exponential", true, 28_400, 53_300}, {8, "exponential", true, 30_900, 52_600}, {16, "exponential", true, 24_900, 53_000},
		{32, "exponential", false, 768_000, 1_930_000}, {24, "bisect", false, 543_200, 1_420_000}, {20, "bisect", false, 323_600, 823_300},
		{18, "bisect", false, 169_200, 417_500}, {17, "bisect", false, 83_700, 196_000}, {16, "confirm", true, 24_100, 53_100}, {17, "confirm", false, 71_400, 156_700},
	}
	c := &report.Capacity{Unit: "sessions/s", SLO: []string{"response_time.p99 all <= 100ms"}, StartRate: 4, MaxRate: 10000, Precision: 0.08,
		Outcome: "converged", Converged: true, Sustainable: 16, Breaking: 17, Broke: []string{"response_time.p99 all <= 100ms (measured 157ms)"},
		Knee: 16, Message: "the target sustains 16.0 sessions/s under the SLO; 17.0 sessions/s broke it"}
	for i, s := range steps {
		st := report.CapacityStep{N: i + 1, Rate: s.rate, Phase: s.phase, Judged: true, Pass: s.pass, P50US: s.p50, P99US: s.p99, Requests: 200, RPS: 6 * s.rate}
		if !s.pass {
			st.Broke = []string{"response_time.p99 all <= 100ms (measured " + report.FormatUS(s.p99) + ")"}
		}
		c.Steps = append(c.Steps, st)
	}
	r.Capacity = c
	return r
}

// CodeShareRun records ok requests to sendAsync CHAT answering resultCode "0", plus tokens
// tokenByAkSk requests (answered, no resultCode) and timeouts CHAT requests that got no answer:
// the run the resultCode-share rules are judged and drawn on.
func CodeShareRun(ok, tokens, timeouts int) *report.Report {
	rec := record.New(record.Options{Start: Start})
	chat, token := rec.Group("sendAsync", "CHAT"), rec.Group("tokenByAkSk", "")
	at := int64(0)
	add := func(s report.Sample) {
		at += int64(time.Millisecond)
		s.Step, s.Intended, s.Start, s.End = report.NoGroup, at, at, at+int64(time.Millisecond)
		rec.Record(&s)
	}
	for range ok {
		add(report.Sample{Group: chat, Status: 200, ResultCode: "0"})
	}
	for range tokens {
		add(report.Sample{Group: token, Status: 200})
	}
	for range timeouts {
		add(report.Sample{Group: chat, Class: report.ClassTimeout})
	}
	return rec.Finish(Start.Add(10*time.Second), record.Meta{Scenario: "share"})
}
