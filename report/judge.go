package report

import (
	"fmt"
	"strings"
)

// GeneratorLimit says why the generator, not the target, was the limit of a run: its delays are in
// the latencies and its missing arrivals in the rates, so a failure of those is the generator's as
// much as the target's. report.json carries it as data ("generator_limit"); the run's verdict is
// then inconclusive when a threshold it moves failed (exit 3).
type GeneratorLimit struct {
	// Reasons are the rules that held, for people: "scheduler lag p99 158.6ms over 50ms ...".
	Reasons []string `json:"reasons"`
	// LagP99US is the run's scheduler-lag p99 and ResponseP99US its response-time p99 (all).
	LagP99US      int64 `json:"lag_p99_us"`
	ResponseP99US int64 `json:"response_p99_us"`
	// Dropped counts the arrivals the generator dropped on its own (dropped_by live_limit and late).
	Dropped int64 `json:"dropped"`
	// Inconclusive names the thresholds that failed but are not judged because of the limit.
	Inconclusive []string `json:"inconclusive,omitempty"`
}

// GeneratorMaxLagUS is the scheduler-lag p99 (50 ms, ccload capacity's default --max-lag) above
// which, when it is also over a tenth of the response-time p99, the generator was the limit.
const GeneratorMaxLagUS = 50_000

// GeneratorLimitOf applies ccload capacity's rules for a generator-limited step to a whole run
// (nil when none held): a scheduler-lag p99 over GeneratorMaxLagUS that is a real part of the
// response time (over a tenth of its p99), and arrivals the generator dropped on its own
// (dropped_by live_limit or late; drops at the scenario's max_customers are its cap, gated by
// dropped_arrivals). The run's CPU share is not in report.json, so that rule of capacity is not applied.
func GeneratorLimitOf(r *Report) *GeneratorLimit {
	g := &GeneratorLimit{LagP99US: r.SchedulerLagUS.P99, ResponseP99US: r.Overall.ResponseTimeUS.P99}
	if g.LagP99US > GeneratorMaxLagUS && 10*g.LagP99US > g.ResponseP99US {
		g.Reasons = append(g.Reasons, fmt.Sprintf("scheduler lag p99 %s over %s and over a tenth of the response-time p99 %s: the generator was late to send",
			FormatUS(g.LagP99US), FormatUS(GeneratorMaxLagUS), FormatUS(g.ResponseP99US)))
	}
	for _, why := range []string{"live_limit", "late"} {
		g.Dropped += r.Sessions.DroppedBy[why]
	}
	if g.Dropped > 0 {
		g.Reasons = append(g.Reasons, fmt.Sprintf("%d of %d arrivals dropped by the generator (live_limit, late)", g.Dropped, r.Sessions.Arrivals))
	}
	if len(g.Reasons) == 0 {
		return nil
	}
	return g
}

// InconclusivePrefix starts the NotJudged reason of a threshold that failed on a generator-limited run.
const InconclusivePrefix = "inconclusive: "

// Inconclusive reports whether r's verdict is inconclusive: no threshold failed, and one that
// would have is not judged because the generator was the limit.
func Inconclusive(r *Report) bool {
	inconclusive := false
	for _, t := range r.Thresholds {
		if t.Failed() {
			return false
		}
		inconclusive = inconclusive || strings.HasPrefix(t.NotJudged, InconclusivePrefix)
	}
	return inconclusive
}

// Verdict is the threshold's verdict for people: PASS, FAIL, NOT JUDGED (a shard's slice or a
// group too small) or INCONCLUSIVE (the generator was the limit).
func (t ThresholdResult) Verdict() string {
	switch {
	case t.Pass:
		return "PASS"
	case strings.HasPrefix(t.NotJudged, InconclusivePrefix):
		return "INCONCLUSIVE"
	case t.NotJudged != "":
		return "NOT JUDGED"
	}
	return "FAIL"
}
