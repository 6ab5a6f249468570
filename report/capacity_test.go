package report_test

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"ccload/render"
	"ccload/report"
	"ccload/report/reporttest"
)

// TestCapacityJUnitAndConsole: junit.xml's capacity case passes only when --require was met, and
// the console names the answer, the threshold that broke and every step.
func TestCapacityJUnitAndConsole(t *testing.T) {
	t.Parallel()
	r := reporttest.Capacity(t)
	for _, tc := range []struct {
		required, sustainable float64
		converged             bool
		want                  string
	}{
		{15, 16, true, `<testcase name="capacity &gt;= 15.0 sessions/s" classname="ccload.checkout-peak.capacity" time="0"></testcase>`},
		{20, 16, true, `<failure message="converged: sustainable 16.0 sessions/s`},
		{20, 16, false, `<error message="converged: sustainable 16.0 sessions/s`},
		{0, 16, false, `<error message=`},
	} {
		c := *r.Capacity
		c.Required, c.Sustainable, c.Converged, c.RequireMet = tc.required, tc.sustainable, tc.converged, tc.required > 0 && tc.sustainable >= tc.required
		rr := *r
		rr.Capacity = &c
		var b bytes.Buffer
		if err := render.WriteJUnit(&b, &rr); err != nil {
			t.Fatal(err)
		}
		if got := b.String(); !strings.Contains(got, tc.want) {
			t.Errorf("require %g, sustainable %g, converged %v: junit has no %q:\n%s", tc.required, tc.sustainable, tc.converged, tc.want, got)
		}
	}
	var b bytes.Buffer
	if err := render.WriteCapacity(&b, r.Capacity); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"capacity: converged", "sustainable  16.0 sessions/s (bracket 16.0 .. 17.0)",
		"breaks at    17.0 sessions/s: response_time.p99 all <= 100ms (measured 157ms)", "knee         16.0"} {
		if !strings.Contains(out, want) {
			t.Errorf("console has no %q:\n%s", want, out)
		}
	}
	if n := len(regexp.MustCompile(`(?m)^ +\d+ +(exponential|bisect|confirm) `).FindAllString(out, -1)); n != len(r.Capacity.Steps) {
		t.Errorf("%d step rows in the console, want %d:\n%s", n, len(r.Capacity.Steps), out)
	}
	// One verdict per step, the same in the console's row and in junit.xml's step case.
	var j bytes.Buffer
	if err := render.WriteJUnit(&j, r); err != nil {
		t.Fatal(err)
	}
	for _, st := range r.Capacity.Steps {
		row := regexp.MustCompile(`(?m)^ +` + regexp.QuoteMeta(strconv.Itoa(st.N)) + ` +\w+ +[0-9.]+ +(PASS|FAIL|NOT JUDGED) `).FindStringSubmatch(out)
		if row == nil || row[1] != st.Verdict() {
			t.Errorf("step %d: console row %q, want verdict %s", st.N, row, st.Verdict())
		}
		if !strings.Contains(j.String(), fmt.Sprintf(`name="step %d %s %s sessions/s: %s`, st.N, st.Phase, report.FormatRate(st.Rate), st.Verdict())) {
			t.Errorf("step %d: junit.xml has no case with verdict %s", st.N, st.Verdict())
		}
	}
	// A search that did not converge states only what it measured: no "at least", no bracket
	// with an end never measured.
	nc := *r.Capacity
	nc.Outcome, nc.Converged, nc.Breaking, nc.Message = "did not converge", false, 0, "did not converge: the --budget 1m ran out"
	b.Reset()
	if err := render.WriteCapacity(&b, &nc); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); strings.Contains(out, "at least") || strings.Contains(out, "bracket") || !strings.Contains(out, "held         16.0 sessions/s (not a converged answer)") {
		t.Errorf("a search that did not converge is summarised as:\n%s", out)
	}
}

// TestValidateCapacity: report.json's capacity section is checked like the rest of the report.
func TestValidateCapacity(t *testing.T) {
	valid := func() *report.Report {
		r := &report.Report{Schema: report.Schema, StartedAt: time.Unix(0, 0), EndedAt: time.Unix(10, 0), DurationS: 10, StopReason: "completed", Shards: 1}
		r.Capacity = &report.Capacity{Unit: "customers", Outcome: "converged", Converged: true, Sustainable: 40, Breaking: 41,
			Steps: []report.CapacityStep{{N: 1, Rate: 40, Judged: true, Pass: true}, {N: 2, Rate: 41, Judged: true}}}
		return r
	}
	if err := report.Validate(valid()); err != nil {
		t.Fatalf("a valid capacity section: %v", err)
	}
	for _, tc := range []struct {
		path   string
		break_ func(c *report.Capacity)
	}{
		{"capacity.unit", func(c *report.Capacity) { c.Unit = "rps" }},
		{"capacity.breaking", func(c *report.Capacity) { c.Breaking = 39 }},
		{"capacity.steps[1].rate", func(c *report.Capacity) { c.Steps[1].Rate = 40.5 }},
		{"capacity.steps[1].n", func(c *report.Capacity) { c.Steps[1].N = 7 }},
		{"capacity.steps[0].pass", func(c *report.Capacity) { c.Steps[0].Judged = false }},
		{"capacity.total_requests", func(c *report.Capacity) { c.Steps[0].AllRequests.Total, c.Steps[0].AllRequests.OK = 5, 5 }},
	} {
		r := valid()
		tc.break_(r.Capacity)
		var ve *report.ValidationError
		if err := report.Validate(r); !errors.As(err, &ve) || ve.Path != tc.path {
			t.Errorf("%s broken: %v, want an error at it", tc.path, err)
		}
	}
}
