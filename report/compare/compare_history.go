package compare

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"ccload/gates"
	"ccload/report"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// History judges NEW (next) against several baseline runs (ccload compare --baseline
// history:...), newest first, with Compare's per-limit rules kept. With one baseline it is Compare.
//
// With k ≥ 2 baselines each limit is applied per group to the baselines' mean, and a change is a
// regression only when it is also beyond what the baselines varied among themselves: the allowed
// worsening is the larger of the limit (relative to the mean for a "%" limit) and the 97.5%
// one-sided prediction bound of a new run drawn from the baselines' distribution,
// HistoryT(k−1)·sd·√(1+1/k), where sd is the sample standard deviation of the baselines' values.
// Every value is computed from the runs' own histograms and counts (never from averaged
// percentiles): a p99 is each baseline's p99 from its encoded histogram. Rows compare NEW with the
// mean (BaseText "mean ±sd"), and call NEW worse or better only beyond that bound. A group needs
// MinSamples requests in NEW and in every baseline that has it, as in Compare.
func History(bases []*report.Report, next *report.Report, limits []Limit) Result {
	return HistoryWith(bases, next, limits, Options{})
}

// HistoryWith is History with compare's options (--force): one baseline is
// CompareWith exactly.
func HistoryWith(bases []*report.Report, next *report.Report, limits []Limit, o Options) Result {
	if len(bases) == 1 {
		return CompareWith(bases[0], next, limits, o)
	}
	res := Result{Base: compareSide(bases[0], "base"), New: compareSide(next, "new"), Pass: true}
	seen := map[string]bool{}
	for _, b := range bases {
		for _, w := range compareWarnings(b, next) {
			if !seen[w] {
				seen[w] = true
				res.Warnings = append(res.Warnings, w)
			}
		}
	}
	ng := compareGroups(next)
	bgs := make([][]*report.Group, len(bases))
	inBase := map[string]bool{}
	for i, b := range bases {
		bgs[i] = compareGroups(b)
		for _, g := range bgs[i] {
			if !inBase[g.Name] {
				inBase[g.Name] = true
				if _, ok := compareFind(ng, g.Name); !ok {
					res.OnlyInBase = append(res.OnlyInBase, g.Name)
				}
			}
		}
	}
	var names []string
	for _, g := range ng {
		if inBase[g.Name] {
			names = append(names, g.Name)
		} else {
			res.OnlyInNew = append(res.OnlyInNew, g.Name)
		}
	}
	for _, name := range names {
		n, _ := compareFind(ng, name)
		metrics := []compareMetric{compareLatency("p50", 50, false), compareLatency("p95", 95, false),
			compareLatency("p99", 99, false), compareLatency("max", 100, false), compareErrorRate, compareRPS}
		codes := map[string]bool{}
		for c := range n.ResultCodes {
			codes[c] = true
		}
		for i := range bases {
			if b, ok := compareFind(bgs[i], name); ok {
				for c := range b.ResultCodes {
					codes[c] = true
				}
			}
		}
		for _, c := range slices.Sorted(maps.Keys(codes)) {
			metrics = append(metrics, compareCode(c))
		}
		cache := historyCache{} // this group's decoded histograms, read for every percentile
		for _, m := range metrics {
			if row, ok := historyRow(m, name, bases, bgs, n, next, cache); ok {
				res.Rows = append(res.Rows, row)
			}
		}
	}
	applyLimits(&res, limits, names, historyGeneratorLimited(bases, next), o, func(l Limit, gname string) Check {
		return historyCheck(l, gname, bases, bgs, ng, next)
	})
	return res
}

// historyGeneratorLimited is compareGeneratorLimited over every baseline and NEW: a regression
// found where any run's generator was the limit is inconclusive unless --force.
func historyGeneratorLimited(bases []*report.Report, next *report.Report) string {
	var why []string
	for i, b := range bases {
		if gl := b.GeneratorLimit; gl != nil {
			why = append(why, fmt.Sprintf("baseline %d's generator, not its target, was the limit (%s)", i+1, strings.Join(gl.Reasons, "; ")))
		}
	}
	if gl := next.GeneratorLimit; gl != nil {
		why = append(why, "new's generator, not its target, was the limit ("+strings.Join(gl.Reasons, "; ")+")")
	}
	if len(why) == 0 {
		return ""
	}
	return strings.Join(why, "; ") + ": a regression cannot be told from the generator's own delay (--force calls it anyway)"
}

