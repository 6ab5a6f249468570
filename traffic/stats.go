package traffic

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Family is a fitted distribution family.
type Family string

// Candidate families of a think-time fit, and the fallback.
const (
	LogNormal   Family = "lognormal"
	Exponential Family = "exponential"
	Uniform     Family = "uniform"
	Empirical   Family = "empirical"
	Constant    Family = "constant"
)

// Fit is one fitted distribution (values in seconds, or counts) with its KS distance to the sample.
type Fit struct {
	Family Family
	// LogNormal: A=mu, B=sigma of log(x). Exponential: A=mean. Uniform: A=min, B=max.
	// Constant: A. Empirical: Quantiles.
	A, B      float64
	Quantiles []float64
	KS        float64
}

// CDF is the fitted distribution function.
func (f Fit) CDF(x float64) float64 {
	switch f.Family {
	case LogNormal:
		if x <= 0 {
			return 0
		}
		return 0.5 * math.Erfc(-(math.Log(x)-f.A)/(f.B*math.Sqrt2))
	case Exponential:
		if x <= 0 {
			return 0
		}
		return 1 - math.Exp(-x/f.A)
	case Uniform:
		if f.B <= f.A {
			return step(x, f.A)
		}
		return math.Min(1, math.Max(0, (x-f.A)/(f.B-f.A)))
	case Constant:
		return step(x, f.A)
	case Empirical:
		// Draws are one of the quantiles, each equally likely.
		n := sort.SearchFloat64s(f.Quantiles, math.Nextafter(x, math.Inf(1)))
		return float64(n) / float64(len(f.Quantiles))
	}
	return 0
}

// PDF is the fitted density (0 for the discrete families), for the fit page's curves.
func (f Fit) PDF(x float64) float64 {
	switch f.Family {
	case LogNormal:
		if x <= 0 {
			return 0
		}
		z := (math.Log(x) - f.A) / f.B
		return math.Exp(-z*z/2) / (x * f.B * math.Sqrt(2*math.Pi))
	case Exponential:
		if x < 0 {
			return 0
		}
		return math.Exp(-x/f.A) / f.A
	case Uniform:
		if x < f.A || x > f.B || f.B <= f.A {
			return 0
		}
		return 1 / (f.B - f.A)
	}
	return 0
}

// Median is the fitted distribution's median.
func (f Fit) Median() float64 {
	switch f.Family {
	case LogNormal:
		return math.Exp(f.A)
	case Exponential:
		return f.A * math.Ln2
	case Uniform:
		return (f.A + f.B) / 2
	case Empirical:
		return quantile(f.Quantiles, 0.5)
	}
	return f.A
}

func step(x, at float64) float64 {
	if x >= at {
		return 1
	}
	return 0
}

// KS is the Kolmogorov–Smirnov distance between the sorted sample xs and cdf. With a
// resolution h > 0 the sample is taken as rounded to multiples of h (a log in whole
// milliseconds): a value k stands for (k-h, k+h), so the sample's step at k is compared
// with cdf(k+h/2) after it and cdf(k-h/2) before it, and the grain is not counted as misfit.
func KS(xs []float64, cdf func(float64) float64, h float64) float64 {
	n := float64(len(xs))
	var d float64
	for i := 0; i < len(xs); {
		j := i
		for j < len(xs) && xs[j] == xs[i] {
			j++
		}
		lo, hi := cdf(xs[i]-h/2), cdf(xs[i]+h/2)
		d = math.Max(d, math.Max(math.Abs(float64(i)/n-lo), math.Abs(float64(j)/n-hi)))
		i = j
	}
	return d
}

// KS2 is the two-sample Kolmogorov–Smirnov distance between sorted samples a and b.
func KS2(a, b []float64) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 1
	}
	var i, j int
	var d float64
	na, nb := float64(len(a)), float64(len(b))
	for i < len(a) && j < len(b) {
		x := math.Min(a[i], b[j])
		for i < len(a) && a[i] == x {
			i++
		}
		for j < len(b) && b[j] == x {
			j++
		}
		d = math.Max(d, math.Abs(float64(i)/na-float64(j)/nb))
	}
	return d
}

