package report

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"ccload/gates"
)

// ThresholdSpec is one compiled threshold to evaluate: gates owns its syntax and rules.
type ThresholdSpec = gates.Threshold

// ErrThreshold is the root of every threshold specification error (errors.Is matches it).
var ErrThreshold = gates.ErrThreshold

// EvaluateThresholds evaluates specs against a finished (or snapshot) report, one result per spec in order.
// It is pure: r is not changed. A spec that cannot be evaluated, or whose metric saw no data, fails with
// the reason in Display. Latency percentiles pass when the value and the limit are equivalent at the
// histograms' 3 significant digits, since the histogram cannot tell them apart.
func EvaluateThresholds(r *Report, specs []ThresholdSpec) []ThresholdResult {
	ev := gatesEval{r: r}
	out := make([]ThresholdResult, 0, len(specs))
	for _, s := range specs {
		out = append(out, ev.evaluate(s))
	}
	return out
}

// AbortCheck returns the first spec with AbortOnFail whose After has elapsed and which fails on snap,
// a Snapshot taken elapsed into the run. The runner calls it every few seconds and, when ok is true,
// stops the run with StopReason "aborted: <Name>". A threshold that has no data yet never aborts.
func AbortCheck(snap *Report, specs []ThresholdSpec, elapsed time.Duration) (res ThresholdResult, ok bool) {
	ev := gatesEval{r: snap}
	for _, s := range specs {
		if !s.AbortOnFail || elapsed < s.After {
			continue
		}
		res := ev.evaluate(s)
		if res.Failed() && res.Display != gatesNoData && !strings.HasPrefix(res.Display, "error: ") {
			return res, true
		}
	}
	return ThresholdResult{}, false
}

// gatesNoData is the Display of a threshold whose metric recorded nothing.
const gatesNoData = "no data"

// gatesEval evaluates thresholds against one report, decoding the time series once.
type gatesEval struct {
	r      *Report
	series *gatesSeries
	// groups caches, per threshold group other than "all", its members' share of the time series.
	groups map[string]*gatesGroupSeries
}

// gatesGroupSeries is a group's time series: per point, its members' summed counts and histogram cells.
type gatesGroupSeries struct {
	pts    []Point
	series *gatesSeries
}

func (ev *gatesEval) evaluate(s ThresholdSpec) ThresholdResult {
	group := s.Group
	if group == "" {
		group = "all"
	}
	res := ThresholdResult{Name: s.Name, Metric: s.Metric, Group: group}
	m, err := gates.MetricOf(s)
	if err == nil {
		err = gates.Check(s)
	}
	res.Limit = gates.LimitString(s, m.Unit)
	if res.Name == "" {
		res.Name = gates.ResultName(s, group, res.Limit)
	}
	if err != nil {
		res.Display = "error: " + strings.TrimPrefix(err.Error(), ErrThreshold.Error()+": ")
		return res
	}
	var v gatesValue
	if s.Over > 0 {
		var window string
		v, window, err = ev.windowed(m, s)
		res.Window = window
	} else {
		v, err = ev.whole(m, s, group)
	}
	switch {
	case err != nil:
		res.Display = "error: " + err.Error()
	case !v.ok:
		res.Display = gatesNoData
	default:
		res.Value = v.v
		res.Display = gates.Format(v.v, m.Unit)
		res.Pass = gates.Pass(v.v, s, v.precise)
	}
	if err != nil {
		return res
	}
	// What this report cannot judge is said, never passed or failed: a shard's slice of a rate or
	// count, and a group too small for any verdict (gates.SampleRule).
	switch {
	case ev.r.Shard != nil && ev.r.Shard.N > 1 && !gates.SliceJudges(s):
		res.NotJudged = gates.JudgedByMerge
	case gates.PerGroup(m.Family) && res.Display != gatesNoData:
		res.NotJudged = gates.SampleRule(m.Family, ev.groupCount(group))
	}
	if res.NotJudged != "" {
		res.Pass = false
	}
	return res
}

