package htmlreport

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"ccload/gates"
	"ccload/report"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// report.html is one self-contained file: the template below carries its CSS and a few lines of
// JavaScript (hover tooltips only); every chart is inline SVG drawn here in Go, so the page shows
// all of it with JavaScript off and loads nothing from the network (its Content-Security-Policy
// forbids it). Everything taken from the report is escaped: html/template escapes the page, and
// the SVG builder escapes every string it writes.

//go:embed assets/report.html.tmpl
var htmlPageText string

var htmlPage = template.Must(template.New("report.html").Parse(htmlPageText))

//go:embed assets/charts.js
var chartsJS string

//go:embed assets/report.css
var pageCSS string

// ChartsJS is the charts' interactive layer (tooltips, legend toggles), shared by report.html and
// the live dashboard so both pages run one chart code: it defines ccloadCharts(root).
func ChartsJS() string { return chartsJS }

// CSS is report.html's style sheet, which the live dashboard's page uses as is.
func CSS() string { return pageCSS }

// WriteLiveBody writes what report.html holds inside <main> for snap, a snapshot of a run still
// going, with verdict, class ("pass", "fail", "interrupted") and note in place of a finished run's
// verdict: the live dashboard replaces its page's body with it at each interval, so its charts are
// report.html's, drawn by the same code.
func WriteLiveBody(w io.Writer, snap *report.Report, verdict, class, note string) error {
	d, err := htmlBuild(snap)
	if err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	d.Verdict, d.VerdictClass, d.VerdictNote = verdict, class, note
	if err := htmlPage.ExecuteTemplate(w, "body", d); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	return nil
}

// htmlMaxColumns bounds the points a time chart draws; longer series merge adjacent intervals
// (percentiles from the merged histograms, so they stay exact).
const htmlMaxColumns = 600

// htmlMaxSpectrumGroups bounds the lines of the percentile spectrum: everything, then the busiest groups.
const htmlMaxSpectrumGroups = 8

// WriteHTML writes r as report.html: the verdict, throughput and errors over time, response-time
// percentiles over time with stage boundaries, the latency percentile spectrum per group, resultCode
// and error-class distributions, session metrics, the thresholds and the scenario as run.
func WriteHTML(w io.Writer, r *report.Report) error {
	d, err := htmlBuild(r)
	if err != nil {
		return fmt.Errorf("html: %w", err)
	}
	if err := htmlPage.Execute(w, d); err != nil {
		return fmt.Errorf("html: %w", err)
	}
	return nil
}

// htmlData is what the page template renders.
type htmlData struct {
	Scenario, Verdict, VerdictClass, VerdictNote string
	Meta                                         []htmlKV
	Tiles                                        []htmlTile
	Thresholds                                   []report.ThresholdResult
	ThresholdsFailed                             int
	Throughput, Latency, Spectrum, Active        template.HTML
	Capacity                                     template.HTML // capacity_html.go
	Replay                                       template.HTML // replay_html.go; empty but for a replay
	Push                                         template.HTML // push_html.go; empty without push sessions
	GroupLatency                                 template.HTML // views.go
	GroupLegend                                  []htmlLegend
	GroupMore                                    int
	Queue                                        template.HTML // queue_html.go; empty without a queue
	Legend                                       []htmlLegend
	MoreGroups                                   int
	Groups                                       []htmlGroupRow
	Codes, Classes, Statuses                     []htmlBar
	Sessions                                     []htmlTile
	SessionLatency                               []htmlLatRow
	Warnings                                     []string
	ScenarioText, File                           string
	Stages                                       []report.StageMark
	Schema                                       string
	// Failures is the "Why sessions failed" table (failures_html.go).
	Failures     []htmlFailureRow
	MoreFailures int

	// Banner says why the generator was the limit (report.json's generator_limit), "" when it was not.
	Banner string
	// ThresholdsNotJudged counts the thresholds neither passed nor failed (not_judged).
	ThresholdsNotJudged int
	// CSS and ChartsJS are the shared assets, inlined.
	CSS      template.CSS
	ChartsJS template.JS
}

type htmlKV struct{ K, V string }

type htmlTile struct{ Label, Value, Sub, Class string }

type htmlLegend struct{ Name, Color string }

type htmlGroupRow struct {
	Name, Kind, Count, RPS, Errors, ErrClass, P50, P95, P99, Max string
}

type htmlBar struct {
	Label, Count, Share, Class string
	Pct                        float64 // bar width, 0..100, relative to the largest bar
}

type htmlLatRow struct{ Name, Count, P50, P95, P99, Max string }

