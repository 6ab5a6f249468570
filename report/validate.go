package report

import (
	"fmt"
	"math"
	"strconv"
)

// ValidationError is a report.json that decodes but breaks the format's contract; Path is the
// JSON path of the offending value ("groups[2].response_histogram").
type ValidationError struct {
	Path string
	Msg  string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("report.json is not valid at %s: %s (was the file edited or truncated?)", e.Path, e.Msg)
}

// Validate checks a decoded report.json against the invariants every ccload command relies on,
// so merge, compare and report refuse a damaged or hand-edited file instead of computing on it
// (or panicking). It returns the first problem as a *ValidationError.
func Validate(r *Report) error {
	v := validator{}
	v.report(r)
	if v.err != nil {
		return v.err
	}
	return nil
}

type validator struct{ err *ValidationError }

func (v *validator) fail(path, format string, args ...any) {
	if v.err == nil {
		v.err = &ValidationError{Path: path, Msg: fmt.Sprintf(format, args...)}
	}
}

func (v *validator) nonneg(path string, n int64) {
	if n < 0 {
		v.fail(path, "negative count %d", n)
	}
}

func (v *validator) finite(path string, f float64) bool {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		v.fail(path, "not a finite number")
		return false
	}
	return true
}

func (v *validator) report(r *Report) {
	if r.EndedAt.Before(r.StartedAt) {
		v.fail("ended_at", "ends (%s) before started_at (%s)", r.EndedAt.Format("2006-01-02T15:04:05Z07:00"), r.StartedAt.Format("2006-01-02T15:04:05Z07:00"))
	}
	if v.finite("duration_s", r.DurationS) && r.DurationS <= 0 {
		v.fail("duration_s", "%g; a run lasts more than 0 s", r.DurationS)
	}
	if r.Shards < 1 {
		v.fail("shards", "%d; a report holds at least one shard's run (1 for a single run)", r.Shards)
	}
	if v.finite("grace_s", r.GraceS) && r.GraceS < 0 {
		v.fail("grace_s", "%g; a grace period is not negative", r.GraceS)
	}
	s := r.Sessions
	for _, c := range []struct {
		k string
		n int64
	}{{"arrivals", s.Arrivals}, {"started", s.Started}, {"completed", s.Completed}, {"failed", s.Failed}, {"interrupted", s.Interrupted}, {"ended_by_platform", s.EndedByPlatform}, {"cut_by_grace", s.CutByGrace}, {"dropped", s.Dropped}} {
		v.nonneg("sessions."+c.k, c.n)
	}
	if s.Arrivals != s.Started+s.Dropped {
		v.fail("sessions.arrivals", "%d != started %d + dropped %d", s.Arrivals, s.Started, s.Dropped)
	}
	if s.Started != s.Ended() {
		v.fail("sessions.started", "%d != %s", s.Started, s.endedFormula())
	}
	v.counts("requests", r.Requests)
	if own := OwnRequests(r); !r.Requests.Equal(r.Overall.RequestCounts) && !r.Requests.Equal(addCounts(r.Overall.RequestCounts, own)) {
		// Older reports counted ccload's own requests in overall too: either sum is sound.
		v.fail("requests", "differ from overall's counts plus the teardown groups'")
	}
	v.group("overall", &r.Overall)
	seen := map[string]int{}
	for i := range r.Groups {
		p := "groups[" + strconv.Itoa(i) + "]"
		g := &r.Groups[i]
		if g.Name == "" {
			v.fail(p+".name", "empty")
		}
		if j, dup := seen[g.Name]; dup {
			v.fail(p+".name", "%q is also groups[%d]; a group appears once", g.Name, j)
		}
		seen[g.Name] = i
		v.group(p, g)
	}
	v.partition(r)
	v.latency("scheduler_lag_us", r.SchedulerLagUS)
	v.latency("session_metrics.reply_latency_us", r.SessionMetrics.ReplyLatencyUS)
	v.latency("session_metrics.time_to_agent_us", r.SessionMetrics.TimeToAgentUS)
	v.latency("session_metrics.session_duration_us", r.SessionMetrics.SessionDurationUS)
	v.nonneg("session_metrics.reply_timeouts", r.SessionMetrics.ReplyTimeouts)
	v.failures(r)
	v.latency("session_metrics.queue_position", r.SessionMetrics.QueuePosition)
	v.latency("session_metrics.queue_wait_estimate_us", r.SessionMetrics.QueueWaitEstimateUS)
	v.queueAnswers(r)
	v.replay(r)
	v.push(r)
	v.capacity(r.Capacity)
	v.series(r)
}

