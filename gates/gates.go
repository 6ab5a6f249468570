// Package gates owns what a verdict means: the metric catalogue, the syntax and rules of
// thresholds (per-group and windowed) and of compare limits, and the arithmetic that decides
// pass or fail. scenario compiles YAML into these values, report.json stores them as data and
// report evaluates them on a report, so no command parses a scenario twice.
package gates

import (
	"ccload/internal/durfmt"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// Threshold is one compiled threshold, as scenario produces it and report.json stores it.
type Threshold struct {
	// Name labels the result; empty means "<metric> <group> <limit>".
	Name string `json:"name,omitempty"`
	// Metric is "<family>.<stat>" for latencies (family service_time, response_time, reply_latency,
	// time_to_agent, session_duration or scheduler_lag; stat p50, p90, p95, p99, p999, any pNN,
	// min, max or mean) or one of error_rate, result_code_share, rps, failed_sessions, ended_by_platform, cut_by_grace,
	// dropped_arrivals, not_sent.
	Metric string `json:"metric"`
	// Group is "all" (or empty), "step:<name>", "endpoint:<name>" or "control_type:<TYPE>".
	Group string `json:"group,omitempty"`
	// Code is the resultCode whose share result_code_share measures.
	Code string `json:"code,omitempty"`
	// Max and Min are the limits in base units: microseconds for latencies, fractions for
	// rates and shares (1% = 0.01), requests per second for rps, a number for counts.
	Max    float64 `json:"max,omitempty"`
	Min    float64 `json:"min,omitempty"`
	HasMax bool    `json:"has_max,omitempty"`
	HasMin bool    `json:"has_min,omitempty"`
	// LimitText is the limit as the user wrote it; dropped_arrivals is a share of arrivals when it contains "%".
	LimitText string `json:"limit_text,omitempty"`
	// Over makes the threshold windowed: it must hold in every window of this width (0: the whole run).
	Over time.Duration `json:"over_ns,omitempty"`
	// AbortOnFail asks the runner to stop the run once the threshold fails, not before After has elapsed.
	AbortOnFail bool          `json:"abort_on_fail,omitempty"`
	After       time.Duration `json:"after_ns,omitempty"`
}

// ErrThreshold is the root of every threshold specification error (errors.Is matches it).
var ErrThreshold = errors.New("threshold")

// Unit is the unit a metric's value is in, so values and limits print alike.
type Unit uint8

const (
	US    Unit = iota // microseconds
	Frac              // a share, 0..1
	Rate              // per second
	Count             // a plain number
)

// The metric catalogue: families a threshold may name. Latency families take a statistic (`.p99`).
var (
	RequestLatency = []string{"response_time", "service_time"}
	SessionLatency = []string{"reply_latency", "time_to_agent", "session_duration", "scheduler_lag"}
	PlainMetrics   = []string{"error_rate", "result_code_share", "rps", "failed_sessions", "ended_by_platform", "cut_by_grace", "dropped_arrivals", "not_sent",
		"callbacks_unknown", "callbacks_late", "callbacks_duplicated", "callbacks_overflowed", "callbacks_malformed", "callbacks_bad_auth"}
	// WindowedOnGroup are the families `over` applies to on a group other than all.
	WindowedOnGroup = []string{"response_time", "error_rate", "rps"}
	// Windowed are the families `over` applies to on the whole run.
	Windowed = []string{"response_time", "error_rate", "rps", "result_code_share", "dropped_arrivals", "failed_sessions"}
)

// MetricNames are every metric with its common statistics, for "did you mean" hints.
func MetricNames() []string {
	var out []string
	for _, f := range append(append([]string{}, RequestLatency...), SessionLatency...) {
		for _, s := range []string{"p50", "p90", "p95", "p99", "p999", "max"} {
			out = append(out, f+"."+s)
		}
	}
	return append(out, PlainMetrics...)
}

// IsLatency reports whether family is a latency family (one that takes a statistic).
func IsLatency(family string) bool {
	return contains(RequestLatency, family) || contains(SessionLatency, family)
}

// IsPlain reports whether m is a metric without a statistic.
func IsPlain(m string) bool { return contains(PlainMetrics, m) }

// Metric is a parsed Metric name.
type Metric struct {
	Family string  // "response_time", ..., or the whole metric for non-latency metrics
	Stat   string  // "p99", "max", "min", "mean"; "" for non-latency metrics
	Q      float64 // the percentile (0..100) for pNN, max (100) and min (0); -1 for mean
	Unit   Unit
}

// ParseMetric parses a metric name; pNN reads its digits as "NN.N...": p999 is 99.9, p9999 99.99.
func ParseMetric(m string) (Metric, error) {
	switch m {
	case "error_rate", "result_code_share", "failed_sessions", "ended_by_platform", "cut_by_grace", "not_sent":
		return Metric{Family: m, Unit: Frac}, nil
	case "rps":
		return Metric{Family: m, Unit: Rate}, nil
	case "dropped_arrivals", "callbacks_unknown", "callbacks_late", "callbacks_duplicated", "callbacks_overflowed", "callbacks_malformed", "callbacks_bad_auth":
		return Metric{Family: m, Unit: Count}, nil
	}
	fam, stat, ok := strings.Cut(m, ".")
	if !ok || !IsLatency(fam) {
		return Metric{}, fmt.Errorf("%w: unknown metric %q", ErrThreshold, m)
	}
	q, err := ParseStat(stat)
	if err != nil {
		return Metric{}, fmt.Errorf("%w: metric %q: %v", ErrThreshold, m, err)
	}
	return Metric{Family: fam, Stat: stat, Q: q, Unit: US}, nil
}

// ParseStat turns "p99", "p999", "p99.9", "max", "min", "mean" into a percentile (-1 for mean).
func ParseStat(stat string) (float64, error) {
	switch stat {
	case "max", "p100":
		return 100, nil
	case "min", "p0":
		return 0, nil
	case "mean", "avg":
		return -1, nil
	}
	digits, ok := strings.CutPrefix(stat, "p")
	if !ok || digits == "" {
		return 0, fmt.Errorf("unknown statistic %q (want pNN, min, max or mean)", stat)
	}
	if strings.Contains(digits, ".") {
		q, err := strconv.ParseFloat(digits, 64)
		if err != nil || q < 0 || q > 100 {
			return 0, fmt.Errorf("bad percentile %q", stat)
		}
		return q, nil
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("bad percentile %q", stat)
		}
	}
	s := digits
	if len(s) > 2 {
		s = s[:2] + "." + s[2:]
	}
	q, _ := strconv.ParseFloat(s, 64)
	return q, nil
}