func htmlBuild(r *report.Report) (*htmlData, error) {
	d := &htmlData{Scenario: r.Scenario, ScenarioText: r.ScenarioText, File: r.File, Warnings: r.Warnings,
		Thresholds: r.Thresholds, Stages: r.Stages, Schema: r.Schema, CSS: template.CSS(pageCSS), ChartsJS: template.JS(chartsJS)}
	if d.Scenario == "" {
		d.Scenario = "(unnamed scenario)"
	}
	htmlVerdict(r, d)
	d.Capacity = htmlCapacity(r, d)
	d.Replay = htmlReplay(r)
	d.Push = htmlPush(r)
	d.Meta = htmlMeta(r)
	d.Tiles = htmlTiles(r)
	cols, err := htmlColumns(r, htmlMaxColumns)
	if err != nil {
		return nil, err
	}
	d.Throughput = htmlThroughputChart(r, cols)
	d.Latency = htmlLatencyChart(r, cols)
	d.Active = htmlActiveChart(r, cols)
	if d.GroupLatency, d.GroupLegend, d.GroupMore, err = htmlGroupLatency(r, htmlMaxColumns); err != nil {
		return nil, err
	}
	if d.Spectrum, d.Legend, d.MoreGroups, err = htmlSpectrum(r); err != nil {
		return nil, err
	}
	d.Groups = htmlGroups(r)
	d.Codes = htmlBars(r.Overall.ResultCodes, report.ResultCodeBase(&r.Overall), func(k string) string {
		if k == "0" {
			return "ok"
		}
		return "bad"
	})
	d.Classes = htmlBars(r.Overall.Errors, report.GroupCount(&r.Overall), func(string) string { return "bad" })
	d.Statuses = htmlBars(r.Overall.HTTPStatus, report.GroupCount(&r.Overall), func(k string) string {
		if strings.HasPrefix(k, "2") {
			return "ok"
		}
		return "bad"
	})
	d.Sessions, d.SessionLatency = htmlSessions(r)
	d.Failures, d.MoreFailures = htmlFailures(r)
	if htmlHasQueue(r) {
		d.Queue = htmlQueueChart(r, htmlMaxColumns)
	}
	d.SessionLatency = append(d.SessionLatency, htmlQueueRows(r)...)
	return d, nil
}

// Verdict is report.html's verdict of a finished run: its badge (PASS, FAIL, INCONCLUSIVE,
// INTERRUPTED, NOT EVALUATED), the badge's class and the note under it. The live dashboard shows
// it when the run ends, so both pages judge alike (not judged and inconclusive thresholds are
// no failures).
func Verdict(r *report.Report) (verdict, class, note string) {
	var d htmlData
	htmlVerdict(r, &d)
	return d.Verdict, d.VerdictClass, d.VerdictNote
}

func htmlVerdict(r *report.Report, d *htmlData) {
	inconclusive := 0
	for _, t := range r.Thresholds {
		if t.Failed() {
			d.ThresholdsFailed++
		}
		if t.NotJudged != "" {
			d.ThresholdsNotJudged++
		}
		if strings.HasPrefix(t.NotJudged, report.InconclusivePrefix) {
			inconclusive++
		}
	}
	if gl := r.GeneratorLimit; gl != nil {
		d.Banner = strings.Join(gl.Reasons, "; ") + ": latencies include the generator's own delay, so a failure of a latency or rate threshold is inconclusive, not the target's"
	}
	n := len(r.Thresholds)
	switch {
	case report.Inconclusive(r) && !r.Interrupted:
		d.Verdict, d.VerdictClass = "INCONCLUSIVE", "interrupted"
		d.VerdictNote = fmt.Sprintf("%d of %d thresholds could not be judged: the generator, not the target, was the limit", inconclusive, n)
	case r.Interrupted:
		d.Verdict, d.VerdictClass = "INTERRUPTED", "interrupted"
		d.VerdictNote = "the run was stopped before its stages ended; what it measured until then is below"
	case d.ThresholdsFailed > 0 || report.ParseStop(r.StopReason).Kind == report.ReasonAborted || report.ParseStop(r.StopReason).Kind == report.ReasonUnreachable:
		d.Verdict, d.VerdictClass = "FAIL", "fail"
		d.VerdictNote = fmt.Sprintf("%d of %d thresholds failed", d.ThresholdsFailed, n)
		if r.StopReason != "" && r.StopReason != "completed" {
			d.VerdictNote += " · " + r.StopReason
		}
	case report.ThresholdsNotEvaluated(r):
		d.Verdict, d.VerdictClass = "NOT EVALUATED", "interrupted"
		d.VerdictNote = "the scenario sets thresholds but this report carries no result for them: thresholds not evaluated"
	case d.ThresholdsNotJudged > 0:
		d.Verdict, d.VerdictClass = "PASS", "pass"
		d.VerdictNote = fmt.Sprintf("%d of %d thresholds passed, %d not judged (see the table)", n-d.ThresholdsNotJudged, n, d.ThresholdsNotJudged)
	default:
		d.Verdict, d.VerdictClass = "PASS", "pass"
		d.VerdictNote = fmt.Sprintf("all %d thresholds passed", n)
		if n == 0 {
			d.VerdictNote = "the run completed; it set no thresholds"
		}
	}
	if n := r.Sessions.CutByGrace; n > 0 && !r.Interrupted {
		d.VerdictNote += fmt.Sprintf(" · %s sessions cut by the grace period", report.FormatCount(n))
	}
	if r.Interrupted && d.ThresholdsFailed > 0 {
		d.VerdictNote += fmt.Sprintf(" · %d of %d thresholds failed", d.ThresholdsFailed, n)
	}
}

