package capacity

import (
	"fmt"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"ccload/report"
)

// windowOf is what was recorded between two snapshots of one run: later minus earlier, exactly.
// Counts subtract, and histograms subtract bucket by bucket (every histogram of a kind has the same
// geometry), so the warm-up is discarded without approximating a single percentile.
func windowOf(earlier, later *report.Report) (*report.Report, error) {
	dur := later.DurationS - earlier.DurationS
	w := &report.Report{
		Schema: later.Schema, Scenario: later.Scenario, StartedAt: earlier.EndedAt, EndedAt: later.EndedAt,
		DurationS: dur, StopReason: "completed", Shards: 1, IntervalS: later.IntervalS,
	}
	a, b := earlier.Sessions, later.Sessions
	w.Sessions = report.SessionCounts{Arrivals: b.Arrivals - a.Arrivals, Started: b.Started - a.Started, Completed: b.Completed - a.Completed,
		Failed: b.Failed - a.Failed, Interrupted: b.Interrupted - a.Interrupted, Dropped: b.Dropped - a.Dropped,
		EndedByPlatform: b.EndedByPlatform - a.EndedByPlatform, CutByGrace: b.CutByGrace - a.CutByGrace}
	if d := subCounts(a.DroppedBy, b.DroppedBy); len(d) > 0 {
		w.Sessions.DroppedBy = d
	}
	w.FailureReasons = subFailureReasons(earlier.FailureReasons, later.FailureReasons)
	var err error
	if w.Overall, err = subGroup(earlier.Overall, later.Overall, dur); err != nil {
		return nil, err
	}
	w.Requests = w.Overall.RequestCounts
	for _, g := range later.Groups {
		var before report.Group
		for _, e := range earlier.Groups {
			if e.Name == g.Name {
				before = e
			}
		}
		d, err := subGroup(before, g, dur)
		if err != nil {
			return nil, err
		}
		w.Groups = append(w.Groups, d)
	}
	if w.SchedulerLagUS, err = subLatency(earlier.SchedulerLagUS, later.SchedulerLagUS); err != nil {
		return nil, err
	}
	sa, sb := earlier.SessionMetrics, later.SessionMetrics
	w.SessionMetrics.ReplyTimeouts = sb.ReplyTimeouts - sa.ReplyTimeouts
	qa, qb := sa.QueueAnswers, sb.QueueAnswers
	w.SessionMetrics.QueueAnswers = report.QueueAnswers{Queuing: qb.Queuing - qa.Queuing, WithAgent: qb.WithAgent - qa.WithAgent,
		SessionEnded: qb.SessionEnded - qa.SessionEnded, SessionExpired: qb.SessionExpired - qa.SessionExpired, SessionMissing: qb.SessionMissing - qa.SessionMissing}
	for _, p := range []struct{ dst, a, b *report.Latency }{
		{&w.SessionMetrics.QueuePosition, &sa.QueuePosition, &sb.QueuePosition},
		{&w.SessionMetrics.QueueWaitEstimateUS, &sa.QueueWaitEstimateUS, &sb.QueueWaitEstimateUS},
		{&w.SessionMetrics.ReplyLatencyUS, &sa.ReplyLatencyUS, &sb.ReplyLatencyUS},
		{&w.SessionMetrics.TimeToAgentUS, &sa.TimeToAgentUS, &sb.TimeToAgentUS},
		{&w.SessionMetrics.SessionDurationUS, &sa.SessionDurationUS, &sb.SessionDurationUS},
	} {
		if *p.dst, err = subLatency(*p.a, *p.b); err != nil {
			return nil, err
		}
	}
	// Windowed (over:) thresholds slide over the points that began inside the window.
	for _, p := range later.Timeseries {
		if p.T >= earlier.DurationS {
			w.Timeseries = append(w.Timeseries, p)
		}
	}
	return w, nil
}

