package render

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"ccload/internal/errw"
	"ccload/report"
)

// LagWarnUS is the scheduler-lag p99 above which the summary warns that the generator was the bottleneck (10 ms).
const LagWarnUS = 10_000

// maxCodesShown bounds the resultCode lines of the summary; the rest are summed in one line.
const maxCodesShown = 10

// WriteSummary writes the console summary of r: what a person needs from a run in ten seconds.
func WriteSummary(w io.Writer, r *report.Report) error {
	ew := errw.New(w)
	writeHeader(ew, r)
	writeGroups(ew, r)
	writeCodes(ew, r)
	writeSessionMetrics(ew, r)
	writeReplay(ew, r)
	writePush(ew, r)
	writeThresholdLines(ew, r)
	writeWarnings(ew, r)
	return ew.Err()
}

func writeHeader(w *errw.Writer, r *report.Report) {
	name := r.Scenario
	if name == "" {
		name = "(unnamed scenario)"
	}
	w.Printf("ccload %s: %s in %s", name, r.StopReason, report.FormatSeconds(r.DurationS))
	if r.Shards > 1 {
		w.Printf(" (%d shards merged)", r.Shards)
	}
	w.Printf("\n")
	if banner := stopBanner(r); banner != "" {
		w.Printf("%s\n", banner)
	}
	if r.Target != "" {
		w.Printf("target    %s\n", r.Target)
	}
	w.Printf("started   %s   seed %d\n\n", r.StartedAt.UTC().Format("2006-01-02 15:04:05Z"), r.Seed)

	s := r.Sessions
	w.Printf("sessions  %s arrived   %s started   %s completed   %s failed   %s interrupted   %s dropped",
		num(s.Arrivals), num(s.Started), num(s.Completed), num(s.Failed), num(s.Interrupted), num(s.Dropped))
	if s.EndedByPlatform > 0 {
		// Only when it happened: a platform hang-up is worth a look, a zero is noise.
		w.Printf("   %s ended by platform", num(s.EndedByPlatform))
	}
	if s.CutByGrace > 0 {
		w.Printf("   %s cut by grace", num(s.CutByGrace))
	}
	w.Printf("\n")
	if len(s.DroppedBy) > 0 {
		reasons := make([]string, 0, len(s.DroppedBy))
		for k := range s.DroppedBy {
			reasons = append(reasons, k)
		}
		slices.Sort(reasons)
		w.Printf("dropped  ")
		for _, k := range reasons {
			w.Printf(" %s %s", num(s.DroppedBy[k]), k)
		}
		w.Printf("\n")
	}
	writeFailureReasons(w, r)
	q := r.Requests
	n := q.Total - q.Cut // the requests with an outcome: the base of ok and errors
	w.Printf("requests  %s in total, %s/s   %s ok (%s)   %s errors",
		num(q.Total), rate(r.Overall.RPS), num(q.OK), share(q.OK, n), num(n-q.OK))
	if n-q.OK > 0 {
		w.Printf(": %s app, %s http, %s transport", num(q.AppErrors), num(q.HTTPErrors), num(q.TransportErrors))
		if q.ClientErrors > 0 { // a report of a ccload before not_sent
			w.Printf(", %s client", num(q.ClientErrors))
		}
	}
	w.Printf("\n")
	printNotSent(w, q)
	w.Printf("\n")
}

// printNotSent prints the requests that are no outcome of the target: those never sent, by
// reason, and those the run cut off; nothing when there were none.
func printNotSent(w *errw.Writer, q report.RequestCounts) {
	if q.NotSent > 0 {
		reasons := slices.Sorted(maps.Keys(q.NotSentBy))
		w.Printf("not sent  %s (", num(q.NotSent))
		for i, k := range reasons {
			if i > 0 {
				w.Printf(", ")
			}
			w.Printf("%s %s", k, num(q.NotSentBy[k]))
		}
		w.Printf("): never reached the target, not in the counts above\n")
	}
	if q.UnknownReceipt > 0 {
		w.Printf("unknown receipt  %s: written on a reused connection the target closed before answering; it may not have read them (outside total, errors and latency)\n", num(q.UnknownReceipt))
	}
	if q.Cut > 0 {
		w.Printf("cut       %s: sent, but the run ended before their answers (in total; not in ok, errors or latency)\n", num(q.Cut))
	}
}