// historySpread is what the baselines' values of one metric in one group say: their mean, their
// sample standard deviation, how many had a value, and the fewest requests any of them had there.
type historySpread struct {
	mean, sd float64
	k        int
	minCount int64
	only     *report.Report // the baseline, when exactly one had the group
	onlyG    *report.Group
}

func historyValues(m compareMetric, group string, bases []*report.Report, bgs [][]*report.Group, cache historyCache) historySpread {
	var vals []float64
	s := historySpread{minCount: math.MaxInt64}
	for i, b := range bases {
		g, ok := compareFind(bgs[i], group)
		if !ok {
			continue
		}
		v, has := cache.value(m, g, b)
		if !has {
			continue
		}
		vals = append(vals, v)
		s.minCount = min(s.minCount, report.GroupCount(g))
		s.only, s.onlyG = b, g
	}
	s.k = len(vals)
	if s.k == 0 {
		s.minCount = 0
		return s
	}
	for _, v := range vals {
		s.mean += v
	}
	s.mean /= float64(s.k)
	if s.k > 1 {
		var ss float64
		for _, v := range vals {
			ss += (v - s.mean) * (v - s.mean)
		}
		s.sd = math.Sqrt(ss / float64(s.k-1))
	}
	return s
}

// bound is how much worse than the mean a new run of the baselines' distribution gets at most, at
// 97.5% (one-sided): the t quantile times the prediction standard error. 0 for fewer than 2 values.
func (s historySpread) bound() float64 {
	if s.k < 2 {
		return 0
	}
	return HistoryT(s.k-1) * s.sd * math.Sqrt(1+1/float64(s.k))
}

// historyTable holds Student's t 97.5% quantiles for 1 to 30 degrees of freedom.
var historyTable = [...]float64{12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
	2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
	2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042}

// HistoryT is Student's t distribution's 97.5% quantile for df degrees of freedom (1.96 past 30):
// the factor CompareHistory's prediction bound uses, so a handful of baselines widens it.
func HistoryT(df int) float64 {
	switch {
	case df < 1:
		return math.Inf(1)
	case df <= len(historyTable):
		return historyTable[df-1]
	}
	return 1.96
}

// historyRow compares one metric of NEW's group with the baselines' mean, worse or better only
// beyond their prediction bound and the histograms' precision.
func historyRow(m compareMetric, group string, bases []*report.Report, bgs [][]*report.Group, n *report.Group, next *report.Report, cache historyCache) (Row, bool) {
	s := historyValues(m, group, bases, bgs, cache)
	nv, nok := cache.value(m, n, next)
	if s.k == 0 && !nok {
		return Row{}, false
	}
	row := Row{Group: group, Metric: m.name, Base: s.mean, New: nv, BaseText: "–", NewText: "–"}
	if s.k > 0 {
		row.BaseText = gates.Format(s.mean, m.unit)
		if s.k > 1 {
			row.BaseText += " ±" + gates.Format(s.sd, m.unit)
		}
	}
	if nok {
		row.NewText = gates.Format(nv, m.unit)
	}
	if s.k > 0 && nok {
		row.Change = compareChange(m, s.mean, nv)
		beyond := math.Abs(nv-s.mean) > s.bound()+1e-12
		row.Worse = beyond && compareWorse(m, s.mean, nv) && !compareNoise(m, s.mean, nv)
		row.Better = beyond && compareWorse(m, nv, s.mean) && !compareNoise(m, s.mean, nv)
		if m.name == "rps" && math.Abs(nv-s.mean) <= compareRPSNoise*s.mean {
			row.Worse, row.Better = false, false
		}
	}
	if m.name != "rps" && min(s.minCount, report.GroupCount(n)) < MinSamples {
		row.FewSamples, row.Worse, row.Better = true, false, false
	}
	return row, true
}

