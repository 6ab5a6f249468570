package htmlreport

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"

	"ccload/report"
)

// htmlCapacity renders report.html's capacity section: the curve of every step (rate → p50 and
// p99 of its measured window, log scale), the bracket [sustainable, breaking] shaded and labelled,
// the knee marked, and a table of the steps. It is "" for a report of no capacity search. The
// page's verdict is the sustainable step's; its note gets the search's outcome in front.
// Everything from the report is escaped (htmlSVG.text, HTMLEscapeString).
func htmlCapacity(r *report.Report, d *htmlData) template.HTML {
	c := r.Capacity
	if c == nil {
		return ""
	}
	d.VerdictNote = "capacity search: " + c.Outcome + " · the report of its highest sustainable step: " + d.VerdictNote
	var b strings.Builder
	esc := template.HTMLEscapeString
	b.WriteString(`<section id="capacity"><h2>Capacity · ` + esc(c.Outcome) + `</h2>`)
	fmt.Fprintf(&b, `<p class="hint" id="capacity-answer">%s</p>`, esc(c.Message))
	b.WriteString(`<style>svg .bracket{fill:var(--ok);opacity:.14}svg .bline{stroke:var(--ok);stroke-width:1.5;stroke-dasharray:4 3}` +
		`svg .brk{stroke:var(--bad);stroke-width:1.5;stroke-dasharray:4 3}svg .knee{stroke:var(--warn);stroke-width:1.5}` +
		`svg .slo{stroke:var(--bad);stroke-width:1.5;stroke-dasharray:8 4;opacity:.8}svg circle.pass{fill:var(--ok)}svg circle.fail{fill:var(--bad)}svg circle.nj{fill:var(--mute)}</style>`)
	b.WriteString(`<div class="chartbox">` + string(htmlCapacityChart(c)) + `</div>`)
	b.WriteString(`<div class="legendrow"><span style="--c:#2f9e44">p50</span><span style="--c:#e03131">p99</span>` +
		`<span style="--c:rgba(26,127,55,.35)">bracket (sustainable .. breaking)</span><span style="--c:#9a6700">knee</span>` +
		`<span style="--c:#e03131">SLO latency limit (dashed)</span></div>`)
	b.WriteString(`<div class="scroll"><table id="capacity-steps"><thead><tr><th>step</th><th>phase</th><th class="n">rate</th><th></th>` +
		`<th class="n">requests</th><th class="n">rps</th><th class="n">p50</th><th class="n">p99</th><th class="n">errors</th><th class="n">lag p99</th><th class="n">cpu</th><th>note</th></tr></thead><tbody>`)
	for _, s := range c.Steps {
		pill := `<span class="pill">` + esc(s.Verdict()) + `</span>`
		switch s.Verdict() {
		case report.StepPass:
			pill = `<span class="pill pass">` + esc(s.Verdict()) + `</span>`
		case report.StepFail:
			pill = `<span class="pill fail">` + esc(s.Verdict()) + `</span>`
		}
		note := strings.Join(s.Broke, "; ")
		if s.Note != "" {
			note = strings.TrimPrefix(note+"; "+s.Note, "; ")
		}
		fmt.Fprintf(&b, `<tr><td>%d</td><td>%s</td><td class="n">%s</td><td>%s</td><td class="n">%d</td><td class="n">%.1f</td><td class="n">%s</td><td class="n">%s</td><td class="n">%.2f%%</td><td class="n">%s</td><td class="n">%.0f%%</td><td>%s</td></tr>`,
			s.N, esc(s.Phase), report.FormatRate(s.Rate), pill, s.Requests, s.RPS, report.FormatUS(s.P50US), report.FormatUS(s.P99US), 100*s.ErrorRate, report.FormatUS(s.LagP99US), 100*s.CPU, esc(note))
	}
	b.WriteString(`</tbody></table></div></section>`)
	return template.HTML(b.String()) // every report string above went through esc or report.FormatUS/report.FormatRate
}