// stopBanner words the warning line for a run that did not complete, from its StopReason; "" when it completed.
func stopBanner(r *report.Report) string {
	reason := r.StopReason
	if reason == "" && r.Interrupted {
		reason = "interrupted"
	}
	stop := report.ParseStop(reason)
	switch {
	case stop.Kind == report.ReasonCompleted:
		return ""
	case stop.Kind == report.ReasonUnreachable:
		if hint := report.UnreachableHint(r); hint != "" {
			return "!! UNREACHABLE: no request got an HTTP answer; " + hint
		}
		return "!! UNREACHABLE: no request got an HTTP answer"
	case stop.Kind == report.ReasonGraceCut:
		return fmt.Sprintf("!! GRACE CUT: %s sessions were still running when the grace period after the last stage ran out; they were cancelled and counted as cut_by_grace", num(r.Sessions.CutByGrace))
	case stop.Kind == report.ReasonInterrupted && stop.Detail == "":
		return "!! INTERRUPTED: the run stopped before its stages ended; running sessions were counted as interrupted."
	case stop.Kind == report.ReasonAborted && stop.Detail != "":
		return "!! ABORTED: threshold " + stop.Detail + " failed"
	}
	return "!! STOPPED: " + reason
}

// maxFailureReasonsShown is how many failure reasons the summary lists (report.json has them all).
const maxFailureReasonsShown = 5

// writeFailureReasons lists the top failure reasons under the session counts: where and why
// sessions failed, so "12 failed" never stands alone.
func writeFailureReasons(w *errw.Writer, r *report.Report) {
	fr := r.FailureReasons
	if len(fr) == 0 {
		return
	}
	shown := fr[:min(len(fr), maxFailureReasonsShown)]
	nw, cw := len("sessions"), len("steps")
	for _, f := range shown {
		nw, cw = max(nw, len(num(f.SessionsFailed))), max(cw, len(num(f.Count)))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "why failed\t%*s\t%*s\tsession\tstep\treason\n", nw, "sessions", cw, "steps")
	for _, f := range shown {
		fmt.Fprintf(tw, "\t%*s\t%*s\t%s\t%s\t%s\n", nw, num(f.SessionsFailed), cw, num(f.Count), f.Session, f.Step, f.Reason)
	}
	tw.Flush()
	if len(fr) > len(shown) {
		w.Printf("(top %d of %d failure reasons; report.json failure_reasons lists them all)\n", len(shown), len(fr))
	}
}