// MetricOf is t's parsed metric with the unit its limit is in (dropped_arrivals written as a
// percentage is a share of arrivals).
func MetricOf(t Threshold) (Metric, error) {
	m, err := ParseMetric(t.Metric)
	if m.Family == "dropped_arrivals" && strings.Contains(t.LimitText, "%") {
		m.Unit = Frac
	}
	return m, err
}

// PerGroup reports whether a metric family is measured per request group.
func PerGroup(family string) bool {
	return contains(RequestLatency, family) || family == "error_rate" || family == "result_code_share" || family == "rps" || family == "not_sent"
}

// WindowRule says why `over` cannot apply to family on group with code, or "" when it can:
// only what the time series carries per interval can be windowed.
func WindowRule(family, group, code string) string {
	if group != "" && group != "all" {
		switch {
		case contains(WindowedOnGroup, family):
			return ""
		case family == "result_code_share":
			return "per-group windows carry no resultCodes; use group all or error_rate with over"
		}
		return "cannot be windowed on a group; over on a group applies to " + strings.Join(WindowedOnGroup, ", ")
	}
	switch {
	case family == "result_code_share" && code == "0":
		return "the time series counts only non-\"0\" codes; gate on error_rate with over instead"
	case contains(Windowed, family):
		return ""
	}
	return "cannot be windowed; over applies to " + strings.Join(Windowed, ", ")
}

// Check reports whether t can be evaluated, so a bad threshold is refused before a run starts.
func Check(t Threshold) error {
	m, err := ParseMetric(t.Metric)
	if err != nil {
		return err
	}
	if !t.HasMax && !t.HasMin {
		return fmt.Errorf("%w: %s: no limit", ErrThreshold, t.Metric)
	}
	if m.Family == "result_code_share" && t.Code == "" {
		return fmt.Errorf("%w: result_code_share needs a code", ErrThreshold)
	}
	switch {
	case t.Group == "" || t.Group == "all":
	case strings.HasPrefix(t.Group, "step:"), strings.HasPrefix(t.Group, "endpoint:"), strings.HasPrefix(t.Group, "control_type:"):
		if !PerGroup(m.Family) {
			return fmt.Errorf("%w: %s is measured for the whole run only; group %q does not apply", ErrThreshold, t.Metric, t.Group)
		}
	default:
		return fmt.Errorf("%w: unknown group %q (want all, step:<name>, endpoint:<name> or control_type:<TYPE>)", ErrThreshold, t.Group)
	}
	if t.Over < 0 {
		return fmt.Errorf("%w: negative over", ErrThreshold)
	}
	if t.Over > 0 {
		if msg := WindowRule(m.Family, t.Group, t.Code); msg != "" {
			return fmt.Errorf("%w: %s over %s: %s", ErrThreshold, t.Metric, t.Over, msg)
		}
	}
	return nil
}

