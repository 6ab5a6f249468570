package traffic

import "math"

// Stage is one load stage fitted to the arrival curve: a line over buckets [Start, Start+Len).
type Stage struct {
	Start, Len int
	From, To   float64 // sessions/s at the stage's start and end
	// MaxDev is the largest distance (sessions/s) between the line and a bucket's observed rate.
	MaxDev float64
}

// Stages simplifies the arrival curve into piecewise-linear stages: from the first bucket,
// each stage is the longest run of buckets whose least-squares line stays within the allowed
// distance of every bucket's rate: tol × the rate, plus half an arrival per bucket (the grain
// of counting), plus, when poisson, twice the bucket's Poisson noise (2√count per bucket), so
// that noise does not become stages.
func Stages(c Curve, tol float64, poisson bool) []Stage {
	n := len(c.Counts)
	bs := c.Bucket.Seconds()
	allow := make([]float64, n)
	for k := range allow {
		allow[k] = tol*c.Rate(k) + 0.5/bs
		if poisson {
			allow[k] += 2 * math.Sqrt(float64(c.Counts[k])) / bs
		}
	}
	var out []Stage
	for i := 0; i < n; {
		best := lineStage(c, i, 1)
		for l := 2; i+l <= n; l++ {
			s := lineStage(c, i, l)
			ok := true
			for k := i; k < i+l && ok; k++ {
				ok = math.Abs(c.Rate(k)-s.at(k-i, l)) <= allow[k]
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

// at is the stage's line at the middle of its k-th bucket.
func (s Stage) at(k, l int) float64 {
	return s.From + (s.To-s.From)*(float64(k)+0.5)/float64(l)
}

// lineStage fits the least-squares line to buckets [i, i+l).
func lineStage(c Curve, i, l int) Stage {
	var sx, sy, sxx, sxy float64
	for k := 0; k < l; k++ {
		x, y := float64(k)+0.5, c.Rate(i+k)
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	nf := float64(l)
	slope := 0.0
	if d := nf*sxx - sx*sx; l > 1 && d != 0 {
		slope = (nf*sxy - sx*sy) / d
	}
	icpt := (sy - slope*sx) / nf
	s := Stage{Start: i, Len: l, From: math.Max(0, icpt), To: math.Max(0, icpt+slope*nf)}
	for k := 0; k < l; k++ {
		s.MaxDev = math.Max(s.MaxDev, math.Abs(c.Rate(i+k)-s.at(k, l)))
	}
	return s
}
