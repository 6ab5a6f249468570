package evaluate

import (
	"strings"

	"ccload/gates"
	"ccload/report"
)

// Judge gives r its verdict: r.GeneratorLimit from GeneratorLimitOf, and r.Thresholds evaluated
// from specs, where a failure the generator's limit can explain (gates.GeneratorMoves) becomes
// inconclusive instead. ccload run and ccload merge call it on the finished report.
func Judge(r *report.Report, specs []ThresholdSpec) {
	r.GeneratorLimit = report.GeneratorLimitOf(r)
	r.Thresholds = nil
	if len(specs) == 0 {
		return
	}
	r.Thresholds = Thresholds(r, specs)
	gl := r.GeneratorLimit
	if gl == nil {
		return
	}
	for i := range r.Thresholds {
		t := &r.Thresholds[i]
		m, err := gates.ParseMetric(t.Metric)
		if err != nil || !t.Failed() || strings.HasPrefix(t.Display, "error: ") || !gates.GeneratorMoves(m.Family) {
			continue
		}
		t.NotJudged = report.InconclusivePrefix + "the generator, not the target, was the limit (" + strings.Join(gl.Reasons, "; ") + ")"
		gl.Inconclusive = append(gl.Inconclusive, t.Name)
	}
}
