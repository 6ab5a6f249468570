package report

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"ccload/gates"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Reading a value from a report: threshold evaluation (gates/judge) and compare read the same way.

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

// LatencyStat reads statistic m of a latency, from encoded (or l's histogram) when there is one, else
// from the summary: thresholds and compare's limits read every value through it.
func LatencyStat(l Latency, encoded string, m gates.Metric) (v float64, ok bool, err error) {
	if encoded == "" {
		encoded = l.Histogram
	}
	if encoded != "" {
		h, err := hdrhistogram.Decode([]byte(encoded))
		if err != nil {
			return 0, false, fmt.Errorf("decoding histogram: %v", err)
		}
		v, ok = HistStat(h, m)
		return v, ok, nil
	}
	if l.Count == 0 {
		return 0, false, nil
	}
	var us int64
	switch m.Q {
	case -1:
		return l.Mean, true, nil
	case 0:
		us = l.Min
	case 50:
		us = l.P50
	case 90:
		us = l.P90
	case 95:
		us = l.P95
	case 99:
		us = l.P99
	case 99.9:
		us = l.P999
	case 100:
		us = l.Max
	default:
		return 0, false, fmt.Errorf("%s needs the histogram, which the report does not carry", m.Stat)
	}
	return float64(us), true, nil
}

// HistStat reads statistic m of a histogram, for thresholds and compare's history gate.
func HistStat(h *hdrhistogram.Histogram, m gates.Metric) (v float64, ok bool) {
	if h.TotalCount() == 0 {
		return 0, false
	}
	switch m.Q {
	case -1:
		return h.Mean(), true
	case 0:
		return float64(h.Min()), true
	case 100:
		return float64(h.Max()), true
	}
	return float64(h.ValueAtQuantile(m.Q)), true
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
