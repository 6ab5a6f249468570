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

// FailureKey is a FailureReason's identity: validation, the recorder and the merge key their
// tables by it.
type FailureKey struct{ Session, Step, Reason string }

// SortFailureReasons orders rs as report.json lists them: most sessions failed first, then
// most failures, then by session, step and reason, so the order is the same on every run.
func SortFailureReasons(rs []FailureReason) {
	slices.SortFunc(rs, func(a, b FailureReason) int {
		return cmp.Or(cmp.Compare(b.SessionsFailed, a.SessionsFailed), cmp.Compare(b.Count, a.Count),
			cmp.Compare(a.Session, b.Session), cmp.Compare(a.Step, b.Step), cmp.Compare(a.Reason, b.Reason))
	})
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