// historyCheck applies one limit to one group against the baselines (see CompareHistory).
func historyCheck(l Limit, group string, bases []*report.Report, bgs [][]*report.Group, ng []*report.Group, next *report.Report) Check {
	m := compareMetricNamed(l.Metric)
	s := historyValues(m, group, bases, bgs, nil)
	if s.k == 1 {
		// One baseline has the value: Compare's rule, against that run.
		return compareCheck(l, group, compareGroups(s.only), ng, s.only, next)
	}
	c := Check{Name: CheckName(l, group), Group: group, Metric: l.Metric, Limit: compareLimitText(l, m), Pass: true}
	n, nok := compareFind(ng, group)
	inAny := false
	for i := range bases {
		if _, ok := compareFind(bgs[i], group); ok {
			inAny = true
		}
	}
	if !nok || !inAny {
		c.Pass, c.Reason = false, "the group is not in both NEW and the baselines"
		return c
	}
	nv, nhas := m.value(n, next)
	if s.k == 0 || !nhas {
		c.Reason = "no data to compare"
		return c
	}
	if nn := report.GroupCount(n); m.name != "rps" && min(s.minCount, nn) < MinSamples {
		// Compare's one rule for every limit (named group, all or @*): too small to judge.
		c.Pass, c.NotJudged = false, fmt.Sprintf("not judged: %d requests in the smallest baseline, %d in new (fewer than %d)", s.minCount, nn, MinSamples)
		return c
	}
	c.Base = fmt.Sprintf("%s ±%s (%d runs)", gates.Format(s.mean, m.unit), gates.Format(s.sd, m.unit), s.k)
	c.New, c.Change = gates.Format(nv, m.unit), compareChange(m, s.mean, nv)
	worsening := nv - s.mean
	if m.lowerWorse {
		worsening = s.mean - nv
	}
	var byLimit float64 // the worsening the limit allows
	switch {
	case l.Kind == "%" && s.mean == 0:
		byLimit = 0
	case l.Kind == "%":
		byLimit = l.Value * math.Abs(s.mean)
	default: // "pp" and "us" are absolute
		byLimit = l.Value
	}
	spread := s.bound()
	allowed := max(byLimit, spread)
	exceeded := worsening > allowed+1e-12
	if l.Kind == "%" && s.mean == 0 && spread == 0 {
		exceeded = worsening > 0
	}
	switch {
	case exceeded && compareNoise(m, s.mean, nv):
		c.Reason = "within the histograms' precision"
	case exceeded:
		c.Pass = false
		c.Reason = fmt.Sprintf("beyond the limit and the baselines' spread (allowed %s)", historyAllowed(m, allowed))
	case worsening > byLimit+1e-12:
		c.Reason = fmt.Sprintf("over the limit but within what the baselines varied among themselves (allowed %s)", historyAllowed(m, allowed))
	}
	return c
}

// historyAllowed renders an allowed worsening in the metric's unit, signed the way it is worse.
func historyAllowed(m compareMetric, v float64) string {
	sign := "+"
	if m.lowerWorse {
		sign = "-"
	}
	if m.unit == gates.Frac {
		return sign + fmt.Sprintf("%.2fpp", v*100)
	}
	return sign + gates.Format(v, m.unit)
}

// historyCache holds decoded histograms by their encoding: CompareHistory reads every baseline's
// histogram of a group for several percentiles, and decoding is most of its cost. A nil cache
// decodes every time (compare's own path).
type historyCache map[string]*hdrhistogram.Histogram

// value is m.value, reading a latency percentile from the cached histogram.
func (c historyCache) value(m compareMetric, g *report.Group, r *report.Report) (float64, bool) {
	if c == nil || !m.histogram {
		return m.value(g, r)
	}
	stat := strings.TrimPrefix(strings.TrimPrefix(m.name, "response_time."), "service_time.")
	q, known := gates.CompareLatencyStats[stat]
	enc := g.ResponseHistogram
	if strings.HasPrefix(m.name, "service_time.") {
		enc = g.ServiceHistogram
	}
	if !known || enc == "" {
		return m.value(g, r)
	}
	h, ok := c[enc]
	if !ok {
		var err error
		if h, err = hdrhistogram.Decode([]byte(enc)); err != nil {
			return m.value(g, r)
		}
		c[enc] = h
	}
	return report.HistStat(h, gates.Metric{Q: q, Stat: stat})
}