// groupCount is the number of requests with an outcome of the target in a threshold's group.
func (ev *gatesEval) groupCount(group string) int64 {
	if group == "" || group == "all" {
		return GroupCount(&ev.r.Overall)
	}
	var n int64
	for _, g := range gatesGroupMembers(ev.r, group) {
		n += GroupCount(g)
	}
	return n
}

// gatesValue is a measured value; precise is false for histogram values (percentiles, min, max,
// mean), which are only known to the histogram's precision.
type gatesValue struct {
	v       float64
	ok      bool
	precise bool
}

// whole evaluates a non-windowed metric over the whole report.
func (ev *gatesEval) whole(m gates.Metric, s ThresholdSpec, group string) (gatesValue, error) {
	r := ev.r
	switch m.Family {
	case "reply_latency":
		return gatesLatencyValue(r.SessionMetrics.ReplyLatencyUS, "", m)
	case "time_to_agent":
		return gatesLatencyValue(r.SessionMetrics.TimeToAgentUS, "", m)
	case "session_duration":
		return gatesLatencyValue(r.SessionMetrics.SessionDurationUS, "", m)
	case "scheduler_lag":
		return gatesLatencyValue(r.SchedulerLagUS, "", m)
	case "failed_sessions":
		if r.Sessions.Started == 0 {
			return gatesValue{}, nil
		}
		return gatesValue{v: float64(r.Sessions.Failed) / float64(r.Sessions.Started), ok: true, precise: true}, nil
	case "ended_by_platform":
		if r.Sessions.Started == 0 {
			return gatesValue{}, nil
		}
		return gatesValue{v: float64(r.Sessions.EndedByPlatform) / float64(r.Sessions.Started), ok: true, precise: true}, nil
	case "cut_by_grace":
		if r.Sessions.Started == 0 {
			return gatesValue{}, nil
		}
		return gatesValue{v: float64(r.Sessions.CutByGrace) / float64(r.Sessions.Started), ok: true, precise: true}, nil
	case "callbacks_unknown", "callbacks_late", "callbacks_duplicated", "callbacks_malformed", "callbacks_bad_auth":
		return pushGateValue(r, m.Family), nil
	case "dropped_arrivals":
		if m.Unit == gates.Frac {
			if r.Sessions.Arrivals == 0 {
				return gatesValue{}, nil
			}
			return gatesValue{v: float64(r.Sessions.Dropped) / float64(r.Sessions.Arrivals), ok: true, precise: true}, nil
		}
		return gatesValue{v: float64(r.Sessions.Dropped), ok: true, precise: true}, nil
	}
	g, err := gatesResolveGroup(r, group)
	if err != nil {
		return gatesValue{}, err
	}
	n := GroupCount(&g)
	switch m.Family {
	case "not_sent":
		// The share of the group's requests that never reached the target: a run whose
		// requests are refused by a field rule, or wait for connections, is no healthy run.
		if g.Total+g.NotSent == 0 {
			return gatesValue{}, nil
		}
		return gatesValue{v: float64(g.NotSent) / float64(g.Total+g.NotSent), ok: true, precise: true}, nil
	case "service_time":
		return gatesLatencyValue(g.ServiceTimeUS, g.ServiceHistogram, m)
	case "response_time":
		return gatesLatencyValue(g.ResponseTimeUS, g.ResponseHistogram, m)
	case "rps":
		if g.RPS == 0 && n > 0 && r.DurationS > 0 {
			return gatesValue{v: float64(n) / r.DurationS, ok: true, precise: true}, nil
		}
		return gatesValue{v: g.RPS, ok: true, precise: true}, nil
	}
	if n == 0 {
		return gatesValue{}, nil
	}
	switch m.Family {
	case "error_rate":
		return gatesValue{v: float64(n-g.OK) / float64(n), ok: true, precise: true}, nil
	case "result_code_share":
		v, ok := ResultCodeShare(&g, s.Code)
		return gatesValue{v: v, ok: ok, precise: true}, nil
	}
	return gatesValue{}, fmt.Errorf("metric %q has no whole-run value", s.Metric)
}

