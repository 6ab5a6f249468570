package record

import (
	"ccload/report"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// Finish closes the time series at end and returns the run's Report. The Recorder must not be used afterwards.
func (r *Recorder) Finish(end time.Time, meta Meta) *report.Report {
	endNs := end.Sub(r.start).Nanoseconds()
	r.advance(endNs)
	if !r.finished && (endNs > r.curStart || r.cur.requests+r.cur.arrivals+r.cur.dropped+r.cur.failed > 0) {
		// The last, partial interval is a point too: what happened in it is part of the run.
		r.points = append(r.points, r.pointOf(&r.cur, r.curStart, r.active))
	}
	r.finished = true
	return r.build(end, meta, r.points, true)
}

// Snapshot returns the Report as if the run ended at now, without changing the Recorder;
// the runner evaluates abort_on_fail thresholds on it. The open interval is included as a partial point.
func (r *Recorder) Snapshot(now time.Time, meta Meta) *report.Report {
	pts := slices.Clone(r.points)
	if !r.finished {
		if nowNs := now.Sub(r.start).Nanoseconds(); nowNs > r.curStart || r.cur.requests > 0 {
			pts = append(pts, r.pointOf(&r.cur, r.curStart, r.active))
		}
	}
	return r.build(now, meta, pts, false)
}

// build assembles the Report; final checks the accounting (mid-run, sessions still running are not yet ended).
func (r *Recorder) build(end time.Time, meta Meta, points []report.Point, final bool) *report.Report {
	end = end.Round(0).UTC()
	dur := end.Sub(r.start).Seconds()
	rep := &report.Report{
		Schema:       report.Schema,
		Scenario:     meta.Scenario,
		File:         meta.File,
		Target:       meta.Target,
		StartedAt:    r.start.UTC(),
		EndedAt:      end,
		DurationS:    dur,
		Interrupted:  meta.Interrupted,
		StopReason:   meta.StopReason,
		Seed:         meta.Seed,
		Shards:       max(meta.Shards, 1),
		Sessions:     r.sessions,
		IntervalS:    float64(r.width) / 1e9,
		Timeseries:   points,
		Stages:       slices.Clone(meta.Stages),
		GraceS:       meta.GraceS,
		ScenarioText: meta.ScenarioText,
		Gates:        meta.Gates,
	}
	rep.Shard, rep.StartAt, rep.ScenarioSHA256 = meta.Shard, meta.StartAt.UTC(), report.ScenarioHash(meta.ScenarioText)
	rep.Sessions.DroppedBy = maps.Clone(r.sessions.DroppedBy) // a snapshot must not share the live map
	if rep.StopReason == "" {
		rep.StopReason = "completed"
		if meta.Interrupted {
			rep.StopReason = "interrupted"
		}
	}
	rep.Overall = r.groupReport(r.overallRec(), dur)
	for _, g := range r.groups {
		rep.Groups = append(rep.Groups, r.groupReport(g, dur))
	}
	// requests is every request: the scenario's (overall) and ccload's own (Origin).
	rep.Requests = report.OwnRequests(rep)
	rep.Requests.Add(rep.Overall.RequestCounts)
	report.SortGroups(rep.Groups)
	rep.SchedulerLagUS = report.Summarize(r.lag)
	rep.SchedulerLagUS.Histogram = report.EncodeHistogram(r.lag)
	rep.ThrottleWaitUS = report.Summarize(r.throttle)
	rep.ThrottleWaitUS.Histogram = report.EncodeHistogram(r.throttle)
	rep.SessionMetrics = report.SessionMetrics{
		ReplyLatencyUS:    report.WithHistogram(r.reply),
		TimeToAgentUS:     report.WithHistogram(r.toAgent),
		SessionDurationUS: report.WithHistogram(r.sessionDur),
		ReplyTimeouts:     r.replyTimeouts,
	}
	rep.FailureReasons = r.failureReasons()
	rep.SessionMetrics.QueuePosition = report.WithHistogram(r.queuePos)
	rep.SessionMetrics.QueueWaitEstimateUS = report.WithHistogram(r.queueEst)
	rep.SessionMetrics.QueueAnswers = r.queueAnswers
	rep.Warnings = append(slices.Clone(meta.Warnings), r.warnings()...)
	if final {
		rep.Warnings = append(rep.Warnings, report.CheckInvariants(rep)...)
	}
	return rep
}

func (r *Recorder) warnings() []string {
	var w []string
	if r.clamped > 0 {
		w = append(w, fmt.Sprintf("%d request latencies above %s were recorded as %s", r.clamped, report.FormatUS(report.HighestUS), report.FormatUS(report.HighestUS)))
	}
	if r.sessionClamped > 0 {
		w = append(w, fmt.Sprintf("%d session metrics above %s were recorded as %s", r.sessionClamped, report.FormatUS(report.SessionHighestUS), report.FormatUS(report.SessionHighestUS)))
	}
	if r.unknown > 0 {
		w = append(w, fmt.Sprintf("%d samples named a group that was never registered (counted in overall only)", r.unknown))
	}
	return w
}

// overallRec is overall with its latency histograms whole: its own merged with those of every
// group that feeds it (see groupRec.feeds). It does not change the Recorder.
func (r *Recorder) overallRec() *groupRec {
	o := *r.overall
	o.service, o.response = nil, nil
	for _, g := range r.groups {
		if !g.feeds {
			continue
		}
		if o.service == nil {
			o.service, o.response = report.NewRequestHistogram(), report.NewRequestHistogram()
			o.service.Merge(r.overall.service)
			o.response.Merge(r.overall.response)
		}
		o.service.Merge(g.service)
		o.response.Merge(g.response)
	}
	if o.service == nil {
		o.service, o.response = r.overall.service, r.overall.response
	}
	return &o
}

func (r *Recorder) groupReport(g *groupRec, dur float64) report.Group {
	out := report.Group{
		Name:        g.name,
		Kind:        g.kind,
		Endpoint:    g.endpoint,
		ControlType: g.controlType,
		Step:        g.step,
		ResultCodes: map[string]int64{},
		HTTPStatus:  map[string]int64{},
		Errors:      map[string]int64{},
		BytesSent:   g.bytesSent,
		BytesRecv:   g.bytesRecv,
	}
	for c, n := range g.classes {
		if n == 0 {
			continue
		}
		class := report.ErrClass(c)
		if class != report.ClassOK && class.Timed() {
			out.Errors[class.String()] = n
		}
		switch class.Bucket() {
		case "ok":
			out.OK += n
		case "app":
			out.AppErrors += n
		case "http":
			out.HTTPErrors += n
		case "cut":
			out.Cut += n
		case "unknown_receipt":
			out.UnknownReceipt += n
		case "not_sent":
			out.NotSent += n
			if out.NotSentBy == nil {
				out.NotSentBy = map[string]int64{}
			}
			out.NotSentBy[class.String()] += n
		default:
			out.TransportErrors += n
		}
	}
	// count is what has an outcome of the target (the base of rps and error rate); total adds
	// the requests the run cut off, so it is what the target received.
	out.Count = out.OK + out.AppErrors + out.HTTPErrors + out.TransportErrors + out.ClientErrors
	out.Total = out.Count + out.Cut
	if dur > 0 {
		out.RPS = float64(out.Count) / dur
	}
	for i, n := range g.codeCounts {
		if n > 0 {
			out.ResultCodes[r.codes[i]] = n
		}
	}
	for s, n := range g.status {
		if n > 0 {
			out.HTTPStatus[strconv.Itoa(s)] = n
		}
	}
	for s, n := range g.statusMore {
		out.HTTPStatus[strconv.Itoa(s)] = n
	}
	out.ServiceTimeUS = report.Summarize(g.service)
	out.ResponseTimeUS = report.Summarize(g.response)
	out.ServiceHistogram = report.EncodeHistogram(g.service)
	out.ResponseHistogram = report.EncodeHistogram(g.response)
	return out
}