// subGroup is group b minus group a (a's zero value subtracts nothing); the RPS is over dur seconds.
func subGroup(a, b report.Group, dur float64) (report.Group, error) {
	g := b
	g.OK, g.AppErrors, g.HTTPErrors = b.OK-a.OK, b.AppErrors-a.AppErrors, b.HTTPErrors-a.HTTPErrors
	g.TransportErrors, g.ClientErrors = b.TransportErrors-a.TransportErrors, b.ClientErrors-a.ClientErrors
	g.Cut, g.NotSent, g.NotSentBy = b.Cut-a.Cut, b.NotSent-a.NotSent, subCounts(a.NotSentBy, b.NotSentBy)
	g.Total, g.Count, g.UnknownReceipt = b.Total-a.Total, b.Count-a.Count, b.UnknownReceipt-a.UnknownReceipt
	g.BytesSent, g.BytesRecv = b.BytesSent-a.BytesSent, b.BytesRecv-a.BytesRecv
	g.RPS = 0
	if dur > 0 {
		g.RPS = float64(g.Count) / dur
	}
	g.ResultCodes, g.HTTPStatus, g.Errors = subCounts(a.ResultCodes, b.ResultCodes), subCounts(a.HTTPStatus, b.HTTPStatus), subCounts(a.Errors, b.Errors)
	var err error
	var l report.Latency
	if l, err = subLatency(report.Latency{Histogram: a.ServiceHistogram}, report.Latency{Histogram: b.ServiceHistogram}); err != nil {
		return g, fmt.Errorf("group %s: %w", b.Name, err)
	}
	g.ServiceHistogram, l.Histogram = l.Histogram, ""
	g.ServiceTimeUS = l
	if l, err = subLatency(report.Latency{Histogram: a.ResponseHistogram}, report.Latency{Histogram: b.ResponseHistogram}); err != nil {
		return g, fmt.Errorf("group %s: %w", b.Name, err)
	}
	g.ResponseHistogram, l.Histogram = l.Histogram, ""
	g.ResponseTimeUS = l
	return g, nil
}

// subFailureReasons is later's failure reasons less earlier's, by (session, step, reason); rows
// the window did not add to are left out.
func subFailureReasons(a, b []report.FailureReason) []report.FailureReason {
	type key struct{ session, step, reason string }
	before := make(map[key]report.FailureReason, len(a))
	for _, f := range a {
		before[key{f.Session, f.Step, f.Reason}] = f
	}
	var out []report.FailureReason
	for _, f := range b {
		p := before[key{f.Session, f.Step, f.Reason}]
		f.Count -= p.Count
		f.SessionsFailed -= p.SessionsFailed
		if f.Count > 0 || f.SessionsFailed > 0 {
			out = append(out, f)
		}
	}
	return out
}

func subCounts(a, b map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(b))
	for k, n := range b {
		if d := n - a[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// subLatency subtracts a's histogram from b's and summarizes the difference (histogram included).
func subLatency(a, b report.Latency) (report.Latency, error) {
	if b.Histogram == "" {
		return report.Latency{}, nil
	}
	hb, err := report.DecodeHistogram(b.Histogram)
	if err != nil {
		return report.Latency{}, err
	}
	if a.Histogram != "" {
		ha, err := report.DecodeHistogram(a.Histogram)
		if err != nil {
			return report.Latency{}, err
		}
		sa, sb := ha.Export(), hb.Export()
		if sa.LowestTrackableValue != sb.LowestTrackableValue || sa.HighestTrackableValue != sb.HighestTrackableValue ||
			sa.SignificantFigures != sb.SignificantFigures || len(sa.Counts) > len(sb.Counts) {
			return report.Latency{}, fmt.Errorf("snapshots with different histogram geometry")
		}
		for i, n := range sa.Counts {
			sb.Counts[i] = max(sb.Counts[i]-n, 0)
		}
		hb = hdrhistogram.Import(sb)
	}
	l := report.Summarize(hb)
	if hb.TotalCount() > 0 {
		enc, err := hb.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			return report.Latency{}, fmt.Errorf("encoding a histogram: %w", err)
		}
		l.Histogram = string(enc)
	}
	return l, nil
}
