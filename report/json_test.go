package report_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"ccload/report"
	"ccload/report/reporttest"
)

func TestJSONRoundTrip(t *testing.T) {
	want := reporttest.SummaryFixture(true, 2000)
	want.Stages = []report.StageMark{{T: 0, Target: 10, Label: "ramp to 10/s"}, {T: 10, Target: 10, Label: "hold"}}
	want.Thresholds = []report.ThresholdResult{{Name: "p99 ok", Metric: "response_time.p99", Group: "all", Limit: "< 500ms", Value: 41000, Display: "41.0ms", Pass: true}}
	want.ScenarioText = "name: quickstart\n"
	dir := filepath.Join(t.TempDir(), "out", "quickstart-1")
	path, err := report.WriteFile(dir, want)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, "report.json") {
		t.Errorf("written to %s", path)
	}
	got, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		var a, b bytes.Buffer
		report.WriteJSON(&a, got)
		report.WriteJSON(&b, want)
		t.Errorf("round trip changed the report:\n%s\nwant\n%s", a.String()[:2000], b.String()[:2000])
	}
	// The histograms survive too: a decoded group histogram gives the summary's percentiles.
	h, err := report.DecodeHistogram(got.Overall.ResponseHistogram)
	if err != nil {
		t.Fatal(err)
	}
	if h.TotalCount() != got.Overall.ResponseTimeUS.Count || h.ValueAtQuantile(99) != got.Overall.ResponseTimeUS.P99 {
		t.Errorf("decoded histogram: %d values, p99 %d; summary says %d, %d", h.TotalCount(), h.ValueAtQuantile(99), got.Overall.ResponseTimeUS.Count, got.Overall.ResponseTimeUS.P99)
	}
}

func TestWriteFileIsAtomicAndReplaces(t *testing.T) {
	dir := t.TempDir()
	first := reporttest.SummaryFixture(false, 0)
	if _, err := report.WriteFile(dir, first); err != nil {
		t.Fatal(err)
	}
	second := reporttest.SummaryFixture(true, 0)
	path, err := report.WriteFile(dir, second)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "report.json" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %q, want only report.json (no temp files left)", names)
	}
	got, err := report.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Interrupted {
		t.Errorf("the second write did not replace the first")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("report.json mode %v, want 0644", fi.Mode().Perm())
	}
}

func TestWriteFileFailsWhereItCannotWrite(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := report.WriteFile(filepath.Join(file, "sub"), reporttest.SummaryFixture(false, 0)); err == nil {
		t.Errorf("WriteFile under a regular file succeeded")
	}
}

func TestReadRefusesOtherSchemas(t *testing.T) {
	for _, c := range []struct {
		doc     string
		refuse  bool
		message string
	}{
		{`{"schema":"ccload/report/v1","scenario":"a","duration_s":1,"shards":1}`, false, ""},
		{`{"schema":"ccload/report/v1.4","scenario":"a","duration_s":1,"shards":1,"new_field":1}`, false, ""},
		{`{"schema":"ccload/report/v2","scenario":"a"}`, true, `"ccload/report/v2": this ccload reads ccload/report/v1.x`},
		{`{"schema":"ccload/report/v10"}`, true, "v10"},
		{`{"scenario":"a"}`, true, `no "schema" field`},
		{`[1,2]`, true, "not a report.json"},
	} {
		r, err := report.ReadJSON(strings.NewReader(c.doc))
		switch {
		case c.refuse && err == nil:
			t.Errorf("%s: accepted", c.doc)
		case !c.refuse && err != nil:
			t.Errorf("%s: %v", c.doc, err)
		case c.refuse && !strings.Contains(err.Error(), c.message):
			t.Errorf("%s: error %q does not say %q", c.doc, err, c.message)
		case c.refuse && c.message != "not a report.json" && !errors.Is(err, report.ErrSchema):
			t.Errorf("%s: error %v is not ErrSchema", c.doc, err)
		case !c.refuse && r.Scenario != "a":
			t.Errorf("%s: scenario %q", c.doc, r.Scenario)
		}
	}
	path := filepath.Join(t.TempDir(), "v2.json")
	os.WriteFile(path, []byte(`{"schema":"ccload/report/v2"}`), 0o644)
	if _, err := report.ReadFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("ReadFile error %v does not name the file", err)
	}
}

func TestReportJSONHasTheDocumentedFields(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, reporttest.SummaryFixture(false, 0)); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	for _, key := range []string{
		`"schema": "ccload/report/v1"`, `"scenario": "quickstart"`, `"started_at": "2026-11-27T09:00:00Z"`, `"ended_at": "2026-11-27T09:00:30Z"`,
		`"duration_s": 30`, `"interrupted": false`, `"stop_reason": "completed"`, `"seed": 42`, `"shards": 1`,
		`"arrivals": 100`, `"dropped": 4`, `"total": 2998`, `"client_errors": 0`, `"not_sent": 2`, `"not_sent_by": {`, `"cut": 0`,
		`"result_codes": {`, `"http_status": {`, `"errors": {`, `"service_time_us": {`, `"response_time_us": {`,
		`"p999":`, `"service_histogram": "HISTFAA`, `"response_histogram": "HISTFAA`, `"scheduler_lag_us": {`,
		`"reply_latency_us": {`, `"time_to_agent_us": {`, `"session_duration_us": {`, `"reply_timeouts": 3`,
		`"interval_s": 1`, `"timeseries": [`, `"p50_us":`, `"p99_us":`, `"active":`,
	} {
		if !strings.Contains(s, key) {
			t.Errorf("report.json lacks %s", key)
		}
	}
	if len(s) > 200_000 {
		t.Errorf("a 30 s report is %d bytes", len(s))
	}
}
