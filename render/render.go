// Package render is the one place a finished report becomes files and console text: the
// commands (run, replay, capacity) hand it the report the engine returned. The engine
// (runner, capacity) renders nothing, so it imports no renderer.
package render

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"ccload/report"
	htmlreport "ccload/report/html"
)

// WriteDir writes report.json, then every output rendered from it (junit.xml, report.html,
// timeseries.csv) into dir, each atomically (a reader never sees half a file). Every output is
// attempted even when one fails, and the errors are joined.
func WriteDir(dir string, rep *report.Report) error {
	if _, err := report.WriteFile(dir, rep); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	return errors.Join(
		report.WriteOutputFile(filepath.Join(dir, report.JUnitFileName), rep, WriteJUnit),
		report.WriteOutputFile(filepath.Join(dir, report.HTMLFileName), rep, htmlreport.WriteHTML),
		report.WriteOutputFile(filepath.Join(dir, report.CSVFileName), rep, WriteCSV),
	)
}
