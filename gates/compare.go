package gates

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrCompareLimit is the root of every --max-regression / compare: syntax error (errors.Is matches it).
var ErrCompareLimit = errors.New("compare limit")

// limitError is a compare-limit syntax error: it matches ErrCompareLimit but prints only what is
// wrong, since the caller already names the flag or the scenario's line.
type limitError string

func (e limitError) Error() string        { return string(e) }
func (e limitError) Is(target error) bool { return target == ErrCompareLimit }

// CompareLimit is one regression limit: how much worse NEW may be than BASE on one metric of a group.
// Limits are written "METRIC[@GROUP]=LIMIT": "p99=10%", "p95@step:ask=+20ms", "error_rate=0.1pp",
// "rps=-5%", "code:0=0.5pp". The sign of LIMIT is optional and ignored: a limit always says how much
// worse is allowed, and each metric knows which direction is worse (rps and the share of "0" going down).
type CompareLimit struct {
	// Metric is p50, p90, p95, p99, p999, max or mean (response time; prefix "service_time." for service
	// time), error_rate, rps, or code:<resultCode> (that code's share, over ResultCodeBase).
	Metric string `json:"metric"`
	// Group is "all" (the default), a group's name as in report.json ("sendAsync CHAT", "step:ask"), or "*" for every group in both reports.
	Group string `json:"group"`
	// Kind is how Value is read: "%" relative to BASE, "pp" percentage points, "us" an absolute latency increase.
	Kind string `json:"kind"`
	// Value is the allowed worsening: a fraction for "%" and "pp" (10% = 0.1, 0.1pp = 0.001), microseconds for "us".
	Value float64 `json:"value"`
	// Text is the limit as written, for reports.
	Text string `json:"text"`
}

// ParseCompareLimits parses --max-regression values; each may hold several limits separated by commas.
func ParseCompareLimits(specs []string) ([]CompareLimit, error) {
	var out []CompareLimit
	var errs []error
	for _, spec := range specs {
		for _, item := range strings.Split(spec, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			key, val, ok := strings.Cut(item, "=")
			if !ok {
				errs = append(errs, limitError(fmt.Sprintf("%q: want METRIC=LIMIT, e.g. p99=10%%", item)))
				continue
			}
			l, err := compareParseLimit(strings.TrimSpace(key), strings.TrimSpace(val))
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, l)
		}
	}
	return out, errors.Join(errs...)
}

// CompareLimitsFromMap parses a scenario's compare: section (metric → limit), in key order.
func CompareLimitsFromMap(m map[string]string) ([]CompareLimit, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []CompareLimit
	var errs []error
	for _, k := range keys {
		l, err := compareParseLimit(strings.TrimSpace(k), strings.TrimSpace(m[k]))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, l)
	}
	return out, errors.Join(errs...)
}

// OverrideCompareLimits returns base with every limit of over added, replacing a base limit on the
// same metric and group: command-line limits override the scenario's compare: section.
func OverrideCompareLimits(base, over []CompareLimit) []CompareLimit {
	out := make([]CompareLimit, 0, len(base)+len(over))
	for _, b := range base {
		if !slices.ContainsFunc(over, func(o CompareLimit) bool { return o.Metric == b.Metric && o.Group == b.Group }) {
			out = append(out, b)
		}
	}
	return append(out, over...)
}

// CompareLatencyStats are the latency statistics a compare limit may name, with their percentile (-1: mean).
var CompareLatencyStats = map[string]float64{"p50": 50, "p90": 90, "p95": 95, "p99": 99, "p999": 99.9, "max": 100, "mean": -1}

// CompareStat reads a compare limit's latency statistic with the thresholds' parser (ParseStat),
// so compare accepts every pNN(.N) a threshold accepts (p98, p99.5, p9999), max, min and mean.
// It returns the percentile (-1 for mean) and whether stat is a latency statistic at all.
func CompareStat(stat string) (float64, bool) {
	if q, ok := CompareLatencyStats[stat]; ok {
		return q, true
	}
	q, err := ParseStat(stat)
	return q, err == nil
}

func compareParseLimit(key, val string) (CompareLimit, error) {
	bad := func(format string, a ...any) (CompareLimit, error) {
		return CompareLimit{}, limitError(fmt.Sprintf("%s=%s: %s", key, val, fmt.Sprintf(format, a...)))
	}
	metric, group, _ := strings.Cut(key, "@")
	if group == "" {
		group = "all"
	}
	l := CompareLimit{Metric: metric, Group: group, Text: key + "=" + val}
	stat := strings.TrimPrefix(strings.TrimPrefix(metric, "response_time."), "service_time.")
	_, isLatency := CompareStat(stat)
	switch {
	case isLatency, metric == "error_rate", metric == "rps", strings.HasPrefix(metric, "code:") && len(metric) > 5:
	default:
		return bad("unknown metric %q (want a latency statistic: pNN or pNN.N as in thresholds (p50, p98, p99.9), max, min or mean; or error_rate, rps or code:<resultCode>)", metric)
	}
	v := strings.TrimLeft(val, "+-")
	var err error
	switch {
	case strings.HasSuffix(v, "pp"):
		l.Kind = "pp"
		l.Value, err = strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(v, "pp")), 64)
		l.Value /= 100
	case strings.HasSuffix(v, "%"):
		l.Kind = "%"
		l.Value, err = strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(v, "%")), 64)
		l.Value /= 100
	default:
		var d time.Duration
		d, err = time.ParseDuration(v)
		if err != nil {
			return bad("want a percentage (10%%), percentage points (0.1pp) or, for latencies, a duration (20ms)")
		}
		l.Kind, l.Value = "us", float64(d.Microseconds())
	}
	if err != nil || math.IsNaN(l.Value) || math.IsInf(l.Value, 0) {
		return bad("not a number")
	}
	switch {
	case l.Kind == "us" && !isLatency:
		return bad("a duration limit applies to latencies only")
	case l.Kind == "pp" && isLatency:
		return bad("percentage points apply to error_rate and code shares; use %% or a duration for latencies")
	case l.Kind == "pp" && metric == "rps":
		return bad("rps takes a relative limit, e.g. rps=-5%%")
	}
	return l, nil
}
