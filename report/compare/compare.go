// Package compare judges a new report against a baseline (ccload compare): the table of
// changes, the limits (gates owns their syntax) and the history gate over several baselines.
// Its text and JUnit renderings are render's, its HTML view report/html's.
package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"ccload/gates"
	"ccload/report"
)

// Limit is one regression limit; gates owns its syntax.
type Limit = gates.CompareLimit

// Side describes one of the two compared reports.
type Side struct {
	Label     string    `json:"label"`
	Scenario  string    `json:"scenario"`
	StartedAt time.Time `json:"started_at"`
	DurationS float64   `json:"duration_s"`
	Requests  int64     `json:"requests"`
}

// Row is one metric of one group in both reports.
type Row struct {
	Group  string  `json:"group"`
	Metric string  `json:"metric"`
	Base   float64 `json:"base"`
	New    float64 `json:"new"`
	// BaseText, NewText and Change are for people: "88.9ms", "120ms", "+35.0%".
	BaseText string `json:"base_text"`
	NewText  string `json:"new_text"`
	Change   string `json:"change"`
	// Worse is true when NEW is worse beyond the histograms' precision (a percentile), by more than 1% (rps)
	// or at all (a rate or share).
	Worse bool `json:"worse"`
	// Limit is the limit applying to this row ("" when none) and Fail whether NEW exceeds it.
	Limit string `json:"limit,omitempty"`
	Fail  bool   `json:"fail,omitempty"`
	// Better is Worse's mirror: NEW is better beyond the same noise.
	Better bool `json:"better,omitempty"`
	// FewSamples is set when the group has fewer than CompareMinSamples requests in either report:
	// the row is neither Worse nor Better (a p99 of 20 requests is two of them).
	FewSamples bool `json:"few_samples,omitempty"`
}

// MinSamples is the fewest requests a group needs in both reports before compare calls one
// of its rows worse or better, or lets any limit fail it: below 100 a p99 is the single slowest
// request and one error moves the error rate by a percentage point. It is gates.MinSamples, the
// rule thresholds on a group obey too.
const MinSamples = gates.MinSamples

// Check is one limit applied to one group: the verdict a pipeline gates on.
type Check struct {
	Name   string `json:"name"`
	Group  string `json:"group"`
	Metric string `json:"metric"`
	Limit  string `json:"limit"`
	Base   string `json:"base"`
	New    string `json:"new"`
	Change string `json:"change"`
	Pass   bool   `json:"pass"`
	// Reason says why a check passed or failed when it is not the plain comparison (no data, within precision).
	Reason string `json:"reason,omitempty"`
	// NotJudged says why the check was neither passed nor failed: its group has too few requests
	// ("not judged: ..."), or a report's generator was the limit ("inconclusive: ..."). Pass is false.
	NotJudged string `json:"not_judged,omitempty"`
}

// Failed reports whether the check was judged and failed.
func (c Check) Failed() bool { return !c.Pass && c.NotJudged == "" }

// Verdict is the check's verdict for people: PASS, FAIL, NOT JUDGED (a group too small) or
// INCONCLUSIVE (a report's generator was the limit), as ThresholdResult.Verdict.
func (c Check) Verdict() string {
	return report.ThresholdResult{Pass: c.Pass, NotJudged: c.NotJudged}.Verdict() // one rule for limits and thresholds
}

// Result is what `ccload compare` prints and writes with --json.
type Result struct {
	Base   Side    `json:"base"`
	New    Side    `json:"new"`
	Rows   []Row   `json:"rows"`
	Checks []Check `json:"checks"`
	// OnlyInBase and OnlyInNew name groups present in one report only (not compared).
	OnlyInBase []string `json:"only_in_base,omitempty"`
	OnlyInNew  []string `json:"only_in_new,omitempty"`
	// Warnings say why the two reports may not be comparable (a run that did not complete, one shard
	// against a merged run, different scenarios). They do not change Pass.
	Warnings []string `json:"warnings,omitempty"`
	// Pass is false when any check failed.
	Pass bool `json:"pass"`
	// Inconclusive says why a regression found cannot be called one: a report whose generator was
	// the limit (report.json's generator_limit), unless CompareOptions.Force. Such checks are not
	// judged; with no check failed, the verdict is inconclusive (ccload compare exits 3).
	Inconclusive string `json:"inconclusive,omitempty"`
}

// Tally counts c's checks by verdict: failed, not judged (too few requests) and inconclusive
// (not judged because the generator was the limit); the text, Markdown and HTML verdicts say the same.
func (c Result) Tally() (failed, notJudged, inconclusive int) {
	for _, k := range c.Checks {
		switch {
		case strings.HasPrefix(k.NotJudged, report.InconclusivePrefix):
			inconclusive++
		case k.NotJudged != "":
			notJudged++
		case !k.Pass:
			failed++
		}
	}
	return failed, notJudged, inconclusive
}

