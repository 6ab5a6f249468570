package render

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"ccload/internal/errw"
	"ccload/report"
	"ccload/report/compare"
)

// MarkdownOptions are the links a Markdown summary carries.
type MarkdownOptions struct {
	// HTML is where the HTML report (or compare view) is, as the summary's reader reaches it: a
	// path relative to the summary, or a CI artifact URL ("" leaves the link out).
	HTML string
	// MaxGroups bounds the groups listed (0: DefaultMarkdownGroups); report.json has them all.
	MaxGroups int
}

// MaxMarkdownChanges bounds the changed rows a compare summary lists (rows over a limit come first).
const MaxMarkdownChanges = 40

// DefaultMarkdownGroups is how many groups a summary lists when MaxGroups is 0.
const DefaultMarkdownGroups = 12

// WriteMarkdown writes r as a CI job summary in GitHub-flavoured Markdown (GitHub Actions'
// $GITHUB_STEP_SUMMARY, a GitLab merge-request note): the verdict, every threshold, the session
// counts, the busiest groups and a link to the HTML report. Text from the report is escaped, so a
// scenario or group name cannot break the tables.
func WriteMarkdown(w io.Writer, r *report.Report, o MarkdownOptions) error {
	ew := errw.New(w)
	verdict, note := markdownVerdict(r)
	name := r.Scenario
	if name == "" {
		name = "(unnamed scenario)"
	}
	ew.Printf("## %s · ccload run · %s\n\n", verdict, mdEscape(name))
	ew.Printf("%s\n\n", mdEscape(note))
	q := r.Requests
	facts := []string{
		"duration " + report.FormatSeconds(r.DurationS),
		num(report.GroupCount(&r.Overall)) + " requests (" + rate(r.Overall.RPS) + "/s)",
		"errors " + share(report.GroupCount(&r.Overall)-r.Overall.OK, report.GroupCount(&r.Overall)),
	}
	if q.NotSent > 0 {
		facts = append(facts, num(q.NotSent)+" not sent")
	}
	if q.Cut > 0 {
		facts = append(facts, num(q.Cut)+" cut by the run")
	}
	if q.UnknownReceipt > 0 {
		facts = append(facts, num(q.UnknownReceipt)+" of unknown receipt (the target closed the connection before answering)")
	}
	if r.Seed != 0 {
		facts = append(facts, "seed "+strconv.FormatInt(r.Seed, 10))
	}
	if r.Target != "" {
		facts = append(facts, "target `"+mdCode(r.Target)+"`")
	}
	ew.Printf("%s\n\n", strings.Join(facts, " · "))

	if len(r.Thresholds) > 0 {
		ew.Printf("### Thresholds\n\n| | threshold | measured | limit | worst window |\n|---|---|---:|---|---|\n")
		for _, t := range r.Thresholds {
			mark, window := "✅ pass", t.Window
			switch {
			case strings.HasPrefix(t.NotJudged, report.InconclusivePrefix):
				mark, window = "⚠️ inconclusive", strings.TrimSpace(t.Window+" "+t.NotJudged)
			case t.NotJudged != "":
				mark, window = "➖ not judged", strings.TrimSpace(t.Window+" "+t.NotJudged)
			case !t.Pass:
				mark = "❌ **fail**"
			}
			ew.Printf("| %s | %s | %s | %s | %s |\n", mark, mdEscape(t.Name), mdEscape(t.Display), mdEscape(t.Limit), mdEscape(window))
		}
		ew.Printf("\n")
	}

	s := r.Sessions
	ew.Printf("### Sessions\n\n| arrivals | started | completed | failed | dropped | ended by platform | cut by grace | interrupted |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	ew.Printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n\n", num(s.Arrivals), num(s.Started), num(s.Completed), num(s.Failed),
		num(s.Dropped), num(s.EndedByPlatform), num(s.CutByGrace), num(s.Interrupted))

	maxG := o.MaxGroups
	if maxG <= 0 {
		maxG = DefaultMarkdownGroups
	}
	ew.Printf("### Groups\n\n| group | requests | errors | p50 | p95 | p99 |\n|---|---:|---:|---:|---:|---:|\n")
	row := func(g *report.Group, name string) {
		n := report.GroupCount(g)
		rt := g.ResponseTimeUS
		ew.Printf("| %s | %s | %s | %s | %s | %s |\n", mdEscape(name), num(n), share(n-g.OK, n),
			lat(rt.Count, rt.P50), lat(rt.Count, rt.P95), lat(rt.Count, rt.P99))
	}
	row(&r.Overall, "all")
	for i := range r.Groups {
		if i == maxG {
			ew.Printf("\n%d more groups are in report.json.\n", len(r.Groups)-maxG)
			break
		}
		row(&r.Groups[i], r.Groups[i].Name)
	}
	ew.Printf("\n")
	m := r.SessionMetrics
	var sm []string
	for _, x := range []struct {
		name string
		l    report.Latency
	}{{"reply latency", m.ReplyLatencyUS}, {"time to agent", m.TimeToAgentUS}, {"scheduler lag", r.SchedulerLagUS}} {
		if x.l.Count > 0 {
			sm = append(sm, fmt.Sprintf("%s p95 %s", x.name, lat(x.l.Count, x.l.P95)))
		}
	}
	if len(sm) > 0 {
		ew.Printf("%s\n\n", strings.Join(sm, " · "))
	}
	if len(r.Warnings) > 0 {
		ew.Printf("### Warnings\n\n")
		for _, wn := range r.Warnings {
			ew.Printf("- %s\n", mdEscape(wn))
		}
		ew.Printf("\n")
	}
	if o.HTML != "" {
		ew.Printf("[The HTML report](%s): charts over time, the percentile spectrum, every group.\n", mdLink(o.HTML))
	}
	return ew.Err()
}