// Pass applies t's limits to v; histogram values (precise false) pass when the histogram cannot
// tell them from the limit.
func Pass(v float64, t Threshold, precise bool) bool {
	if t.HasMax && v > t.Max && (precise || !Equivalent(int64(v), int64(t.Max))) {
		return false
	}
	if t.HasMin && v < t.Min && (precise || !Equivalent(int64(v), int64(t.Min))) {
		return false
	}
	return true
}

// Equivalent reports whether two microsecond values fall in the same HdrHistogram bucket at
// 3 significant digits (lowest discernible value 1), i.e. whether a report's histograms can tell them apart.
func Equivalent(a, b int64) bool {
	return lowestEquivalent(a) == lowestEquivalent(b)
}

// lowestEquivalent mirrors hdrhistogram's lowestEquivalentValue for New(1, _, 3):
// 2048 sub-buckets, so values below 2048 are exact and each doubling halves the resolution.
func lowestEquivalent(v int64) int64 {
	if v < 0 {
		v = 0
	}
	shift := bits.Len64(uint64(v)|2047) - 11
	return v >> shift << shift
}

// LimitString renders t's limits in unit u: "<= 500ms", ">= 99%".
func LimitString(t Threshold, u Unit) string {
	var parts []string
	if t.HasMin {
		parts = append(parts, ">= "+Format(t.Min, u))
	}
	if t.HasMax {
		parts = append(parts, "<= "+Format(t.Max, u))
	}
	return strings.Join(parts, " and ")
}

// ResultName is the name a result carries when t has none: "<metric>[code] <group> <limit>".
func ResultName(t Threshold, group, limit string) string {
	metric := t.Metric
	if t.Code != "" {
		metric += "[" + t.Code + "]"
	}
	name := metric + " " + group + " " + limit
	if t.Over > 0 {
		name += " over " + t.Over.String()
	}
	return name
}

// DefaultName is the name scenario gives a threshold written without one, from the limit as written.
func DefaultName(t Threshold) string {
	m := t.Metric
	if t.Code != "" {
		m += "[" + t.Code + "]"
	}
	lim := ""
	switch {
	case t.HasMin && t.HasMax:
		lim = "in " + t.LimitText
	case t.HasMax:
		lim = "<= " + t.LimitText
	default:
		lim = ">= " + t.LimitText
	}
	name := m + " " + t.Group + " " + lim
	if t.Over > 0 {
		name += " over " + ShortDuration(t.Over)
	}
	return name
}

// ShortDuration writes d as people write it in YAML: 5m, not 5m0s.
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// Format renders a value in its unit for people.
func Format(v float64, u Unit) string {
	switch u {
	case US:
		return FormatUS(v)
	case Frac:
		return FormatShare(v)
	case Rate:
		return strconv.FormatFloat(v, 'f', decimals(v), 64) + "/s"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// decimals picks how many decimals show about three significant digits.
func decimals(v float64) int {
	a := math.Abs(v)
	switch {
	case a == 0 || a >= 100:
		return 0
	case a >= 10:
		return 1
	case a >= 1:
		return 2
	}
	return 3
}

// FormatUS is durfmt.US, the one duration format, for a value of unit US: "850µs", "12.3ms",
// "1.25s", "2m05s".
func FormatUS(us float64) string { return durfmt.US(us) }

// FormatShare renders a fraction as a percentage with useful precision: "0.40%", "12.5%", "0.0123%".
func FormatShare(f float64) string {
	p := f * 100
	a := math.Abs(p)
	switch {
	case a == 0:
		return "0%"
	case a >= 10:
		return strconv.FormatFloat(p, 'f', 1, 64) + "%"
	case a >= 0.1:
		return strconv.FormatFloat(p, 'f', 2, 64) + "%"
	}
	return strconv.FormatFloat(p, 'g', 3, 64) + "%"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Set is everything a run is judged by, compiled: report.json stores it so that merge, compare
// and report judge a run without parsing its scenario again.
type Set struct {
	// Thresholds are the scenario's thresholds, in the order written.
	Thresholds []Threshold `json:"thresholds"`
	// Compare are the scenario's compare: limits, in key order.
	Compare []CompareLimit `json:"compare"`
}