// Options change what Compare may conclude.
type Options struct {
	// Force calls regressions even when a report's generator was the limit (ccload compare --force).
	Force bool
}

// compareMetric is one comparable metric: its value in a group, how to print it, which way is worse.
type compareMetric struct {
	name       string
	unit       gates.Unit
	lowerWorse bool
	histogram  bool // a percentile: changes within the histograms' precision are noise
	value      func(g *report.Group, r *report.Report) (float64, bool)
}

func compareLatency(name string, q float64, service bool) compareMetric {
	return compareMetric{name: name, unit: gates.US, histogram: true, value: func(g *report.Group, _ *report.Report) (float64, bool) {
		l, enc := g.ResponseTimeUS, g.ResponseHistogram
		if service {
			l, enc = g.ServiceTimeUS, g.ServiceHistogram
		}
		m := gates.Metric{Q: q, Stat: name}
		v, ok, err := report.LatencyStat(l, enc, m)
		return v, err == nil && ok
	}}
}

var compareErrorRate = compareMetric{name: "error_rate", unit: gates.Frac, value: func(g *report.Group, _ *report.Report) (float64, bool) {
	n := report.GroupCount(g)
	return float64(n-g.OK) / float64(max(n, 1)), n > 0
}}

var compareRPS = compareMetric{name: "rps", unit: gates.Rate, lowerWorse: true, value: func(g *report.Group, r *report.Report) (float64, bool) {
	if g.RPS == 0 && r.DurationS > 0 {
		return float64(report.GroupCount(g)) / r.DurationS, true
	}
	return g.RPS, true
}}

func compareCode(code string) compareMetric {
	return compareMetric{name: "code:" + code, unit: gates.Frac, lowerWorse: code == "0", value: func(g *report.Group, _ *report.Report) (float64, bool) {
		return report.ResultCodeShare(g, code)
	}}
}

// compareMetricNamed resolves a limit's metric.
func compareMetricNamed(name string) compareMetric {
	switch {
	case name == "error_rate":
		return compareErrorRate
	case name == "rps":
		return compareRPS
	case strings.HasPrefix(name, "code:"):
		return compareCode(strings.TrimPrefix(name, "code:"))
	}
	service := strings.HasPrefix(name, "service_time.")
	stat := strings.TrimPrefix(strings.TrimPrefix(name, "response_time."), "service_time.")
	q, _ := gates.CompareStat(stat)
	m := compareLatency(stat, q, service)
	m.name = name
	return m
}

// Compare compares NEW (next) with BASE group by group: "all" and every group both reports have,
// matched by name. Rows cover p50/p95/p99/max response time, error rate, rps and resultCode shares;
// each limit becomes one check per group it applies to. A percentile change within the histograms'
// precision (both values in one HdrHistogram bucket, or a relative change of at most 0.1%) is never
// a regression.
func Compare(base, next *report.Report, limits []Limit) Result {
	return CompareWith(base, next, limits, Options{})
}

// CompareWith is Compare with options: a regression found against or from a report whose generator
// was the limit is inconclusive (not judged) unless o.Force.
func CompareWith(base, next *report.Report, limits []Limit, o Options) Result {
	res := Result{Base: compareSide(base, "base"), New: compareSide(next, "new"), Pass: true,
		Warnings: compareWarnings(base, next)}
	bg, ng := compareGroups(base), compareGroups(next)
	var names []string
	for _, g := range bg {
		if _, ok := compareFind(ng, g.Name); ok {
			names = append(names, g.Name)
		} else {
			res.OnlyInBase = append(res.OnlyInBase, g.Name)
		}
	}
	for _, g := range ng {
		if _, ok := compareFind(bg, g.Name); !ok {
			res.OnlyInNew = append(res.OnlyInNew, g.Name)
		}
	}
	for _, name := range names {
		b, _ := compareFind(bg, name)
		n, _ := compareFind(ng, name)
		metrics := []compareMetric{compareLatency("p50", 50, false), compareLatency("p95", 95, false),
			compareLatency("p99", 99, false), compareLatency("max", 100, false), compareErrorRate, compareRPS}
		codes := map[string]bool{}
		for c := range b.ResultCodes {
			codes[c] = true
		}
		for c := range n.ResultCodes {
			codes[c] = true
		}
		for _, c := range slices.Sorted(maps.Keys(codes)) {
			metrics = append(metrics, compareCode(c))
		}
		for _, m := range metrics {
			if row, ok := compareRow(m, name, b, n, base, next); ok {
				res.Rows = append(res.Rows, row)
			}
		}
	}
	applyLimits(&res, limits, names, compareGeneratorLimited(base, next), o, func(l Limit, gname string) Check {
		return compareCheck(l, gname, bg, ng, base, next)
	})
	return res
}

