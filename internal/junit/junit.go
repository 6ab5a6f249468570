// Package junit is the JUnit XML that ccload's gates write (run, compare, capacity, logdiff):
// one schema, read by GitLab, Jenkins and GitHub, and one writer, so the outputs cannot drift.
package junit

import (
	"encoding/xml"
	"fmt"
	"io"
)

// The JUnit XML written here follows the common schema GitLab, Jenkins and GitHub read:
// <testsuites> holding one <testsuite> per run, one <testcase> per threshold or compare limit,
// and a <failure message=... type=...> carrying the measured value and the limit.

// Suites is the document: <testsuites> with its totals.
type Suites struct {
	XMLName  xml.Name `xml:"testsuites"`
	Name     string   `xml:"name,attr"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Time     string   `xml:"time,attr"`
	Suites   []Suite  `xml:"testsuite"`
}

// Suite is one <testsuite>: a run, a comparison or a log diff.
type Suite struct {
	Name       string     `xml:"name,attr"`
	Tests      int        `xml:"tests,attr"`
	Failures   int        `xml:"failures,attr"`
	Errors     int        `xml:"errors,attr"`
	Skipped    int        `xml:"skipped,attr"`
	Time       string     `xml:"time,attr"`
	Timestamp  string     `xml:"timestamp,attr,omitempty"`
	Properties []Property `xml:"properties>property,omitempty"`
	Cases      []Case     `xml:"testcase"`
	SystemOut  string     `xml:"system-out,omitempty"`
}

// Property is one <property> of a suite (scenario, target, seed...).
type Property struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

// Case is one <testcase>: a threshold, a limit or a check, with at most one problem.
type Case struct {
	Name      string   `xml:"name,attr"`
	Classname string   `xml:"classname,attr"`
	Time      string   `xml:"time,attr"`
	Failure   *Problem `xml:"failure,omitempty"`
	Error     *Problem `xml:"error,omitempty"`
	Skipped   *Problem `xml:"skipped,omitempty"`
}

// Problem is a <failure>, <error> or <skipped>: what the CI shows for a case.
type Problem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// Write counts the suite's outcomes and writes the document.
func Write(w io.Writer, name string, s Suite) error {
	s.Tests = len(s.Cases)
	for _, c := range s.Cases {
		if c.Failure != nil {
			s.Failures++
		}
		if c.Error != nil {
			s.Errors++
		}
		if c.Skipped != nil {
			s.Skipped++
		}
	}
	doc := Suites{Name: name, Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Time: s.Time, Suites: []Suite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// Props makes properties from name, value pairs, in order (a lone name gets an empty value).
func Props(kv ...string) []Property {
	ps := make([]Property, 0, (len(kv)+1)/2)
	for i := 0; i < len(kv); i += 2 {
		p := Property{Name: kv[i]}
		if i+1 < len(kv) {
			p.Value = kv[i+1]
		}
		ps = append(ps, p)
	}
	return ps
}