// markdownVerdict is the run's verdict as the HTML report words it, with its one-line reason.
func markdownVerdict(r *report.Report) (verdict, note string) {
	failed, notJudged, inconclusive := 0, 0, 0
	for _, t := range r.Thresholds {
		if t.Failed() {
			failed++
		}
		if t.NotJudged != "" {
			notJudged++
		}
		if strings.HasPrefix(t.NotJudged, report.InconclusivePrefix) {
			inconclusive++
		}
	}
	n := len(r.Thresholds)
	switch {
	case report.Inconclusive(r) && !r.Interrupted:
		return "⚠️ INCONCLUSIVE", fmt.Sprintf("%d of %d thresholds could not be judged: the generator, not the target, was the limit.", inconclusive, n)
	case r.Interrupted:
		return "⚠️ INTERRUPTED", "The run was stopped before its stages ended; what it measured until then is below."
	case failed > 0 || strings.HasPrefix(r.StopReason, "aborted") || r.StopReason == "unreachable":
		note = fmt.Sprintf("%d of %d thresholds failed.", failed, n)
		if r.StopReason != "" && r.StopReason != "completed" {
			note += " Stop reason: " + r.StopReason + "."
		}
		return "❌ FAIL", note
	case report.ThresholdsNotEvaluated(r):
		return "⚠️ NOT EVALUATED", "The scenario sets thresholds but this report carries no result for them."
	case n == 0:
		return "✅ PASS", "The run completed; it set no thresholds."
	case notJudged > 0:
		return "✅ PASS", fmt.Sprintf("%d of %d thresholds passed, %d not judged (see the table).", n-notJudged, n, notJudged)
	}
	return "✅ PASS", fmt.Sprintf("All %d thresholds passed.", n)
}

