package traffic

import (
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
	// Bucket is the width of one point of the arrival curve (default 1m).
	Bucket time.Duration
	// MaxShapes caps the distinct session shapes kept (default 500); sessions of later new
	// shapes are counted in Other.
	MaxShapes int
	// TypeSamples caps each per-type sample (default 5000); PooledSamples each pooled one
	// (default 100000). Samples are uniform reservoirs, so memory does not grow with the log.
	TypeSamples, PooledSamples int
}

func (o *AnalyzeOptions) defaults() {
	if o.Bucket <= 0 {
		o.Bucket = time.Minute
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
	dur := sec(evs[len(evs)-1].T - evs[0].T)
	a.Durations.Add(dur)
	for i := 1; i < len(evs); i++ {
		k := kind(evs[i-1]) + "→" + kind(evs[i])
		r := a.Transitions[k]
		if r == nil {
			r = NewReservoir(a.Opt.PooledSamples)
			a.Transitions[k] = r
		}
		r.Add(sec(evs[i].T - evs[i-1].T))
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
			t.Gaps[i-1].Add(sec(evs[j].T - evs[j-1].T))
		}
		t.ContentLen[i].Add(float64(evs[j].ContentLen))
		if e.Folded {
			t.Runs[i].Add(float64(runs[i]))
			for k := j + 1; k < j+runs[i]; k++ {
				t.Inner[i].Add(sec(evs[k].T - evs[k-1].T))
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

// Curve is the arrival curve: sessions per second in buckets of Bucket from the first arrival.
type Curve struct {
	Origin time.Time
	Bucket time.Duration
	Counts []int64
	// CV is the coefficient of variation of the gaps between arrivals, each scaled by its
	// bucket's rate: about 1 for Poisson arrivals, near 0 for evenly spaced ones.
	CV float64
}

// Rate is bucket i's arrival rate, sessions per second.
func (c Curve) Rate(i int) float64 { return float64(c.Counts[i]) / c.Bucket.Seconds() }

// Curve computes the arrival curve. The number of buckets is the span from the first to the
// last arrival rounded to whole buckets (at least one); arrivals past it count in the last.
func (a *Analysis) Curve() Curve {
	c := Curve{Bucket: a.Opt.Bucket}
	if len(a.starts) == 0 {
		return c
	}
	sort.Slice(a.starts, func(i, j int) bool { return a.starts[i] < a.starts[j] })
	o := a.starts[0]
	c.Origin = time.Unix(0, o).UTC()
	b := int64(a.Opt.Bucket)
	n := int(math.Round(float64(a.starts[len(a.starts)-1]-o) / float64(b)))
	n = max(n, 1)
	c.Counts = make([]int64, n)
	for _, t := range a.starts {
		c.Counts[min(int((t-o)/b), n-1)]++
	}
	var s, s2, m float64
	for i := 1; i < len(a.starts); i++ {
		bi := min(int((a.starts[i]-o)/b), n-1)
		g := sec(a.starts[i]-a.starts[i-1]) * c.Rate(bi)
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