func htmlMeta(r *report.Report) []htmlKV {
	kv := []htmlKV{}
	add := func(k, v string) {
		if v != "" {
			kv = append(kv, htmlKV{k, v})
		}
	}
	if !r.StartedAt.IsZero() {
		add("started", r.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	add("duration", report.FormatSeconds(r.DurationS))
	add("target", r.Target)
	add("file", r.File)
	add("stop", r.StopReason)
	add("seed", strconv.FormatInt(r.Seed, 10))
	if r.Shards > 1 {
		add("shards", strconv.Itoa(r.Shards)+" merged")
	}
	return kv
}

func htmlShare(n, total int64) string {
	if total == 0 {
		return "–"
	}
	return gates.FormatShare(float64(n) / float64(total))
}

func htmlLat(l report.Latency, us int64) string {
	if l.Count == 0 {
		return "–"
	}
	return gates.FormatUS(float64(us))
}

func htmlTiles(r *report.Report) []htmlTile {
	o := &r.Overall
	n := report.GroupCount(o)
	errs := n - o.OK
	errClass := ""
	if errs > 0 {
		errClass = "bad"
	}
	rt := o.ResponseTimeUS
	tiles := []htmlTile{
		{"requests", report.FormatCount(n), strconv.FormatFloat(o.RPS, 'f', 1, 64) + " req/s", ""},
		{"errors", htmlShare(errs, n), report.FormatCount(errs) + " not ok", errClass},
		{"p50 response", htmlLat(rt, rt.P50), "service " + htmlLat(o.ServiceTimeUS, o.ServiceTimeUS.P50), ""},
		{"p95 response", htmlLat(rt, rt.P95), "service " + htmlLat(o.ServiceTimeUS, o.ServiceTimeUS.P95), ""},
		{"p99 response", htmlLat(rt, rt.P99), "max " + htmlLat(rt, rt.Max), ""},
		{"sessions", report.FormatCount(r.Sessions.Started), report.FormatCount(r.Sessions.Completed) + " completed", ""},
	}
	if q := r.Requests; q.NotSent > 0 || q.Cut > 0 {
		// Requests that are no outcome of the target: never sent (by reason), or cut off by the run.
		sub := make([]string, 0, len(q.NotSentBy)+1)
		for _, k := range slices.Sorted(maps.Keys(q.NotSentBy)) {
			sub = append(sub, k+" "+report.FormatCount(q.NotSentBy[k]))
		}
		sub = append(sub, report.FormatCount(q.Cut)+" cut by the run")
		tiles = append(tiles, htmlTile{"not sent", report.FormatCount(q.NotSent), strings.Join(sub, ", "), ""})
	}
	if q := r.Requests; q.UnknownReceipt > 0 {
		// Written on a reused connection the target closed before answering (docs/report-json.md).
		tiles = append(tiles, htmlTile{"unknown receipt", report.FormatCount(q.UnknownReceipt), "the target closed the connection before answering; it may not have read them", ""})
	}
	return tiles
}

func htmlGroups(r *report.Report) []htmlGroupRow {
	row := func(g *report.Group, name string) htmlGroupRow {
		n := report.GroupCount(g)
		rt := g.ResponseTimeUS
		cls := ""
		if n-g.OK > 0 {
			cls = "bad"
		}
		return htmlGroupRow{Name: name, Kind: g.Kind, Count: report.FormatCount(n), RPS: strconv.FormatFloat(g.RPS, 'f', 1, 64),
			Errors: htmlShare(n-g.OK, n), ErrClass: cls, P50: htmlLat(rt, rt.P50), P95: htmlLat(rt, rt.P95),
			P99: htmlLat(rt, rt.P99), Max: htmlLat(rt, rt.Max)}
	}
	rows := []htmlGroupRow{row(&r.Overall, "all")}
	for i := range r.Groups {
		rows = append(rows, row(&r.Groups[i], r.Groups[i].Name))
	}
	return rows
}

// htmlBars turns a count map into bars sorted by count (then key), widths relative to the largest.
func htmlBars(m map[string]int64, total int64, class func(string) string) []htmlBar {
	keys := make([]string, 0, len(m))
	var top int64
	for k, v := range m {
		keys = append(keys, k)
		top = max(top, v)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			if m[a] > m[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	var bars []htmlBar
	for _, k := range keys {
		pct := 0.0
		if top > 0 {
			pct = math.Max(0.5, 100*float64(m[k])/float64(top))
		}
		bars = append(bars, htmlBar{Label: k, Count: report.FormatCount(m[k]), Share: htmlShare(m[k], total), Class: class(k), Pct: pct})
	}
	return bars
}

func htmlSessions(r *report.Report) ([]htmlTile, []htmlLatRow) {
	s := r.Sessions
	bad := func(n int64) string {
		if n > 0 {
			return "bad"
		}
		return ""
	}
	tiles := []htmlTile{
		{"arrivals", report.FormatCount(s.Arrivals), "", ""},
		{"started", report.FormatCount(s.Started), "", ""},
		{"completed", report.FormatCount(s.Completed), htmlShare(s.Completed, s.Started), ""},
		{"failed", report.FormatCount(s.Failed), htmlShare(s.Failed, s.Started), bad(s.Failed)},
		{"dropped", report.FormatCount(s.Dropped), htmlShare(s.Dropped, s.Arrivals) + " of arrivals", bad(s.Dropped)},
		{"interrupted", report.FormatCount(s.Interrupted), "", ""},
		{"ended by platform", report.FormatCount(s.EndedByPlatform), htmlShare(s.EndedByPlatform, s.Started), ""},
		{"cut by grace", report.FormatCount(s.CutByGrace), htmlShare(s.CutByGrace, s.Started), bad(s.CutByGrace)},
		{"reply timeouts", report.FormatCount(r.SessionMetrics.ReplyTimeouts), "", bad(r.SessionMetrics.ReplyTimeouts)},
	}
	row := func(name string, l report.Latency) htmlLatRow {
		return htmlLatRow{name, report.FormatCount(l.Count), htmlLat(l, l.P50), htmlLat(l, l.P95), htmlLat(l, l.P99), htmlLat(l, l.Max)}
	}
	m := r.SessionMetrics
	rows := []htmlLatRow{
		row("reply latency (chat → first answer)", m.ReplyLatencyUS),
		row("time to agent (transfer → agent joined)", m.TimeToAgentUS),
		row("session duration", m.SessionDurationUS),
		row("scheduler lag (intended → actual send)", r.SchedulerLagUS),
	}
	if r.ThrottleWaitUS.Count > 0 {
		rows = append(rows, row("throttle wait (max_rps limiter, in response time)", r.ThrottleWaitUS))
	}
	return tiles, rows
}

// htmlCol is one column of the time charts: one interval, or several merged.
type htmlCol struct {
	t, dur                                     float64
	req, errs, active, arrivals, dropped, fail int64
	p50, p95, p99                              int64 // -1: unknown
}

// htmlColumns merges the time series into at most maxCols columns, decoding the interval
// histograms for p95 (and exact percentiles of merged columns).
func htmlColumns(r *report.Report, maxCols int) ([]htmlCol, error) {
	pts := r.Timeseries
	if len(pts) == 0 {
		return nil, nil
	}
	iv := r.IntervalS
	if iv <= 0 {
		iv = 1
	}
	per := (len(pts) + maxCols - 1) / maxCols
	var cols []htmlCol
	for i := 0; i < len(pts); i += per {
		group := pts[i:min(i+per, len(pts))]
		c := htmlCol{t: group[0].T, p50: -1, p95: -1, p99: -1}
		end := group[len(group)-1].T + iv
		if r.DurationS > 0 && end > r.DurationS && r.DurationS > group[len(group)-1].T {
			end = r.DurationS
		}
		c.dur = end - c.t
		var h *hdrhistogram.Histogram
		var sum report.Point
		for _, p := range group {
			sum.AddCounts(p)
			var err error
			if h, err = report.MergeEncoded(h, p.Histogram, 0); err != nil {
				return nil, fmt.Errorf("timeseries point at %gs: %v", p.T, err)
			}
		}
		c.req, c.errs, c.active, c.arrivals, c.dropped, c.fail = sum.Requests, sum.Errors, sum.Active, sum.Arrivals, sum.Dropped, sum.SessionsFailed
		switch {
		case h != nil && h.TotalCount() > 0:
			v := h.ValueAtPercentilesSlice([]float64{50, 95, 99})
			c.p50, c.p95, c.p99 = v[0], v[1], v[2]
		case len(group) == 1 && group[0].Requests > 0:
			c.p50, c.p99 = group[0].P50US, group[0].P99US
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// htmlColTip is a column's hover text.
func htmlColTip(c htmlCol) string {
	rps := 0.0
	if c.dur > 0 {
		rps = float64(c.req) / c.dur
	}
	s := fmt.Sprintf("t %s · %s req/s · %s errors (%s)", htmlTimeLabel(c.t), strconv.FormatFloat(rps, 'f', 1, 64),
		report.FormatCount(c.errs), htmlShare(c.errs, c.req))
	if c.p50 >= 0 {
		s += " · p50 " + gates.FormatUS(float64(c.p50))
	}
	if c.p95 >= 0 {
		s += " · p95 " + gates.FormatUS(float64(c.p95))
	}
	if c.p99 >= 0 {
		s += " · p99 " + gates.FormatUS(float64(c.p99))
	}
	return s
}

// htmlTimeLabel renders seconds since the start for axes: "0s", "45s", "2m", "1m30s", "1h5m".
func htmlTimeLabel(s float64) string {
	d := time.Duration(math.Round(s*10) / 10 * float64(time.Second))
	if d < time.Minute {
		return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
	}
	out := d.Round(time.Second).String() // "1m30s", "2m0s", "1h0m0s"
	if strings.HasSuffix(out, "m0s") {
		out = strings.TrimSuffix(out, "0s")
	}
	if strings.HasSuffix(out, "h0m") {
		out = strings.TrimSuffix(out, "0m")
	}
	return out
}

// htmlTickUS labels a latency axis tick compactly: "0", "50ms", "2.5ms", "1s", "500µs".
func htmlTickUS(us float64) string {
	if us == 0 {
		return "0"
	}
	unit, div := "µs", 1.0
	switch {
	case us >= 1e6:
		unit, div = "s", 1e6
	case us >= 1000:
		unit, div = "ms", 1000
	}
	return strconv.FormatFloat(math.Round(us/div*1000)/1000, 'f', -1, 64) + unit
}

// ---- SVG drawing ----------------------------------------------------------------------------

// htmlSVG builds one chart: a viewBox-sized SVG that scales to its container's width.
type htmlSVG struct {
	b                     strings.Builder
	w, h                  float64
	left, right, top, bot float64 // plot area in viewBox units
	x0, x1, y0, y1        float64 // data ranges
	ylog                  bool    // y on a log scale (x of the spectrum is already log10(1/(1-q)))
}

func newHTMLSVG(class, label string, w, h float64) *htmlSVG {
	s := &htmlSVG{w: w, h: h, left: 74, right: w - 24, top: 30, bot: h - 34}
	fmt.Fprintf(&s.b, `<svg class="chart %s" viewBox="0 0 %g %g" width="100%%" role="img" aria-label="%s" preserveAspectRatio="xMidYMid meet">`,
		template.HTMLEscapeString(class), w, h, template.HTMLEscapeString(label))
	return s
}

func (s *htmlSVG) px(x float64) float64 {
	f := (x - s.x0) / (s.x1 - s.x0)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		f = 0
	}
	return s.left + f*(s.right-s.left)
}

func (s *htmlSVG) py(y float64) float64 {
	f := (y - s.y0) / (s.y1 - s.y0)
	if s.ylog {
		f = (math.Log10(math.Max(y, s.y0)) - math.Log10(s.y0)) / (math.Log10(s.y1) - math.Log10(s.y0))
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		f = 0
	}
	return s.bot - f*(s.bot-s.top)
}

func htmlF(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// text writes escaped text at (x, y) in viewBox units.
func (s *htmlSVG) text(x, y float64, anchor, class, t string) {
	fmt.Fprintf(&s.b, `<text x="%s" y="%s" text-anchor="%s" class="%s">%s</text>`, htmlF(x), htmlF(y), anchor, class, template.HTMLEscapeString(t))
}

// yAxis draws horizontal grid lines and labels at ticks.
func (s *htmlSVG) yAxis(ticks []float64, label func(float64) string) {
	for _, v := range ticks {
		y := s.py(v)
		fmt.Fprintf(&s.b, `<line class="grid" x1="%s" x2="%s" y1="%s" y2="%s"/>`, htmlF(s.left), htmlF(s.right), htmlF(y), htmlF(y))
		s.text(s.left-6, y+4, "end", "tick", label(v))
	}
}

// xAxis draws tick marks and labels at ticks along the bottom.
func (s *htmlSVG) xAxis(ticks []float64, label func(float64) string) {
	fmt.Fprintf(&s.b, `<line class="axis" x1="%s" x2="%s" y1="%s" y2="%s"/>`, htmlF(s.left), htmlF(s.right), htmlF(s.bot), htmlF(s.bot))
	for _, v := range ticks {
		x := s.px(v)
		fmt.Fprintf(&s.b, `<line class="axis" x1="%s" x2="%s" y1="%s" y2="%s"/>`, htmlF(x), htmlF(x), htmlF(s.bot), htmlF(s.bot+5))
		s.text(x, s.bot+19, "middle", "tick", label(v))
	}
}

// line draws a polyline through the points (NaN y breaks the line).
func (s *htmlSVG) line(class, color string, xs, ys []float64) {
	var d strings.Builder
	pen := false
	for i := range xs {
		if math.IsNaN(ys[i]) {
			pen = false
			continue
		}
		cmd := "L"
		if !pen {
			cmd = "M"
		}
		pen = true
		d.WriteString(cmd + htmlF(s.px(xs[i])) + " " + htmlF(s.py(ys[i])))
	}
	if d.Len() == 0 {
		return
	}
	fmt.Fprintf(&s.b, `<path class="%s" stroke="%s" d="%s"/>`, class, color, d.String())
}

// area fills from the baseline up to the points.
func (s *htmlSVG) area(class string, xs, ys []float64) {
	if len(xs) == 0 {
		return
	}
	var d strings.Builder
	d.WriteString("M" + htmlF(s.px(xs[0])) + " " + htmlF(s.bot))
	for i := range xs {
		d.WriteString("L" + htmlF(s.px(xs[i])) + " " + htmlF(s.py(ys[i])))
	}
	d.WriteString("L" + htmlF(s.px(xs[len(xs)-1])) + " " + htmlF(s.bot) + "Z")
	fmt.Fprintf(&s.b, `<path class="%s" d="%s"/>`, class, d.String())
}

// stages marks the load stages with dashed vertical lines and their labels.
func (s *htmlSVG) stages(marks []report.StageMark) {
	lastLabel := math.Inf(-1)
	for _, m := range marks {
		if m.T < s.x0 || m.T > s.x1 {
			continue
		}
		m.Label = htmlRoundNumbers(m.Label)
		x := s.px(m.T)
		fmt.Fprintf(&s.b, `<line class="stage" x1="%s" x2="%s" y1="%s" y2="%s"><title>%s</title></line>`,
			htmlF(x), htmlF(x), htmlF(s.top-16), htmlF(s.bot), template.HTMLEscapeString("stage at "+htmlTimeLabel(m.T)+": "+m.Label))
		if x-lastLabel > 110 && x < s.right-40 {
			s.text(x+4, s.top-6, "start", "stagelabel", m.Label)
			lastLabel = x
		}
	}
}

// hover adds one transparent column per time column carrying its tooltip.
func (s *htmlSVG) hover(cols []htmlCol) {
	for _, c := range cols {
		x0, x1 := s.px(c.t), s.px(c.t+c.dur)
		fmt.Fprintf(&s.b, `<rect class="hov" x="%s" y="%s" width="%s" height="%s"><title>%s</title></rect>`,
			htmlF(x0), htmlF(s.top), htmlF(math.Max(x1-x0, 0.5)), htmlF(s.bot-s.top), template.HTMLEscapeString(htmlColTip(c)))
	}
}

func (s *htmlSVG) empty(msg string) template.HTML {
	s.text(s.w/2, s.h/2, "middle", "empty", msg)
	return s.done()
}

func (s *htmlSVG) done() template.HTML {
	s.b.WriteString("</svg>")
	return template.HTML(s.b.String()) // every string inside was escaped by text() or HTMLEscapeString
}

// htmlLongDecimal is a number with more than three decimals, as %g prints a rate that --duration
// scaled (0.583333333333334).
var htmlLongDecimal = regexp.MustCompile(`\d+\.\d{4,}`)

// htmlRoundNumbers rounds the long decimals of a stage label to three places for the page:
// report.json keeps the exact rate, a chart label needs to be read.
func htmlRoundNumbers(label string) string {
	return htmlLongDecimal.ReplaceAllStringFunc(label, func(n string) string {
		v, err := strconv.ParseFloat(n, 64)
		if err != nil {
			return n
		}
		return strconv.FormatFloat(math.Round(v*1000)/1000, 'f', -1, 64)
	})
}

// htmlNiceTicks returns about n round ticks from 0 to at least hi.
func htmlNiceTicks(hi float64, n int) []float64 {
	if hi <= 0 || math.IsNaN(hi) || math.IsInf(hi, 0) {
		hi = 1
	}
	raw := hi / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var t []float64
	for v := 0.0; v < hi+step*0.999 && len(t) < 4*n; v += step {
		t = append(t, v)
	}
	return t
}

// htmlTimeTicks picks round time ticks over [0, span] seconds.
func htmlTimeTicks(span float64) []float64 {
	step := 1.0
	for _, s := range []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400} {
		step = s
		if span/s <= 8 {
			break
		}
	}
	var t []float64
	for v := 0.0; v <= span+1e-9 && len(t) < 50; v += step {
		t = append(t, v)
	}
	return t
}

// htmlRound125 rounds v to the next 1-2-5 step up (or down): 1.2 s → 2 s, 3 ms → 2 ms.
func htmlRound125(v float64, up bool) float64 {
	v = math.Max(v, 1)
	mag := math.Pow(10, math.Floor(math.Log10(v)))
	steps := []float64{1, 2, 5, 10}
	if up {
		for _, m := range steps {
			if m*mag >= v*0.9999 {
				return m * mag
			}
		}
	}
	for i := len(steps) - 1; i >= 0; i-- {
		if steps[i]*mag <= v*1.0001 {
			return steps[i] * mag
		}
	}
	return mag
}

// htmlLogTicks returns 1-2-5 ticks covering [lo, hi].
func htmlLogTicks(lo, hi float64) []float64 {
	var t []float64
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)) && len(t) < 40; e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v >= lo*0.999 && v <= hi*1.001 {
				t = append(t, v)
			}
		}
	}
	return t
}

func htmlSpan(r *report.Report, cols []htmlCol) float64 {
	span := r.DurationS
	if n := len(cols); n > 0 {
		span = math.Max(span, cols[n-1].t+cols[n-1].dur)
	}
	return math.Max(span, 1)
}

const (
	htmlBlue   = "#1c7ed6"
	htmlRed    = "#e03131"
	htmlGreen  = "#2f9e44"
	htmlOrange = "#f08c00"
	htmlPurple = "#ae3ec9"
	htmlGray   = "#868e96"
)

func htmlThroughputChart(r *report.Report, cols []htmlCol) template.HTML {
	s := newHTMLSVG("throughput", "requests and errors per second over time", 960, 270)
	if len(cols) == 0 {
		return s.empty("no time series in this report")
	}
	xs, rps, eps := make([]float64, len(cols)), make([]float64, len(cols)), make([]float64, len(cols))
	top := 0.0
	for i, c := range cols {
		xs[i] = c.t + c.dur/2
		if c.dur > 0 {
			rps[i], eps[i] = float64(c.req)/c.dur, float64(c.errs)/c.dur
		}
		top = math.Max(top, rps[i])
	}
	ticks := htmlNiceTicks(top, 4)
	s.x0, s.x1, s.y0, s.y1 = 0, htmlSpan(r, cols), 0, ticks[len(ticks)-1]
	s.yAxis(ticks, func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) + "/s" })
	s.xAxis(htmlTimeTicks(s.x1), htmlTimeLabel)
	s.area("fill-rps", xs, rps)
	s.line("ln", htmlBlue, xs, rps)
	for i, c := range cols {
		if c.errs == 0 {
			continue
		}
		x0, x1 := s.px(c.t), s.px(c.t+c.dur)
		y := s.py(eps[i])
		fmt.Fprintf(&s.b, `<rect class="errbar" x="%s" y="%s" width="%s" height="%s"/>`, htmlF(x0), htmlF(y), htmlF(math.Max(x1-x0-0.4, 0.8)), htmlF(math.Max(s.bot-y, 1)))
	}
	s.grace(r)
	s.stages(r.Stages)
	s.hover(cols)
	return s.done()
}

