package htmlreport

import (
	"fmt"
	"html/template"
	"strings"

	"ccload/report"
)

// htmlPush renders report.html's push section: the webhook receiver's callbacks by outcome and
// its messages by outcome and kind, so a reader sees the callbacks that went astray. It is ""
// for a run without push sessions. Only the URL is a string, and it is escaped.
func htmlPush(r *report.Report) template.HTML {
	p := r.Push
	if p == nil {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<section id="push"><h2>Push · webhook %s</h2><div class="scroll"><table id="push-counts"><tbody>`, template.HTMLEscapeString(p.URL))
	row := func(k string, n int64, bad bool, note string) { htmlCountRow(&b, k, n, bad, note) }
	row("callbacks", p.Callbacks, false, fmt.Sprintf("%d accepted", p.Accepted))
	row("malformed", p.Malformed+p.TooLarge, true, fmt.Sprintf("%d over the size limit", p.TooLarge))
	row("faulted", p.Faulted+p.Stalled, false, fmt.Sprintf("answered 500 by the fault option (%d after a stall)", p.Stalled))
	row("abandoned", p.Abandoned, true, "the body never came whole")
	row("without auth-v2", p.BadAuth, true, "no well-formed Authorization header")
	row("messages matched", p.Messages.Matched, false, fmt.Sprintf("robot %d, agent %d, system %d, other %d (every message)", p.Kinds.Robot, p.Kinds.Agent, p.Kinds.System, p.Kinds.Other))
	row("unknown customer", p.Messages.Unknown, true, "its to is no customer of this run")
	row("duplicated", p.Messages.Duplicated, true, "the same message again (a retry)")
	row("overflowed", p.Messages.Overflowed, true, "matched, then lost: 64 messages already waited for the customer (the oldest went)")
	row("late", p.Messages.Late, true, "after the customer's session ended")
	b.WriteString(`</tbody></table></div></section>`)
	return template.HTML(b.String()) // the URL went through HTMLEscapeString; the rest are numbers and fixed text
}

// htmlCountRow writes one row of a counts table (push, replay): a name, a count and a note, which
// are HTML (the caller escapes any text that is not its own); the row is red when bad and the count is not zero.
func htmlCountRow(b *strings.Builder, k string, n int64, bad bool, note string) {
	cls := ""
	if bad && n > 0 {
		cls = ` class="fail"`
	}
	fmt.Fprintf(b, `<tr%s><td>%s</td><td class="n">%d</td><td>%s</td></tr>`, cls, k, n, note)
}