// htmlCapacityChart is the curve: x the step rate, y the window's response time (log scale).
func htmlCapacityChart(c *report.Capacity) template.HTML {
	s := newHTMLSVG("capacity", "response time p50 and p99 of each step's measured window by "+c.Unit+", with the bracket and the SLO's latency limit", 960, 300)
	steps := slices.Clone(c.Steps)
	slices.SortStableFunc(steps, func(a, b report.CapacityStep) int { return cmpFloat(a.Rate, b.Rate) })
	var lo, hi, top float64 = math.Inf(1), 0, 0
	for _, st := range steps {
		if st.P50US > 0 {
			lo = math.Min(lo, float64(st.P50US))
		}
		top = math.Max(top, float64(st.P99US))
		hi = math.Max(hi, st.Rate)
	}
	limits := capacityLatencyLimits(c)
	for _, l := range limits {
		top = math.Max(top, l.Max)
		lo = math.Min(lo, l.Max)
	}
	if top == 0 {
		return s.empty("no step measured a response time")
	}
	if math.IsInf(lo, 1) {
		lo = top / 10
	}
	s.ylog = true
	s.y0, s.y1 = htmlRound125(lo, false), htmlRound125(top, true)
	if s.y1 <= s.y0 {
		s.y1 = s.y0 * 10
	}
	s.x0, s.x1 = 0, htmlNiceTicks(hi*1.05, 5)[len(htmlNiceTicks(hi*1.05, 5))-1]
	if c.Sustainable > 0 {
		x0 := s.px(c.Sustainable)
		x1 := s.right
		if c.Breaking > 0 {
			x1 = s.px(c.Breaking)
		}
		fmt.Fprintf(&s.b, `<rect class="bracket" id="capacity-bracket" x="%s" y="%s" width="%s" height="%s"/>`, htmlF(x0), htmlF(s.top), htmlF(math.Max(x1-x0, 2)), htmlF(s.bot-s.top))
		fmt.Fprintf(&s.b, `<line class="bline" x1="%s" x2="%s" y1="%s" y2="%s"/>`, htmlF(x0), htmlF(x0), htmlF(s.top-14), htmlF(s.bot))
		s.text(x0-4, s.top-4, "end", "legend", "sustainable "+report.FormatRate(c.Sustainable))
		if c.Breaking > 0 {
			fmt.Fprintf(&s.b, `<line class="brk" x1="%s" x2="%s" y1="%s" y2="%s"/>`, htmlF(x1), htmlF(x1), htmlF(s.top-14), htmlF(s.bot))
			s.text(x1+4, s.top-4, "start", "legend", "breaks "+report.FormatRate(c.Breaking))
		}
	}
	if c.Knee > 0 {
		x := s.px(c.Knee)
		fmt.Fprintf(&s.b, `<line class="knee" x1="%s" x2="%s" y1="%s" y2="%s"><title>%s</title></line>`, htmlF(x), htmlF(x), htmlF(s.top+10), htmlF(s.bot),
			template.HTMLEscapeString("knee at "+report.FormatRate(c.Knee)+" "+c.Unit))
	}
	// The SLO's latency limits, where the curve must stay under: a dashed line each, labelled.
	for i, l := range limits {
		y := s.py(l.Max)
		fmt.Fprintf(&s.b, `<line class="slo" id="capacity-slo-%d" x1="%s" x2="%s" y1="%s" y2="%s"><title>%s</title></line>`, i, htmlF(s.left), htmlF(s.right), htmlF(y), htmlF(y),
			template.HTMLEscapeString("SLO limit "+l.Name))
		s.text(s.right-4, y-4, "end", "legend", "SLO "+l.Name)
	}
	s.yAxis(htmlLogTicks(s.y0, s.y1), htmlTickUS)
	s.xAxis(htmlNiceTicks(s.x1, 5), func(v float64) string {
		if c.Unit == "customers" {
			return report.FormatRate(v)
		}
		return report.FormatRate(v) + "/s"
	})
	// The curve: one point per rate (its latest judged measurement), p50 and p99.
	var xs, p50, p99 []float64
	for _, st := range steps {
		if !st.Judged || st.P99US == 0 {
			continue
		}
		if n := len(xs); n > 0 && xs[n-1] == st.Rate {
			p50[n-1], p99[n-1] = float64(max(st.P50US, 1)), float64(st.P99US)
			continue
		}
		xs, p50, p99 = append(xs, st.Rate), append(p50, float64(max(st.P50US, 1))), append(p99, float64(st.P99US))
	}
	s.line("ln", htmlGreen, xs, p50)
	s.line("ln thick", htmlRed, xs, p99)
	for _, st := range c.Steps {
		class := "nj"
		switch st.Verdict() {
		case report.StepPass:
			class = "pass"
		case report.StepFail:
			class = "fail"
		}
		y := float64(max(st.P99US, 1))
		tip := fmt.Sprintf("step %d (%s) %s %s: p50 %s, p99 %s, errors %.2f%%, %.1f req/s, lag p99 %s", st.N, st.Phase, report.FormatRate(st.Rate), c.Unit,
			report.FormatUS(st.P50US), report.FormatUS(st.P99US), 100*st.ErrorRate, st.RPS, report.FormatUS(st.LagP99US))
		fmt.Fprintf(&s.b, `<g><title>%s</title><circle class="step %s" cx="%s" cy="%s" r="5"/></g>`, template.HTMLEscapeString(tip), class, htmlF(s.px(st.Rate)), htmlF(s.py(y)))
	}
	return s.done()
}

// capacityLatencyLimits are the SLO's upper limits the curve can show: response-time percentiles
// of all requests (the curve's own metric), or any latency percentile when the SLO has no such.
func capacityLatencyLimits(c *report.Capacity) []report.CapacityLimit {
	var own, other []report.CapacityLimit
	for _, l := range c.Limits {
		if l.Max <= 0 || !strings.Contains(l.Metric, ".p") {
			continue
		}
		if strings.HasPrefix(l.Metric, "response_time.") && (l.Group == "" || l.Group == "all") {
			own = append(own, l)
		} else if strings.HasPrefix(l.Metric, "service_time.") || strings.HasPrefix(l.Metric, "response_time.") {
			other = append(other, l)
		}
	}
	if len(own) > 0 {
		return own
	}
	return other
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