// quantile of sorted xs at q in [0,1], interpolated linearly.
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	p := q * float64(len(xs)-1)
	i := int(p)
	if i >= len(xs)-1 {
		return xs[len(xs)-1]
	}
	return xs[i] + (p-float64(i))*(xs[i+1]-xs[i])
}

// Median of a sorted sample.
func Median(xs []float64) float64 { return quantile(xs, 0.5) }

// empiricalQuantiles are the k quantiles at (i+0.5)/k of sorted xs: drawing one of them
// uniformly is within 1/k of the sample's distribution in KS distance.
func empiricalQuantiles(xs []float64, k int) []float64 {
	if len(xs) < k {
		k = len(xs)
	}
	q := make([]float64, k)
	for i := range q {
		q[i] = quantile(xs, (float64(i)+0.5)/float64(k))
	}
	return q
}

// FitResult is the outcome of fitting one sample: every candidate with its KS distance, and the chosen fit.
type FitResult struct {
	N          int
	Candidates []Fit // lognormal, exponential, uniform, by maximum likelihood
	Chosen     Fit
	// Limit is the KS distance a family had to stay under to be chosen over the empirical fallback.
	Limit float64
}

// EmpiricalPoints is how many quantiles an empirical fallback keeps.
const EmpiricalPoints = 100

// FitDurations fits lognormal, exponential and uniform to the sorted sample xs (seconds) by
// maximum likelihood, measures each candidate's KS distance (at resolution h), and chooses the
// closest; when even that one is above limit (0: the 1% critical value 1.63/√n), the empirical
// distribution of EmpiricalPoints quantiles is chosen instead. Zeros (two requests in the same
// tick of the log's clock) enter the lognormal fit as h/2.
func FitDurations(xs []float64, h, limit float64) FitResult {
	n := len(xs)
	r := FitResult{N: n}
	if n == 0 {
		r.Chosen = Fit{Family: Constant}
		return r
	}
	if xs[0] == xs[n-1] {
		r.Chosen = Fit{Family: Constant, A: xs[0]}
		return r
	}
	var sl, sl2, sum float64
	floor := math.Max(h/2, 1e-6)
	for _, x := range xs {
		l := math.Log(math.Max(x, floor))
		sl += l
		sl2 += l * l
		sum += x
	}
	mu := sl / float64(n)
	sigma := math.Sqrt(math.Max(sl2/float64(n)-mu*mu, 1e-12))
	cands := []Fit{
		{Family: LogNormal, A: mu, B: sigma},
		{Family: Exponential, A: math.Max(sum/float64(n), 1e-9)},
		{Family: Uniform, A: xs[0], B: xs[n-1]},
	}
	for i := range cands {
		cands[i].KS = KS(xs, cands[i].CDF, h)
	}
	r.Candidates = cands
	best := cands[0]
	for _, c := range cands[1:] {
		if c.KS < best.KS {
			best = c
		}
	}
	r.Limit = limit
	if r.Limit <= 0 {
		r.Limit = 1.63 / math.Sqrt(float64(n))
	}
	if best.KS > r.Limit {
		emp := Fit{Family: Empirical, Quantiles: empiricalQuantiles(xs, EmpiricalPoints)}
		emp.KS = KS(xs, emp.CDF, h)
		best = emp
	}
	r.Chosen = best
	return r
}

// Reservoir keeps a uniform random sample of at most Cap values from a stream (Algorithm R),
// so a fit over a log of any size holds bounded memory. Not safe for concurrent use.
type Reservoir struct {
	Cap  int
	Seen int64
	Vals []float64
	rng  *rand.Rand
}

// NewReservoir keeps up to capacity values, drawn with a fixed seed (reproducible fits).
func NewReservoir(capacity int) *Reservoir {
	return &Reservoir{Cap: capacity, rng: rand.New(rand.NewPCG(1, uint64(capacity)))}
}

// Add offers one value.
func (r *Reservoir) Add(v float64) {
	r.Seen++
	if len(r.Vals) < r.Cap {
		r.Vals = append(r.Vals, v)
		return
	}
	if k := r.rng.Int64N(r.Seen); k < int64(r.Cap) {
		r.Vals[k] = v
	}
}

// Sorted returns the kept values in ascending order.
func (r *Reservoir) Sorted() []float64 {
	sort.Float64s(r.Vals)
	return r.Vals
}