// ResultCodeBase is the denominator of every resultCode share ccload shows or gates on (thresholds,
// the console summary, report.html and ccload compare): the requests of g that got an answer carrying
// a resultCode (the sum of g.ResultCodes), plus those that got no usable answer (transport errors:
// a timeout is not a "0") and those the harness refused to send (client errors). Answered requests
// without a resultCode are left out: an endpoint that carries none (tokenByAkSk) neither raises nor
// lowers a share, and HTTP errors without one are error_rate's to gate.
func ResultCodeBase(g *Group) int64 {
	var n int64
	for _, c := range g.ResultCodes {
		n += c
	}
	return n + g.TransportErrors + g.ClientErrors
}

// ResultCodeShare is code's share of g by ResultCodeBase; ok is false when the base is zero.
func ResultCodeShare(g *Group, code string) (share float64, ok bool) {
	n := ResultCodeBase(g)
	if n == 0 {
		return 0, false
	}
	return float64(g.ResultCodes[code]) / float64(n), true
}

// ThresholdsNotEvaluated reports whether r is judged by thresholds it carries no result for (a
// merge of shards written before report.json stored its gates, or a report written without
// results): such a report must not read as passed. A merge that could not evaluate says so in a
// warning starting "thresholds not evaluated".
func ThresholdsNotEvaluated(r *Report) bool {
	if len(r.Thresholds) > 0 {
		return false
	}
	if r.Gates != nil && len(r.Gates.Thresholds) > 0 {
		return true
	}
	return slices.ContainsFunc(r.Warnings, func(w string) bool { return strings.HasPrefix(w, NotEvaluatedWarning) })
}

// NotEvaluatedWarning starts the warning of a report whose thresholds could not be evaluated.
const NotEvaluatedWarning = "thresholds not evaluated"

// GroupCount is a group's request count (Count, or the accounting Total when Count is unset), shared with report/html.
func GroupCount(g *Group) int64 {
	if g.Count > 0 {
		return g.Count
	}
	return g.Total
}

// gatesLatencyValue reads a statistic from the encoded histogram when there is one, else from the summary.
func gatesLatencyValue(l Latency, encoded string, m gates.Metric) (gatesValue, error) {
	if encoded == "" {
		encoded = l.Histogram
	}
	if encoded != "" {
		h, err := hdrhistogram.Decode([]byte(encoded))
		if err != nil {
			return gatesValue{}, fmt.Errorf("decoding histogram: %v", err)
		}
		return gatesHistValue(h, m), nil
	}
	if l.Count == 0 {
		return gatesValue{}, nil
	}
	var v int64
	switch m.Q {
	case -1:
		return gatesValue{v: l.Mean, ok: true}, nil
	case 0:
		v = l.Min
	case 50:
		v = l.P50
	case 90:
		v = l.P90
	case 95:
		v = l.P95
	case 99:
		v = l.P99
	case 99.9:
		v = l.P999
	case 100:
		v = l.Max
	default:
		return gatesValue{}, fmt.Errorf("%s needs the histogram, which the report does not carry", m.Stat)
	}
	return gatesValue{v: float64(v), ok: true}, nil
}

// LatencyStat reads statistic m of a latency, from encoded (or l's histogram) when there is one:
// exported so that compare's limits read a value exactly as thresholds do.
func LatencyStat(l Latency, encoded string, m gates.Metric) (v float64, ok bool, err error) {
	x, err := gatesLatencyValue(l, encoded, m)
	return x.v, x.ok, err
}

// HistStat reads statistic m of a histogram: exported so that compare's history gate reads a
// value exactly as thresholds do.
func HistStat(h *hdrhistogram.Histogram, m gates.Metric) (v float64, ok bool) {
	x := gatesHistValue(h, m)
	return x.v, x.ok
}

// gatesHistValue reads a statistic from a histogram.
func gatesHistValue(h *hdrhistogram.Histogram, m gates.Metric) gatesValue {
	if h.TotalCount() == 0 {
		return gatesValue{}
	}
	switch m.Q {
	case -1:
		return gatesValue{v: h.Mean(), ok: true}
	case 0:
		return gatesValue{v: float64(h.Min()), ok: true}
	case 100:
		return gatesValue{v: float64(h.Max()), ok: true}
	}
	return gatesValue{v: float64(h.ValueAtQuantile(m.Q)), ok: true}
}

