package traffic

import "math"

// Stage is one load stage fitted to the arrival curve: a line over buckets [Start, Start+Len).
type Stage struct {
	Start, Len int
	// Secs is the stage's duration in seconds: its buckets' lengths (the last may be partial).
	Secs     float64
	From, To float64 // sessions/s at the stage's start and end
	// MaxDev is the largest distance (sessions/s) between the line and a bucket's observed rate.
	MaxDev float64
}

// Sessions is the number of arrivals the stage plays: the area under its line.
func (s Stage) Sessions() float64 { return (s.From + s.To) / 2 * s.Secs }

// Stages simplifies the arrival curve into piecewise-linear stages: from the first bucket,
// each stage is the longest run of buckets whose least-squares line stays within the allowed
// distance of every bucket's rate: tol × the rate, plus half an arrival per bucket (the grain
// of counting), plus, when poisson, twice the bucket's Poisson noise (2√count per bucket), so
// that noise does not become stages. Buckets weigh by their length (a partial last bucket
// counts for its part), so a stage's area is the number of arrivals in its buckets: the stages
// together play the log's sessions over its span (unless a line had to be cut at 0).
func Stages(c Curve, tol float64, poisson bool) []Stage {
	n := len(c.Counts)
	allow := make([]float64, n)
	for k := range allow {
		l := c.Len(k)
		allow[k] = tol*c.Rate(k) + 0.5/l
		if poisson {
			allow[k] += 2 * math.Sqrt(float64(c.Counts[k])) / l
		}
	}
	var out []Stage
	for i := 0; i < n; {
		best := lineStage(c, i, 1)
		for l := 2; i+l <= n; l++ {
			s := lineStage(c, i, l)
			ok := true
			for k := i; k < i+l && ok; k++ {
				ok = math.Abs(c.Rate(k)-s.atBucket(c, k)) <= allow[k]
			}
			if !ok {
				break
			}
			best = s
		}
		out = append(out, best)
		i += best.Len
	}
	return out
}

// atBucket is the stage's line at the middle of bucket k (one of its buckets).
func (s Stage) atBucket(c Curve, k int) float64 {
	x := c.Start(k) - c.Start(s.Start) + c.Len(k)/2
	if s.Secs <= 0 {
		return s.From
	}
	return s.From + (s.To-s.From)*x/s.Secs
}

// lineStage fits the least-squares line, each bucket weighted by its length, to buckets [i, i+l).
func lineStage(c Curve, i, l int) Stage {
	var sw, sx, sy, sxx, sxy float64
	t0 := c.Start(i)
	secs := 0.0
	for k := i; k < i+l; k++ {
		w := c.Len(k)
		x, y := c.Start(k)-t0+w/2, c.Rate(k)
		sw += w
		sx += w * x
		sy += w * y
		sxx += w * x * x
		sxy += w * x * y
		secs += w
	}
	slope := 0.0
	if d := sw*sxx - sx*sx; l > 1 && d > 0 {
		slope = (sw*sxy - sx*sy) / d
	}
	icpt := (sy - slope*sx) / sw
	s := Stage{Start: i, Len: l, Secs: secs, From: math.Max(0, icpt), To: math.Max(0, icpt+slope*secs)}
	for k := i; k < i+l; k++ {
		s.MaxDev = math.Max(s.MaxDev, math.Abs(c.Rate(k)-s.atBucket(c, k)))
	}
	return s
}
