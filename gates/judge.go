package gates

import "fmt"

// MinSamples is the fewest requests a group needs before any verdict is drawn from it, by a
// threshold or by a compare limit or row: below 100 a p99 is the single slowest request and one
// error moves the error rate by a percentage point. A group short of it is reported as not judged,
// never failed (and never passed).
const MinSamples = 100

// SampleRule says why a verdict on family cannot be drawn from a group of n requests ("" when it
// can): the one sample-size rule every threshold and compare limit on a request group obeys.
// rps (a count over a duration) and not_sent (requests ccload itself never sent) are no sample of
// the target, so they are judged whatever n is.
func SampleRule(family string, n int64) string {
	if family == "rps" || family == "not_sent" || !PerGroup(family) || n >= MinSamples {
		return ""
	}
	return fmt.Sprintf("not judged: %d requests, fewer than %d", n, MinSamples)
}

// SliceJudges reports whether one shard can judge t on its slice of the run. A shard's latencies,
// error rates and shares estimate the whole run's (every shard plays an interleaved slice of the
// same schedule), so a shard judges them; rates and counts grow with the number of shards (rps,
// dropped_arrivals as a count), so only the merged report can judge them: a shard records them as
// judged by merge, and neither fails nor aborts on them.
func SliceJudges(t Threshold) bool {
	m, err := MetricOf(t)
	if err != nil {
		return true // an error is the shard's to report
	}
	switch m.Family {
	case "rps":
		return false
	case "dropped_arrivals":
		return m.Unit == Frac
	}
	return true
}

// JudgedByMerge is the NotJudged reason a shard records for a threshold only the merge can judge.
const JudgedByMerge = "judged by merge: a shard's slice carries only part of the run's rate or count"

// GeneratorMoves reports whether the generator's own delay (scheduler lag, a starved CPU, dropped
// arrivals) can move family's value, so a failure of it on a generator-limited run is
// inconclusive: latencies, rates and counts of arrivals. What the target answered (error rates,
// resultCode shares, failed or platform-ended sessions, requests never sent) keeps its verdict.
func GeneratorMoves(family string) bool {
	switch family {
	case "error_rate", "result_code_share", "failed_sessions", "ended_by_platform", "not_sent":
		return false
	}
	return true
}
