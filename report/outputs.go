package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The file names WriteOutputs writes beside report.json.
const (
	JUnitFileName = "junit.xml"
	HTMLFileName  = "report.html"
	CSVFileName   = "timeseries.csv"
)

// WriteOutputs writes junit.xml, report.html and timeseries.csv into dir, each atomically (a reader
// never sees half a file). The runner calls it after report.json; every output is attempted even
// when one fails, and the errors are joined. html renders report.html (htmlreport.WriteHTML): it
// lives in report/html, which imports this package.
func WriteOutputs(dir string, r *Report, html func(io.Writer, *Report) error) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return errors.Join(
		WriteOutputFile(filepath.Join(dir, JUnitFileName), r, WriteJUnit),
		WriteOutputFile(filepath.Join(dir, HTMLFileName), r, html),
		WriteOutputFile(filepath.Join(dir, CSVFileName), r, WriteCSV),
	)
}

// WriteOutputFile renders r with write into path atomically (see WriteFileWith).
func WriteOutputFile(path string, r *Report, write func(io.Writer, *Report) error) error {
	return WriteFileWith(path, func(w io.Writer) error { return write(w, r) })
}

// WriteFileWith writes path atomically with write: a temporary file in the same directory
// (created if missing), synced, then renamed over path, so a reader never sees half a file.
func WriteFileWith(path string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
