package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Capacity is report.json's `capacity` section, written by `ccload capacity`: the highest session
// arrival rate that kept the SLO, how it was found, and every step measured on the way. Each step
// keeps its measured window's histograms, so a step is exact and steps of shards merge.
type Capacity struct {
	// Unit of every rate here: "sessions/s" (open-model session arrivals).
	Unit string `json:"unit"`
	// SLO lists the thresholds every step was judged by, by name.
	SLO []string `json:"slo"`
	// The search's settings, as run.
	StartRate   float64 `json:"start_rate"`
	MaxRate     float64 `json:"max_rate,omitempty"`
	Precision   float64 `json:"precision"`
	WarmupS     float64 `json:"warmup_s"`
	WindowS     float64 `json:"window_s"`
	MinRequests int64   `json:"min_requests"`
	// Outcome is "converged", "max rate held", "did not converge: budget", "error surge",
	// "generator limited", "interrupted" or "no sustainable rate".
	Outcome string `json:"outcome"`
	// Converged is true when the bracket is within Precision and the boundary was confirmed, or
	// when the SLO held at MaxRate.
	Converged bool `json:"converged"`
	// Message says in one sentence what the outcome means and what to do.
	Message string `json:"message"`
	// Sustainable is the highest rate that kept the SLO (0: none did); the bracket is
	// [Sustainable, Breaking] (Breaking 0: nothing broke up to MaxRate).
	Sustainable float64 `json:"sustainable"`
	Breaking    float64 `json:"breaking,omitempty"`
	// Broke names the thresholds that failed at Breaking.
	Broke []string `json:"broke,omitempty"`
	// Knee is the rate after which p99 grows faster than the rate (0: none within the steps).
	Knee float64 `json:"knee,omitempty"`
	// Required is --require (0: none); RequireMet says whether Sustainable reached it.
	Required   float64 `json:"required,omitempty"`
	RequireMet bool    `json:"require_met"`
	// Generator is why the generator, not the target, was the limit ("" when it was not).
	Generator string         `json:"generator,omitempty"`
	Steps     []CapacityStep `json:"steps"`
	// Totals are the sessions and requests of every step (warm-up, window and tail), so nothing is lost.
	TotalSessions SessionCounts `json:"total_sessions"`
	TotalRequests RequestCounts `json:"total_requests"`
}

// CapacityStep is one constant-rate step of the search.
type CapacityStep struct {
	N    int     `json:"n"`
	Rate float64 `json:"rate"`
	// Phase is "exponential", "bisect" or "confirm".
	Phase string `json:"phase"`
	// Judged is false when the step could not be judged (generator limit, too few requests,
	// interrupted); Pass then says nothing.
	Judged bool     `json:"judged"`
	Pass   bool     `json:"pass"`
	Broke  []string `json:"broke,omitempty"`
	Note   string   `json:"note,omitempty"`
	// The measured window (after the discarded warm-up): its length and curve values.
	WindowS   float64 `json:"window_s"`
	Requests  int64   `json:"requests"`
	ErrorRate float64 `json:"error_rate"`
	RPS       float64 `json:"rps"`
	P50US     int64   `json:"p50_us"`
	P99US     int64   `json:"p99_us"`
	LagP99US  int64   `json:"lag_p99_us"`
	// CPU is the process's CPU time over the step's wall time × GOMAXPROCS (1 = every P busy).
	CPU float64 `json:"cpu"`
	// Window is the measured window's overall group, histograms included (exact, mergeable).
	Window Group `json:"window"`
	// WindowLag is the window's scheduler lag, histogram included.
	WindowLag Latency `json:"window_lag_us"`
	// WindowSessions counts the window's arrivals, drops and session ends.
	WindowSessions SessionCounts `json:"window_sessions"`
	// Thresholds are the SLO's results on the window.
	Thresholds []ThresholdResult `json:"thresholds,omitempty"`
	// Sessions and Requests are the whole step's accounting (warm-up, window and tail).
	Sessions    SessionCounts `json:"sessions"`
	AllRequests RequestCounts `json:"all_requests"`
}

// FormatRate renders a rate for people: 12.5, 1200.
func FormatRate(r float64) string {
	switch {
	case r >= 100:
		return fmt.Sprintf("%.0f", r)
	case r >= 10:
		return fmt.Sprintf("%.1f", r)
	}
	return fmt.Sprintf("%.2f", r)
}

// WriteCapacity writes the capacity search's console summary: the answer, then the curve of every step.
func WriteCapacity(w io.Writer, c *Capacity) error {
	ew := &errWriter{w: w}
	ew.printf("\ncapacity: %s\n", c.Outcome)
	if c.Sustainable > 0 {
		if c.Breaking > 0 {
			ew.printf("  sustainable  %s %s (bracket %s .. %s)\n", FormatRate(c.Sustainable), c.Unit, FormatRate(c.Sustainable), FormatRate(c.Breaking))
		} else {
			ew.printf("  sustainable  at least %s %s (nothing broke up to the highest step)\n", FormatRate(c.Sustainable), c.Unit)
		}
	} else {
		ew.printf("  sustainable  none of the rates tried\n")
	}
	if c.Breaking > 0 {
		ew.printf("  breaks at    %s %s: %s\n", FormatRate(c.Breaking), c.Unit, strings.Join(c.Broke, "; "))
	}
	if c.Knee > 0 {
		ew.printf("  knee         %s %s (p99 grows faster than the rate past it)\n", FormatRate(c.Knee), c.Unit)
	}
	if c.Required > 0 {
		met := "NOT met"
		if c.RequireMet {
			met = "met"
		}
		ew.printf("  required     %s %s: %s\n", FormatRate(c.Required), c.Unit, met)
	}
	ew.printf("  %s\n\n", c.Message)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "step\tphase\trate\tverdict\trequests\trps\tp50\tp99\terrors\tlag p99\tcpu\t\n")
	for _, s := range c.Steps {
		v := "PASS"
		switch {
		case !s.Judged:
			v = "not judged"
		case !s.Pass:
			v = "FAIL"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%.1f\t%s\t%s\t%.2f%%\t%s\t%.0f%%\t\n", s.N, s.Phase, FormatRate(s.Rate), v, s.Requests, s.RPS,
			FormatUS(s.P50US), FormatUS(s.P99US), 100*s.ErrorRate, FormatUS(s.LagP99US), 100*s.CPU)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range c.Steps {
		if s.Note != "" || len(s.Broke) > 0 {
			ew.printf("  step %d: %s%s\n", s.N, strings.Join(s.Broke, "; "), noteSep(s))
		}
	}
	return ew.err
}

func noteSep(s CapacityStep) string {
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
func capacityJUnitCase(c *Capacity, class string) junitCase {
	name := "capacity"
	if c.Required > 0 {
		name = fmt.Sprintf("capacity >= %s %s", FormatRate(c.Required), c.Unit)
	}
	tc := junitCase{Name: name, Classname: class + ".capacity", Time: "0"}
	msg := fmt.Sprintf("%s: sustainable %s %s; %s", c.Outcome, FormatRate(c.Sustainable), c.Unit, c.Message)
	switch {
	case c.Required > 0 && c.RequireMet:
	case c.Required > 0 && c.Converged:
		tc.Failure = &junitProblem{Message: msg, Type: "capacity", Text: msg}
	case !c.Converged:
		tc.Error = &junitProblem{Message: msg, Type: "capacity", Text: msg}
	}
	return tc
}