func htmlLatencyChart(r *report.Report, cols []htmlCol) template.HTML {
	s := newHTMLSVG("latency", "response time p50, p95 and p99 over time", 960, 270)
	xs := make([]float64, len(cols))
	series := [3][]float64{make([]float64, len(cols)), make([]float64, len(cols)), make([]float64, len(cols))}
	top := 0.0
	for i, c := range cols {
		xs[i] = c.t + c.dur/2
		for j, v := range []int64{c.p50, c.p95, c.p99} {
			series[j][i] = math.NaN()
			if v >= 0 {
				series[j][i] = float64(v)
				top = math.Max(top, float64(v))
			}
		}
	}
	if top == 0 {
		return s.empty("no response times in this report")
	}
	ticks := htmlNiceTicks(top/1000, 4) // in ms
	for i := range ticks {
		ticks[i] *= 1000
	}
	s.x0, s.x1, s.y0, s.y1 = 0, htmlSpan(r, cols), 0, ticks[len(ticks)-1]
	s.yAxis(ticks, htmlTickUS)
	s.xAxis(htmlTimeTicks(s.x1), htmlTimeLabel)
	s.line("ln", htmlGreen, xs, series[0])
	s.line("ln", htmlOrange, xs, series[1])
	s.line("ln thick", htmlRed, xs, series[2])
	s.grace(r)
	s.stages(r.Stages)
	s.hover(cols)
	return s.done()
}

