package htmlreport

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"ccload/gates"
	"ccload/report"
	"ccload/report/compare"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// The compare page (ccload compare BASE NEW --html F) shares report.html's style and tooltip
// script, taken from its template so the two pages cannot drift apart.

//go:embed assets/compare.html.tmpl
var htmlComparePageText string

var htmlComparePage = template.Must(template.New("compare.html").Parse(htmlComparePageText))

// Colours of the two runs on every compare chart, and of a limit's mark.
const (
	htmlBaseColor = "#1f77b4"
	htmlNewColor  = "#ff7f0e"
)

// htmlMaxCompareSpectra bounds the spectrum charts: "all", then the groups a limit names.
const htmlMaxCompareSpectra = 6

type htmlCompareData struct {
	Style                            template.CSS
	Script                           template.JS
	Title, Verdict, VerdictClass     string
	VerdictNote, BaseLabel, NewLabel string
	BaseColor, NewColor              string
	Warnings                         []string
	Checks                           []compare.Check
	Failed, NotJudged, Held          int
	Rows                             []compare.Row
	Hidden                           int
	Spectra                          []htmlCompareChart
	Latency, Throughput              template.HTML
}

type htmlCompareChart struct {
	Group string
	SVG   template.HTML
}

// WriteCompareHTML writes the compare view of ccload compare --html: the verdict and every limit,
// the two runs' response-time percentile spectra overlaid (for all and each group a limit names)
// with each percentile limit's allowed value marked, their p99 and throughput over time overlaid
// with the whole-run limits on all marked, and the rows that differ.
func WriteCompareHTML(w io.Writer, base, next *report.Report, limits []compare.Limit, c compare.Result) error {
	d := &htmlCompareData{Style: template.CSS(pageCSS), Script: template.JS(chartsJS),
		Title: c.New.Scenario, BaseLabel: c.Base.Label, NewLabel: c.New.Label, BaseColor: htmlBaseColor, NewColor: htmlNewColor,
		Warnings: c.Warnings, Checks: c.Checks}
	if c.Base.Scenario != c.New.Scenario {
		d.Title = c.Base.Scenario + " → " + c.New.Scenario
	}
	failed, notJudged, inconclusive := c.Tally()
	d.Failed, d.NotJudged, d.Held = failed, notJudged+inconclusive, len(c.Checks)-failed-notJudged-inconclusive
	switch {
	case len(c.Checks) == 0:
		d.Verdict, d.VerdictClass, d.VerdictNote = "NO LIMITS", "interrupted", "no compare limits were set: nothing to gate on"
	case d.Failed == 0 && c.Inconclusive != "":
		d.Verdict, d.VerdictClass, d.VerdictNote = "INCONCLUSIVE", "interrupted", c.Inconclusive
	case d.Failed > 0:
		d.Verdict, d.VerdictClass, d.VerdictNote = "FAIL", "fail", fmt.Sprintf("%d of %d limits exceeded", d.Failed, len(c.Checks))
	case notJudged > 0:
		d.Verdict, d.VerdictClass, d.VerdictNote = "PASS", "pass", fmt.Sprintf("%d of %d limits held, %d not judged (too few requests)", d.Held, len(c.Checks), notJudged)
	default:
		d.Verdict, d.VerdictClass, d.VerdictNote = "PASS", "pass", fmt.Sprintf("all %d limits held", len(c.Checks))
	}
	for _, r := range c.Rows {
		if r.Fail || r.Worse || r.Better {
			d.Rows = append(d.Rows, r)
		} else {
			d.Hidden++
		}
	}
	groups := []string{"all"}
	for _, k := range c.Checks {
		if _, ok := htmlCompareQ(k.Metric); ok && len(groups) < htmlMaxCompareSpectra && !strings.HasPrefix(k.Metric, "service_time.") {
			if !slices.Contains(groups, k.Group) {
				groups = append(groups, k.Group)
			}
		}
	}
	for _, g := range groups {
		svg, err := htmlCompareSpectrum(base, next, g, limits, c.Checks)
		if err != nil {
			return fmt.Errorf("compare html: %w", err)
		}
		d.Spectra = append(d.Spectra, htmlCompareChart{g, svg})
	}
	bc, err := htmlColumns(base, htmlMaxColumns)
	if err != nil {
		return fmt.Errorf("compare html: base: %w", err)
	}
	nc, err := htmlColumns(next, htmlMaxColumns)
	if err != nil {
		return fmt.Errorf("compare html: new: %w", err)
	}
	d.Latency = htmlCompareOverTime(base, next, bc, nc, limits, c.Checks, false)
	d.Throughput = htmlCompareOverTime(base, next, bc, nc, limits, c.Checks, true)
	if err := htmlComparePage.Execute(w, d); err != nil {
		return fmt.Errorf("compare html: %w", err)
	}
	return nil
}

