package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"ccload/internal/junit"
	"ccload/report"
	"ccload/report/compare"
)

// WriteJUnit writes r's thresholds as junit.xml: one testsuite for the run, a "run completed"
// testcase (a failure when the run was aborted, an error when it was interrupted or unreachable),
// then one testcase per threshold whose failure says the measured value and the limit.
func WriteJUnit(w io.Writer, r *report.Report) error {
	name := r.Scenario
	if name == "" {
		name = "ccload"
	}
	class := "ccload." + name
	s := junit.Suite{
		Name: "ccload " + name,
		Time: junitSeconds(r.DurationS),
		Properties: junit.Props(
			"scenario", r.Scenario, "target", r.Target, "stop_reason", r.StopReason,
			"requests", strconv.FormatInt(r.Requests.Total, 10), "requests_not_sent", strconv.FormatInt(r.Requests.NotSent, 10),
			"requests_cut", strconv.FormatInt(r.Requests.Cut, 10), "requests_unknown_receipt", strconv.FormatInt(r.Requests.UnknownReceipt, 10), "seed", strconv.FormatInt(r.Seed, 10),
			"shards", strconv.Itoa(r.Shards),
		),
	}
	for _, p := range pushProperties(r) {
		s.Properties = append(s.Properties, junit.Props(p[0], p[1])...)
	}
	if !r.StartedAt.IsZero() {
		s.Timestamp = r.StartedAt.UTC().Format("2006-01-02T15:04:05")
	}
	run := junit.Case{Name: "run completed", Classname: class, Time: s.Time}
	switch {
	case report.ParseStop(r.StopReason).Kind == report.ReasonAborted:
		run.Failure = &junit.Problem{Message: "the run stopped early: " + r.StopReason, Type: "aborted", Text: r.StopReason}
	case r.StopReason == report.StopGraceCut && !r.Interrupted:
		// The schedule was played: the run completed; the cut sessions get their own testcase below.
	case r.Interrupted || (r.StopReason != "" && r.StopReason != "completed"):
		msg := "the run did not complete: " + r.StopReason
		if r.Interrupted {
			msg = "the run was interrupted: " + r.StopReason
		}
		run.Error = &junit.Problem{Message: msg, Type: "interrupted", Text: msg}
	}
	s.Cases = append(s.Cases, run)
	if n := r.Sessions.CutByGrace; n > 0 {
		// Flagged (skipped), not failed, as the exit code is 0: a cut_by_grace threshold makes it a failure.
		msg := fmt.Sprintf("%d sessions were still running when the grace period (%gs) after the last stage ran out and were cut (sessions.cut_by_grace); a threshold {metric: cut_by_grace, max: 0} fails the run on it", n, r.GraceS)
		s.Cases = append(s.Cases, junit.Case{Name: "sessions ended within the grace period", Classname: class, Time: "0",
			Skipped: &junit.Problem{Message: msg, Type: "grace-cut", Text: msg}})
	}
	for _, ws := range r.FailedWholesale {
		// Flagged (skipped), not failed, as the exit code is 0: gate on error_rate to fail the run on it.
		msg := fmt.Sprintf("every request of %s failed: %d of %d %s", ws.Group, ws.Count, ws.Requests, ws.Cause)
		if ws.Message != "" {
			msg += fmt.Sprintf("; the target said: %q", ws.Message)
		}
		if ws.Hint != "" {
			msg += "; " + ws.Hint
		}
		s.Cases = append(s.Cases, junit.Case{Name: "requests of " + ws.Group + " answered", Classname: class, Time: "0",
			Skipped: &junit.Problem{Message: msg, Type: "failed-wholesale", Text: msg}})
	}
	if report.ThresholdsNotEvaluated(r) {
		// The scenario set thresholds the report has no results for (a merge that could not
		// re-read its scenario): an error, never a silent pass.
		msg := "the scenario sets thresholds but this report has no results for them; evaluate them with ccload merge or ccload run"
		s.Cases = append(s.Cases, junit.Case{Name: "thresholds evaluated", Classname: class + ".thresholds", Time: "0",
			Error: &junit.Problem{Message: msg, Type: "not-evaluated", Text: msg}})
	}
	if r.Capacity != nil {
		s.Cases = append(s.Cases, capacityJUnitCase(r.Capacity, class))
		s.Cases = append(s.Cases, capacityStepCases(r.Capacity, class)...)
	}
	for _, t := range r.Thresholds {
		c := junit.Case{Name: t.Name, Classname: class + ".thresholds", Time: "0"}
		switch {
		case strings.HasPrefix(t.NotJudged, report.InconclusivePrefix):
			// Not the target's failure, not a pass: an error, which CI shows apart from failures.
			msg := fmt.Sprintf("%s %s: measured %s, limit %s; %s", t.Metric, t.Group, t.Display, t.Limit, t.NotJudged)
			c.Error = &junit.Problem{Message: msg, Type: "inconclusive", Text: msg}
		case t.NotJudged != "":
			msg := fmt.Sprintf("%s %s: measured %s, limit %s; %s", t.Metric, t.Group, t.Display, t.Limit, t.NotJudged)
			c.Skipped = &junit.Problem{Message: msg, Type: "not-judged", Text: msg}
		case !t.Pass:
			msg := fmt.Sprintf("%s %s: measured %s, limit %s", t.Metric, t.Group, t.Display, t.Limit)
			if t.Window != "" {
				msg += " (worst window " + t.Window + ")"
			}
			if why := report.TopFailureReasons(r, 3); why != "" && t.Metric == "failed_sessions" {
				msg += "; sessions failed at: " + why
			}
			c.Failure = &junit.Problem{Message: msg, Type: "threshold", Text: msg}
		}
		s.Cases = append(s.Cases, c)
	}
	return junit.Write(w, "ccload", s)
}

