package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// capacityFixture is a realistic run report carrying the capacity section of a search like the
// one of `ccload capacity` against `mock --capacity 100` (6 requests per session): the steps'
// numbers are those that search printed.
func capacityFixture(t testing.TB) *Report {
	r := gatesRealisticWithThresholds(t)
	steps := []struct {
		rate     float64
		phase    string
		pass     bool
		p50, p99 int64
	}{
		{4, "exponential", true, 28_400, 53_300}, {8, "exponential", true, 30_900, 52_600}, {16, "exponential", true, 24_900, 53_000},
		{32, "exponential", false, 768_000, 1_930_000}, {24, "bisect", false, 543_200, 1_420_000}, {20, "bisect", false, 323_600, 823_300},
		{18, "bisect", false, 169_200, 417_500}, {17, "bisect", false, 83_700, 196_000}, {16, "confirm", true, 24_100, 53_100}, {17, "confirm", false, 71_400, 156_700},
	}
	c := &Capacity{Unit: "sessions/s", SLO: []string{"response_time.p99 all <= 100ms"}, StartRate: 4, MaxRate: 10000, Precision: 0.08,
		Outcome: "converged", Converged: true, Sustainable: 16, Breaking: 17, Broke: []string{"response_time.p99 all <= 100ms (measured 157ms)"},
		Knee: 16, Message: "the target sustains 16.0 sessions/s under the SLO; 17.0 sessions/s broke it"}
	for i, s := range steps {
		st := CapacityStep{N: i + 1, Rate: s.rate, Phase: s.phase, Judged: true, Pass: s.pass, P50US: s.p50, P99US: s.p99, Requests: 200, RPS: 6 * s.rate}
		if !s.pass {
			st.Broke = []string{"response_time.p99 all <= 100ms (measured " + FormatUS(s.p99) + ")"}
		}
		c.Steps = append(c.Steps, st)
	}
	r.Capacity = c
	return r
}

// TestCapacityJUnitAndConsole: junit.xml's capacity case passes only when --require was met, and
// the console names the answer, the threshold that broke and every step.
func TestCapacityJUnitAndConsole(t *testing.T) {
	t.Parallel()
	r := capacityFixture(t)
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
