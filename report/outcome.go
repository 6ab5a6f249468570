package report

import (
	"fmt"
	"strings"
)

// Outcome is how a session ended; every started session ends in exactly one. Its list, names
// and counters are written once here: whoever counts, sums, checks or shows outcomes ranges
// over Outcomes and reads SessionCounts through Of.
type Outcome uint8

// The session outcomes, counted in report.json's sessions.
const (
	// Completed: the session ran all its steps.
	Completed Outcome = iota
	// Failed: a step failed and the failure policy ended the session.
	Failed
	// Interrupted: the run stopped (grace period over, signal) before the session ended.
	Interrupted
	// EndedByPlatform: the platform ended the session (an AGENT or SYSTEM DISCONNECT seen
	// through poll) before its steps were done; the customer sent nothing more.
	EndedByPlatform
	// CutByGrace: the stages ended and the session was still running when the grace period ran
	// out; the run cancelled it (a stop by signal, abort or kill counts Interrupted instead).
	CutByGrace
	// NumOutcomes is the number of outcomes, for tables indexed by outcome.
	NumOutcomes
)

// Outcomes lists every outcome in report order.
var Outcomes = [NumOutcomes]Outcome{Completed, Failed, Interrupted, EndedByPlatform, CutByGrace}

// outcomeNames are report.json's keys under sessions (and the metrics' outcome label).
var outcomeNames = [NumOutcomes]string{"completed", "failed", "interrupted", "ended_by_platform", "cut_by_grace"}

// String is the outcome's name in report.json ("cut_by_grace").
func (o Outcome) String() string {
	if o < NumOutcomes {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// Label is the outcome's name for people ("cut by grace").
func (o Outcome) Label() string { return strings.ReplaceAll(o.String(), "_", " ") }

// Of is the counter of outcome o (Interrupted for an unknown one).
func (s *SessionCounts) Of(o Outcome) *int64 {
	switch o {
	case Completed:
		return &s.Completed
	case Failed:
		return &s.Failed
	case EndedByPlatform:
		return &s.EndedByPlatform
	case CutByGrace:
		return &s.CutByGrace
	}
	return &s.Interrupted
}

// Ended is how many started sessions have ended, whatever their outcome: a finished run's
// accounting holds started = Ended().
func (s SessionCounts) Ended() int64 {
	var n int64
	for _, o := range Outcomes {
		n += *s.Of(o)
	}
	return n
}

// Sub returns s minus b, counter by counter (a window between two snapshots of one run).
func (s SessionCounts) Sub(b SessionCounts) SessionCounts {
	out := SessionCounts{Arrivals: s.Arrivals - b.Arrivals, Started: s.Started - b.Started, Dropped: s.Dropped - b.Dropped}
	for _, o := range Outcomes {
		*out.Of(o) = *s.Of(o) - *b.Of(o)
	}
	for k, n := range s.DroppedBy {
		if d := n - b.DroppedBy[k]; d != 0 {
			if out.DroppedBy == nil {
				out.DroppedBy = map[string]int64{}
			}
			out.DroppedBy[k] = d
		}
	}
	return out
}

// endedFormula words started = completed + failed + ... with s's counts, for accounting messages.
func (s SessionCounts) endedFormula() string {
	var b strings.Builder
	for i, o := range Outcomes {
		if i > 0 {
			b.WriteString(" + ")
		}
		fmt.Fprintf(&b, "%s %d", o, *s.Of(o))
	}
	return b.String()
}
