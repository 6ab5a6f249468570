package report

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The file names of the outputs written beside report.json (ccload/render writes them).
const (
	JUnitFileName = "junit.xml"
	HTMLFileName  = "report.html"
	CSVFileName   = "timeseries.csv"
)

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
