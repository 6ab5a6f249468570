package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// FailureReason counts the failures of one step of one session type for one reason, so a run
// with failed sessions says where and why (docs/report-json.md, failure_reasons).
type FailureReason struct {
	// Session is the session type's name (sessions[].name).
	Session string `json:"session"`
	// Step is "step:<name>" for a named step, else its path in the session and its kind
	// ("steps[2] chat"); "applyToken" for the token phase before the first step, "-" when
	// the session could not start at all.
	Step string `json:"step"`
	// Reason is "resultCode <code>", "http <status>", an error class ("timeout", "reset",
	// "refused", "unparseable", "canceled", "transport_other"), "await timeout", "token fetch
	// failed", "not sent (local check)", "not sent (upload failed: <reason>)" or "data exhausted".
	Reason string `json:"reason"`
	// Count is how many times the step failed for this reason.
	Count int64 `json:"count"`
	// SessionsFailed is how many of those failures ended their session as failed; the rest
	// went on under on_failure/on_timeout: continue, or were a refused send of a session the
	// platform had already ended (sessions.ended_by_platform).
	SessionsFailed int64 `json:"sessions_failed"`
}

// FailureID identifies a failure reason registered with a Recorder, so counting one is an index.
type FailureID int32

// failureKey is a FailureReason's identity.
type failureKey struct{ session, step, reason string }

// Failure registers (or finds) a reason why a step of a session type failed and returns its
// ID; register each distinct reason once and count failures with StepFailed.
func (r *Recorder) Failure(session, step, reason string) FailureID {
	k := failureKey{session, step, reason}
	if id, ok := r.failIdx[k]; ok {
		return id
	}
	if r.failIdx == nil {
		r.failIdx = map[failureKey]FailureID{}
	}
	id := FailureID(len(r.failures))
	r.failures = append(r.failures, FailureReason{Session: session, Step: step, Reason: reason})
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
func (r *Recorder) failureReasons() []FailureReason {
	var out []FailureReason
	for _, f := range r.failures {
		if f.Count > 0 {
			out = append(out, f)
		}
	}
	SortFailureReasons(out)
	return out
}

// SortFailureReasons orders rs as report.json lists them: most sessions failed first, then
// most failures, then by session, step and reason, so the order is the same on every run.
func SortFailureReasons(rs []FailureReason) {
	slices.SortFunc(rs, func(a, b FailureReason) int {
		return cmp.Or(cmp.Compare(b.SessionsFailed, a.SessionsFailed), cmp.Compare(b.Count, a.Count),
			cmp.Compare(a.Session, b.Session), cmp.Compare(a.Step, b.Step), cmp.Compare(a.Reason, b.Reason))
	})
}

// mergeFailureReasons adds the failure reasons of reports row by row. A report with failed
// sessions but no failure_reasons (written by a ccload before them) leaves the merge without
// any, and, when other reports list some, a warning says so: a partial table would not add
// up to sessions.failed.
func mergeFailureReasons(reports []*Report) ([]FailureReason, []string) {
	var out []FailureReason
	idx := map[failureKey]int{}
	lacking := 0 // the first report (1-based) with failed sessions and no reasons
	for i, r := range reports {
		if len(r.FailureReasons) == 0 && r.Sessions.Failed > 0 && lacking == 0 {
			lacking = i + 1
		}
		for _, f := range r.FailureReasons {
			k := failureKey{f.Session, f.Step, f.Reason}
			j, ok := idx[k]
			if !ok {
				j = len(out)
				idx[k] = j
				out = append(out, FailureReason{Session: f.Session, Step: f.Step, Reason: f.Reason})
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
	SortFailureReasons(out)
	return out, nil
}

// failureInvariant returns a warning when the failure reasons do not account for every
// failed session ("" when they do, or when the report lists none).
func failureInvariant(r *Report) string {
	if len(r.FailureReasons) == 0 {
		return ""
	}
	var sum int64
	for _, f := range r.FailureReasons {
		sum += f.SessionsFailed
	}
	if sum != r.Sessions.Failed {
		return fmt.Sprintf("accounting: failure_reasons count %d failed sessions, sessions.failed is %d", sum, r.Sessions.Failed)
	}
	return ""
}

// TopFailureReasons words the first n failure reasons that failed sessions, for one-line
// outputs such as a JUnit failure message: "talk step:ask resultCode 13 ×4, ..." ("" when none).
func TopFailureReasons(r *Report, n int) string {
	var parts []string
	for _, f := range r.FailureReasons {
		if f.SessionsFailed == 0 || len(parts) == n {
			break // sorted: sessions failed first
		}
		parts = append(parts, fmt.Sprintf("%s %s %s ×%d", f.Session, f.Step, f.Reason, f.SessionsFailed))
	}
	return strings.Join(parts, ", ")
}
