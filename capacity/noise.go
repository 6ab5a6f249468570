package capacity

import (
	"fmt"
	"math"

	"ccload/gates"
	"ccload/gates/evaluate"
	"ccload/report"
	"ccload/runner"
	"ccload/scenario"
)

// noiseZ is the standard normal quantile a step's sample must clear for a level to count as
// held: one-sided 95%. Near the knee a window's p99 wanders around its limit (a 20 s window of
// 1,400 requests puts the p99 anywhere between its p98.5 and p99.5), so a level whose p99 sat
// 3% over the limit at constant load held in one window of three; the search answered it.
const noiseZ = 1.645

// heldFor is the most requests beyond the limit (of n, a share allowed, the count's standard
// deviation sd) with which the sample still shows the limit held: n·allowed − z·sd. None beyond
// it always holds: a small sample far under its limit says nothing against it.
func heldFor(n int64, allowed, sd float64) int64 {
	if n <= 0 {
		return 0
	}
	return max(0, int64(math.Floor(float64(n)*allowed-noiseZ*sd)))
}

// countSD is the standard deviation of a window's count of requests beyond a limit: the binomial
// one, sqrt(n·allowed·(1−allowed)), or, when they came in bursts, the larger one its intervals
// show (batch means: the window cut into up to 10 batches of whole intervals, K's variance the
// batches' variance times their number). A queue that forms and drains puts a window's slow
// requests in a few seconds; their count then varies by far more than a binomial one, and a
// level that held because no burst fell in its window has not shown it holds.
func countSD(e evaluate.Exceedance) float64 {
	nf := float64(e.N)
	sd := math.Sqrt(nf * e.Allowed * (1 - e.Allowed))
	m := len(e.PerInterval)
	if m < 4 {
		return sd
	}
	b := min(10, m)
	sums := make([]float64, b)
	for i, k := range e.PerInterval {
		sums[i*b/m] += float64(k)
	}
	var mean, ss float64
	for _, x := range sums {
		mean += x / float64(b)
	}
	for _, x := range sums {
		ss += (x - mean) * (x - mean)
	}
	return max(sd, math.Sqrt(float64(b)*ss/float64(b-1)))
}

// unproven says which SLO limit a window's sample does not show held, though its point estimate
// holds it ("" when every limit the sample can speak to is held beyond its noise): "p99 under
// 200ms: 12 of 1,440 requests (0.83%) were slower, within the sampling noise of the 1% allowed
// (at most 7 show it held)". results are the window's judge(win, slo), which the caller has.
// Such a level counts as broken: a capacity is a level shown to hold.
func unproven(win *report.Report, slo []scenario.Threshold, results []report.ThresholdResult) string {
	for i, spec := range runner.ThresholdSpecs(slo) {
		if !results[i].Pass {
			continue // the point estimate broke it already, or the window cannot judge it
		}
		e, ok := evaluate.ExceedanceOf(win, spec)
		if !ok {
			continue
		}
		if most := heldFor(e.N, e.Allowed, countSD(e)); e.K > most {
			name := slo[i].Name
			if name == "" {
				name = slo[i].Metric
			}
			return fmt.Sprintf("%s: %s of %s requests beyond the limit (%s), within the sampling noise of the %s allowed (at most %s show it held)",
				name, report.FormatCount(e.K), report.FormatCount(e.N), gates.FormatShare(float64(e.K)/float64(e.N)), gates.FormatShare(e.Allowed), report.FormatCount(most))
		}
	}
	return ""
}

// allPass says no threshold failed (one its window cannot judge yet is no failure).
func allPass(results []report.ThresholdResult) bool {
	for _, r := range results {
		if r.Failed() {
			return false
		}
	}
	return true
}
