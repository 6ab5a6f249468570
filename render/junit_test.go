package render_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"ccload/gates"
	"ccload/gates/evaluate"
	"ccload/render"
	"ccload/report"
	"ccload/report/compare"
	"ccload/report/reporttest"
)

// gatesJUnitDoc is the common JUnit schema as CI servers read it, for parsing our output back.
type gatesJUnitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Suites   []struct {
		Name      string `xml:"name,attr"`
		Tests     int    `xml:"tests,attr"`
		Failures  int    `xml:"failures,attr"`
		Errors    int    `xml:"errors,attr"`
		Time      string `xml:"time,attr"`
		Timestamp string `xml:"timestamp,attr"`
		Cases     []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// junitOf renders r's junit.xml and parses it back as a CI server would; it returns both.
func junitOf(t *testing.T, r *report.Report) (gatesJUnitDoc, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := render.WriteJUnit(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc gatesJUnitDoc
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v\n%s", err, buf.Bytes())
	}
	return doc, buf.String()
}

func TestWriteJUnitParsesBackWithValuesAndLimits(t *testing.T) {
	t.Parallel()
	r := reporttest.BurstRun(t)
	r.Scenario = "ci-gate"
	r.Thresholds = evaluate.Thresholds(r, []evaluate.ThresholdSpec{
		{Metric: "error_rate", Max: 0.02, HasMax: true},
		{Metric: "error_rate", Max: 0.02, HasMax: true, Over: 30 * time.Second},
		{Name: "p99 under 1s <&>", Metric: "response_time.p99", Max: 1e6, HasMax: true},
	})
	doc, text := junitOf(t, r)
	reporttest.Golden(t, "gates_junit.xml", []byte(text))
	if doc.Tests != 4 || doc.Failures != 1 || doc.Errors != 0 || len(doc.Suites) != 1 {
		t.Fatalf("testsuites: tests=%d failures=%d errors=%d suites=%d, want 4/1/0/1", doc.Tests, doc.Failures, doc.Errors, len(doc.Suites))
	}
	s := doc.Suites[0]
	if s.Name != "ccload ci-gate" || s.Tests != 4 || s.Failures != 1 || s.Time != "120.000" || s.Timestamp != "2026-11-27T09:30:00" {
		t.Errorf("testsuite attributes: %+v", s)
	}
	var failed []string
	for _, c := range s.Cases {
		if c.Name == "" || c.Classname == "" || c.Time == "" {
			t.Errorf("testcase without name, classname or time: %+v", c)
		}
		if c.Failure != nil {
			failed = append(failed, c.Name)
			for _, want := range []string{"6.67%", "<= 2.00%", "30s–60s"} {
				if !strings.Contains(c.Failure.Message, want) || !strings.Contains(c.Failure.Text, want) {
					t.Errorf("failure %q lacks %q", c.Failure.Message, want)
				}
			}
			if c.Failure.Type != "threshold" {
				t.Errorf("failure type %q", c.Failure.Type)
			}
		}
	}
	if len(failed) != 1 || failed[0] != "error_rate all <= 2.00% over 30s" {
		t.Errorf("failed testcases %q, want the windowed error rate only", failed)
	}
	if s.Cases[3].Name != "p99 under 1s <&>" {
		t.Errorf("names must round-trip escaped: got %q", s.Cases[3].Name)
	}
}

func TestWriteJUnitMarksAbortedAndInterruptedRuns(t *testing.T) {
	for _, tc := range []struct {
		reason      string
		interrupted bool
		failures    int
		errors      int
	}{
		{"completed", false, 0, 0},
		{"aborted: error_rate all <= 1% over 10s", false, 1, 0},
		{"interrupted", true, 0, 1},
		{"unreachable", false, 0, 1},
	} {
		r := &report.Report{Scenario: "s", StopReason: tc.reason, Interrupted: tc.interrupted, DurationS: 3}
		doc, _ := junitOf(t, r)
		if doc.Tests != 1 || doc.Failures != tc.failures || doc.Errors != tc.errors {
			t.Errorf("%s: tests=%d failures=%d errors=%d, want 1/%d/%d", tc.reason, doc.Tests, doc.Failures, doc.Errors, tc.failures, tc.errors)
		}
	}
}

// TestWriteJUnitFlagsThresholdsNotEvaluated: a report whose scenario sets thresholds but that
// carries no results for them (a merge that could not re-read its scenario) must not pass CI.
func TestWriteJUnitFlagsThresholdsNotEvaluated(t *testing.T) {
	r := &report.Report{Scenario: "s", StopReason: "completed", DurationS: 3,
		Gates: &gates.Set{Thresholds: []gates.Threshold{{Metric: "error_rate", Max: 0.01, HasMax: true, LimitText: "1%"}}}}
	doc, text := junitOf(t, r)
	if doc.Errors != 1 || !strings.Contains(text, "no results") {
		t.Errorf("errors=%d, want 1 'not evaluated' error:\n%s", doc.Errors, text)
	}
	r.Gates = &gates.Set{}
	if _, text = junitOf(t, r); strings.Contains(text, "no results") {
		t.Errorf("a scenario without thresholds was flagged:\n%s", text)
	}
}

func TestCompareJSONAndJUnit(t *testing.T) {
	c := compare.Compare(reporttest.CompareRun(t, 1, 5, 1000), reporttest.CompareRun(t, 1.25, 5, 1000), reporttest.Limits(t, "p99=10%", "error_rate=1pp"))
	var js bytes.Buffer
	if err := compare.WriteJSON(&js, c); err != nil {
		t.Fatal(err)
	}
	var back compare.Result
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Pass || len(back.Checks) != 2 || len(back.Rows) != len(c.Rows) {
		t.Fatalf("JSON round trip: %v %+v", err, back)
	}
	var x bytes.Buffer
	if err := render.WriteCompareJUnit(&x, c); err != nil {
		t.Fatal(err)
	}
	var doc gatesJUnitDoc
	if err := xml.Unmarshal(x.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != 2 || doc.Failures != 1 || len(doc.Suites) != 1 || doc.Suites[0].Tests != 2 {
		t.Fatalf("junit: %+v", doc)
	}
	f := doc.Suites[0].Cases[0].Failure
	if f == nil || !strings.Contains(f.Message, "limit +10%") || !strings.Contains(f.Message, "change +25.0%") || f.Type != "regression" {
		t.Errorf("failure %+v", f)
	}
}