// htmlCompareQ is the percentile a response-time limit's metric names (100 for max); ok is false
// for the mean and for metrics that are not latencies.
func htmlCompareQ(metric string) (float64, bool) {
	q, ok := gates.CompareStat(strings.TrimPrefix(strings.TrimPrefix(metric, "response_time."), "service_time."))
	return q, ok && q >= 0
}

// htmlCompareAllowed is the worst value limit l lets NEW have, given BASE's value bv.
func htmlCompareAllowed(l compare.Limit, bv float64, lowerWorse bool) float64 {
	d := l.Value
	if l.Kind == "%" {
		d = l.Value * math.Abs(bv)
	}
	if lowerWorse {
		return bv - d
	}
	return bv + d
}

// htmlCompareLimitFor finds the limit that produced check k: the one whose check on k's group has
// k's name (with p99@* and p99@step:ask both set, step:ask has a check of each, each at its own value).
func htmlCompareLimitFor(limits []compare.Limit, k compare.Check) (compare.Limit, bool) {
	for _, l := range limits {
		if compare.CheckName(l, k.Group) == k.Name && l.Metric == k.Metric && (l.Group == k.Group || l.Group == "*") {
			return l, true
		}
	}
	return compare.Limit{}, false
}

func htmlFindGroup(r *report.Report, name string) *report.Group {
	if name == "all" {
		return &r.Overall
	}
	for i := range r.Groups {
		if r.Groups[i].Name == name {
			return &r.Groups[i]
		}
	}
	return nil
}

// htmlCompareSpectrum overlays both runs' response-time spectra of one group and marks, at each
// percentile a limit on the group names, the value NEW was allowed (green when it held, red when not).
func htmlCompareSpectrum(base, next *report.Report, group string, limits []compare.Limit, checks []compare.Check) (template.HTML, error) {
	s := newHTMLSVG("cmpspectrum", "response time by percentile, base and new, "+group, 960, 300)
	xs, qs := htmlSpectrumX(), htmlSpectrumQs()
	var hs [2]*hdrhistogram.Histogram
	var vals [2][]float64
	lo, hi := math.Inf(1), 0.0
	for i, r := range []*report.Report{base, next} {
		g := htmlFindGroup(r, group)
		if g == nil || g.ResponseHistogram == "" {
			continue
		}
		h, err := hdrhistogram.Decode([]byte(g.ResponseHistogram))
		if err != nil {
			return "", fmt.Errorf("group %s: decoding histogram: %v", group, err)
		}
		if h.TotalCount() == 0 {
			continue
		}
		hs[i] = h
		for _, v := range h.ValueAtPercentilesSlice(qs) {
			f := math.Max(float64(v), 1)
			vals[i] = append(vals[i], f)
			lo, hi = math.Min(lo, f), math.Max(hi, f)
		}
	}
	if hs[0] == nil && hs[1] == nil {
		return s.empty("no response-time histograms for " + group), nil
	}
	type mark struct {
		x, allowed float64
		pass       bool
		tip        string
	}
	var marks []mark
	for _, k := range checks {
		q, ok := htmlCompareQ(k.Metric)
		l, lok := htmlCompareLimitFor(limits, k)
		if k.Group != group || !ok || !lok || hs[0] == nil || strings.HasPrefix(k.Metric, "service_time.") {
			continue
		}
		bv := float64(hs[0].ValueAtQuantile(q))
		if q == 100 {
			bv = float64(hs[0].Max())
		}
		a := htmlCompareAllowed(l, bv, false)
		x := math.Min(math.Log10(1/(1-math.Min(q, 99.999)/100)), 5)
		verdict := "held"
		switch {
		case k.NotJudged != "":
			verdict = "not judged"
		case !k.Pass:
			verdict = "exceeded"
		}
		marks = append(marks, mark{x, a, !k.Failed(), fmt.Sprintf("limit %s · base %s, new at most %s; new %s (%s)", k.Name, k.Base, gates.FormatUS(a), k.New, verdict)})
		hi = math.Max(hi, a)
	}
	s.left, s.right, s.top = 78, s.w-44, 24
	s.x0, s.x1 = 0, 5
	htmlLatencyAxis(s, lo, hi)
	s.xAxis([]float64{0, 1, 2, 3, 4, 5}, func(x float64) string {
		return [...]string{"p0", "p90", "p99", "p99.9", "p99.99", "p99.999"}[int(x)]
	})
	for i, name := range []string{"base", "new"} {
		if vals[i] == nil {
			continue
		}
		fmt.Fprintf(&s.b, `<g class="run %s"><title>%s (%s requests)</title>`, name, name, report.FormatCount(hs[i].TotalCount()))
		s.line("ln thick", []string{htmlBaseColor, htmlNewColor}[i], xs, vals[i])
		s.b.WriteString("</g>")
	}
	for _, m := range marks {
		class := "limit pass"
		if !m.pass {
			class = "limit fail"
		}
		x, y := s.px(m.x), s.py(m.allowed)
		fmt.Fprintf(&s.b, `<g class="%s"><title>%s</title><line x1="%s" x2="%s" y1="%s" y2="%s"/><text x="%s" y="%s" text-anchor="end" class="limitlabel">limit</text></g>`,
			class, template.HTMLEscapeString(m.tip), htmlF(x-14), htmlF(x+14), htmlF(y), htmlF(y), htmlF(x-16), htmlF(y+4))
	}
	return s.done(), nil
}

