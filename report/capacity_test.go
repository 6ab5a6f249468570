package report_test

import (
	"bytes"
	. "ccload/report"
	"ccload/report/reporttest"
	"regexp"
	"strings"
	"testing"
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
		if err := WriteJUnit(&b, &rr); err != nil {
			t.Fatal(err)
		}
		if got := b.String(); !strings.Contains(got, tc.want) {
			t.Errorf("require %g, sustainable %g, converged %v: junit has no %q:\n%s", tc.required, tc.sustainable, tc.converged, tc.want, got)
		}
	}
	var b bytes.Buffer
	if err := WriteCapacity(&b, r.Capacity); err != nil {
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
}