// WriteCompareMarkdown writes a comparison as a CI job summary: the verdict, every limit checked,
// the rows that got worse or better (the groups that changed), and a link to the compare view.
func WriteCompareMarkdown(w io.Writer, c compare.Result, o MarkdownOptions) error {
	ew := errw.New(w)
	failed, notJudged := 0, 0
	for _, k := range c.Checks {
		if k.Failed() {
			failed++
		}
		if k.NotJudged != "" {
			notJudged++
		}
	}
	verdict := "✅ PASS"
	note := fmt.Sprintf("All %d regression limits held.", len(c.Checks))
	switch {
	case failed > 0:
		verdict, note = "❌ FAIL", fmt.Sprintf("%d of %d regression limits exceeded.", failed, len(c.Checks))
	case c.Inconclusive != "":
		verdict, note = "⚠️ INCONCLUSIVE", "A regression cannot be called: "+c.Inconclusive+"."
	case notJudged > 0:
		note = fmt.Sprintf("%d of %d regression limits held, %d not judged.", len(c.Checks)-notJudged, len(c.Checks), notJudged)
	case len(c.Checks) == 0:
		note = "No regression limit was set: the changes below are for reading, not a gate."
	}
	title := c.New.Scenario
	if c.Base.Scenario != c.New.Scenario {
		title = c.Base.Scenario + " → " + c.New.Scenario
	}
	ew.Printf("## %s · ccload compare · %s\n\n%s\n\n", verdict, mdEscape(title), note)
	ew.Printf("| | report | requests | duration |\n|---|---|---:|---:|\n")
	ew.Printf("| base | %s | %s | %s |\n", mdEscape(c.Base.Label), num(c.Base.Requests), report.FormatSeconds(c.Base.DurationS))
	ew.Printf("| new | %s | %s | %s |\n\n", mdEscape(c.New.Label), num(c.New.Requests), report.FormatSeconds(c.New.DurationS))
	if len(c.Checks) > 0 {
		ew.Printf("### Limits\n\n| | limit | base | new | change |\n|---|---|---:|---:|---:|\n")
		for _, k := range c.Checks {
			mark := "✅ held"
			switch {
			case strings.HasPrefix(k.NotJudged, report.InconclusivePrefix):
				mark = "⚠️ inconclusive"
			case k.NotJudged != "":
				mark = "➖ not judged"
			case !k.Pass:
				mark = "❌ **exceeded**"
			}
			change := k.Change
			if k.Reason != "" {
				change += " (" + k.Reason + ")"
			}
			if k.NotJudged != "" {
				change = strings.TrimSpace(change + " (" + k.NotJudged + ")")
			}
			ew.Printf("| %s | %s | %s | %s | %s |\n", mark, mdEscape(k.Name), mdEscape(k.Base), mdEscape(k.New), mdEscape(change))
		}
		ew.Printf("\n")
	}
	var changed []compare.Row
	for _, r := range c.Rows {
		if r.Worse || r.Better || r.Fail {
			changed = append(changed, r)
		}
	}
	slices.SortStableFunc(changed, func(a, b compare.Row) int { // over a limit, then worse, then better
		rank := func(r compare.Row) int {
			switch {
			case r.Fail:
				return 0
			case r.Worse:
				return 1
			}
			return 2
		}
		return rank(a) - rank(b)
	})
	ew.Printf("### What changed\n\n")
	if len(changed) == 0 {
		ew.Printf("No group changed beyond the measurement's noise.\n\n")
	} else {
		ew.Printf("| group | metric | base | new | change | |\n|---|---|---:|---:|---:|---|\n")
		for i, r := range changed {
			if i == MaxMarkdownChanges {
				ew.Printf("\n%d more changed rows: `ccload compare --all`, or --json.\n", len(changed)-i)
				break
			}
			mark := "better"
			switch {
			case r.Fail:
				mark = "**worse, over " + mdEscape(r.Limit) + "**"
			case r.Worse:
				mark = "worse"
			}
			ew.Printf("| %s | %s | %s | %s | %s | %s |\n", mdEscape(r.Group), mdEscape(r.Metric), mdEscape(r.BaseText), mdEscape(r.NewText), mdEscape(r.Change), mark)
		}
		ew.Printf("\n")
	}
	if len(c.OnlyInBase)+len(c.OnlyInNew) > 0 {
		ew.Printf("Not compared: only in base %s; only in new %s.\n\n", mdList(c.OnlyInBase), mdList(c.OnlyInNew))
	}
	if len(c.Warnings) > 0 {
		ew.Printf("### Warnings\n\n")
		for _, wn := range c.Warnings {
			ew.Printf("- %s\n", mdEscape(wn))
		}
		ew.Printf("\n")
	}
	if o.HTML != "" {
		ew.Printf("[The compare view](%s): both runs' percentile spectra and time series overlaid, each limit marked.\n", mdLink(o.HTML))
	}
	return ew.Err()
}

// mdEscape makes text safe in a Markdown table cell or paragraph: the characters Markdown would read
// as syntax are backslash-escaped, HTML is neutralised, and a line break becomes a space.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '|', '<', '>', '#', '~', '!':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n', '\r':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCode makes text safe inside a code span.
func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "\n", " ", "|", "\\|").Replace(s)
}

// mdLink makes a link target safe: spaces and parentheses percent-encoded.
func mdLink(s string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E").Replace(s)
}

func mdList(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = mdEscape(x)
	}
	return strings.Join(out, ", ")
}
