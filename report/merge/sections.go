package merge

import (
	"ccload/report"
	"errors"
	"fmt"
	"slices"
)

// mergeFailureReasons adds the failure reasons of reports row by row. A report with failed
// sessions but no failure_reasons (written by a ccload before them) leaves the merge without
// any, and, when other reports list some, a warning says so: a partial table would not add
// up to sessions.failed.
func mergeFailureReasons(reports []*report.Report) ([]report.FailureReason, []string) {
	var out []report.FailureReason
	idx := map[report.FailureKey]int{}
	lacking := 0 // the first report (1-based) with failed sessions and no reasons
	for i, r := range reports {
		if len(r.FailureReasons) == 0 && r.Sessions.Failed > 0 && lacking == 0 {
			lacking = i + 1
		}
		for _, f := range r.FailureReasons {
			k := report.FailureKey{Session: f.Session, Step: f.Step, Reason: f.Reason}
			j, ok := idx[k]
			if !ok {
				j = len(out)
				idx[k] = j
				out = append(out, report.FailureReason{Session: f.Session, Step: f.Step, Reason: f.Reason})
			}
			out[j].Count += f.Count
			out[j].SessionsFailed += f.SessionsFailed
		}
	}
	if lacking > 0 {
		if len(out) == 0 {
			return nil, nil // no report lists reasons: nothing is partial
		}
		return nil, []string{fmt.Sprintf("report %d has failed sessions but no failure_reasons (an older ccload wrote it): the merge lists no failure reasons", lacking)}
	}
	report.SortFailureReasons(out)
	return out, nil
}

// addPush adds o's counts to p.
func addPush(p, o *report.Push) {
	p.Callbacks += o.Callbacks
	p.Accepted += o.Accepted
	p.Malformed += o.Malformed
	p.TooLarge += o.TooLarge
	p.Faulted += o.Faulted
	p.Stalled += o.Stalled
	p.Abandoned += o.Abandoned
	p.BadAuth += o.BadAuth
	p.NotCallbacks += o.NotCallbacks
	p.Messages.Matched += o.Messages.Matched
	p.Messages.Unknown += o.Messages.Unknown
	p.Messages.Duplicated += o.Messages.Duplicated
	p.Messages.Overflowed += o.Messages.Overflowed
	p.Messages.Late += o.Messages.Late
	p.Kinds.Robot += o.Kinds.Robot
	p.Kinds.Agent += o.Kinds.Agent
	p.Kinds.System += o.Kinds.System
	p.Kinds.Other += o.Kinds.Other
}

// mergePush adds the shards' push sections exactly (nil when none has one). Each shard runs
// its own receiver, and the cluster routes a customer's callbacks to the shard that plays it,
// so the sums are the run's.
func mergePush(reports []*report.Report) *report.Push {
	var out *report.Push
	for _, r := range reports {
		if r.Push == nil {
			continue
		}
		if out == nil {
			out = &report.Push{URL: r.Push.URL}
		}
		addPush(out, r.Push)
	}
	return out
}

// ErrReplay refuses to merge reports whose replay sections do not describe one replay.
var ErrReplay = errors.New("these replay reports cannot be merged")

// mergeReplay is the merge's replay section. Every shard of a replay reads the whole log (and
// plays its slice of the arrivals), so the counts describe the log, not the shard: adding them
// would count each line N times. The merge keeps the section of the shard that read furthest
// (most lines; complete only when that one is), and refuses reports of different replays
// (log, speed, scale, window, keep_content) or a replay merged with a run.
func mergeReplay(reports []*report.Report) (*report.Replay, error) {
	var out *report.Replay
	for i, r := range reports {
		x := r.Replay
		if (x == nil) != (reports[0].Replay == nil) {
			return nil, fmt.Errorf("%w: report 1 and report %d: one is a replay (it has a replay section), the other not", ErrReplay, i+1)
		}
		if x == nil {
			continue
		}
		if out != nil && (x.Log != out.Log || x.Speed != out.Speed || x.Scale != out.Scale || x.FromS != out.FromS || x.ToS != out.ToS || x.KeepContent != out.KeepContent) {
			return nil, fmt.Errorf("%w: report %d replayed %q (speed %g, scale %d, from %gs, to %gs), another %q (speed %g, scale %d, from %gs, to %gs): merge the shards of one replay", ErrReplay,
				i+1, x.Log, x.Speed, x.Scale, x.FromS, x.ToS, out.Log, out.Speed, out.Scale, out.FromS, out.ToS)
		}
		if out == nil || x.Lines > out.Lines || (x.Lines == out.Lines && x.Complete && !out.Complete) {
			out = x
		}
	}
	if out == nil {
		return nil, nil
	}
	c := *out
	c.Problems = make(map[string]report.ReplayProblem, len(out.Problems))
	for k, p := range out.Problems {
		c.Problems[k] = report.ReplayProblem{Count: p.Count, FirstLines: slices.Clone(p.FirstLines)}
	}
	if len(c.Problems) == 0 {
		c.Problems = nil
	}
	return &c, nil
}
