package traffic

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"ccload/ccapi"
)

// Elem is one element of a session's shape: a request kind, or a run of CHATs of one mediaType
// folded into one element (Folded) whose length varies from session to session.
type Elem struct {
	Control ccapi.ControlType
	Media   ccapi.MediaType
	Folded  bool
}

// Token names the request kind: the controlType, with the mediaType when it is not TEXT.
func (e Elem) Token() string {
	if e.Media != "" && e.Media != ccapi.Text {
		return string(e.Control) + "/" + string(e.Media)
	}
	return string(e.Control)
}

func (e Elem) String() string {
	if e.Folded {
		return e.Token() + "+"
	}
	return e.Token()
}

// Type is one session type: every session of one shape, with its samples.
type Type struct {
	Key   string // the shape, e.g. "CONNECT CHAT+ DISCONNECT"
	Elems []Elem
	Count int64
	// Gaps[i] holds the gaps (seconds) from element i's last request to element i+1's first.
	Gaps []*Reservoir
	// Inner[i] and Runs[i], for a folded element: the gaps within its run and the run's length.
	Inner, Runs []*Reservoir
	// ContentLen[i] is the content length (bytes) of element i's requests.
	ContentLen []*Reservoir
	// Durations and Messages of this type's sessions.
	Durations *Reservoir
}

// AnalyzeOptions bounds an Analysis.
type AnalyzeOptions struct {
	// Bucket is the width of one point of the arrival curve; 0 chooses it from the log
	// (ChooseBucket).
	Bucket time.Duration
	// Speed says the log is a replay played Speed times faster than the log it replays
	// (`ccload replay --speed`): its gaps, durations and arrival times are multiplied by Speed
	// so that it compares with the original. 0 or 1: as logged.
	Speed float64
	// MaxShapes caps the distinct session shapes kept (default 500); sessions of later new
	// shapes are counted in Other.
	MaxShapes int
	// TypeSamples caps each per-type sample (default 5000); PooledSamples each pooled one
	// (default 100000). Samples are uniform reservoirs, so memory does not grow with the log.
	TypeSamples, PooledSamples int
}

func (o *AnalyzeOptions) defaults() {
	if o.Bucket < 0 {
		o.Bucket = 0
	}
	if o.Speed <= 0 || math.IsNaN(o.Speed) || math.IsInf(o.Speed, 0) {
		o.Speed = 1
	}
	if o.MaxShapes <= 0 {
		o.MaxShapes = 500
	}
	if o.TypeSamples <= 0 {
		o.TypeSamples = 5000
	}
	if o.PooledSamples <= 0 {
		o.PooledSamples = 100_000
	}
}

// Analysis is what fit and logdiff know of a log: session types, think times per transition,
// messages per session, durations and arrivals. Memory: the samples are bounded reservoirs;
// arrivals keep one int64 per session (8 bytes against the several hundred bytes of log each
// session takes). Not safe for concurrent use; Add sessions from Read's callback.
type Analysis struct {
	Opt       AnalyzeOptions
	Sessions  int64 // sessions with a CONNECT, analysed
	NoConnect int64 // sessions without a CONNECT, not analysed (their start is not in the log)
	Other     int64 // sessions of shapes past MaxShapes
	Requests  int64 // requests of the analysed sessions
	Types     map[string]*Type
	// Transitions pools the gaps of every session by "FROM→TO" request kinds.
	Transitions map[string]*Reservoir
	Messages    *Reservoir // requests per session
	Durations   *Reservoir // first to last request, seconds
	starts      []int64
}

// NewAnalysis returns an empty analysis.
func NewAnalysis(o AnalyzeOptions) *Analysis {
	o.defaults()
	return &Analysis{Opt: o, Types: map[string]*Type{}, Transitions: map[string]*Reservoir{},
		Messages: NewReservoir(o.PooledSamples), Durations: NewReservoir(o.PooledSamples)}
}

// Shape folds a session's requests into elements; runs[i] is element i's number of requests.
func Shape(evs []Event) (elems []Elem, runs []int) {
	for _, e := range evs {
		el := Elem{Control: e.Control, Media: e.Media}
		if e.Control != ccapi.Chat {
			el.Media = "" // only CHAT's mediaType makes a different request kind
		} else {
			el.Folded = true
		}
		if n := len(elems); n > 0 && el.Folded && elems[n-1] == el {
			runs[n-1]++
			continue
		}
		elems = append(elems, el)
		runs = append(runs, 1)
	}
	return elems, runs
}