func htmlActiveChart(r *report.Report, cols []htmlCol) template.HTML {
	s := newHTMLSVG("active", "active customers (left axis), arrivals and dropped arrivals per second (right axis) over time", 960, 220)
	if len(cols) == 0 {
		return s.empty("no time series in this report")
	}
	xs, act, arr := make([]float64, len(cols)), make([]float64, len(cols)), make([]float64, len(cols))
	topAct, topArr := 0.0, 0.0
	for i, c := range cols {
		xs[i] = c.t + c.dur/2
		act[i] = float64(c.active)
		if c.dur > 0 {
			arr[i] = float64(c.arrivals) / c.dur
			topArr = math.Max(topArr, float64(c.dropped)/c.dur)
		}
		topAct, topArr = math.Max(topAct, act[i]), math.Max(topArr, arr[i])
	}
	// Customers and arrivals per second are different units: a long session makes hundreds of
	// customers out of ten arrivals a second, which on one axis flattens the arrivals to the floor.
	ticks, aticks := htmlNiceTicks(topAct, 4), htmlNiceTicks(topArr, 4)
	s.right = s.w - 64
	s.x0, s.x1, s.y0, s.y1 = 0, htmlSpan(r, cols), 0, ticks[len(ticks)-1]
	s.yAxis(ticks, func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) })
	s.xAxis(htmlTimeTicks(s.x1), htmlTimeLabel)
	s.y1 = aticks[len(aticks)-1]
	for _, v := range aticks {
		s.text(s.right+6, s.py(v)+4, "start", "tick", strconv.FormatFloat(v, 'f', -1, 64)+"/s")
	}
	for _, c := range cols {
		if c.dropped == 0 || c.dur <= 0 {
			continue
		}
		x0, x1 := s.px(c.t), s.px(c.t+c.dur)
		y := s.py(float64(c.dropped) / c.dur)
		fmt.Fprintf(&s.b, `<rect class="errbar" x="%s" y="%s" width="%s" height="%s"/>`, htmlF(x0), htmlF(y), htmlF(math.Max(x1-x0-0.4, 0.8)), htmlF(math.Max(s.bot-y, 1)))
	}
	s.line("ln dashed", htmlBlue, xs, arr)
	s.y1 = ticks[len(ticks)-1]
	s.line("ln", htmlPurple, xs, act)
	s.grace(r)
	s.stages(r.Stages)
	return s.done()
}

