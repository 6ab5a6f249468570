// Package record is the Recorder: the hot path of a run, which the runner's collector feeds
// every request (a report.Sample), arrival and session end, and which builds the run's
// report.Report from its histograms and counters (Finish, or Snapshot mid-run).
package record

import (
	"slices"
	"strings"
	"time"

	"ccload/gates"
	"ccload/report"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Options configures a Recorder; the zero value of every field but Start picks a default.
type Options struct {
	// Start is the wall-clock time of t = 0: every Sample time is nanoseconds since it.
	Start time.Time
	// Interval is the width of a time-series point (DefaultInterval when 0).
	Interval time.Duration
	// MaxPoints caps the time series: reaching it merges adjacent points pairwise and doubles
	// the interval, so a run of any length keeps bounded memory (DefaultMaxPoints when 0; rounded up to even, at least 2).
	MaxPoints int
	// Observer, when set, is told of requests, arrivals and session ends as the Recorder records
	// them (live exporters such as --metrics-addr): every request (ccload's own included), every
	// arrival passed to Arrival or Dropped, every session end; arrivals counted by DropArrivals
	// (dropped without an Arrival) are not told. nil costs one comparison per event.
	Observer Observer
}

// Observer sees the run as the Recorder records it, on the Recorder's goroutine: it must return
// quickly and must not keep s past the call.
type Observer interface {
	// Request is one request; endpoint, controlType and step are its group names ("" when none).
	Request(s *report.Sample, endpoint, controlType, step string)
	// Arrival is one session arrival, dropped or not.
	Arrival()
	// Dropped is an arrival (already passed to Arrival) that found no free customer slot.
	Dropped()
	// SessionEnded is one started session's end.
	SessionEnded(o report.Outcome)
	// Active is the number of live virtual customers.
	Active(n int64)
}

// SessionObserver is an Observer that also sees the session metrics as they are recorded
// (the live /metrics exporter's reply latency, time to agent and queue position). The Recorder
// finds it by a type assertion on Options.Observer; latencies are in ns.
type SessionObserver interface {
	Observer
	// Reply is one reply latency: a CHAT sent until the first ROBOT/AGENT answer was seen.
	Reply(latency int64)
	// AgentJoined is one time to agent: TRANS2AGENT sent until an agent joined.
	AgentJoined(latency int64)
	// QueueInfo is one "still queuing" queryQueueInfo answer: its position and estimated wait (-1: none).
	QueueInfo(position, estimate int64)
}

// SnapshotObserver is an Observer that also wants the run so far (the live dashboard): each time
// time-series intervals close, the Recorder hands it a Snapshot as of the end of the last one
// closed, on the Recorder's goroutine. The Report is the observer's to keep; it must not be changed.
type SnapshotObserver interface {
	Observer
	// Snapshot is the run as of the end of the last interval closed (Recorder.Snapshot, without Meta).
	Snapshot(snap *report.Report)
}

// Meta is what the Recorder cannot know about the run: it is copied into the Report as is.
type Meta struct {
	Scenario string
	File     string
	// Target is the base URL, without credentials.
	Target string
	Seed   int64
	Stages []report.StageMark
	// ScenarioText is the scenario file as run.
	ScenarioText string
	// Gates are the scenario's compiled thresholds and compare limits, stored in report.json.
	Gates *gates.Set
	// StopReason is "completed", "interrupted", "aborted: <threshold>", "unreachable" or "data exhausted:
	// feeder <name>"; "" picks completed or interrupted from Interrupted.
	StopReason  string
	Interrupted bool
	// Shards is how many shard reports this one stands for (0 means 1).
	Shards int
	// Shard is which slice of the run the report holds (nil: not known, as for library use).
	Shard *report.ShardID
	// StartAt is the instant the run was asked to begin at (zero: none was asked).
	StartAt time.Time
	// Warnings are the runner's own warnings, listed before the Recorder's.
	Warnings []string
	// GraceS is the grace period the run gave its sessions after the last stage, in seconds.
	GraceS float64
}

// LiveStats is the run so far, for progress bars and status lines.
type LiveStats struct {
	// Elapsed is the time of the latest event seen (ns since start, as a Duration).
	Elapsed  time.Duration
	Requests int64
	// Errors counts requests that did not end ok.
	Errors int64
	// RPS is the request rate of the last completed interval.
	RPS float64
	// P99 is the response-time p99 of the last completed interval: "current", so a stall late in a
	// long run shows at once instead of being diluted by everything before it.
	P99 time.Duration
	// Active is the last value passed to SetActive.
	Active                                                                int64
	Arrivals, Dropped, SessionsStarted, SessionsCompleted, SessionsFailed int64
}

// groupRec is one group's accumulators.
type groupRec struct {
	name, kind, endpoint, controlType, step string
	own                                     bool // ccload's own requests (Origin): out of overall, the series and the lag

	classes    [report.NumClasses]int64
	codeCounts []int64 // indexed by the Recorder's interned code index
	status     [600]int64
	statusMore map[int]int64 // statuses outside 1..599 (rare)
	bytesSent  int64
	bytesRecv  int64
	service    *hdrhistogram.Histogram
	response   *hdrhistogram.Histogram
	// feeds says this group's histograms hold only requests recorded with it as their Group
	// (never as a Step, never ccload's own): overall's histograms are then overall's own
	// (requests of an unregistered group, or of a group that also served as a Step) merged with
	// every feeding group's, at build (overallRec). Each scenario request is so recorded in one
	// histogram pair fewer: the same value in two histograms was two RecordValues.
	feeds bool
	// stepped says the group has served as a Step: it never feeds (what it fed before is merged
	// into overall's own when it first does).
	stepped bool

	// The open time-series interval's share of this group (endpoint and step groups only: the
	// overall one is the Recorder's cur). ivResponse is allocated on the group's first request and reused.
	ivRequests, ivErrors int64
	ivResponse           *hdrhistogram.Histogram
}

func newGroupRec(name, kind, endpoint, controlType, step string) *groupRec {
	return &groupRec{
		name: name, kind: kind, endpoint: endpoint, controlType: controlType, step: step,
		service:  report.NewRequestHistogram(),
		response: report.NewRequestHistogram(),
	}
}

// interval is the open time-series point's accumulators.
type interval struct {
	requests, errors, arrivals, dropped, failed int64
	queueLen, toAgentMax                        int64   // the largest queue position and time to agent (µs) seen
	codes                                       []int64 // by code index; "0" is never counted
	response                                    *hdrhistogram.Histogram
}

// Recorder owns every histogram and counter of a run and builds the Report from them.
//
// A Recorder is not safe for concurrent use: the runner gives it to one collector goroutine,
// which calls every method (Live included; publish its result to other goroutines by value).
// Record allocates nothing once a group has seen its resultCodes; closing a time-series
// interval (at most once per Interval, from Record, Tick or the session methods) encodes
// that interval's histogram and does allocate. Use New; the zero value is not usable.
type Recorder struct {
	start     time.Time
	width     int64 // current interval width, ns
	maxPoints int

	groups  []*groupRec
	byKey   map[string]report.GroupID
	overall *groupRec

	// Interned resultCodes: codes[i] is the string of index i.
	codeIdx  map[string]int32
	codes    []string
	lastCode string
	lastIdx  int32
	zeroIdx  int32 // index of "0", or -1 before it is seen

	lag                              *hdrhistogram.Histogram
	throttle                         *hdrhistogram.Histogram // waits for the max_rps limiter
	reply, toAgent, sessionDur       *hdrhistogram.Histogram
	queuePos, queueEst               *hdrhistogram.Histogram // queryQueueInfo's positions and estimated waits (µs)
	queueAnswers                     report.QueueAnswers
	sessions                         report.SessionCounts
	replyTimeouts                    int64
	active                           int64
	clamped, sessionClamped, unknown int64
	lastT                            int64

	obs       Observer
	sessObs   SessionObserver  // obs, when it also wants session metrics
	snapObs   SnapshotObserver // obs, when it also wants a snapshot per interval
	obsSample report.Sample    // the Sample handed to obs: a copy, so Record's argument does not escape

	// Step failures by reason (failures.go), registered on first use.
	failures []report.FailureReason
	failIdx  map[report.FailureKey]FailureID

	cur              interval
	curStart, curEnd int64
	points           []report.Point
	lastRPS          float64
	lastP99          int64
	finished         bool
}

// New returns a Recorder whose clock starts at opts.Start.
func New(opts Options) *Recorder {
	if opts.Interval <= 0 {
		opts.Interval = report.DefaultInterval
	}
	if opts.MaxPoints <= 0 {
		opts.MaxPoints = report.DefaultMaxPoints
	}
	if opts.MaxPoints < 2 {
		opts.MaxPoints = 2
	}
	opts.MaxPoints += opts.MaxPoints % 2
	r := &Recorder{
		start:      opts.Start.Round(0),
		width:      int64(opts.Interval),
		maxPoints:  opts.MaxPoints,
		byKey:      make(map[string]report.GroupID),
		overall:    newGroupRec("all", "all", "", "", ""),
		codeIdx:    make(map[string]int32),
		lastIdx:    -1,
		zeroIdx:    -1,
		lag:        hdrhistogram.New(report.LowestUS, report.HighestUS, report.SigFigs),
		throttle:   hdrhistogram.New(report.LowestUS, report.HighestUS, report.SigFigs),
		reply:      report.NewSessionHistogram(),
		toAgent:    report.NewSessionHistogram(),
		sessionDur: report.NewSessionHistogram(),
		queuePos:   report.NewSessionHistogram(),
		queueEst:   report.NewSessionHistogram(),
		cur:        interval{response: report.NewRequestHistogram()},
		curEnd:     int64(opts.Interval),
		obs:        opts.Observer,
	}
	r.sessObs, _ = opts.Observer.(SessionObserver)
	r.snapObs, _ = opts.Observer.(SnapshotObserver)
	return r
}

// originGroups name each origin's groups: a prefix before "<endpoint> <controlType>", the
// group kind, and the registration key's tag.
var originGroups = [report.NumOrigins]struct{ prefix, kind, key string }{
	report.OriginScenario: {"", "endpoint", "e"},
	report.OriginTeardown: {"teardown ", "teardown", "t"},
	report.OriginAbandon:  {"abandon ", "teardown", "a"},
}

// Group registers the scenario's endpoint × controlType group (or finds it) and returns its ID; call it while setting up, not per request.
func (r *Recorder) Group(endpoint, controlType string) report.GroupID {
	return r.OriginGroup(report.OriginScenario, endpoint, controlType)
}

// OriginGroup registers (or finds) the endpoint × controlType group of requests of origin o:
// "<endpoint> <controlType>" (kind endpoint) for the scenario's, "teardown …" and "abandon …"
// (kind teardown) for ccload's own, which stay out of overall.
func (r *Recorder) OriginGroup(o report.Origin, endpoint, controlType string) report.GroupID {
	og := originGroups[o]
	name := og.prefix + endpoint
	if controlType != "" {
		name += " " + controlType
	}
	g := newGroupRec(name, og.kind, endpoint, controlType, "")
	g.own = o != report.OriginScenario
	return r.register(og.key+"\x00"+endpoint+"\x00"+controlType, g)
}

// StepGroup registers the named step's group (or finds it) and returns its ID.
func (r *Recorder) StepGroup(name string) report.GroupID {
	return r.register("s\x00"+name, newGroupRec("step:"+name, "step", "", "", name))
}

func (r *Recorder) register(key string, g *groupRec) report.GroupID {
	if id, ok := r.byKey[key]; ok {
		return id
	}
	id := report.GroupID(len(r.groups))
	r.groups = append(r.groups, g)
	r.byKey[key] = id
	for len(g.codeCounts) < len(r.codes) {
		g.codeCounts = append(g.codeCounts, 0)
	}
	return id
}

// codeIndex interns a resultCode: a code seen before costs a comparison or a map lookup, a new one is copied once.
func (r *Recorder) codeIndex(code string) int32 {
	if code == r.lastCode && r.lastIdx >= 0 {
		return r.lastIdx
	}
	idx, ok := r.codeIdx[code]
	if !ok {
		code = strings.Clone(code) // the runner may hand us a string backed by a reused buffer
		idx = int32(len(r.codes))
		r.codes = append(r.codes, code)
		r.codeIdx[code] = idx
		if code == "0" {
			r.zeroIdx = idx
		}
	}
	r.lastCode, r.lastIdx = r.codes[idx], idx
	return idx
}

// toUS converts a latency in ns to a recordable µs value: below 1 µs records as 1, above max is clamped (and counted).
func toUS(ns, max int64, clamped *int64) int64 {
	us := ns / 1000
	if us < report.LowestUS {
		return report.LowestUS
	}
	if us > max {
		*clamped++
		return max
	}
	return us
}

// Record adds one request. It allocates nothing for a resultCode the group has seen before.
func (r *Recorder) Record(s *report.Sample) {
	r.advance(s.End)
	code := int32(-1)
	if s.ResultCode != "" {
		code = r.codeIndex(s.ResultCode)
	}
	// Not-sent requests have no latency and no start; cut ones started (scheduler lag) but
	// have no answer: neither is in the latency histograms, the series or the error rate.
	sent := s.Class.Timed()
	var svc, resp int64
	if sent {
		svc = toUS(s.End-s.Start, report.HighestUS, &r.clamped)
		resp = toUS(s.End-s.Intended, report.HighestUS, &r.clamped)
	}
	if int(s.Group) >= 0 && int(s.Group) < len(r.groups) && r.groups[s.Group].own {
		// ccload's own request: its group and requests.total only (see Origin).
		g := r.groups[s.Group]
		g.add(s, code, sent, svc, resp)
		g.addInterval(s, sent, resp)
		if r.obs != nil {
			r.observe(s)
		}
		return
	}
	if !s.Class.NotSent() {
		lag := (s.Start - s.Throttled - max(s.Intended, s.Ready)) / 1000
		if s.Throttled > 0 {
			_ = r.throttle.RecordValue(toUS(s.Throttled, report.HighestUS, &r.clamped))
		}
		if lag < 0 {
			lag = 0
		} else if lag > report.HighestUS {
			lag = report.HighestUS
			r.clamped++
		}
		_ = r.lag.RecordValue(lag) // in range by construction
	}
	fed := false // the sample's latencies reach overall through its group's histograms
	if int(s.Group) >= 0 && int(s.Group) < len(r.groups) {
		g := r.groups[s.Group]
		g.add(s, code, sent, svc, resp)
		g.addInterval(s, sent, resp)
		if !g.stepped {
			g.feeds, fed = true, true
		}
	} else {
		r.unknown++
	}
	if s.Step != report.NoGroup && s.Step != s.Group {
		if int(s.Step) >= 0 && int(s.Step) < len(r.groups) {
			g := r.groups[s.Step]
			if !g.stepped {
				g.stepped = true
				if g.feeds { // it fed overall until now: hand that over, then record the step
					g.feeds = false
					r.overall.service.Merge(g.service)
					r.overall.response.Merge(g.response)
				}
			}
			g.add(s, code, sent, svc, resp)
			g.addInterval(s, sent, resp)
		} else {
			r.unknown++
		}
	}
	r.overall.count(s, code)
	if sent && !fed {
		_ = r.overall.service.RecordValue(svc)
		_ = r.overall.response.RecordValue(resp)
	}
	if r.obs != nil {
		r.observe(s)
	}

	c := &r.cur
	if sent {
		c.requests++
		if s.Class != report.ClassOK {
			c.errors++
		}
	}
	if code >= 0 && code != r.zeroIdx {
		for int(code) >= len(c.codes) {
			c.codes = append(c.codes, 0)
		}
		c.codes[code]++
	}
	if sent {
		_ = c.response.RecordValue(resp)
	}
}

// observe hands a copy of s to the Observer with its group names (an interface call would
// otherwise make every caller's Sample escape to the heap).
func (r *Recorder) observe(s *report.Sample) {
	var ep, ct, step string
	if int(s.Group) >= 0 && int(s.Group) < len(r.groups) {
		g := r.groups[s.Group]
		ep, ct = g.endpoint, g.controlType
	}
	if int(s.Step) >= 0 && int(s.Step) < len(r.groups) {
		step = r.groups[s.Step].step
	}
	r.obsSample = *s
	r.obsSample.Origin = report.OriginScenario
	if int(s.Group) >= 0 && int(s.Group) < len(r.groups) && r.groups[s.Group].own {
		// The run's own requests (teardown, abandon) have no step: their group's prefix tells them apart live.
		step, r.obsSample.Origin = "(abandon)", report.OriginAbandon
		if strings.HasPrefix(r.groups[s.Group].name, "teardown ") {
			step, r.obsSample.Origin = "(teardown)", report.OriginTeardown
		}
	}
	r.obs.Request(&r.obsSample, ep, ct, step)
}

func (g *groupRec) add(s *report.Sample, code int32, sent bool, svc, resp int64) {
	g.count(s, code)
	if sent {
		_ = g.service.RecordValue(svc) // in range: toUS clamps
		_ = g.response.RecordValue(resp)
	}
}

// count counts s in g's classes, resultCodes, statuses and bytes (add without the latencies).
func (g *groupRec) count(s *report.Sample, code int32) {
	g.classes[s.Class%report.NumClasses]++
	if code >= 0 {
		for int(code) >= len(g.codeCounts) {
			g.codeCounts = append(g.codeCounts, 0)
		}
		g.codeCounts[code]++
	}
	switch {
	case s.Status > 0 && s.Status < len(g.status):
		g.status[s.Status]++
	case s.Status != 0:
		if g.statusMore == nil {
			g.statusMore = make(map[int]int64)
		}
		g.statusMore[s.Status]++
	}
	if !s.Class.NotSent() {
		g.bytesSent += int64(s.BytesSent)
	}
	g.bytesRecv += int64(s.BytesRecv)
}

// addInterval counts a request in the group's open time-series interval.
func (g *groupRec) addInterval(s *report.Sample, sent bool, resp int64) {
	if sent {
		g.ivRequests++
		if s.Class != report.ClassOK {
			g.ivErrors++
		}
		if g.ivResponse == nil {
			g.ivResponse = report.NewRequestHistogram() // once per group, on its first request
		}
		_ = g.ivResponse.RecordValue(resp)
	}
}

// Arrival counts a session arrival at t (ns since start). Call it for every arrival, dropped or not,
// so that arrivals = started + dropped.
func (r *Recorder) Arrival(t int64) {
	r.advance(t)
	r.sessions.Arrivals++
	r.cur.arrivals++
	if r.obs != nil {
		r.obs.Arrival()
	}
}

// Dropped counts an arrival (already passed to Arrival) that found no free customer slot.
func (r *Recorder) Dropped(t int64) {
	r.advance(t)
	r.sessions.Dropped++
	r.cur.dropped++
	if r.obs != nil {
		r.obs.Dropped()
	}
}

// DropArrivals counts n arrivals at t that were dropped for reason without being passed to
// Arrival, so an arrival the generator could not serve is counted with why, never lost.
func (r *Recorder) DropArrivals(t, n int64, reason string) {
	r.advance(t)
	r.sessions.Arrivals += n
	r.cur.arrivals += n
	r.sessions.Dropped += n
	r.cur.dropped += n
	if r.sessions.DroppedBy == nil {
		r.sessions.DroppedBy = map[string]int64{}
	}
	r.sessions.DroppedBy[reason] += n
	if r.obs != nil { // the live metrics count these arrivals and drops too
		for range n {
			r.obs.Arrival()
			r.obs.Dropped()
		}
	}
}

// SessionStarted counts an arrival (already passed to Arrival) that became a running session.
func (r *Recorder) SessionStarted(t int64) {
	r.advance(t)
	r.sessions.Started++
}

// SessionEnded counts a started session's end; duration is its length in ns.
func (r *Recorder) SessionEnded(t int64, o report.Outcome, duration int64) {
	r.advance(t)
	if o >= report.NumOutcomes {
		o = report.Interrupted
	}
	*r.sessions.Of(o)++
	if o == report.Failed {
		r.cur.failed++
	}
	_ = r.sessionDur.RecordValue(toUS(duration, report.SessionHighestUS, &r.sessionClamped))
	if r.obs != nil {
		r.obs.SessionEnded(o)
	}
}

// Reply records a reply latency (ns): a CHAT sent until the first ROBOT/AGENT answer was seen.
func (r *Recorder) Reply(t int64, latency int64) {
	r.advance(t)
	_ = r.reply.RecordValue(toUS(latency, report.SessionHighestUS, &r.sessionClamped))
	if r.sessObs != nil {
		r.sessObs.Reply(latency)
	}
}

// AgentJoined records a time to agent (ns): TRANS2AGENT sent until an agent joined.
func (r *Recorder) AgentJoined(t int64, latency int64) {
	r.advance(t)
	us := toUS(latency, report.SessionHighestUS, &r.sessionClamped)
	_ = r.toAgent.RecordValue(us)
	r.cur.toAgentMax = max(r.cur.toAgentMax, us)
	if r.sessObs != nil {
		r.sessObs.AgentJoined(latency)
	}
}

// QueueAnswer counts a queryQueueInfo status answer (see SessionMetrics.QueueAnswers) by resultCode.
func (r *Recorder) QueueAnswer(code string) {
	switch code {
	case "0":
		r.queueAnswers.Queuing++
	case "160021":
		r.queueAnswers.WithAgent++
	case "5":
		r.queueAnswers.SessionEnded++
	case "6":
		r.queueAnswers.SessionExpired++
	case "160004":
		r.queueAnswers.SessionMissing++
	}
}

// QueueInfo records a queryQueueInfo answer that said "still queuing": the position it reported
// and its estimated wait (ns).
func (r *Recorder) QueueInfo(t int64, position, estimate int64) {
	r.advance(t)
	position = min(max(position, 0), report.SessionHighestUS)
	_ = r.queuePos.RecordValue(position)
	r.cur.queueLen = max(r.cur.queueLen, position)
	if estimate >= 0 {
		_ = r.queueEst.RecordValue(toUS(estimate, report.SessionHighestUS, &r.sessionClamped))
	}
	if r.sessObs != nil {
		r.sessObs.QueueInfo(position, estimate)
	}
}

// ReplyTimeout counts an await_reply or await_agent step that timed out.
func (r *Recorder) ReplyTimeout(t int64) {
	r.advance(t)
	r.replyTimeouts++
}

// SetActive sets the number of live virtual customers; each time-series point keeps the value at its end.
func (r *Recorder) SetActive(n int64) {
	r.active = n
	if r.obs != nil {
		r.obs.Active(n)
	}
}

// Tick closes every interval that ended by t (ns since start), so quiet periods still produce points.
func (r *Recorder) Tick(t int64) { r.advance(t) }

// advance closes the intervals that ended at or before t.
func (r *Recorder) advance(t int64) {
	if t > r.lastT {
		r.lastT = t
	}
	closed := false
	for t >= r.curEnd {
		r.closeInterval()
		closed = true
	}
	if closed && r.snapObs != nil && !r.finished {
		r.snapObs.Snapshot(r.Snapshot(r.start.Add(time.Duration(r.curStart)), Meta{}))
	}
}

// closeInterval turns the open interval into a Point and opens the next one,
// downsampling the series when it reaches maxPoints.
func (r *Recorder) closeInterval() {
	r.points = append(r.points, r.pointOf(&r.cur, r.curStart, r.active))
	secs := float64(r.curEnd-r.curStart) / 1e9
	r.lastRPS = float64(r.cur.requests) / secs
	r.lastP99 = r.cur.response.ValueAtQuantile(99)
	r.cur.requests, r.cur.errors, r.cur.arrivals, r.cur.dropped, r.cur.failed = 0, 0, 0, 0, 0
	r.cur.queueLen, r.cur.toAgentMax = 0, 0
	clear(r.cur.codes)
	r.cur.response.Reset()
	for _, g := range r.groups {
		g.ivRequests, g.ivErrors = 0, 0
		if g.ivResponse != nil {
			g.ivResponse.Reset()
		}
	}
	r.curStart = r.curEnd
	if len(r.points) >= r.maxPoints {
		// len(points) is even here, so the open interval starts on a boundary of the doubled width.
		r.points = downsample(r.points)
		r.width *= 2
	}
	r.curEnd = r.curStart + r.width
}

// pointOf builds the Point of an interval without changing it.
func (r *Recorder) pointOf(c *interval, start, active int64) report.Point {
	p := report.Point{
		T:              float64(start) / 1e9,
		Requests:       c.requests,
		Errors:         c.errors,
		Active:         active,
		Arrivals:       c.arrivals,
		Dropped:        c.dropped,
		SessionsFailed: c.failed,
	}
	p.QueueLength, p.TimeToAgentMaxUS = c.queueLen, c.toAgentMax
	if c.response.TotalCount() > 0 {
		p.P50US = c.response.ValueAtQuantile(50)
		p.P99US = c.response.ValueAtQuantile(99)
		p.Histogram = report.EncodeHistogram(c.response)
	}
	for i, n := range c.codes {
		if n == 0 {
			continue
		}
		if p.ResultCodes == nil {
			p.ResultCodes = make(map[string]int64)
		}
		p.ResultCodes[r.codes[i]] = n
	}
	p.Groups = r.groupPoints()
	return p
}

// groupPoints is the open interval's per-group points: groups with requests in it, sorted by name.
func (r *Recorder) groupPoints() []report.GroupPoint {
	var out []report.GroupPoint
	for _, g := range r.groups {
		if g.ivRequests == 0 {
			continue
		}
		gp := report.GroupPoint{Name: g.name, Requests: g.ivRequests, Errors: g.ivErrors}
		if g.ivResponse != nil && g.ivResponse.TotalCount() > 0 {
			gp.Histogram = report.EncodeHistogram(g.ivResponse)
		}
		out = append(out, gp)
	}
	slices.SortFunc(out, func(a, b report.GroupPoint) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Live returns the run's totals so far; it is cheap (no histogram scan) and changes nothing.
func (r *Recorder) Live() LiveStats {
	o := r.overall
	return LiveStats{
		Elapsed:           time.Duration(r.lastT),
		Requests:          o.timed(),
		Errors:            o.timed() - o.classes[report.ClassOK],
		RPS:               r.lastRPS,
		P99:               time.Duration(r.lastP99) * time.Microsecond,
		Active:            r.active,
		Arrivals:          r.sessions.Arrivals,
		Dropped:           r.sessions.Dropped,
		SessionsStarted:   r.sessions.Started,
		SessionsCompleted: r.sessions.Completed,
		SessionsFailed:    r.sessions.Failed,
	}
}

func (g *groupRec) total() int64 {
	var n int64
	for _, c := range g.classes {
		n += c
	}
	return n
}

// timed counts the group's requests with an outcome of the target (neither not sent nor cut).
func (g *groupRec) timed() int64 {
	var n int64
	for c, k := range g.classes {
		if report.ErrClass(c).Timed() {
			n += k
		}
	}
	return n
}

// downsample is report.Downsample of the Recorder's own points, which always decode.
func downsample(pts []report.Point) []report.Point {
	out, err := report.Downsample(pts)
	if err != nil {
		// Points the Recorder encoded itself always decode.
		panic("record: downsampling: " + err.Error())
	}
	return out
}
