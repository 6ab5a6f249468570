package report

import (
	"errors"
	"io"
)

// WriteHTML writes the self-contained report.html (being built).
func WriteHTML(w io.Writer, r *Report) error { return errors.New("report: html not built yet") }
