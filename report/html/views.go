// Package htmlreport renders report.json as the self-contained report.html people read, and the
// compare view of ccload compare --html.
package htmlreport

import (
	"cmp"
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"

	"ccload/gates"
	"ccload/report"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// htmlSeriesPalette is a fixed set of clearly distinct colours (d3's category10, which stays
// apart for the common forms of colour blindness better than hue steps do) for charts with one
// series per group: a chart never has more series than colours, so no two of its lines share one.
var htmlSeriesPalette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"}

// htmlMaxGroupSeries bounds the lines of the per-group response-time chart to the palette: the busiest groups.
var htmlMaxGroupSeries = len(htmlSeriesPalette)

// htmlStagesEnd is where the load stages ended, in seconds from the start: the last stage's start
// plus its length. ok is false when the report does not say (no stages, or a report written
// before stages carried their length).
func htmlStagesEnd(r *report.Report) (end float64, ok bool) {
	if len(r.Stages) == 0 {
		return 0, false
	}
	last := r.Stages[len(r.Stages)-1]
	if last.DurationS <= 0 {
		return 0, false
	}
	return last.T + last.DurationS, true
}

// grace shades the grace period on a time chart: from the end of the stages to that end plus
// Report.GraceS (cut at the chart's right edge when the run ended sooner because every session
// had finished).
func (s *htmlSVG) grace(r *report.Report) {
	end, ok := htmlStagesEnd(r)
	if !ok || r.GraceS <= 0 || end >= s.x1 {
		return
	}
	x0, x1 := s.px(math.Max(end, s.x0)), s.px(math.Min(end+r.GraceS, s.x1))
	tip := fmt.Sprintf("grace period: %s after the last stage (%s–%s), sessions finishing, no new arrivals",
		htmlTimeLabel(r.GraceS), htmlTimeLabel(end), htmlTimeLabel(end+r.GraceS))
	fmt.Fprintf(&s.b, `<rect class="grace" x="%s" y="%s" width="%s" height="%s"><title>%s</title></rect>`,
		htmlF(x0), htmlF(s.top), htmlF(math.Max(x1-x0, 1)), htmlF(s.bot-s.top), template.HTMLEscapeString(tip))
	s.text(x0+4, s.top+12, "start", "gracelabel", "grace")
}

// htmlGroupSeries is one group's p99 response time per time column (NaN where it sent nothing).
type htmlGroupSeries struct {
	name  string
	count int64
	p99   []float64
}

// htmlGroupLatency draws the p99 response time of each of the busiest groups over time, one line
// per group in a distinct colour, from the per-group interval histograms (merged exactly where
// columns join intervals). It returns the chart, its legend and how many groups it left out.
func htmlGroupLatency(r *report.Report, maxCols int) (template.HTML, []htmlLegend, int, error) {
	s := newHTMLSVG("grouplatency", "response time p99 per group over time", 960, 300)
	pts := r.Timeseries
	order := make([]int, 0, len(r.Groups))
	for i := range r.Groups {
		if report.GroupCount(&r.Groups[i]) > 0 {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(report.GroupCount(&r.Groups[b]), report.GroupCount(&r.Groups[a]))
	})
	more := max(len(order)-htmlMaxGroupSeries, 0)
	order = order[:len(order)-more]
	index := map[string]int{} // group name → series
	series := make([]htmlGroupSeries, len(order))
	for k, i := range order {
		series[k] = htmlGroupSeries{name: r.Groups[i].Name, count: report.GroupCount(&r.Groups[i])}
		index[r.Groups[i].Name] = k
	}
	iv := r.IntervalS
	if iv <= 0 {
		iv = 1
	}
	per := max((len(pts)+maxCols-1)/max(maxCols, 1), 1)
	var xs, starts, ends []float64
	found := false
	for i := 0; i < len(pts); i += per {
		col := pts[i:min(i+per, len(pts))]
		start, end := col[0].T, col[len(col)-1].T+iv
		if r.DurationS > 0 && end > r.DurationS && r.DurationS > col[len(col)-1].T {
			end = r.DurationS
		}
		xs, starts, ends = append(xs, (start+end)/2), append(starts, start), append(ends, end)
		hs := make([]*hdrhistogram.Histogram, len(series))
		for _, p := range col {
			for _, gp := range p.Groups {
				k, ok := index[gp.Name]
				if !ok {
					continue
				}
				var err error
				if hs[k], err = report.MergeEncoded(hs[k], gp.Histogram, 0); err != nil {
					return "", nil, 0, fmt.Errorf("timeseries point at %gs, group %s: %v", p.T, gp.Name, err)
				}
			}
		}
		for k := range series {
			v := math.NaN()
			if hs[k] != nil && hs[k].TotalCount() > 0 {
				v, found = math.Max(float64(hs[k].ValueAtQuantile(99)), 1), true
			}
			series[k].p99 = append(series[k].p99, v)
		}
	}
	if !found {
		return s.empty("no per-group time series in this report"), nil, 0, nil
	}
	lo, hi := math.Inf(1), 0.0
	for _, g := range series {
		for _, v := range g.p99 {
			if !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	s.x0, s.x1 = 0, math.Max(r.DurationS, ends[len(ends)-1])
	s.x1 = math.Max(s.x1, 1)
	htmlLatencyAxis(s, lo, hi)
	s.xAxis(htmlTimeTicks(s.x1), htmlTimeLabel)
	s.grace(r)
	var legend []htmlLegend
	for k := len(series) - 1; k >= 0; k-- { // the busiest drawn last, on top
		fmt.Fprintf(&s.b, `<g class="series" data-series="%d"><title>%s p99</title>`, k, template.HTMLEscapeString(series[k].name))
		s.line("ln", htmlSeriesPalette[k], xs, series[k].p99)
		s.b.WriteString("</g>")
	}
	for k, g := range series {
		legend = append(legend, htmlLegend{fmt.Sprintf("%s (%s)", g.name, report.FormatCount(g.count)), htmlSeriesPalette[k]})
	}
	s.stages(r.Stages)
	for c := range xs {
		var tip strings.Builder
		tip.WriteString("t " + htmlTimeLabel(starts[c]) + " · p99")
		for _, g := range series {
			if !math.IsNaN(g.p99[c]) {
				tip.WriteString(" · " + g.name + " " + gates.FormatUS(g.p99[c]))
			}
		}
		x0, x1 := s.px(starts[c]), s.px(ends[c])
		fmt.Fprintf(&s.b, `<rect class="hov" x="%s" y="%s" width="%s" height="%s"><title>%s</title></rect>`,
			htmlF(x0), htmlF(s.top), htmlF(math.Max(x1-x0, 0.5)), htmlF(s.bot-s.top), template.HTMLEscapeString(tip.String()))
	}
	return s.done(), legend, more, nil
}

// htmlLatencyAxis sets s's y range for response times from lo to hi µs and draws its axis: a log
// scale when they span more than 20× (a 10 s timeout beside 5 ms polls), linear from 0 otherwise.
func htmlLatencyAxis(s *htmlSVG, lo, hi float64) {
	if hi/lo > 20 {
		s.ylog = true
		s.y0 = htmlRound125(lo, false)
		s.y1 = htmlRound125(hi/1.01, true) // a histogram's top value overshoots a round one by < 0.1%
		s.yAxis(htmlLogTicks(s.y0, s.y1), htmlTickUS)
		return
	}
	ticks := htmlNiceTicks(hi/1000, 4)
	for i := range ticks {
		ticks[i] *= 1000
	}
	s.y0, s.y1 = 0, ticks[len(ticks)-1]
	s.yAxis(ticks, htmlTickUS)
}
