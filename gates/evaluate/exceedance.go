package evaluate

import (
	"slices"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"ccload/gates"
	"ccload/report"
)

// Exceedance is a threshold read as a count, for a binomial test of its sampling noise: of n
// requests in the threshold's group, k were beyond its limit, and a share of at most Allowed may
// be (p99 <= 200ms: k requests slower than 200ms, Allowed 0.01; error_rate <= 1%: k errors).
type Exceedance struct {
	K, N    int64
	Allowed float64
	// PerInterval is K per time-series interval of the report, in order (nil when the report has
	// no series for the threshold: service_time keeps none). Requests beyond a limit come in
	// bursts (a queue forms, then drains), so K varies far more than a binomial count; the
	// intervals measure by how much.
	PerInterval []int64
}

// ExceedanceOf counts a threshold's requests beyond its limit, so a caller can tell a verdict
// its sample decides from one within the sample's noise. ok is false for a threshold that is no
// upper bound on a whole-run response_time or service_time percentile, or on error_rate, and for
// a group that recorded nothing. A latency equivalent to the limit at the histogram's precision
// is not beyond it (as Thresholds passes it).
func ExceedanceOf(r *report.Report, s ThresholdSpec) (e Exceedance, ok bool) {
	m, err := gates.MetricOf(s)
	if err != nil || !s.HasMax || s.HasMin || s.Over > 0 {
		return e, false
	}
	g, err := gatesResolveGroup(r, s.Group)
	if err != nil {
		return e, false
	}
	switch m.Family {
	case "error_rate":
		n := report.GroupCount(&g)
		e = Exceedance{K: n - g.OK, N: n, Allowed: s.Max}
		e.PerInterval = perInterval(r, s.Group, func(errors int64, _ string) int64 { return errors })
		return e, n > 0
	case "response_time", "service_time":
	default:
		return e, false
	}
	if m.Stat == "" || m.Stat[0] != 'p' || m.Q <= 0 || m.Q >= 100 {
		return e, false
	}
	l, encoded := g.ResponseTimeUS, g.ResponseHistogram
	if m.Family == "service_time" {
		l, encoded = g.ServiceTimeUS, g.ServiceHistogram
	}
	if encoded == "" {
		encoded = l.Histogram
	}
	h, err := report.DecodeHistogram(encoded)
	if err != nil || h.TotalCount() == 0 {
		return e, false
	}
	limit := int64(s.Max)
	e = Exceedance{N: h.TotalCount(), Allowed: 1 - m.Q/100}
	e.K = beyond(h, limit)
	if m.Family == "response_time" {
		e.PerInterval = perInterval(r, s.Group, func(_ int64, encoded string) int64 {
			if encoded == "" {
				return 0
			}
			h, err := report.DecodeHistogram(encoded)
			if err != nil {
				return 0
			}
			return beyond(h, limit)
		})
	}
	return e, true
}

// beyond counts a histogram's values beyond limit (not equivalent to it at its precision).
func beyond(h *hdrhistogram.Histogram, limit int64) int64 {
	var k int64
	for _, b := range h.Distribution() {
		if b.Count > 0 && b.From > limit && !gates.Equivalent(b.From, limit) {
			k += b.Count
		}
	}
	return k
}

// perInterval applies count to each time-series interval's errors and response-time histogram
// of a threshold's group (its members' summed, for a group of several), in order; nil when the
// report keeps no intervals for it.
func perInterval(r *report.Report, group string, count func(errors int64, histogram string) int64) []int64 {
	if len(r.Timeseries) == 0 {
		return nil
	}
	out := make([]int64, len(r.Timeseries))
	if group == "" || group == "all" {
		for i, p := range r.Timeseries {
			out[i] = count(p.Errors, p.Histogram)
		}
		return out
	}
	// A report whose intervals carry no groups (one written before they did) has no series here.
	if !slices.ContainsFunc(r.Timeseries, func(p report.Point) bool { return len(p.Groups) > 0 }) {
		return nil
	}
	members := map[string]bool{}
	for _, g := range gatesGroupMembers(r, group) {
		members[g.Name] = true
	}
	for i, p := range r.Timeseries {
		for _, gp := range p.Groups {
			if members[gp.Name] {
				out[i] += count(gp.Errors, gp.Histogram)
			}
		}
	}
	return out
}
