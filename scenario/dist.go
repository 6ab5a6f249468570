package scenario

import (
	"fmt"
	"math"
	"strings"

	"go.yaml.in/yaml/v3"
)

// z90 is the standard normal's 90th percentile: a lognormal's p90 is exp(mu + z90*sigma).
const z90 = 1.2815515655446004

// distFamilies are the distribution keys of a mapping-form distribution.
var distFamilies = []string{"constant", "uniform", "normal", "exponential", "lognormal", "empirical"}

// dist compiles a distribution: a plain value (constant), or a mapping with one family and
// optional min/max bounds. With dur, values are durations stored in seconds; otherwise counts.
// extra keys are allowed in the mapping and ignored (a step's `name`).
func (l *loader) dist(n *yaml.Node, path string, dur bool, extra ...string) *Dist {
	n = l.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		v, ok := l.distVal(n, path, dur)
		if !ok {
			return nil
		}
		return &Dist{Kind: Constant, A: v}
	}
	keys := append(append([]string{}, distFamilies...), "min", "max")
	keys = append(keys, extra...)
	f := l.mapping(n, path, keys...)
	if f == nil {
		return nil
	}
	var fam []string
	for _, k := range f.keys {
		if contains(distFamilies, k) {
			fam = append(fam, k)
		}
	}
	d := &Dist{}
	ok := true
	if v := f.get("min"); v != nil {
		d.Min, ok = l.distVal(v, f.p("min"), dur)
		d.HasMin = ok
	}
	if v := f.get("max"); v != nil {
		var ok2 bool
		d.Max, ok2 = l.distVal(v, f.p("max"), dur)
		d.HasMax, ok = ok2, ok && ok2
	}
	if d.HasMin && d.HasMax && d.Min > d.Max {
		l.errAt(f.get("max"), f.p("max"), "max must be >= min")
		ok = false
	}
	switch len(fam) {
	case 0:
		// {min, max} alone is a uniform distribution between them.
		if d.HasMin && d.HasMax {
			return &Dist{Kind: UniformDist, A: d.Min, B: d.Max, Min: d.Min, Max: d.Max, HasMin: true, HasMax: true}
		}
		if ok {
			l.errAt(n, path, "needs a distribution: one of %s (or min and max together for uniform)", strings.Join(distFamilies, ", "))
		}
		return nil
	case 1:
	default:
		l.errAt(f.key[fam[1]], f.p(fam[1]), "one distribution per value; found %s", strings.Join(fam, " and "))
		return nil
	}
	name := fam[0]
	fp := f.p(name)
	body := f.get(name)
	if name == "constant" {
		v, ok2 := l.distVal(body, fp, dur)
		if !ok || !ok2 {
			return nil
		}
		d.Kind, d.A = Constant, v
		return d
	}
	if name == "empirical" {
		// {empirical: [v1, v2, ...]}: each draw is one of the values, equally likely (what
		// `ccload fit` writes when no family fits: a sample's quantiles).
		items, ok2 := l.seq(body, fp)
		if !ok || !ok2 {
			return nil
		}
		if len(items) == 0 || len(items) > 10000 {
			l.errAt(body, fp, "empirical needs 1 to 10000 values, got %d", len(items))
			return nil
		}
		d.Kind, d.Values = Empirical, make([]float64, len(items))
		for i, it := range items {
			v, ok3 := l.distVal(it, fmt.Sprintf("%s[%d]", fp, i), dur)
			d.Values[i], ok = v, ok && ok3
		}
		if !ok {
			return nil
		}
		return d
	}
	params := map[string][]string{
		"uniform":     {"min", "max"},
		"normal":      {"mean", "stddev"},
		"exponential": {"mean"},
		"lognormal":   {"median", "p90"},
	}[name]
	pf := l.mapping(body, fp, params...)
	if pf == nil {
		return nil
	}
	vals := make([]float64, len(params))
	for i, p := range params {
		v := pf.get(p)
		if v == nil {
			l.errAt(body, pf.p(p), "missing: %s needs %s", name, strings.Join(params, " and "))
			ok = false
			continue
		}
		x, ok2 := l.distVal(v, pf.p(p), dur)
		vals[i], ok = x, ok && ok2
	}
	if !ok {
		return nil
	}
	switch name {
	case "uniform":
		if vals[0] > vals[1] {
			l.errAt(pf.get("max"), pf.p("max"), "uniform max must be >= min")
			return nil
		}
		d.Kind, d.A, d.B = UniformDist, vals[0], vals[1]
	case "normal":
		d.Kind, d.A, d.B = Normal, vals[0], vals[1]
	case "exponential":
		if vals[0] <= 0 {
			l.errAt(pf.get("mean"), pf.p("mean"), "exponential mean must be greater than 0")
			return nil
		}
		d.Kind, d.A = Exponential, vals[0]
	case "lognormal":
		if vals[0] <= 0 {
			l.errAt(pf.get("median"), pf.p("median"), "lognormal median must be greater than 0")
			return nil
		}
		if vals[1] <= vals[0] {
			l.errAt(pf.get("p90"), pf.p("p90"), "lognormal p90 must be greater than the median")
			return nil
		}
		mu := math.Log(vals[0])
		d.Kind, d.A, d.B = LogNormal, mu, (math.Log(vals[1])-mu)/z90
	}
	return d
}

// distVal reads one parameter: a duration (in seconds) or a non-negative number.
func (l *loader) distVal(n *yaml.Node, path string, dur bool) (float64, bool) {
	if dur {
		d, ok := l.dur(n, path)
		if ok && d < 0 {
			l.errAt(n, path, "must not be negative, got %s", shown(n))
			return 0, false
		}
		return d.Seconds(), ok
	}
	v, ok := l.nonNeg(n, path)
	if ok && v > 1e6 {
		l.errAt(n, path, "%s is too large (at most 1000000)", shown(n))
		return 0, false
	}
	return v, ok
}
