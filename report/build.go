package report

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Finish closes the time series at end and returns the run's Report. The Recorder must not be used afterwards.
func (r *Recorder) Finish(end time.Time, meta Meta) *Report {
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
func (r *Recorder) Snapshot(now time.Time, meta Meta) *Report {
	pts := slices.Clone(r.points)
	if !r.finished {
		if nowNs := now.Sub(r.start).Nanoseconds(); nowNs > r.curStart || r.cur.requests > 0 {
			pts = append(pts, r.pointOf(&r.cur, r.curStart, r.active))
		}
	}
	return r.build(now, meta, pts, false)
}

// build assembles the Report; final checks the accounting (mid-run, sessions still running are not yet ended).
func (r *Recorder) build(end time.Time, meta Meta, points []Point, final bool) *Report {
	end = end.Round(0).UTC()
	dur := end.Sub(r.start).Seconds()
	rep := &Report{
		Schema:       Schema,
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
	rep.Shard, rep.StartAt, rep.ScenarioSHA256 = meta.Shard, meta.StartAt.UTC(), ScenarioHash(meta.ScenarioText)
	rep.Sessions.DroppedBy = maps.Clone(r.sessions.DroppedBy) // a snapshot must not share the live map
	if rep.StopReason == "" {
		rep.StopReason = "completed"
		if meta.Interrupted {
			rep.StopReason = "interrupted"
		}
	}
	rep.Overall = r.groupReport(r.overall, dur)
	for _, g := range r.groups {
		rep.Groups = append(rep.Groups, r.groupReport(g, dur))
	}
	// requests is every request: the scenario's (overall) and ccload's own (Origin).
	rep.Requests = OwnRequests(rep)
	rep.Requests.Add(rep.Overall.RequestCounts)
	SortGroups(rep.Groups)
	rep.SchedulerLagUS = Summarize(r.lag)
	rep.SchedulerLagUS.Histogram = encode(r.lag)
	rep.ThrottleWaitUS = Summarize(r.throttle)
	rep.ThrottleWaitUS.Histogram = encode(r.throttle)
	rep.SessionMetrics = SessionMetrics{
		ReplyLatencyUS:    withHistogram(r.reply),
		TimeToAgentUS:     withHistogram(r.toAgent),
		SessionDurationUS: withHistogram(r.sessionDur),
		ReplyTimeouts:     r.replyTimeouts,
	}
	rep.FailureReasons = r.failureReasons()
	rep.SessionMetrics.QueuePosition = withHistogram(r.queuePos)
	rep.SessionMetrics.QueueWaitEstimateUS = withHistogram(r.queueEst)
	rep.SessionMetrics.QueueAnswers = r.queueAnswers
	rep.Warnings = append(slices.Clone(meta.Warnings), r.warnings()...)
	if final {
		rep.Warnings = append(rep.Warnings, CheckInvariants(rep)...)
	}
	return rep
}

func (r *Recorder) warnings() []string {
	var w []string
	if r.clamped > 0 {
		w = append(w, fmt.Sprintf("%d request latencies above %s were recorded as %s", r.clamped, FormatUS(HighestUS), FormatUS(HighestUS)))
	}
	if r.sessionClamped > 0 {
		w = append(w, fmt.Sprintf("%d session metrics above %s were recorded as %s", r.sessionClamped, FormatUS(SessionHighestUS), FormatUS(SessionHighestUS)))
	}
	if r.unknown > 0 {
		w = append(w, fmt.Sprintf("%d samples named a group that was never registered (counted in overall only)", r.unknown))
	}
	return w
}

// CheckInvariants returns one warning per broken accounting invariant of r (none for a sound report).
func CheckInvariants(r *Report) []string {
	var w []string
	s := r.Sessions
	if s.Arrivals != s.Started+s.Dropped {
		w = append(w, fmt.Sprintf("accounting: arrivals %d != started %d + dropped %d", s.Arrivals, s.Started, s.Dropped))
	}
	if s.Started != s.Ended() {
		w = append(w, fmt.Sprintf("accounting: started %d != %s", s.Started, s.endedFormula()))
	}
	if fw := failureInvariant(r); fw != "" {
		w = append(w, fw)
	}
	for _, g := range append([]Group{r.Overall}, r.Groups...) {
		c := g.RequestCounts
		if sum := c.OK + c.AppErrors + c.HTTPErrors + c.TransportErrors + c.ClientErrors; g.Count != sum || c.Total != g.Count+c.Cut {
			w = append(w, fmt.Sprintf("accounting: group %s count %d != ok+app+http+transport+client %d, or total %d != count + cut %d", g.Name, g.Count, sum, c.Total, c.Cut))
		}
	}
	return w
}

func (r *Recorder) groupReport(g *groupRec, dur float64) Group {
	out := Group{
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
		class := ErrClass(c)
		if class != ClassOK && class.Timed() {
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
	out.ServiceTimeUS = Summarize(g.service)
	out.ResponseTimeUS = Summarize(g.response)
	out.ServiceHistogram = encode(g.service)
	out.ResponseHistogram = encode(g.response)
	return out
}

// groupOrder ranks kinds: endpoint groups, then step groups, then anything else.
func groupOrder(kind string) int {
	switch kind {
	case "endpoint":
		return 0
	case "step":
		return 1
	case "teardown":
		return 2
	}
	return 3
}

// SortGroups puts groups in report order: endpoint groups by endpoint then control type, then step groups by name.
func SortGroups(gs []Group) {
	slices.SortStableFunc(gs, func(a, b Group) int {
		return cmp.Or(
			cmp.Compare(groupOrder(a.Kind), groupOrder(b.Kind)),
			cmp.Compare(a.Endpoint, b.Endpoint),
			cmp.Compare(a.ControlType, b.ControlType),
			cmp.Compare(a.Step, b.Step),
			cmp.Compare(a.Name, b.Name),
		)
	})
}

// summaryQuantiles are the percentiles every Latency carries, in field order; 0 and 100 are
// min and max (the same values as Histogram.Min and Max, found in the same single scan).
var summaryQuantiles = []float64{0, 50, 90, 95, 99, 99.9, 100}

// Summarize returns h's Latency summary (without the encoding). An empty histogram gives all zeros.
func Summarize(h *hdrhistogram.Histogram) Latency {
	n := h.TotalCount()
	if n == 0 {
		return Latency{}
	}
	q := h.ValueAtPercentilesSlice(summaryQuantiles)
	return Latency{
		Count: n,
		Min:   q[0],
		Mean:  h.Mean(),
		P50:   q[1],
		P90:   q[2],
		P95:   q[3],
		P99:   q[4],
		P999:  q[5],
		Max:   q[6],
	}
}

func withHistogram(h *hdrhistogram.Histogram) Latency {
	l := Summarize(h)
	l.Histogram = encode(h)
	return l
}

// DecodeHistogram decodes a histogram field of report.json; "" decodes to an empty request histogram.
func DecodeHistogram(s string) (*hdrhistogram.Histogram, error) {
	if s == "" {
		return newRequestHistogram(), nil
	}
	h, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("decoding histogram: %w", err)
	}
	return h, nil
}

// downsample merges adjacent points pairwise (an odd last point stays alone): counts add, histograms merge exactly.
func downsample(pts []Point) []Point {
	out, err := downsampleChecked(pts)
	if err != nil {
		// Points the Recorder encoded itself always decode.
		panic("report: downsampling: " + err.Error())
	}
	return out
}

// AddCounts adds b's counts into p (Active becomes b's, the later interval's): the part of merging
// two points that needs no histogram. Exported for report/html, which sums its chart columns so.
func (p *Point) AddCounts(b Point) {
	p.Requests += b.Requests
	p.Errors += b.Errors
	p.Active = b.Active
	p.Arrivals += b.Arrivals
	p.Dropped += b.Dropped
	p.SessionsFailed += b.SessionsFailed
}

// mergePoints adds b into a copy of a; T stays a's. Active is summed (shards' customers add up) by callers that merge
// shards; for adjacent intervals of one run the later value is the one at the end of the merged interval.
func mergePoints(a, b Point) (Point, error) {
	out := a
	out.AddCounts(b)
	out.QueueLength = max(a.QueueLength, b.QueueLength)
	out.TimeToAgentMaxUS = max(a.TimeToAgentMaxUS, b.TimeToAgentMaxUS)
	out.ResultCodes = addCodes(a.ResultCodes, b.ResultCodes)
	if err := mergePointHistograms(&out, a.Histogram, b.Histogram); err != nil {
		return Point{}, err
	}
	var err error
	if out.Groups, err = mergeGroupPoints(a.Groups, b.Groups); err != nil {
		return Point{}, err
	}
	return out, nil
}

// mergeGroupPoints adds two intervals' per-group points by group name, exactly (histograms are
// merged, not summarized); the result is sorted by name and shares no slice with a or b.
func mergeGroupPoints(a, b []GroupPoint) ([]GroupPoint, error) {
	if len(b) == 0 {
		return slices.Clone(a), nil
	}
	out := make([]GroupPoint, 0, len(a)+len(b))
	out = append(out, a...)
	for _, gb := range b {
		i := slices.IndexFunc(out, func(g GroupPoint) bool { return g.Name == gb.Name })
		if i < 0 {
			out = append(out, gb)
			continue
		}
		g := &out[i]
		g.Requests += gb.Requests
		g.Errors += gb.Errors
		if gb.Histogram != "" {
			if g.Histogram == "" {
				g.Histogram = gb.Histogram
			} else {
				h, err := mergeEncoded(g.Histogram, gb.Histogram)
				if err != nil {
					return nil, fmt.Errorf("group %s: %w", g.Name, err)
				}
				g.Histogram = encode(h)
			}
		}
	}
	slices.SortFunc(out, func(x, y GroupPoint) int { return cmp.Compare(x.Name, y.Name) })
	return out, nil
}

// mergePointHistograms sets p's histogram and percentiles to the merge of ha and hb.
func mergePointHistograms(p *Point, ha, hb string) error {
	if hb == "" {
		p.Histogram = ha
		return nil
	}
	h, err := mergeEncoded(ha, hb)
	if err != nil {
		return err
	}
	p.Histogram = encode(h)
	p.P50US, p.P99US = 0, 0
	if h.TotalCount() > 0 {
		p.P50US = h.ValueAtQuantile(50)
		p.P99US = h.ValueAtQuantile(99)
	}
	return nil
}

// mergeEncoded decodes and merges encoded histograms ("" is empty); the result has the first non-empty one's geometry.
func mergeEncoded(enc ...string) (*hdrhistogram.Histogram, error) {
	var out *hdrhistogram.Histogram
	for _, e := range enc {
		if e == "" {
			continue
		}
		h, err := DecodeHistogram(e)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = h
			continue
		}
		if dropped := out.Merge(h); dropped > 0 {
			return nil, fmt.Errorf("merging histograms: %d values outside the target's range", dropped)
		}
	}
	if out == nil {
		out = newRequestHistogram()
	}
	return out, nil
}

// addCodes returns a new map with the sums of a and b (nil when both are empty).
func addCodes(a, b map[string]int64) map[string]int64 {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	out := maps.Clone(a)
	if out == nil {
		out = make(map[string]int64, len(b))
	}
	for k, n := range b {
		out[k] += n
	}
	return out
}

// FormatUS renders microseconds for people: 850µs, 12.3ms, 1.52s, 2m03s.
func FormatUS(us int64) string {
	d := time.Duration(us) * time.Microsecond
	switch {
	case us < 1000:
		return strconv.FormatInt(us, 10) + "µs"
	case us < 9_995: // thresholds where rounding would print the next unit's "1000"
		return strconv.FormatFloat(float64(us)/1e3, 'f', 2, 64) + "ms"
	case us < 999_950:
		return strconv.FormatFloat(float64(us)/1e3, 'f', 1, 64) + "ms"
	case us < 59_995_000:
		return strconv.FormatFloat(float64(us)/1e6, 'f', 2, 64) + "s"
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}