// applyLimits judges every limit on its groups (`@*`: every group of names) with check, marks a
// failure inconclusive when limited says a report's generator was the limit (unless o.Force),
// and marks the rows the limit covers: the one rule of compare and of compare against a history.
func applyLimits(res *Result, limits []Limit, names []string, limited string, o Options, check func(Limit, string) Check) {
	for _, l := range limits {
		groups := []string{l.Group}
		if l.Group == "*" {
			groups = names
		}
		for _, gname := range groups {
			c := check(l, gname)
			if c.Failed() && limited != "" && !o.Force {
				c.NotJudged = report.InconclusivePrefix + limited
				res.Inconclusive = limited
			}
			if c.Failed() {
				res.Pass = false
			}
			res.Checks = append(res.Checks, c)
			for i := range res.Rows {
				if res.Rows[i].Group == gname && res.Rows[i].Metric == l.Metric {
					res.Rows[i].Limit = l.Text
					res.Rows[i].Fail = res.Rows[i].Fail || c.Failed()
				}
			}
		}
	}
}

// compareGeneratorLimited says which of the reports had the generator as its limit ("" when neither).
func compareGeneratorLimited(base, next *report.Report) string {
	var why []string
	for _, s := range []struct {
		label string
		r     *report.Report
	}{{"base", base}, {"new", next}} {
		if gl := s.r.GeneratorLimit; gl != nil {
			why = append(why, s.label+"'s generator, not its target, was the limit ("+strings.Join(gl.Reasons, "; ")+")")
		}
	}
	if len(why) == 0 {
		return ""
	}
	return strings.Join(why, "; ") + ": a regression cannot be told from the generator's own delay (--force calls it anyway)"
}

// compareWarnings lists what makes base and next questionable to compare: a run that did not complete
// (its rps and counts cover part of the load), different shard counts (one shard carries a slice of
// the load), or different scenarios.
func compareWarnings(base, next *report.Report) []string {
	var out []string
	for _, s := range []struct {
		label string
		r     *report.Report
	}{{"base", base}, {"new", next}} {
		reason := s.r.StopReason
		if reason == "" && s.r.Interrupted {
			reason = "interrupted"
		}
		if reason == report.StopGraceCut && !s.r.Interrupted {
			// The schedule was played: the counts and rps are whole, but the cut sessions' last steps are missing.
			out = append(out, fmt.Sprintf("%s had %d sessions cut by its grace period: their remaining steps were never sent", s.label, s.r.Sessions.CutByGrace))
			continue
		}
		if reason != "" && reason != "completed" {
			out = append(out, fmt.Sprintf("%s did not complete (stop reason %q): its counts and rps cover only part of the run", s.label, reason))
		}
	}
	if bs, ns := max(base.Shards, 1), max(next.Shards, 1); bs != ns {
		out = append(out, fmt.Sprintf("base merges %s, new %s: their rps and counts are of different loads", compareShards(bs), compareShards(ns)))
	}
	if base.Scenario != next.Scenario {
		out = append(out, fmt.Sprintf("the reports are of different scenarios: base %q, new %q", base.Scenario, next.Scenario))
	}
	return out
}

func compareShards(n int) string {
	if n == 1 {
		return "1 shard"
	}
	return strconv.Itoa(n) + " shards"
}

func compareSide(r *report.Report, label string) Side {
	return Side{Label: label, Scenario: r.Scenario, StartedAt: r.StartedAt, DurationS: r.DurationS, Requests: report.GroupCount(&r.Overall)}
}

// compareGroups lists a report's groups with Overall first, named "all".
func compareGroups(r *report.Report) []*report.Group {
	all := r.Overall
	all.Name = "all"
	out := []*report.Group{&all}
	for i := range r.Groups {
		out = append(out, &r.Groups[i])
	}
	return out
}

func compareFind(gs []*report.Group, name string) (*report.Group, bool) {
	for _, g := range gs {
		if g.Name == name {
			return g, true
		}
	}
	return nil, false
}

// compareRow measures one metric in both groups.
func compareRow(m compareMetric, group string, b, n *report.Group, base, next *report.Report) (Row, bool) {
	bv, bok := m.value(b, base)
	nv, nok := m.value(n, next)
	if !bok && !nok {
		return Row{}, false
	}
	row := Row{Group: group, Metric: m.name, Base: bv, New: nv, BaseText: "–", NewText: "–"}
	if bok {
		row.BaseText = gates.Format(bv, m.unit)
	}
	if nok {
		row.NewText = gates.Format(nv, m.unit)
	}
	if bok && nok {
		row.Change = compareChange(m, bv, nv)
		row.Worse = compareWorse(m, bv, nv) && !compareNoise(m, bv, nv)
		row.Better = compareWorse(m, nv, bv) && !compareNoise(m, bv, nv)
		if m.name == "rps" && math.Abs(nv-bv) <= compareRPSNoise*bv {
			row.Worse, row.Better = false, false // run durations differ by milliseconds: not a change anyone can act on
		}
	}
	if m.name != "rps" && min(report.GroupCount(b), report.GroupCount(n)) < MinSamples {
		row.FewSamples, row.Worse, row.Better = true, false, false
	}
	return row, true
}