// partition checks that the endpoint and teardown groups split the requests: every request is
// in exactly one of them (the scenario's, the run's teardown, a failed session's abandon), so
// their totals and not-sent counts add up to requests'. A report without such groups is exempt.
func (v *validator) partition(r *Report) {
	var total, notSent, unknown int64
	n := 0
	for i := range r.Groups {
		if g := &r.Groups[i]; g.Kind == "endpoint" || g.Kind == "teardown" {
			total, notSent, unknown, n = total+g.Total, notSent+g.NotSent, unknown+g.UnknownReceipt, n+1
		}
	}
	if n == 0 {
		return
	}
	if total != r.Requests.Total {
		v.fail("requests.total", "%d != %d, the sum of the endpoint and teardown groups' totals", r.Requests.Total, total)
	}
	if notSent != r.Requests.NotSent {
		v.fail("requests.not_sent", "%d != %d, the sum of the endpoint and teardown groups' not_sent", r.Requests.NotSent, notSent)
	}
	if unknown != r.Requests.UnknownReceipt {
		v.fail("requests.unknown_receipt", "%d != %d, the sum of the endpoint and teardown groups' unknown_receipt", r.Requests.UnknownReceipt, unknown)
	}
}

func (v *validator) counts(p string, c RequestCounts) {
	for _, f := range []struct {
		k string
		n int64
	}{{"total", c.Total}, {"ok", c.OK}, {"app_errors", c.AppErrors}, {"http_errors", c.HTTPErrors}, {"transport_errors", c.TransportErrors}, {"client_errors", c.ClientErrors},
		{"cut", c.Cut}, {"not_sent", c.NotSent}, {"unknown_receipt", c.UnknownReceipt}} {
		v.nonneg(p+"."+f.k, f.n)
	}
	if sum := c.OK + c.AppErrors + c.HTTPErrors + c.TransportErrors + c.ClientErrors + c.Cut; c.Total != sum {
		v.fail(p+".total", "%d != ok+app_errors+http_errors+transport_errors+client_errors+cut %d", c.Total, sum)
	}
	var by int64
	for k, n := range c.NotSentBy {
		v.nonneg(p+".not_sent_by["+strconv.Quote(k)+"]", n)
		by += n
	}
	if by != c.NotSent && (len(c.NotSentBy) > 0 || c.NotSent != 0) {
		v.fail(p+".not_sent", "%d != the sum of not_sent_by %d", c.NotSent, by)
	}
}

func (v *validator) group(p string, g *Group) {
	v.counts(p, g.RequestCounts)
	if g.Count != g.Total-g.Cut {
		v.fail(p+".count", "%d != total %d - cut %d", g.Count, g.Total, g.Cut)
	}
	v.nonneg(p+".bytes_sent", g.BytesSent)
	v.nonneg(p+".bytes_received", g.BytesRecv)
	v.finite(p+".rps", g.RPS)
	for k, m := range map[string]map[string]int64{"result_codes": g.ResultCodes, "http_status": g.HTTPStatus, "errors": g.Errors} {
		for key, n := range m {
			v.nonneg(p+"."+k+"["+strconv.Quote(key)+"]", n)
		}
	}
	v.histogram(p+".service_histogram", g.ServiceHistogram, g.ServiceTimeUS.Count)
	v.histogram(p+".response_histogram", g.ResponseHistogram, g.ResponseTimeUS.Count)
}

func (v *validator) latency(p string, l Latency) {
	v.nonneg(p+".count", l.Count)
	if l.Histogram != "" {
		v.histogram(p+".histogram", l.Histogram, l.Count)
	}
}

// histogram checks that enc decodes and holds exactly the count its summary promises.
func (v *validator) histogram(p, enc string, count int64) {
	if v.err != nil {
		return
	}
	if enc == "" {
		if count > 0 {
			v.fail(p, "missing, but its summary counts %d values", count)
		}
		return
	}
	h, err := DecodeHistogram(enc)
	if err != nil {
		v.fail(p, "does not decode: %v", err)
		return
	}
	if h.TotalCount() != count {
		v.fail(p, "holds %d values but its summary counts %d", h.TotalCount(), count)
	}
}