// gatesResolveGroup finds or builds the group a threshold names: "all" is Overall, "step:<name>" a
// step group, "endpoint:<name>" every controlType of the endpoint merged, "control_type:<T>" every
// endpoint of that controlType merged; "endpoint:sendAsync CHAT" names one endpoint × controlType
// group by its report name. Merging sums counts and merges histograms exactly.
func gatesResolveGroup(r *Report, group string) (Group, error) {
	if group == "" || group == "all" {
		return r.Overall, nil
	}
	members := gatesGroupMembers(r, group)
	switch len(members) {
	case 0:
		return Group{Name: group}, nil
	case 1:
		return *members[0], nil
	}
	return gatesMergeGroups(group, members, r.DurationS)
}

// gatesGroupMembers lists the report groups a threshold group other than "all" stands for.
func gatesGroupMembers(r *Report, group string) []*Group {
	kind, name, _ := strings.Cut(group, ":")
	var members []*Group
	for i := range r.Groups {
		g := &r.Groups[i]
		switch kind {
		case "step":
			if g.Kind == "step" && (g.Step == name || g.Name == group) {
				members = append(members, g)
			}
		case "endpoint":
			if g.Kind == "endpoint" && (g.Endpoint == name || g.Name == name) {
				members = append(members, g)
			}
		case "control_type":
			if g.Kind == "endpoint" && g.ControlType == name {
				members = append(members, g)
			}
		}
	}
	return members
}

// gatesMergeGroups merges the groups a threshold's group names (all CHAT of every endpoint,
// say) exactly, as ccload merge merges shards' groups: it needs their histograms.
func gatesMergeGroups(name string, members []*Group, durationS float64) (Group, error) {
	out, err := mergeGroups(members, durationS)
	out.Name, out.Kind, out.Endpoint, out.ControlType, out.Step = name, "merged", "", "", ""
	return out, err
}

// MergeEncoded merges one encoded histogram into acc (allocating it on first use); report/html merges columns with it.
func MergeEncoded(acc *hdrhistogram.Histogram, encoded string, count int64) (*hdrhistogram.Histogram, error) {
	if encoded == "" {
		if count > 0 {
			return acc, errors.New("the report carries no histogram to merge")
		}
		return acc, nil
	}
	h, err := hdrhistogram.Decode([]byte(encoded))
	if err != nil {
		return acc, fmt.Errorf("decoding histogram: %v", err)
	}
	if acc == nil {
		return h, nil
	}
	if dropped := acc.Merge(h); dropped > 0 {
		return acc, fmt.Errorf("merging histograms dropped %d values", dropped)
	}
	return acc, nil
}

// gatesSummary summarises a histogram the way Latency does.
func gatesSummary(h *hdrhistogram.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	return Latency{
		Count: h.TotalCount(), Min: h.Min(), Mean: h.Mean(), Max: h.Max(),
		P50: h.ValueAtQuantile(50), P90: h.ValueAtQuantile(90), P95: h.ValueAtQuantile(95),
		P99: h.ValueAtQuantile(99), P999: h.ValueAtQuantile(99.9),
	}
}

// gatesSeries is the time series' interval histograms in sparse form: decoding each point once
// lets a window slide by adding one interval's counts and removing another's, exactly.
type gatesSeries struct {
	geom  hdrhistogram.Snapshot // geometry of every interval histogram (Counts unused)
	size  int                   // length of a dense counts array
	cells [][]gatesCell         // per point, its non-zero counts
}

// gatesCell is one non-zero count of a histogram's dense counts array.
type gatesCell struct {
	i int
	n int64
}

