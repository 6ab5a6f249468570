package traffic

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"ccload/ccapi"
)

// analysisOf analyses one-request sessions (a CONNECT) starting at the given seconds.
func analysisOf(o AnalyzeOptions, starts []float64) *Analysis {
	a := NewAnalysis(o)
	for _, s := range starts {
		a.Add(&Session{Events: []Event{{T: int64(1e18 + s*1e9), Control: ccapi.Connect}}})
	}
	return a
}

// poissonStarts are the starts of a Poisson process whose rate goes from r0 to r1 over secs.
func poissonStarts(seed uint64, secs, r0, r1 float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	rmax := math.Max(r0, r1)
	var out []float64
	for t := 0.0; ; {
		t += rng.ExpFloat64() / rmax
		if t >= secs {
			return out
		}
		if rng.Float64()*rmax <= r0+(r1-r0)*t/secs {
			out = append(out, t)
		}
	}
}

// The bucket is chosen from the log: about 100 sessions per bucket, at least 4 buckets, at
// most 120, on a round width.
func TestChooseBucket(t *testing.T) {
	for _, c := range []struct {
		n    int64
		span time.Duration
		want time.Duration
	}{
		{622, 40 * time.Second, 10 * time.Second},     // the 40 s log: 4 buckets of about 155
		{360, 2 * time.Minute, 30 * time.Second},      // 1-5 sessions/s for 2 min: 4 buckets, not 2
		{27000, 30 * time.Minute, 15 * time.Second},   // 15/s for 30 min: 120 buckets of 225
		{1_000_000, 24 * time.Hour, 15 * time.Minute}, // a day: 96 buckets
		{10, time.Second, 200 * time.Millisecond},     // too few for 100 per bucket: still 4 or more buckets
	} {
		got, why := ChooseBucket(c.n, c.span)
		if got != c.want || why == "" {
			t.Errorf("%d sessions over %s: bucket %s (%s), want %s", c.n, c.span, got, why, c.want)
		}
		if k := math.Ceil(c.span.Seconds() / got.Seconds()); k < MinBuckets || k > MaxBuckets {
			t.Errorf("%d sessions over %s: %v buckets", c.n, c.span, k)
		}
	}
	// The choice is said as docs/traffic.md quotes it.
	if _, why := ChooseBucket(622, 40*time.Second); !strings.HasPrefix(why, "622 sessions over 40s (15.55/s): 4 buckets of about 155.5 sessions") {
		t.Errorf("why: %q", why)
	}
}

// A partial last bucket is weighed by its length: evenly spaced arrivals at 10/s for 25 s in
// 10 s buckets are 10/s in all three buckets (the third 5 s long), and one hold plays them all.
func TestCurvePartialBucket(t *testing.T) {
	var starts []float64
	for i := range 250 {
		starts = append(starts, float64(i)/10)
	}
	c := analysisOf(AnalyzeOptions{Bucket: 10 * time.Second}, starts).Curve()
	if len(c.Counts) != 3 || c.Counts[2] != 50 || math.Abs(c.Len(2)-5) > 1e-6 || c.Chosen {
		t.Fatalf("curve %+v, last bucket %gs long", c, c.Len(2))
	}
	for i := range c.Counts {
		if math.Abs(c.Rate(i)-10) > 1e-6 {
			t.Errorf("bucket %d: %g/s, want 10/s", i, c.Rate(i))
		}
	}
	st := Stages(c, 0.05, false)
	if len(st) != 1 || math.Abs(st[0].From-10) > 1e-6 || math.Abs(st[0].To-10) > 1e-6 || math.Abs(st[0].Secs-25) > 1e-6 {
		t.Fatalf("stages %+v, want one hold of 10/s for 25s", st)
	}
}

// The logs: 40 s ramping from 10 to 20 sessions/s, 2 min ramping from 1 to 5. Without a
// bucket the fit chooses one that shows the ramp, and its stages play the log's sessions over
// its span.
func TestStagesReproduceTheLog(t *testing.T) {
	for _, c := range []struct{ secs, r0, r1 float64 }{{40, 10, 20}, {120, 1, 5}, {1800, 4, 4}} {
		starts := poissonStarts(uint64(c.secs), c.secs, c.r0, c.r1)
		cv := analysisOf(AnalyzeOptions{}, starts).Curve()
		if !cv.Chosen || len(cv.Counts) < MinBuckets {
			t.Fatalf("%gs: bucket %s, %d buckets", c.secs, cv.Bucket, len(cv.Counts))
		}
		st := Stages(cv, 0.05, true)
		var n, secs float64
		for _, s := range st {
			n += s.Sessions()
			secs += s.Secs
		}
		if math.Abs(n-float64(len(starts))) > 0.5 || math.Abs(secs-c.secs) > 0.03*c.secs {
			t.Errorf("%gs %g→%g/s: stages play %.1f sessions over %.1fs; the log has %d over %gs (%+v)", c.secs, c.r0, c.r1, n, secs, len(starts), c.secs, st)
		}
		first, last := st[0].From, st[len(st)-1].To
		if c.r0 != c.r1 && (math.Abs(first-c.r0) > 0.35*c.r0 || math.Abs(last-c.r1) > 0.2*c.r1) {
			t.Errorf("%gs: the stages go %.2f → %.2f/s, the log %g → %g/s", c.secs, first, last, c.r0, c.r1)
		}
		if c.r0 == c.r1 && len(st) != 1 {
			t.Errorf("flat %g/s: %d stages, want one (%+v)", c.r0, len(st), st)
		}
	}
}
