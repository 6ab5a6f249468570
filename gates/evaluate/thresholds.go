// Package evaluate judges a report by the rules gates defines: thresholds (whole run, windows,
// groups), abort_on_fail while a run goes on, and the run's verdict (Judge), which is
// inconclusive where the generator, not the target, was the limit.
package evaluate

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"ccload/gates"
	"ccload/report"
	"ccload/report/merge"
)

// ThresholdSpec is one compiled threshold to evaluate: gates owns its syntax and rules.
type ThresholdSpec = gates.Threshold

// ErrThreshold is the root of every threshold specification error (errors.Is matches it).
var ErrThreshold = gates.ErrThreshold

// Thresholds evaluates specs against a finished (or snapshot) report, one result per spec in order.
// It is pure: r is not changed. A spec that cannot be evaluated, or whose metric saw no data, fails with
// the reason in Display. Latency percentiles pass when the value and the limit are equivalent at the
// histograms' 3 significant digits, since the histogram cannot tell them apart.
func Thresholds(r *report.Report, specs []ThresholdSpec) []report.ThresholdResult {
	ev := gatesEval{r: r}
	out := make([]report.ThresholdResult, 0, len(specs))
	for _, s := range specs {
		out = append(out, ev.evaluate(s))
	}
	return out
}

// AbortCheck returns the first spec with AbortOnFail whose After has elapsed and which fails on snap,
// a Snapshot taken elapsed into the run. The runner calls it every few seconds and, when ok is true,
// stops the run with StopReason "aborted: <Name>". A threshold that has no data yet never aborts.
func AbortCheck(snap *report.Report, specs []ThresholdSpec, elapsed time.Duration) (res report.ThresholdResult, ok bool) {
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
	return report.ThresholdResult{}, false
}

// gatesNoData is the Display of a threshold whose metric recorded nothing.
const gatesNoData = "no data"

// gatesEval evaluates thresholds against one report, decoding the time series once.
type gatesEval struct {
	r      *report.Report
	series *gatesSeries
	// groups caches, per threshold group other than "all", its members' share of the time series.
	groups map[string]*gatesGroupSeries
}

// gatesGroupSeries is a group's time series: per point, its members' summed counts and histogram cells.
type gatesGroupSeries struct {
	pts    []report.Point
	series *gatesSeries
}

func (ev *gatesEval) evaluate(s ThresholdSpec) report.ThresholdResult {
	group := s.Group
	if group == "" {
		group = "all"
	}
	res := report.ThresholdResult{Name: s.Name, Metric: s.Metric, Group: group}
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
		return report.GroupCount(&ev.r.Overall)
	}
	var n int64
	for _, g := range gatesGroupMembers(ev.r, group) {
		n += report.GroupCount(g)
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
	case "callbacks_unknown", "callbacks_late", "callbacks_duplicated", "callbacks_overflowed", "callbacks_malformed", "callbacks_bad_auth":
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
	n := report.GroupCount(&g)
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
		v, ok := report.ResultCodeShare(&g, s.Code)
		return gatesValue{v: v, ok: ok, precise: true}, nil
	}
	return gatesValue{}, fmt.Errorf("metric %q has no whole-run value", s.Metric)
}

// gatesResolveGroup finds or builds the group a threshold names: "all" is Overall, "step:<name>" a
// step group, "endpoint:<name>" every controlType of the endpoint merged, "control_type:<T>" every
// endpoint of that controlType merged; "endpoint:sendAsync CHAT" names one endpoint × controlType
// group by its report name. Merging sums counts and merges histograms exactly.
func gatesResolveGroup(r *report.Report, group string) (report.Group, error) {
	if group == "" || group == "all" {
		return r.Overall, nil
	}
	members := gatesGroupMembers(r, group)
	switch len(members) {
	case 0:
		return report.Group{Name: group}, nil
	case 1:
		return *members[0], nil
	}
	return gatesMergeGroups(group, members, r.DurationS)
}

// gatesGroupMembers lists the report groups a threshold group other than "all" stands for.
func gatesGroupMembers(r *report.Report, group string) []*report.Group {
	kind, name, _ := strings.Cut(group, ":")
	var members []*report.Group
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
func gatesMergeGroups(name string, members []*report.Group, durationS float64) (report.Group, error) {
	out, err := merge.Groups(members, durationS)
	out.Name, out.Kind, out.Endpoint, out.ControlType, out.Step = name, "merged", "", "", ""
	return out, err
}

// gatesSummary summarises a histogram the way Latency does.
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
		want += report.GroupCount(g)
	}
	gs := &gatesGroupSeries{pts: make([]report.Point, len(ev.r.Timeseries))}
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

func (w *gatesWindow) add(p *report.Point, cells []gatesCell, code string, sign int64) {
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

// pushGateValue is a callbacks_* threshold metric: a count from the push section (no data on a
// run without push sessions: ccload cannot judge callbacks it never took).
func pushGateValue(r *report.Report, family string) gatesValue {
	p := r.Push
	if p == nil {
		return gatesValue{}
	}
	var n int64
	switch family {
	case "callbacks_unknown":
		n = p.Messages.Unknown
	case "callbacks_late":
		n = p.Messages.Late
	case "callbacks_duplicated":
		n = p.Messages.Duplicated
	case "callbacks_overflowed":
		n = p.Messages.Overflowed
	case "callbacks_malformed":
		n = p.Malformed + p.TooLarge
	case "callbacks_bad_auth":
		n = p.BadAuth
	}
	return gatesValue{v: float64(n), ok: true, precise: true}
}

// gatesLatencyValue is report.LatencyStat as a gatesValue.
func gatesLatencyValue(l report.Latency, encoded string, m gates.Metric) (gatesValue, error) {
	v, ok, err := report.LatencyStat(l, encoded, m)
	return gatesValue{v: v, ok: ok}, err
}

// gatesHistValue is report.HistStat as a gatesValue.
func gatesHistValue(h *hdrhistogram.Histogram, m gates.Metric) gatesValue {
	v, ok := report.HistStat(h, m)
	return gatesValue{v: v, ok: ok}
}