// ShapeKey is the shape's name, e.g. "CONNECT CHAT+ DISCONNECT".
func ShapeKey(elems []Elem) string {
	parts := make([]string, len(elems))
	for i, e := range elems {
		parts[i] = e.String()
	}
	return strings.Join(parts, " ")
}

func sec(ns int64) float64 { return float64(ns) / 1e9 }

// scaled is a logged interval in seconds, undone of the replay's speed.
func (a *Analysis) scaled(ns int64) float64 { return sec(ns) * a.Opt.Speed }

// Add analyses one session.
func (a *Analysis) Add(s *Session) {
	if !s.Connected() {
		a.NoConnect++
		return
	}
	evs := s.Events
	a.Sessions++
	a.Requests += int64(len(evs) + s.Truncated)
	a.starts = append(a.starts, evs[0].T)
	a.Messages.Add(float64(len(evs) + s.Truncated))
	dur := a.scaled(evs[len(evs)-1].T - evs[0].T)
	a.Durations.Add(dur)
	for i := 1; i < len(evs); i++ {
		k := kind(evs[i-1]) + "→" + kind(evs[i])
		r := a.Transitions[k]
		if r == nil {
			r = NewReservoir(a.Opt.PooledSamples)
			a.Transitions[k] = r
		}
		r.Add(a.scaled(evs[i].T - evs[i-1].T))
	}
	elems, runs := Shape(evs)
	key := ShapeKey(elems)
	t := a.Types[key]
	if t == nil {
		if len(a.Types) >= a.Opt.MaxShapes {
			a.Other++
			return
		}
		n, c := len(elems), a.Opt.TypeSamples
		t = &Type{Key: key, Elems: elems, Gaps: make([]*Reservoir, n), Inner: make([]*Reservoir, n),
			Runs: make([]*Reservoir, n), ContentLen: make([]*Reservoir, n), Durations: NewReservoir(c)}
		for i, e := range elems {
			t.Gaps[i], t.ContentLen[i] = NewReservoir(c), NewReservoir(c)
			if e.Folded {
				t.Inner[i], t.Runs[i] = NewReservoir(c), NewReservoir(c)
			}
		}
		a.Types[key] = t
	}
	t.Count++
	t.Durations.Add(dur)
	j := 0
	for i, e := range elems {
		if i > 0 {
			t.Gaps[i-1].Add(a.scaled(evs[j].T - evs[j-1].T))
		}
		t.ContentLen[i].Add(float64(evs[j].ContentLen))
		if e.Folded {
			t.Runs[i].Add(float64(runs[i]))
			for k := j + 1; k < j+runs[i]; k++ {
				t.Inner[i].Add(a.scaled(evs[k].T - evs[k-1].T))
			}
		}
		j += runs[i]
	}
}

func kind(e Event) string { return Elem{Control: e.Control, Media: mediaOf(e)}.Token() }

func mediaOf(e Event) ccapi.MediaType {
	if e.Control == ccapi.Chat {
		return e.Media
	}
	return ""
}

// TypesByCount lists the session types, most frequent first (ties by key).
func (a *Analysis) TypesByCount() []*Type {
	ts := make([]*Type, 0, len(a.Types))
	for _, t := range a.Types {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool {
		if ts[i].Count != ts[j].Count {
			return ts[i].Count > ts[j].Count
		}
		return ts[i].Key < ts[j].Key
	})
	return ts
}

// Curve is the arrival curve: session starts counted in buckets of Bucket from the first one.
// The curve spans Span, the window in which the log shows arrivals: from the first start to the
// last plus one mean gap between starts (for arrivals at a steady rate r over a time D, the
// starts are D·(N−1)/N apart end to end, so this window is D, not short of one gap). The last
// bucket is partial when Span is not a whole number of buckets: its rate is its count over its
// own length, and stages and comparisons weigh it by that length.
type Curve struct {
	Origin time.Time
	Bucket time.Duration
	Span   time.Duration
	Counts []int64
	// Chosen is true when the bucket was chosen from the log (ChooseBucket), and Why says how.
	Chosen bool
	Why    string
	// CV is the coefficient of variation of the gaps between arrivals, each scaled by its
	// bucket's rate: about 1 for Poisson arrivals, near 0 for evenly spaced ones.
	CV float64
}