// compareRPSNoise is the relative rps change the table does not mark as worse (limits still apply exactly).
const compareRPSNoise = 0.01

// compareNoise reports whether a percentile change is within the histograms' precision.
func compareNoise(m compareMetric, b, n float64) bool {
	if !m.histogram {
		return false
	}
	return gates.Equivalent(int64(b), int64(n)) || math.Abs(n-b) <= 0.001*math.Abs(b)
}

func compareWorse(m compareMetric, b, n float64) bool {
	if m.lowerWorse {
		return n < b
	}
	return n > b
}

// compareChange renders NEW − BASE: relative for latencies and rps, percentage points for shares.
func compareChange(m compareMetric, b, n float64) string {
	if m.unit == gates.Frac {
		return compareSigned((n-b)*100, "pp")
	}
	if b == 0 {
		if n == 0 {
			return "0%"
		}
		return "new"
	}
	return compareSigned((n-b)/b*100, "%")
}

func compareSigned(x float64, unit string) string {
	prec := 1
	if math.Abs(x) < 1 {
		prec = 2
	}
	s := strconv.FormatFloat(x, 'f', prec, 64)
	if x >= 0 && !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	if s == "+0.00" || s == "-0.00" {
		s = "0"
	}
	return s + unit
}

// CheckName names limit l's check on group: "p99@*=10%" on step:ask is "p99@step:ask=10%", a
// limit without a group on a group other than all gets " @group". report/html finds a check's limit by it.
func CheckName(l Limit, group string) string {
	if l.Group == "*" {
		return strings.Replace(l.Text, "@*", "@"+group, 1)
	}
	if group != "all" && !strings.Contains(l.Text, "@") {
		return l.Text + " @" + group
	}
	return l.Text
}

// compareCheck applies one limit to one group.
func compareCheck(l Limit, group string, bg, ng []*report.Group, base, next *report.Report) Check {
	m := compareMetricNamed(l.Metric)
	c := Check{Name: CheckName(l, group), Group: group, Metric: l.Metric, Limit: compareLimitText(l, m), Pass: true}
	b, bok := compareFind(bg, group)
	n, nok := compareFind(ng, group)
	if !bok || !nok {
		c.Pass, c.Reason = false, "the group is not in both reports"
		return c
	}
	bv, bhas := m.value(b, base)
	nv, nhas := m.value(n, next)
	if !bhas || !nhas {
		c.Reason = "no data to compare"
		return c
	}
	if bn, nn := report.GroupCount(b), report.GroupCount(n); m.name != "rps" && min(bn, nn) < MinSamples {
		// One rule for every limit (named group, all or @*) and threshold: too small to judge.
		c.Pass, c.NotJudged = false, fmt.Sprintf("not judged: %d requests in base, %d in new (fewer than %d)", bn, nn, MinSamples)
		return c
	}
	c.Base, c.New, c.Change = gates.Format(bv, m.unit), gates.Format(nv, m.unit), compareChange(m, bv, nv)
	worsening := nv - bv // how much worse, in the metric's unit
	if m.lowerWorse {
		worsening = bv - nv
	}
	var exceeded bool
	switch l.Kind {
	case "%":
		if bv == 0 {
			exceeded = worsening > 0
		} else {
			exceeded = worsening/math.Abs(bv) > l.Value+1e-12
		}
	default: // "pp" and "us" are absolute
		exceeded = worsening > l.Value+1e-12
	}
	if exceeded && compareNoise(m, bv, nv) {
		c.Reason = "within the histograms' precision"
		return c
	}
	c.Pass = !exceeded
	return c
}

// compareLimitText says what a limit allows: "+10%", "+0.10pp", "+20ms", "-5%" (rps).
func compareLimitText(l Limit, m compareMetric) string {
	sign := "+"
	if m.lowerWorse {
		sign = "-"
	}
	switch l.Kind {
	case "us":
		return sign + gates.FormatUS(l.Value)
	case "pp":
		return sign + strconv.FormatFloat(l.Value*100, 'f', -1, 64) + "pp"
	}
	return sign + strconv.FormatFloat(l.Value*100, 'f', -1, 64) + "%"
}

// WriteJSON writes the comparison as JSON (ccload compare --json).
func WriteJSON(w io.Writer, c Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}