// htmlCompareOverTime overlays both runs' p99 response time (or requests per second) over time,
// each from its own start, and draws the whole-run limit on all of that metric (p99, rps) as a
// dashed line at the value NEW was allowed.
func htmlCompareOverTime(base, next *report.Report, bc, nc []htmlCol, limits []compare.Limit, checks []compare.Check, rps bool) template.HTML {
	label, metric := "response time p99 over time, base and new", "p99"
	if rps {
		label, metric = "requests per second over time, base and new", "rps"
	}
	s := newHTMLSVG("cmptime", label, 960, 260)
	if len(bc) == 0 && len(nc) == 0 {
		return s.empty("no time series in these reports")
	}
	series := func(cols []htmlCol) (xs, ys []float64) {
		for _, c := range cols {
			xs = append(xs, c.t+c.dur/2)
			v := math.NaN()
			switch {
			case rps && c.dur > 0:
				v = float64(c.req) / c.dur
			case !rps && c.p99 >= 0:
				v = float64(c.p99)
			}
			ys = append(ys, v)
		}
		return xs, ys
	}
	bx, by := series(bc)
	nx, ny := series(nc)
	top := 0.0
	for _, v := range append(append([]float64{}, by...), ny...) {
		if !math.IsNaN(v) {
			top = math.Max(top, v)
		}
	}
	var limitY float64
	var limitTip string
	limitPass := true
	for _, k := range checks {
		l, ok := htmlCompareLimitFor(limits, k)
		if k.Group != "all" || k.Metric != metric || !ok {
			continue
		}
		bv := float64(base.Overall.ResponseTimeUS.P99)
		if rps {
			bv = base.Overall.RPS
			if bv == 0 && base.DurationS > 0 {
				bv = float64(report.GroupCount(&base.Overall)) / base.DurationS
			}
		}
		limitY, limitPass = htmlCompareAllowed(l, bv, rps), k.Pass
		limitTip = fmt.Sprintf("limit %s · on the whole run: base %s, new at most %s; new %s", k.Name, k.Base, strconv.FormatFloat(limitY, 'f', 1, 64), k.New)
		if !rps {
			limitTip = fmt.Sprintf("limit %s · on the whole run: base %s, new at most %s; new %s", k.Name, k.Base, gates.FormatUS(limitY), k.New)
		}
		top = math.Max(top, limitY)
	}
	s.x0, s.x1 = 0, math.Max(math.Max(htmlSpan(base, bc), htmlSpan(next, nc)), 1)
	if rps {
		ticks := htmlNiceTicks(top, 4)
		s.y0, s.y1 = 0, ticks[len(ticks)-1]
		s.yAxis(ticks, func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) + "/s" })
	} else {
		lo := math.Inf(1)
		for _, v := range append(append([]float64{}, by...), ny...) {
			if !math.IsNaN(v) {
				lo = math.Min(lo, math.Max(v, 1))
			}
		}
		if limitTip != "" {
			lo = math.Min(lo, math.Max(limitY, 1))
		}
		htmlLatencyAxis(s, lo, math.Max(top, 1)) // a log scale when timeouts dwarf the rest
	}
	s.xAxis(htmlTimeTicks(s.x1), htmlTimeLabel)
	for i, run := range []struct {
		name   string
		xs, ys []float64
	}{{"base", bx, by}, {"new", nx, ny}} {
		fmt.Fprintf(&s.b, `<g class="run %s"><title>%s</title>`, run.name, run.name)
		s.line([]string{"ln thick", "ln"}[i], []string{htmlBaseColor, htmlNewColor}[i], run.xs, run.ys) // base under new, wider, so equal runs show both
		s.b.WriteString("</g>")
	}
	if limitTip != "" {
		class := "limit pass"
		if !limitPass {
			class = "limit fail"
		}
		y := s.py(limitY)
		fmt.Fprintf(&s.b, `<g class="%s"><title>%s</title><line class="dashed" x1="%s" x2="%s" y1="%s" y2="%s"/><text x="%s" y="%s" text-anchor="end" class="limitlabel">limit</text></g>`,
			class, template.HTMLEscapeString(limitTip), htmlF(s.left), htmlF(s.right), htmlF(y), htmlF(y), htmlF(s.right-4), htmlF(y-4))
	}
	return s.done()
}

// htmlSpectrumQs are the percentiles at htmlSpectrumX's positions, q = 100 (1 − 10^−x), the last one
// p99.999 exactly.
func htmlSpectrumQs() []float64 {
	xs := htmlSpectrumX()
	qs := make([]float64, len(xs))
	for i, x := range xs {
		qs[i] = 100 * (1 - math.Pow(10, -x))
	}
	qs[len(qs)-1] = 99.999
	return qs
}
