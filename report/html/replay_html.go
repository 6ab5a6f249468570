package htmlreport

import (
	"fmt"
	"html/template"
	"strings"

	"ccload/report"
)

// htmlReplay renders report.html's replay section: what ccload replay took from its log (lines,
// sessions, arrivals, and each problem kind with its first line numbers), so a reader of the page
// sees when the run did not play the whole log. It is "" for a report of no replay. The section
// holds counts and line numbers only (report.Replay carries nothing else); strings are escaped.
func htmlReplay(r *report.Report) template.HTML {
	x := r.Replay
	if x == nil {
		return ""
	}
	esc := template.HTMLEscapeString
	var b strings.Builder
	state := "complete"
	if !x.Complete {
		state = `<span class="bad">incomplete</span>`
	}
	fmt.Fprintf(&b, `<section id="replay"><h2>Replay · %s · %s</h2>`, esc(x.Log), state)
	if x.Error != "" {
		fmt.Fprintf(&b, `<p class="hint" id="replay-error">%s</p>`, esc(x.Error))
	}
	b.WriteString(`<div class="scroll"><table id="replay-counts"><tbody>`)
	row := func(k string, n int64, note string) { htmlCountRow(&b, esc(k), n, false, esc(note)) }
	row("lines", x.Lines, fmt.Sprintf("%d requests, %d blank, %d bad", x.Requests, x.Blank, x.Bad))
	row("sessions", x.Sessions, fmt.Sprintf("%d selected (%d invalid), %d without CONNECT, %d outside the window, %d not reached", x.Selected, x.Invalid, x.SkippedNoConnect, x.OutsideWindow, x.NotReached))
	row("arrivals", x.Arrivals, fmt.Sprintf("%d requests; speed %g, scale %d, window %.1f s", x.ArrivalRequests, x.Speed, x.Scale, x.WindowS))
	row("max open", int64(x.MaxOpen), fmt.Sprintf("sessions open at once; %d held back for start order", x.MaxPending))
	for _, k := range report.ReplayProblemKeys(x) {
		p := x.Problems[k]
		note := "first: " + report.ReplayLines(p.FirstLines)
		if len(p.FirstLines) == 0 {
			note = ""
		}
		fmt.Fprintf(&b, `<tr class="fail"><td>%s</td><td class="n">%d</td><td>%s</td></tr>`, esc(k), p.Count, esc(note))
	}
	b.WriteString(`</tbody></table></div></section>`)
	return template.HTML(b.String()) // every report string above went through esc or a number verb
}