// Len is bucket i's length in seconds: Bucket, or less for a partial last bucket.
func (c Curve) Len(i int) float64 {
	if i == len(c.Counts)-1 {
		if l := (c.Span - c.Bucket*time.Duration(i)).Seconds(); l > 0 && l < c.Bucket.Seconds() {
			return l
		}
	}
	return c.Bucket.Seconds()
}

// Start is bucket i's start, seconds from the first arrival.
func (c Curve) Start(i int) float64 { return (c.Bucket * time.Duration(i)).Seconds() }

// Rate is bucket i's arrival rate, sessions per second over the bucket's own length.
func (c Curve) Rate(i int) float64 { return float64(c.Counts[i]) / c.Len(i) }

// Total is the number of arrivals the curve holds.
func (c Curve) Total() int64 {
	var n int64
	for _, k := range c.Counts {
		n += k
	}
	return n
}

// Bucket choice: at least MinBuckets to show a ramp, at most MaxBuckets, and about
// BucketSessions sessions in each (Poisson noise √n/n = 10%), on a round width.
const (
	MinBuckets     = 4
	MaxBuckets     = 120
	BucketSessions = 100
)

// niceBuckets are the widths ChooseBucket picks from.
var niceBuckets = []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 20 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 20 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}

// ChooseBucket chooses the arrival curve's bucket for n sessions over span: the narrowest round
// width holding about BucketSessions sessions on average, within MinBuckets..MaxBuckets buckets
// (at least MinBuckets wins over the sessions per bucket, so a short log still shows its ramp:
// its noise is then judged, not hidden). why says the choice for the output.
func ChooseBucket(n int64, span time.Duration) (time.Duration, string) {
	if n <= 0 || span <= 0 {
		return time.Second, "no span: 1s"
	}
	rate := float64(n) / span.Seconds()
	pick := niceBuckets[len(niceBuckets)-1]
	for _, b := range niceBuckets {
		if float64(n)*b.Seconds()/span.Seconds() >= BucketSessions && span <= b*MaxBuckets {
			pick = b
			break
		}
	}
	// Not fewer than MinBuckets: the widest round width that still gives them.
	if span < pick*MinBuckets {
		pick = niceBuckets[0]
		for _, b := range niceBuckets {
			if b*MinBuckets <= span {
				pick = b
			}
		}
	}
	k := int(math.Ceil(span.Seconds() / pick.Seconds()))
	why := fmt.Sprintf("%d sessions over %s (%s/s): %d buckets of about %s sessions (at least %d buckets, about %d sessions each; --bucket overrides)",
		n, span.Round(time.Millisecond), fmtNum(rate), k, fmtNum(rate*pick.Seconds()), MinBuckets, BucketSessions)
	return pick, why
}

// Curve computes the arrival curve with the analysis' bucket (chosen from the log when 0).
func (a *Analysis) Curve() Curve { return a.CurveAt(a.Opt.Bucket) }

// CurveAt computes the arrival curve in buckets of width bucket (0: ChooseBucket).
func (a *Analysis) CurveAt(bucket time.Duration) Curve {
	c := Curve{Bucket: bucket}
	if len(a.starts) == 0 {
		if c.Bucket <= 0 {
			c.Bucket = time.Second
		}
		return c
	}
	sort.Slice(a.starts, func(i, j int) bool { return a.starts[i] < a.starts[j] })
	o := a.starts[0]
	c.Origin = time.Unix(0, o).UTC()
	n := len(a.starts)
	off := func(i int) float64 { return float64(a.starts[i]-o) * a.Opt.Speed } // ns, undone of the speed
	last := off(n - 1)
	span := last
	if n > 1 {
		span += last / float64(n-1)
	}
	c.Span = time.Duration(span)
	if c.Span <= 0 {
		c.Span = time.Millisecond // every session started at once
	}
	if c.Bucket <= 0 {
		c.Bucket, c.Why = ChooseBucket(int64(n), c.Span)
		c.Chosen = true
	}
	b := float64(c.Bucket)
	k := max(int(math.Ceil(float64(c.Span)/b)), 1)
	c.Counts = make([]int64, k)
	idx := func(i int) int { return min(int(off(i)/b), k-1) }
	for i := range n {
		c.Counts[idx(i)]++
	}
	var s, s2, m float64
	for i := 1; i < n; i++ {
		g := (off(i) - off(i-1)) / 1e9 * c.Rate(idx(i))
		s += g
		s2 += g * g
		m++
	}
	if m > 1 && s > 0 {
		mean := s / m
		c.CV = math.Sqrt(math.Max(s2/m-mean*mean, 0)) / mean
	}
	return c
}
