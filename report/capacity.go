package report

import (
	"fmt"
	"math"
	"strconv"
)

// Capacity is report.json's `capacity` section, written by `ccload capacity`: the highest session
// arrival rate that kept the SLO, how it was found, and every step measured on the way. Each step
// keeps its measured window's histograms, so a step is exact and steps of shards merge.
type Capacity struct {
	// Unit of every level here: "sessions/s" (open-model session arrivals) or "customers"
	// (concurrently connected customers, closed model: ccload capacity --customers).
	Unit string `json:"unit"`
	// SLO lists the thresholds every step was judged by, by name.
	SLO []string `json:"slo"`
	// Limits are the SLO's upper limits (base units: µs for latencies), so a chart can draw them.
	Limits []CapacityLimit `json:"limits,omitempty"`
	// The search's settings, as run.
	StartRate float64 `json:"start_rate"`
	MaxRate   float64 `json:"max_rate,omitempty"`
	Precision float64 `json:"precision"`
	WarmupS   float64 `json:"warmup_s"`
	WindowS   float64 `json:"window_s"`
	// ShortWindowS is the window of steps far from the knee (WindowS is the one near it).
	ShortWindowS float64 `json:"short_window_s,omitempty"`
	MinRequests  int64   `json:"min_requests"`
	// Outcome is "converged", "max rate held", "did not converge", "error surge", "requests
	// failed", "generator limited", "interrupted", "boundary not confirmed" or "no sustainable rate".
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
	// SustainableRPS is the request rate measured at Sustainable (what those sessions or
	// customers asked of the target); PeakRPS the highest request rate any judged step achieved.
	SustainableRPS float64 `json:"sustainable_rps"`
	PeakRPS        float64 `json:"peak_rps"`
	// RequestsPerSession is the requests a session made: the requests of the steps that held over the sessions their rates asked for
	// (sessions/s searches);
	// RequestsPerCustomerS the requests per second a connected customer made (customers searches).
	RequestsPerSession   float64 `json:"requests_per_session,omitempty"`
	RequestsPerCustomerS float64 `json:"requests_per_customer_s,omitempty"`
	// Broke names the thresholds that failed at Breaking.
	Broke []string `json:"broke,omitempty"`
	// Knee is the rate after which p99 grows faster than the rate (0: none within the steps).
	Knee float64 `json:"knee,omitempty"`
	// Required is --require (0: none); RequireMet says whether Sustainable reached it.
	Required   float64 `json:"required,omitempty"`
	RequireMet bool    `json:"require_met"`
	// Generator is why the generator, not the target, was the limit ("" when it was not).
	Generator string `json:"generator,omitempty"`
	// Failure is what failed wholesale and the target's own message, when that stopped the search.
	Failure string         `json:"failure,omitempty"`
	Steps   []CapacityStep `json:"steps"`
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
	// Near is set for a step near the knee (long window, all of --min-requests).
	Near bool `json:"near,omitempty"`
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
	// MemoryBytes is what the process held from the OS at the window's end.
	MemoryBytes uint64 `json:"memory_bytes,omitempty"`
	// WorkersBusy is the share of the window a due customer waited because every connection was
	// busy: the target queueing (or max_connections too low), which the lag then shows.
	WorkersBusy float64 `json:"workers_busy,omitempty"`
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

// CapacityLimit is one upper limit of a capacity search's SLO.
type CapacityLimit struct {
	Name   string  `json:"name"`
	Metric string  `json:"metric"`
	Group  string  `json:"group,omitempty"`
	Max    float64 `json:"max"`
}

// Step verdicts (CapacityStep.Verdict).
const (
	StepPass      = "PASS"
	StepFail      = "FAIL"
	StepNotJudged = "NOT JUDGED"
)

// Verdict is the step's verdict, the one every renderer shows (console, HTML, JUnit): PASS, FAIL,
// or NOT JUDGED when ccload could not judge it (the generator was the limit, the step was stopped).
func (s CapacityStep) Verdict() string {
	switch {
	case !s.Judged:
		return StepNotJudged
	case !s.Pass:
		return StepFail
	}
	return StepPass
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

// capacity checks a report's capacity section (nil: none): its unit, a bracket whose ends are in
// order, levels that are whole numbers of customers, steps numbered in order whose verdicts and
// counts are consistent, and totals that are the sum of the steps'.
func (v *validator) capacity(c *Capacity) {
	if c == nil {
		return
	}
	if c.Unit != "sessions/s" && c.Unit != "customers" {
		v.fail("capacity.unit", "%q; want sessions/s or customers", c.Unit)
	}
	for _, f := range []struct {
		k string
		x float64
	}{{"sustainable", c.Sustainable}, {"breaking", c.Breaking}, {"knee", c.Knee}, {"sustainable_rps", c.SustainableRPS}, {"peak_rps", c.PeakRPS},
		{"requests_per_session", c.RequestsPerSession}, {"requests_per_customer_s", c.RequestsPerCustomerS}} {
		if v.finite("capacity."+f.k, f.x) && f.x < 0 {
			v.fail("capacity."+f.k, "%g; not negative", f.x)
		}
	}
	if c.Converged && c.Breaking > 0 && c.Breaking <= c.Sustainable {
		v.fail("capacity.breaking", "%g is not above sustainable %g", c.Breaking, c.Sustainable)
	}
	var sessions SessionCounts
	var requests RequestCounts
	for i := range c.Steps {
		s := &c.Steps[i]
		p := "capacity.steps[" + strconv.Itoa(i) + "]"
		if s.N != i+1 {
			v.fail(p+".n", "%d; steps are numbered from 1 in order", s.N)
		}
		if v.finite(p+".rate", s.Rate) && (s.Rate <= 0 || c.Unit == "customers" && s.Rate != math.Round(s.Rate)) {
			v.fail(p+".rate", "%g; want a positive level (a whole number of customers)", s.Rate)
		}
		if s.Pass && !s.Judged {
			v.fail(p+".pass", "a step that was not judged neither passes nor fails")
		}
		if s.Judged && s.Requests != s.Window.Count {
			v.fail(p+".requests", "%d, but its window counts %d", s.Requests, s.Window.Count)
		}
		v.finite(p+".rps", s.RPS)
		v.finite(p+".error_rate", s.ErrorRate)
		v.group(p+".window", &s.Window)
		v.counts(p+".all_requests", s.AllRequests)
		sessions.Add(s.Sessions)
		requests.Add(s.AllRequests)
	}
	if len(c.Steps) > 0 && (sessions.Started != c.TotalSessions.Started || !requests.Equal(c.TotalRequests)) {
		v.fail("capacity.total_requests", "the totals are not the sum of the steps'")
	}
}