// loadSeries decodes the interval histograms once per report.
func (ev *gatesEval) loadSeries() (*gatesSeries, error) {
	if ev.series != nil {
		return ev.series, nil
	}
	s := &gatesSeries{cells: make([][]gatesCell, len(ev.r.Timeseries))}
	for i, p := range ev.r.Timeseries {
		if p.Histogram == "" {
			if p.Requests > 0 {
				return nil, fmt.Errorf("timeseries point at %gs has requests but no histogram", p.T)
			}
			continue
		}
		if err := s.addHistogram(i, p.T, "", p.Histogram); err != nil {
			return nil, err
		}
	}
	ev.series = s
	return s, nil
}

// addHistogram decodes one encoded interval histogram and appends its non-zero counts to point i's
// cells (a point may take several: a group's members); what names the histogram in errors.
func (s *gatesSeries) addHistogram(i int, t float64, what, encoded string) error {
	h, err := hdrhistogram.Decode([]byte(encoded))
	if err != nil {
		return fmt.Errorf("timeseries point at %gs%s: decoding histogram: %v", t, what, err)
	}
	snap := h.Export()
	if s.size == 0 {
		s.geom = hdrhistogram.Snapshot{LowestTrackableValue: snap.LowestTrackableValue,
			HighestTrackableValue: snap.HighestTrackableValue, SignificantFigures: snap.SignificantFigures}
		s.size = len(snap.Counts)
	} else if snap.LowestTrackableValue != s.geom.LowestTrackableValue || snap.HighestTrackableValue != s.geom.HighestTrackableValue ||
		snap.SignificantFigures != s.geom.SignificantFigures || len(snap.Counts) != s.size {
		return fmt.Errorf("timeseries point at %gs%s: histogram geometry differs from the others", t, what)
	}
	for j, n := range snap.Counts {
		if n != 0 {
			s.cells[i] = append(s.cells[i], gatesCell{j, n})
		}
	}
	return nil
}

// loadGroupSeries builds a group's time series from the points' per-group entries: the members are the
// report groups gatesResolveGroup would merge, and each point sums theirs, exactly. hist asks for the
// histograms too (response_time); the result is cached per group.
func (ev *gatesEval) loadGroupSeries(group string, hist bool) (*gatesGroupSeries, error) {
	if gs, ok := ev.groups[group]; ok && (gs.series != nil || !hist) {
		return gs, nil
	}
	members := map[string]bool{}
	var want int64
	for _, g := range gatesGroupMembers(ev.r, group) {
		members[g.Name] = true
		want += GroupCount(g)
	}
	gs := &gatesGroupSeries{pts: make([]Point, len(ev.r.Timeseries))}
	if hist {
		gs.series = &gatesSeries{cells: make([][]gatesCell, len(ev.r.Timeseries))}
	}
	var got int64
	for i := range ev.r.Timeseries {
		p := &ev.r.Timeseries[i]
		q := &gs.pts[i]
		q.T = p.T
		for _, gp := range p.Groups {
			if !members[gp.Name] {
				continue
			}
			q.Requests += gp.Requests
			q.Errors += gp.Errors
			got += gp.Requests
			if !hist {
				continue
			}
			if gp.Histogram == "" {
				continue
			}
			if err := gs.series.addHistogram(i, p.T, " group "+gp.Name, gp.Histogram); err != nil {
				return nil, err
			}
		}
	}
	if got == 0 && want > 0 {
		return nil, fmt.Errorf("the time series has no per-group points for %s (report written by an older ccload?)", group)
	}
	if ev.groups == nil {
		ev.groups = map[string]*gatesGroupSeries{}
	}
	ev.groups[group] = gs
	return gs, nil
}

// gatesWindow accumulates the points of one window.
type gatesWindow struct {
	requests, errors, code, arrivals, dropped, failed int64
	counts                                            []int64
}

func (w *gatesWindow) add(p *Point, cells []gatesCell, code string, sign int64) {
	w.requests += sign * p.Requests
	w.errors += sign * p.Errors
	w.code += sign * p.ResultCodes[code]
	w.arrivals += sign * p.Arrivals
	w.dropped += sign * p.Dropped
	w.failed += sign * p.SessionsFailed
	for _, c := range cells {
		w.counts[c.i] += sign * c.n
	}
}

