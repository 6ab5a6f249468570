package report_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"ccload/render"
	"ccload/report"
	"ccload/report/merge"
	"ccload/report/record"
	"ccload/report/reporttest"
)

// failedRun is a recorded run whose sessions failed as rows says: each row is session, step,
// reason, then how many sessions failed so and how many steps failed so without failing theirs.
func failedRun(t *testing.T, rows ...struct {
	session, step, reason string
	failed, cont          int
}) *report.Report {
	t.Helper()
	r := record.New(record.Options{Start: reporttest.Start})
	var at int64
	for _, row := range rows {
		id := r.Failure(row.session, row.step, row.reason)
		for range row.failed {
			at += int64(time.Millisecond)
			r.Arrival(at)
			r.SessionStarted(at)
			r.StepFailed(id, true)
			r.SessionEnded(at, report.Failed, int64(time.Millisecond))
		}
		for range row.cont {
			at += int64(time.Millisecond)
			r.Arrival(at)
			r.SessionStarted(at)
			r.StepFailed(id, false)
			r.SessionEnded(at, report.Completed, int64(time.Millisecond))
		}
	}
	rep := r.Finish(reporttest.Start.Add(2*time.Second), record.Meta{Scenario: "s"})
	if w := report.CheckInvariants(rep); len(w) > 0 {
		t.Fatalf("invariants: %q", w)
	}
	return rep
}

type frow = struct {
	session, step, reason string
	failed, cont          int
}

func TestFailureReasonsAreCountedAndSorted(t *testing.T) {
	rep := failedRun(t,
		frow{"talk", "steps[1] chat", "http 503", 2, 0},
		frow{"talk", "step:ask", "resultCode 13", 5, 1},
		frow{"queue", "steps[2] await_agent", "await timeout", 0, 7},
		frow{"never", "steps[0] connect", "timeout", 0, 0}, // registered, never counted: not listed
	)
	want := []report.FailureReason{
		{"talk", "step:ask", "resultCode 13", 6, 5},
		{"talk", "steps[1] chat", "http 503", 2, 2},
		{"queue", "steps[2] await_agent", "await timeout", 7, 0},
	}
	if len(rep.FailureReasons) != len(want) {
		t.Fatalf("failure reasons %+v, want %+v", rep.FailureReasons, want)
	}
	for i := range want {
		if rep.FailureReasons[i] != want[i] {
			t.Errorf("failure_reasons[%d] = %+v, want %+v", i, rep.FailureReasons[i], want[i])
		}
	}
	if rep.Sessions.Failed != 7 {
		t.Errorf("sessions.failed = %d, want 7", rep.Sessions.Failed)
	}
	if err := report.Validate(rep); err != nil {
		t.Error(err)
	}
}

func TestFailureReasonsThatMissAFailedSessionAreFlagged(t *testing.T) {
	rep := failedRun(t, frow{"talk", "step:ask", "resultCode 13", 2, 0})
	rep.Sessions.Failed++
	rep.Sessions.Started++
	rep.Sessions.Arrivals++
	if w := strings.Join(report.CheckInvariants(rep), "\n"); !strings.Contains(w, "failure_reasons count 2 failed sessions, sessions.failed is 3") {
		t.Errorf("invariant warnings %q: want the failure reasons' gap named", w)
	}
	if err := report.Validate(rep); err == nil || !strings.Contains(err.Error(), "failure_reasons") {
		t.Errorf("Validate = %v, want an error at failure_reasons", err)
	}
}

func TestValidateRefusesBadFailureReasons(t *testing.T) {
	for name, edit := range map[string]func(*report.Report){
		"more sessions failed than failures": func(r *report.Report) { r.FailureReasons[0].SessionsFailed = r.FailureReasons[0].Count + 1 },
		"a repeated row": func(r *report.Report) {
			r.FailureReasons = append(r.FailureReasons, report.FailureReason{Session: "talk", Step: "step:ask", Reason: "resultCode 13", Count: 1})
		},
		"no reason":  func(r *report.Report) { r.FailureReasons[0].Reason = "" },
		"zero count": func(r *report.Report) { r.FailureReasons[1].Count, r.FailureReasons[1].SessionsFailed = 0, 0 },
	} {
		t.Run(name, func(t *testing.T) {
			rep := failedRun(t, frow{"talk", "step:ask", "resultCode 13", 2, 1}, frow{"talk", "steps[0] connect", "reset", 0, 1})
			edit(rep)
			var ve *report.ValidationError
			if err := report.Validate(rep); err == nil || !strings.HasPrefix(errorPath(err, &ve), "failure_reasons") {
				t.Errorf("Validate = %v, want an error at failure_reasons", err)
			}
		})
	}
}