var htmlPalette = []string{"#212529", htmlBlue, "#e8590c", htmlGreen, htmlPurple, "#0c8599", "#c2255c", "#5c940d", htmlGray}

// htmlSpectrumX are the plotted positions: x = log10(1/(1-q)), from p0 to p99.999.
func htmlSpectrumX() []float64 {
	var xs []float64
	for x := 0.0; x <= 5.0001; x += 0.025 {
		xs = append(xs, x)
	}
	return xs
}

// htmlSpectrum draws the HdrHistogram-style percentile plot: one line per group (everything, then
// the busiest groups), x = percentile on a log scale of 1/(1-q), y = response time.
func htmlSpectrum(r *report.Report) (template.HTML, []htmlLegend, int, error) {
	s := newHTMLSVG("spectrum", "response time by percentile, per group", 960, 320)
	type line struct {
		name string
		h    *hdrhistogram.Histogram
	}
	var lines []line
	add := func(name, enc string) error {
		if enc == "" {
			return nil
		}
		h, err := hdrhistogram.Decode([]byte(enc))
		if err != nil {
			return fmt.Errorf("group %s: decoding histogram: %v", name, err)
		}
		if h.TotalCount() > 0 {
			lines = append(lines, line{name, h})
		}
		return nil
	}
	if err := add("all", r.Overall.ResponseHistogram); err != nil {
		return "", nil, 0, err
	}
	order := make([]int, len(r.Groups))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ca, cb := report.GroupCount(&r.Groups[a]), report.GroupCount(&r.Groups[b])
		switch {
		case ca > cb:
			return -1
		case ca < cb:
			return 1
		}
		return 0
	})
	more := 0
	for _, i := range order {
		g := &r.Groups[i]
		if len(lines) >= htmlMaxSpectrumGroups {
			more++
			continue
		}
		if err := add(g.Name, g.ResponseHistogram); err != nil {
			return "", nil, 0, err
		}
	}
	if len(lines) == 0 {
		return s.empty("no response-time histograms in this report"), nil, 0, nil
	}
	xs := htmlSpectrumX()
	qs := make([]float64, len(xs))
	for i, x := range xs {
		qs[i] = 100 * (1 - math.Pow(10, -x))
	}
	qs[len(qs)-1] = 99.999
	vals := make([][]float64, len(lines))
	lo, hi := math.Inf(1), 0.0
	for i, l := range lines {
		v := l.h.ValueAtPercentilesSlice(qs)
		vals[i] = make([]float64, len(v))
		for j, u := range v {
			vals[i][j] = math.Max(float64(u), 1)
			lo, hi = math.Min(lo, vals[i][j]), math.Max(hi, vals[i][j])
		}
	}
	s.left, s.right, s.top = 78, s.w-44, 24
	s.x0, s.x1 = 0, 5
	if hi/lo > 20 {
		s.ylog = true
		s.y0 = htmlRound125(lo, false)
		s.y1 = htmlRound125(hi/1.01, true) // a histogram's top value overshoots a round one by < 0.1%
		s.yAxis(htmlLogTicks(s.y0, s.y1), htmlTickUS)
	} else {
		ticks := htmlNiceTicks(hi/1000, 4)
		for i := range ticks {
			ticks[i] *= 1000
		}
		s.y0, s.y1 = 0, ticks[len(ticks)-1]
		s.yAxis(ticks, htmlTickUS)
	}
	s.xAxis([]float64{0, 1, 2, 3, 4, 5}, func(x float64) string {
		return [...]string{"p0", "p90", "p99", "p99.9", "p99.99", "p99.999"}[int(x)]
	})
	var legend []htmlLegend
	for i := len(lines) - 1; i >= 0; i-- { // "all" drawn last, on top
		color := htmlPalette[i%len(htmlPalette)]
		class := "ln"
		if i == 0 {
			class = "ln thick"
		}
		fmt.Fprintf(&s.b, `<g><title>%s</title>`, template.HTMLEscapeString(lines[i].name))
		s.line(class, color, xs, vals[i])
		s.b.WriteString("</g>")
	}
	for i, l := range lines {
		legend = append(legend, htmlLegend{fmt.Sprintf("%s (%s)", l.name, report.FormatCount(l.h.TotalCount())), htmlPalette[i%len(htmlPalette)]})
	}
	// Hover columns at the marked percentiles, with every line's value.
	for k, x := range []float64{0, 1, 2, 3, 4, 5} {
		j := min(int(math.Round(x/0.025)), len(xs)-1)
		var tip strings.Builder
		tip.WriteString([...]string{"p0", "p90", "p99", "p99.9", "p99.99", "p99.999"}[k])
		for i, l := range lines {
			tip.WriteString(" · " + l.name + " " + gates.FormatUS(vals[i][j]))
		}
		px := s.px(x)
		fmt.Fprintf(&s.b, `<rect class="hov" x="%s" y="%s" width="24" height="%s"><title>%s</title></rect>`,
			htmlF(px-12), htmlF(s.top), htmlF(s.bot-s.top), template.HTMLEscapeString(tip.String()))
	}
	return s.done(), legend, more, nil
}