// junitSeconds renders a duration in seconds the way JUnit's time attribute wants it.
func junitSeconds(s float64) string {
	return strconv.FormatFloat(time.Duration(s*float64(time.Second)).Round(time.Millisecond).Seconds(), 'f', 3, 64)
}

// WriteCompareJUnit writes a comparison's limits as junit.xml: one testsuite, one testcase per
// limit and group, failures carrying BASE, NEW, the change and the limit.
func WriteCompareJUnit(w io.Writer, c compare.Result) error {
	name := c.New.Scenario
	if name == "" {
		name = "ccload"
	}
	class := "ccload." + name + ".compare"
	s := junit.Suite{
		Name: "ccload compare " + name,
		Time: "0",
		Properties: junit.Props(
			"base", c.Base.Label, "new", c.New.Label,
			"base_started_at", c.Base.StartedAt.UTC().Format(time.RFC3339), "new_started_at", c.New.StartedAt.UTC().Format(time.RFC3339),
		),
	}
	if !c.New.StartedAt.IsZero() {
		s.Timestamp = c.New.StartedAt.UTC().Format("2006-01-02T15:04:05")
	}
	for _, k := range c.Checks {
		tc := junit.Case{Name: k.Name, Classname: class, Time: "0"}
		switch {
		case strings.HasPrefix(k.NotJudged, report.InconclusivePrefix):
			msg := fmt.Sprintf("%s %s: base %s, new %s, change %s, limit %s; %s", k.Metric, k.Group, k.Base, k.New, k.Change, k.Limit, k.NotJudged)
			tc.Error = &junit.Problem{Message: msg, Type: "inconclusive", Text: msg}
		case k.NotJudged != "":
			msg := fmt.Sprintf("%s %s: %s, limit %s", k.Metric, k.Group, k.NotJudged, k.Limit)
			tc.Skipped = &junit.Problem{Message: msg, Type: "not-judged", Text: msg}
		case !k.Pass:
			msg := fmt.Sprintf("%s %s: base %s, new %s, change %s, limit %s", k.Metric, k.Group, k.Base, k.New, k.Change, k.Limit)
			if k.Reason != "" {
				msg = fmt.Sprintf("%s %s: %s, limit %s", k.Metric, k.Group, k.Reason, k.Limit)
			}
			tc.Failure = &junit.Problem{Message: msg, Type: "regression", Text: msg}
		}
		s.Cases = append(s.Cases, tc)
	}
	return junit.Write(w, "ccload compare", s)
}