// errorPath is the JSON path of a *ValidationError ("" for any other error).
func errorPath(err error, ve **report.ValidationError) string {
	if e, ok := err.(*report.ValidationError); ok {
		*ve = e
		return e.Path
	}
	return ""
}

func TestMergeAddsFailureReasons(t *testing.T) {
	a := failedRun(t, frow{"talk", "step:ask", "resultCode 13", 3, 1}, frow{"talk", "steps[0] connect", "http 500", 1, 0})
	b := failedRun(t, frow{"talk", "step:ask", "resultCode 13", 2, 0}, frow{"queue", "steps[2] await_agent", "await timeout", 4, 0})
	m, err := merge.Reports(a, b)
	if err != nil {
		t.Fatal(err)
	}
	want := []report.FailureReason{
		{"talk", "step:ask", "resultCode 13", 6, 5},
		{"queue", "steps[2] await_agent", "await timeout", 4, 4},
		{"talk", "steps[0] connect", "http 500", 1, 1},
	}
	if len(m.FailureReasons) != len(want) {
		t.Fatalf("merged failure reasons %+v, want %+v", m.FailureReasons, want)
	}
	for i := range want {
		if m.FailureReasons[i] != want[i] {
			t.Errorf("merged failure_reasons[%d] = %+v, want %+v", i, m.FailureReasons[i], want[i])
		}
	}
	if m.Sessions.Failed != 10 {
		t.Errorf("merged sessions.failed = %d, want 10", m.Sessions.Failed)
	}
	if err := report.Validate(m); err != nil {
		t.Error(err)
	}
	// A shard written before failure reasons existed: a partial table would not add up.
	b.FailureReasons = nil
	m, err = merge.Reports(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if m.FailureReasons != nil || !strings.Contains(strings.Join(m.Warnings, "\n"), "report 2 has failed sessions but no failure_reasons") {
		t.Errorf("merge with an old shard: failure reasons %+v, warnings %q; want none and a warning", m.FailureReasons, m.Warnings)
	}
}

func TestSummaryListsTheTopFiveFailureReasons(t *testing.T) {
	rep := failedRun(t,
		frow{"talk", "step:ask", "resultCode 13", 9, 0},
		frow{"talk", "steps[0] connect", "http 503", 8, 0},
		frow{"talk", "steps[3] disconnect", "reset", 7, 0},
		frow{"queue", "applyToken", "token fetch failed", 6, 0},
		frow{"queue", "steps[2] await_agent", "await timeout", 5, 0},
		frow{"queue", "steps[1] transfer", "resultCode 12", 4, 0},
	)
	var b bytes.Buffer
	if err := render.WriteSummary(&b, rep); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	i := strings.Index(out, "why failed")
	if i < 0 || i < strings.Index(out, "sessions ") || i > strings.Index(out, "requests ") {
		t.Fatalf("no failure reasons between the session and request counts:\n%s", out)
	}
	rows := map[string]bool{}
	for _, line := range strings.Split(out[i:], "\n") {
		rows[strings.Join(strings.Fields(line), " ")] = true
	}
	for _, want := range []string{"9 9 talk step:ask resultCode 13", "8 8 talk steps[0] connect http 503", "7 7 talk steps[3] disconnect reset",
		"6 6 queue applyToken token fetch failed", "5 5 queue steps[2] await_agent await timeout"} {
		if !rows[want] {
			t.Errorf("summary lacks the row %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "(top 5 of 6 failure reasons") {
		t.Errorf("summary does not say it shows 5 of 6 reasons:\n%s", out)
	}
	if strings.Contains(out, "resultCode 12") {
		t.Errorf("summary lists a sixth failure reason:\n%s", out)
	}
}

func TestJUnitFailedSessionsCaseSaysWhere(t *testing.T) {
	rep := failedRun(t, frow{"talk", "step:ask", "resultCode 13", 9, 0}, frow{"talk", "steps[0] connect", "http 503", 2, 0},
		frow{"talk", "steps[1] chat", "reset", 0, 4})
	rep.Thresholds = []report.ThresholdResult{
		{Name: "failed_sessions all < 1%", Metric: "failed_sessions", Group: "all", Limit: "< 1%", Display: "100%"},
		{Name: "error_rate all < 1%", Metric: "error_rate", Group: "all", Limit: "< 1%", Display: "50%"},
	}
	var b bytes.Buffer
	if err := render.WriteJUnit(&b, rep); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if want := "sessions failed at: talk step:ask resultCode 13 ×9, talk steps[0] connect http 503 ×2"; strings.Count(out, want) != 2 { // message and text
		t.Errorf("junit.xml does not carry %q in the failed_sessions case:\n%s", want, out)
	}
	if strings.Count(out, "sessions failed at") != 2 || strings.Contains(out, "reset ×") {
		t.Errorf("failure reasons leak into other cases or list a step that failed no session:\n%s", out)
	}
}
