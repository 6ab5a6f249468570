package htmlreport

import (
	"fmt"
	"html/template"
	"math"
	"strconv"

	"ccload/report"
)

// htmlQueueTeal is the queue length's colour: none of the other charts' series uses it.
const htmlQueueTeal = "#0c8599"

// htmlHasQueue says whether the report's time series saw an agent queue or an agent join: only
// then is the queue chart drawn (reports written before queue_length have neither).
func htmlHasQueue(r *report.Report) bool {
	for _, p := range r.Timeseries {
		if p.QueueLength > 0 || p.TimeToAgentMaxUS > 0 {
			return true
		}
	}
	return false
}

// htmlQueueChart draws the agent queue over the run: its length (the largest position
// queryQueueInfo reported in each column, left axis) and the longest time to agent of the
// customers whose agent joined then (right axis). Columns merge intervals like the other
// charts (at most maxCols), each keeping the largest value of its intervals.
func htmlQueueChart(r *report.Report, maxCols int) template.HTML {
	s := newHTMLSVG("queue", "agent queue length (left axis) and longest time to agent (right axis) over time", 960, 220)
	pts := r.Timeseries
	if len(pts) == 0 {
		return s.empty("no time series in this report")
	}
	iv := r.IntervalS
	if iv <= 0 {
		iv = 1
	}
	per := (len(pts) + maxCols - 1) / maxCols
	var xs, qlen, wait []float64
	topLen, topWait, end := 0.0, 0.0, 0.0
	for i := 0; i < len(pts); i += per {
		group := pts[i:min(i+per, len(pts))]
		var l, w int64
		for _, p := range group {
			l, w = max(l, p.QueueLength), max(w, p.TimeToAgentMaxUS)
		}
		t0, t1 := group[0].T, group[len(group)-1].T+iv
		end = t1
		xs = append(xs, (t0+t1)/2)
		qlen = append(qlen, float64(l))
		y := math.NaN() // no agent joined in the column: a gap, not a zero wait
		if w > 0 {
			y = float64(w) / 1e6
			topWait = math.Max(topWait, y)
		}
		wait = append(wait, y)
		topLen = math.Max(topLen, float64(l))
	}
	ticks, wticks := htmlNiceTicks(math.Max(topLen, 1), 4), htmlNiceTicks(math.Max(topWait, 0.001), 4)
	s.right = s.w - 64
	s.x0, s.x1, s.y0 = 0, math.Max(math.Max(r.DurationS, end), 1), 0
	s.y1 = wticks[len(wticks)-1]
	for _, v := range wticks {
		s.text(s.right+6, s.py(v)+4, "start", "tick", htmlTickUS(v*1e6))
	}
	// Agents join now and then: a dot per column where some did (a line would leave most unseen).
	for i, y := range wait {
		if !math.IsNaN(y) {
			fmt.Fprintf(&s.b, `<circle class="dot" cx="%s" cy="%s" r="3" fill="%s"/>`, htmlF(s.px(xs[i])), htmlF(s.py(y)), htmlOrange)
		}
	}
	s.y1 = ticks[len(ticks)-1]
	s.yAxis(ticks, func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) })
	s.xAxis(htmlTimeTicks(s.x1), htmlTimeLabel)
	s.line("ln thick", htmlQueueTeal, xs, qlen)
	s.stages(r.Stages)
	return s.done()
}

// htmlQueueRows are the queue's rows of the session-metric table: positions are counts, not µs.
func htmlQueueRows(r *report.Report) []htmlLatRow {
	m := r.SessionMetrics
	if m.QueuePosition.Count == 0 {
		return nil
	}
	p := m.QueuePosition
	n := func(v int64) string { return report.FormatCount(v) }
	e := m.QueueWaitEstimateUS
	return []htmlLatRow{
		{"queue position (queryQueueInfo, while queuing)", n(p.Count), n(p.P50), n(p.P95), n(p.P99), n(p.Max)},
		{"estimated queue wait (queryQueueInfo)", n(e.Count), htmlLat(e, e.P50), htmlLat(e, e.P95), htmlLat(e, e.P99), htmlLat(e, e.Max)},
	}
}
