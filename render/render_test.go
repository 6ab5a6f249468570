package render

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ccload/report"
	"ccload/report/record"
)

// A finished run's directory holds every output a user opens: report.json (which reads back
// valid), junit.xml, report.html and timeseries.csv; the summary names the run.
func TestWriteDirWritesEveryOutput(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rec := record.New(record.Options{Start: start})
	g := rec.Group("sendAsync", "CHAT")
	rec.Arrival(0)
	rec.SessionStarted(0)
	rec.Record(&report.Sample{Group: g, Step: report.NoGroup, Start: 0, End: int64(time.Millisecond), Status: 200, ResultCode: "0"})
	rec.SessionEnded(int64(time.Millisecond), report.Completed, int64(time.Millisecond))
	rep := rec.Finish(start.Add(time.Second), record.Meta{Scenario: "render-test", Seed: 1})
	dir := filepath.Join(t.TempDir(), "out")
	if err := WriteDir(dir, rep); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{report.FileName, report.JUnitFileName, report.HTMLFileName, report.CSVFileName} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v (or empty)", name, err)
		}
	}
	back, err := report.ReadFile(filepath.Join(dir, report.FileName))
	if err != nil || back.Requests.Total != 1 || back.Scenario != "render-test" {
		t.Errorf("report.json reads back %+v, %v", back, err)
	}
	var sum bytes.Buffer
	if err := WriteSummary(&sum, rep); err != nil || !strings.Contains(sum.String(), "render-test") {
		t.Errorf("summary %q, %v", sum.String(), err)
	}
}