func (v *validator) series(r *Report) {
	if !v.finite("interval_s", r.IntervalS) {
		return
	}
	if r.IntervalS < 0 || (len(r.Timeseries) > 0 && r.IntervalS <= 0) {
		v.fail("interval_s", "%g; a time series needs a positive interval", r.IntervalS)
		return
	}
	if len(r.Timeseries) > DefaultMaxPoints {
		v.fail("timeseries", "%d points; ccload writes at most %d", len(r.Timeseries), DefaultMaxPoints)
		return
	}
	last := math.Inf(-1)
	// Points may run a little past duration_s (the last interval is flushed after the clock
	// stops); far past it is a hand-made t that would make merge build an absurd series.
	limit := 2*r.DurationS + 10*r.IntervalS
	for i, pt := range r.Timeseries {
		p := "timeseries[" + strconv.Itoa(i) + "]"
		if !v.finite(p+".t", pt.T) {
			return
		}
		switch {
		case pt.T < 0:
			v.fail(p+".t", "%g; points are seconds since the start, never negative", pt.T)
		case pt.T <= last:
			v.fail(p+".t", "%g does not follow the previous point's %g", pt.T, last)
		case pt.T > limit:
			v.fail(p+".t", "%g lies past the end of the run (duration_s %g)", pt.T, r.DurationS)
		}
		last = pt.T
		for _, c := range []struct {
			k string
			n int64
		}{{"requests", pt.Requests}, {"errors", pt.Errors}, {"active", pt.Active}, {"arrivals", pt.Arrivals}, {"dropped", pt.Dropped}, {"sessions_failed", pt.SessionsFailed}} {
			v.nonneg(p+"."+c.k, c.n)
		}
		for key, n := range pt.ResultCodes {
			v.nonneg(p+".result_codes["+strconv.Quote(key)+"]", n)
		}
		if pt.Histogram != "" && v.err == nil {
			if _, err := DecodeHistogram(pt.Histogram); err != nil {
				v.fail(p+".histogram", "does not decode: %v", err)
			}
		}
		for j, gp := range pt.Groups {
			q := p + ".groups[" + strconv.Itoa(j) + "]"
			v.nonneg(q+".requests", gp.Requests)
			v.nonneg(q+".errors", gp.Errors)
			if gp.Histogram != "" && v.err == nil {
				if _, err := DecodeHistogram(gp.Histogram); err != nil {
					v.fail(q+".histogram", "does not decode: %v", err)
				}
			}
		}
		if v.err != nil {
			return
		}
	}
}

// failures checks failure_reasons: named rows, sane counts, each (session, step, reason) once,
// and, when listed, exactly sessions.failed failed sessions among them.
func (v *validator) failures(r *Report) {
	seen := map[FailureKey]int{}
	var sum int64
	for i, f := range r.FailureReasons {
		p := "failure_reasons[" + strconv.Itoa(i) + "]"
		switch {
		case f.Step == "" || f.Reason == "":
			v.fail(p, "needs a step and a reason")
		case f.Count <= 0:
			v.fail(p+".count", "%d; a listed reason failed at least once", f.Count)
		case f.SessionsFailed < 0 || f.SessionsFailed > f.Count:
			v.fail(p+".sessions_failed", "%d; between 0 and count %d", f.SessionsFailed, f.Count)
		}
		k := FailureKey{Session: f.Session, Step: f.Step, Reason: f.Reason}
		if j, dup := seen[k]; dup {
			v.fail(p, "repeats failure_reasons[%d] (same session, step and reason)", j)
		}
		seen[k] = i
		sum += f.SessionsFailed
	}
	if len(r.FailureReasons) > 0 && sum != r.Sessions.Failed {
		v.fail("failure_reasons", "count %d failed sessions, sessions.failed is %d", sum, r.Sessions.Failed)
	}
}

// queueAnswers checks that queryQueueInfo's status answers are ok requests of its groups: no
// more of them than those groups' ok count.
func (v *validator) queueAnswers(r *Report) {
	q := r.SessionMetrics.QueueAnswers
	for _, c := range []struct {
		k string
		n int64
	}{{"queuing", q.Queuing}, {"with_agent", q.WithAgent}, {"session_ended", q.SessionEnded}, {"session_expired", q.SessionExpired}, {"session_missing", q.SessionMissing}} {
		v.nonneg("session_metrics.queue_answers."+c.k, c.n)
	}
	var ok int64
	for i := range r.Groups {
		if g := &r.Groups[i]; g.Kind == "endpoint" && g.Endpoint == "queryQueueInfo" {
			ok += g.OK
		}
	}
	if t := q.Total(); t > ok {
		v.fail("session_metrics.queue_answers", "%d status answers, but the queryQueueInfo groups have %d ok requests", t, ok)
	}
}