func writeGroups(w *errw.Writer, r *report.Report) {
	// Numbers align right; names are padded to one width so they read left-aligned.
	width := len("group")
	for _, g := range r.Groups {
		width = max(width, len(g.Name))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\tcount\trps\tp50\tp95\tp99\tmax\tservice p99\terrors\t\n", width, "group")
	row := func(g report.Group) {
		l := g.ResponseTimeUS
		errs := g.Count - g.OK
		fmt.Fprintf(tw, "%-*s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", width, g.Name, num(g.Count), rate(g.RPS),
			lat(l.Count, l.P50), lat(l.Count, l.P95), lat(l.Count, l.P99), lat(l.Count, l.Max),
			lat(g.ServiceTimeUS.Count, g.ServiceTimeUS.P99), errCell(errs, g.Count))
	}
	// Endpoint groups partition the scenario's requests, so "all" closes their table; ccload's
	// own requests (teardown groups) follow it, out of "all"; a named step's requests are also
	// in an endpoint group, so the steps get a table of their own.
	var steps, own []report.Group
	for _, g := range r.Groups {
		switch g.Kind {
		case "step":
			steps = append(steps, g)
			continue
		case "teardown":
			own = append(own, g)
			continue
		}
		row(g)
	}
	row(r.Overall)
	for _, g := range own {
		row(g)
	}
	if len(steps) > 0 {
		fmt.Fprintf(tw, "%-*s\tcount\trps\tp50\tp95\tp99\tmax\tservice p99\terrors\t\n", width, "step")
		for _, g := range steps {
			row(g)
		}
	}
	tw.Flush()
	w.Printf("(response time from the intended start; service time from the actual send)\n\n")
}

func writeCodes(w *errw.Writer, r *report.Report) {
	codes := sortedCounts(r.Overall.ResultCodes)
	if len(codes) > 0 {
		total := report.ResultCodeBase(&r.Overall) // the base result_code_share thresholds use
		w.Printf("resultCode")
		for i, c := range codes {
			if i == maxCodesShown {
				var rest int64
				for _, c := range codes[i:] {
					rest += c.n
				}
				w.Printf("   %d more codes: %s", len(codes)-i, num(rest))
				break
			}
			w.Printf("   %q %s (%s)", c.key, num(c.n), share(c.n, total))
		}
		// Say the shares' base: answers without a resultCode (a token call) are not in it.
		w.Printf("   of %s answers carrying a resultCode\n", num(total))
	}
	if errs := sortedCounts(r.Overall.Errors); len(errs) > 0 {
		w.Printf("errors    ")
		for _, c := range errs {
			w.Printf("   %s %s", c.key, num(c.n))
		}
		w.Printf("\n")
	}
	if status := sortedCounts(r.Overall.HTTPStatus); len(status) > 0 {
		w.Printf("http      ")
		for _, c := range status {
			w.Printf("   %s %s", c.key, num(c.n))
		}
		w.Printf("\n")
	}
	w.Printf("\n")
}

func writeSessionMetrics(w *errw.Writer, r *report.Report) {
	m := r.SessionMetrics
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := false
	for _, x := range []struct {
		name string
		l    report.Latency
	}{{"reply latency", m.ReplyLatencyUS}, {"time to agent", m.TimeToAgentUS}, {"session duration", m.SessionDurationUS}, {"scheduler lag", r.SchedulerLagUS}, {"throttle wait", r.ThrottleWaitUS}} {
		l := x.l
		if l.Count == 0 {
			continue // a metric nothing measured (no await_agent step, say) is a row of dashes: hidden
		}
		if !header {
			fmt.Fprintf(tw, "%-16s\tcount\tp50\tp95\tp99\tmax\t\n", "session metric")
			header = true
		}
		fmt.Fprintf(tw, "%-16s\t%s\t%s\t%s\t%s\t%s\t\n", x.name, num(l.Count), lat(l.Count, l.P50), lat(l.Count, l.P95), lat(l.Count, l.P99), lat(l.Count, l.Max))
	}
	tw.Flush()
	if m.ReplyTimeouts > 0 {
		w.Printf("reply timeouts: %s (await_reply/await_agent steps that gave up)\n", num(m.ReplyTimeouts))
	}
	if q, e := m.QueuePosition, m.QueueWaitEstimateUS; q.Count > 0 {
		w.Printf("agent queue: position p50 %s, max %s; estimated wait p50 %s, max %s (%s queryQueueInfo answers while queuing)\n",
			num(q.P50), num(q.Max), lat(e.Count, e.P50), lat(e.Count, e.Max), num(q.Count))
	}
	if gl := r.GeneratorLimit; gl != nil {
		w.Printf("GENERATOR LIMIT: %s; a failure of a latency or rate threshold is inconclusive (exit 3), not the target's.\n", strings.Join(gl.Reasons, "; "))
	}
	if r.SchedulerLagUS.P99 > LagWarnUS {
		w.Printf("WARNING: scheduler lag p99 is %s (over %s): the generator, not the target, was the bottleneck; latencies include its delay.\n",
			report.FormatUS(r.SchedulerLagUS.P99), report.FormatUS(LagWarnUS))
	}
	w.Printf("\n")
}

func writeThresholdLines(w *errw.Writer, r *report.Report) {
	if report.ThresholdsNotEvaluated(r) {
		w.Printf("thresholds NOT EVALUATED: the scenario sets thresholds but this report carries no result for them\n\n")
		return
	}
	if len(r.Thresholds) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, t := range r.Thresholds {
		verdict := t.Verdict()
		where := ""
		if t.Window != "" {
			where = " (window " + t.Window + ")"
		}
		if t.NotJudged != "" {
			where += " — " + t.NotJudged
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\tlimit %s%s\n", verdict, t.Name, t.Display, t.Limit, where)
	}
	tw.Flush()
	w.Printf("\n")
}

func writeWarnings(w *errw.Writer, r *report.Report) {
	if len(r.Warnings) == 0 {
		return
	}
	w.Printf("warnings:\n")
	for _, s := range r.Warnings {
		w.Printf("  - %s\n", s)
	}
}

type keyCount struct {
	key string
	n   int64
}

// sortedCounts returns m's entries by count, largest first, ties by key: the order is the same on every run.
func sortedCounts(m map[string]int64) []keyCount {
	out := make([]keyCount, 0, len(m))
	for k, n := range m {
		if n != 0 {
			out = append(out, keyCount{k, n})
		}
	}
	slices.SortFunc(out, func(a, b keyCount) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.key, b.key))
	})
	return out
}

// num formats n with thousands separators: 1,234,567.
func num(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func rate(x float64) string {
	if x >= 100 {
		return num(int64(x + 0.5))
	}
	return strconv.FormatFloat(x, 'f', 1, 64)
}

// share formats n/total as a percentage with enough digits to tell 99.99% from 100%.
func share(n, total int64) string {
	if total == 0 {
		return "-"
	}
	if n == total {
		return "100%"
	}
	p := 100 * float64(n) / float64(total)
	switch {
	case p >= 99.9 || p < 0.1:
		return strconv.FormatFloat(p, 'f', 3, 64) + "%"
	default:
		return strconv.FormatFloat(p, 'f', 1, 64) + "%"
	}
}

func lat(count, us int64) string {
	if count == 0 {
		return "-"
	}
	return report.FormatUS(us)
}

func errCell(errs, total int64) string {
	if errs == 0 {
		return "0"
	}
	return num(errs) + " (" + share(errs, total) + ")"
}
