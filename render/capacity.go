package render

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"ccload/internal/errw"
	"ccload/internal/junit"
	"ccload/report"
)

// WriteCapacity writes the capacity search's console summary: the answer, what a user needs to
// check it (requests per session, the request rates, the bracket, the knee), then every step.
func WriteCapacity(w io.Writer, c *report.Capacity) error {
	ew := errw.New(w)
	r, u := report.FormatRate, c.Unit
	ew.Printf("\ncapacity: %s\n", c.Outcome)
	switch {
	case c.Converged && c.Breaking > 0:
		ew.Printf("  sustainable  %s %s (bracket %s .. %s)\n", r(c.Sustainable), u, r(c.Sustainable), r(c.Breaking))
	case c.Converged && c.Sustainable > 0:
		ew.Printf("  sustainable  at least %s %s (the highest level asked held)\n", r(c.Sustainable), u)
	case c.Sustainable > 0:
		ew.Printf("  held         %s %s (not a converged answer)\n", r(c.Sustainable), u)
	default:
		ew.Printf("  sustainable  none of the levels judged\n")
	}
	if c.Breaking > 0 {
		ew.Printf("  breaks at    %s %s: %s\n", r(c.Breaking), u, strings.Join(c.Broke, "; "))
	}
	if c.Knee > 0 {
		ew.Printf("  knee         %s %s (p99 grows faster than the level past it)\n", r(c.Knee), u)
	}
	switch {
	case c.RequestsPerSession > 0:
		ew.Printf("  requests     %.2f per session; %.1f requests/s at the sustainable rate, %.1f the highest reached\n", c.RequestsPerSession, c.SustainableRPS, c.PeakRPS)
	case c.RequestsPerCustomerS > 0:
		ew.Printf("  requests     %.3f per customer per second; %.1f requests/s at the sustainable count, %.1f the highest reached\n", c.RequestsPerCustomerS, c.SustainableRPS, c.PeakRPS)
	case c.PeakRPS > 0:
		ew.Printf("  requests     %.1f requests/s the highest reached\n", c.PeakRPS)
	}
	if c.Required > 0 {
		met := "NOT met"
		if c.RequireMet {
			met = "met"
		}
		ew.Printf("  required     %s %s: %s\n", r(c.Required), u, met)
	}
	ew.Printf("  %s\n\n", c.Message)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	level := "rate"
	if u == "customers" {
		level = "customers"
	}
	fmt.Fprintf(tw, "step\tphase\t%s\tverdict\twindow\trequests\trps\tp50\tp99\terrors\tlag p99\tcpu\t\n", level)
	for _, s := range c.Steps {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%.0fs\t%d\t%.1f\t%s\t%s\t%.2f%%\t%s\t%.0f%%\t\n", s.N, s.Phase, r(s.Rate), s.Verdict(), s.WindowS, s.Requests, s.RPS,
			report.FormatUS(s.P50US), report.FormatUS(s.P99US), 100*s.ErrorRate, report.FormatUS(s.LagP99US), 100*s.CPU)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range c.Steps {
		if s.Note != "" || len(s.Broke) > 0 {
			ew.Printf("  step %d: %s%s\n", s.N, strings.Join(s.Broke, "; "), noteSep(s))
		}
	}
	return ew.Err()
}

func noteSep(s report.CapacityStep) string {
	if s.Note == "" {
		return ""
	}
	if len(s.Broke) > 0 {
		return " (" + s.Note + ")"
	}
	return s.Note
}

// capacityJUnitCase is the JUnit testcase of a capacity search: a failure when --require was not
// met, an error when the search could not judge or did not converge.
func capacityJUnitCase(c *report.Capacity, class string) junit.Case {
	name := "capacity"
	if c.Required > 0 {
		name = fmt.Sprintf("capacity >= %s %s", report.FormatRate(c.Required), c.Unit)
	}
	tc := junit.Case{Name: name, Classname: class + ".capacity", Time: "0"}
	msg := fmt.Sprintf("%s: sustainable %s %s; %s", c.Outcome, report.FormatRate(c.Sustainable), c.Unit, c.Message)
	switch {
	case c.Required > 0 && c.RequireMet:
	case c.Required > 0 && c.Converged:
		tc.Failure = &junit.Problem{Message: msg, Type: "capacity", Text: msg}
	case !c.Converged:
		tc.Error = &junit.Problem{Message: msg, Type: "capacity", Text: msg}
	}
	return tc
}

// capacityStepCases are the JUnit testcases of a search's steps, one each, named with its Verdict
// ("step 4 exponential 40.0 sessions/s: FAIL (...)"). A step that broke the SLO is the search
// working, not a failed pipeline (the capacity case decides that), so it is no <failure>; a step
// ccload could not judge is skipped with its reason.
func capacityStepCases(c *report.Capacity, class string) []junit.Case {
	out := make([]junit.Case, 0, len(c.Steps))
	for _, s := range c.Steps {
		name := fmt.Sprintf("step %d %s %s %s: %s", s.N, s.Phase, report.FormatRate(s.Rate), c.Unit, s.Verdict())
		if len(s.Broke) > 0 {
			name += " (" + strings.Join(s.Broke, "; ") + ")"
		}
		tc := junit.Case{Name: name, Classname: class + ".capacity.steps", Time: fmt.Sprintf("%.3f", s.WindowS)}
		if s.Verdict() == report.StepNotJudged {
			tc.Skipped = &junit.Problem{Message: s.Note, Type: "not judged", Text: s.Note}
		}
		out = append(out, tc)
	}
	return out
}
