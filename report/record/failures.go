package record

import "ccload/report"

// FailureID identifies a failure reason registered with a Recorder, so counting one is an index.
type FailureID int32

// Failure registers (or finds) a reason why a step of a session type failed and returns its
// ID; register each distinct reason once and count failures with StepFailed.
func (r *Recorder) Failure(session, step, reason string) FailureID {
	k := report.FailureKey{Session: session, Step: step, Reason: reason}
	if id, ok := r.failIdx[k]; ok {
		return id
	}
	if r.failIdx == nil {
		r.failIdx = map[report.FailureKey]FailureID{}
	}
	id := FailureID(len(r.failures))
	r.failures = append(r.failures, report.FailureReason{Session: session, Step: step, Reason: reason})
	r.failIdx[k] = id
	return id
}

// StepFailed counts one failure of reason id; sessionFailed says it ended its session as
// failed (that session's end is SessionEnded's to count: call both).
func (r *Recorder) StepFailed(id FailureID, sessionFailed bool) {
	if int(id) < 0 || int(id) >= len(r.failures) {
		r.unknown++
		return
	}
	f := &r.failures[id]
	f.Count++
	if sessionFailed {
		f.SessionsFailed++
	}
}

// failureReasons is the report's failure_reasons: the counted ones, sorted; nil when none.
func (r *Recorder) failureReasons() []report.FailureReason {
	var out []report.FailureReason
	for _, f := range r.failures {
		if f.Count > 0 {
			out = append(out, f)
		}
	}
	report.SortFailureReasons(out)
	return out
}