// windowed evaluates a threshold in every window of s.Over that slides over the time series one
// interval at a time, and returns the worst window's value and where it was. A window is at least
// one interval wide; a run shorter than the window is one window. Ratios skip windows with nothing
// to divide by (no requests, arrivals or started sessions).
func (ev *gatesEval) windowed(m gates.Metric, s ThresholdSpec) (gatesValue, string, error) {
	pts := ev.r.Timeseries
	if len(pts) == 0 {
		return gatesValue{}, "", nil
	}
	var groupSeries *gatesGroupSeries
	if g := s.Group; g != "" && g != "all" {
		var err error
		if groupSeries, err = ev.loadGroupSeries(g, m.Family == "response_time"); err != nil {
			return gatesValue{}, "", err
		}
		pts = groupSeries.pts
	}
	iv := ev.r.IntervalS
	if iv <= 0 {
		iv = 1
	}
	k := int(math.Ceil(s.Over.Seconds()/iv - 1e-9))
	k = max(1, min(k, len(pts)))
	var series *gatesSeries
	w := gatesWindow{}
	if m.Family == "response_time" {
		var err error
		if groupSeries != nil {
			series = groupSeries.series
		} else if series, err = ev.loadSeries(); err != nil {
			return gatesValue{}, "", err
		}
		if series.size == 0 {
			return gatesValue{}, "", nil // no interval holds a latency
		}
		w.counts = make([]int64, series.size)
	}
	cellsOf := func(i int) []gatesCell {
		if series == nil {
			return nil
		}
		return series.cells[i]
	}
	type found struct {
		v          gatesValue
		start, end float64
	}
	var hi, lo *found
	for i := range pts {
		w.add(&pts[i], cellsOf(i), s.Code, 1)
		if i >= k {
			w.add(&pts[i-k], cellsOf(i-k), s.Code, -1)
		}
		if i < k-1 {
			continue
		}
		start, end := pts[i-k+1].T, pts[i].T+iv
		if ev.r.DurationS > 0 && end > ev.r.DurationS {
			end = max(ev.r.DurationS, pts[i].T)
		}
		v := gatesWindowValue(m, &w, series, end-start)
		if !v.ok {
			continue
		}
		if hi == nil || v.v > hi.v.v {
			hi = &found{v, start, end}
		}
		if lo == nil || v.v < lo.v.v {
			lo = &found{v, start, end}
		}
	}
	if hi == nil {
		return gatesValue{}, "", nil
	}
	worst := hi
	if !s.HasMax || (s.HasMin && gates.Pass(hi.v.v, s, hi.v.precise) && !gates.Pass(lo.v.v, s, lo.v.precise)) {
		worst = lo
	}
	return worst.v, gatesSpan(worst.start, worst.end), nil
}

// gatesSpan renders a window's bounds: "40s–70s".
func gatesSpan(start, end float64) string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) + "s" }
	return f(math.Round(start*1000)/1000) + "–" + f(math.Round(end*1000)/1000)
}

// gatesWindowValue computes a metric over one window.
func gatesWindowValue(m gates.Metric, w *gatesWindow, series *gatesSeries, durS float64) gatesValue {
	ratio := func(num, den int64) gatesValue {
		if den <= 0 {
			return gatesValue{}
		}
		return gatesValue{v: float64(num) / float64(den), ok: true, precise: true}
	}
	switch m.Family {
	case "response_time":
		snap := series.geom
		snap.Counts = w.counts
		return gatesHistValue(hdrhistogram.Import(&snap), m)
	case "error_rate":
		return ratio(w.errors, w.requests)
	case "result_code_share":
		return ratio(w.code, w.requests)
	case "rps":
		if durS <= 0 {
			return gatesValue{}
		}
		return gatesValue{v: float64(w.requests) / durS, ok: true, precise: true}
	case "dropped_arrivals":
		if m.Unit == gates.Frac {
			return ratio(w.dropped, w.arrivals)
		}
		return gatesValue{v: float64(w.dropped), ok: true, precise: true}
	case "failed_sessions":
		return ratio(w.failed, w.arrivals-w.dropped)
	}
	return gatesValue{}
}
