package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"ccload/internal/redact"
)

// FileName is the name of the report inside an output directory.
const FileName = "report.json"

// ErrSchema is returned by ReadFile and ReadJSON for a report this version of ccload cannot read.
var ErrSchema = errors.New("unsupported report.json schema")

// WriteJSON writes r as indented JSON: the report.json format.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}

// WriteFile writes r to dir/report.json atomically (a temp file in dir, then rename), creating dir;
// a reader never sees a half-written report, even if the run is killed mid-write.
func WriteFile(dir string, r *Report) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, FileName)
	return path, writeAtomic(path, r)
}

// WriteFileAt writes r to path atomically (temp file beside it, then rename); ccload merge -o uses it.
func WriteFileAt(path string, r *Report) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return writeAtomic(path, r)
}

func writeAtomic(path string, r *Report) error {
	return WriteFileWith(path, func(w io.Writer) error { return WriteJSON(w, r) })
}

// ReadFile reads a report.json, refusing schemas of another major version.
func ReadFile(path string) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := ReadJSON(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// ReadJSON reads one report.json from rd, refusing schemas of another major version and any
// report Validate refuses: every command that reads a report goes through it.
func ReadJSON(rd io.Reader) (*Report, error) {
	// Peek at the schema first, so a report of another version fails with the version, not a field error.
	raw, err := io.ReadAll(rd)
	if err != nil {
		return nil, err
	}
	var head struct {
		Schema *string `json:"schema"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, fmt.Errorf("not a report.json: %w", err)
	}
	if err := checkSchema(head.Schema); err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("decoding report.json: %w", err)
	}
	if err := Validate(&r); err != nil {
		return nil, err
	}
	redactStored(&r)
	return &r, nil
}

// redactStored removes the credentials a report written by an older ccload may still hold (its
// scenario text was stored as written, its target as given), so re-rendering, merging or
// comparing it never shows them: the scenario loader's rules (internal/redact), applied again.
func redactStored(r *Report) {
	r.ScenarioText = redact.Text(r.ScenarioText)
	r.Target = redact.URL(r.Target)
	for i, w := range r.Warnings {
		r.Warnings[i] = redact.Text(w)
	}
}

// checkSchema accepts "ccload/report/v1" and its minor versions ("ccload/report/v1.2"): additions only.
func checkSchema(s *string) error {
	if s == nil {
		return fmt.Errorf("%w: no \"schema\" field; is this a ccload report.json?", ErrSchema)
	}
	want := majorOf(Schema)
	if majorOf(*s) != want {
		return fmt.Errorf("%w %q: this ccload reads %s.x; use the ccload version that wrote it", ErrSchema, *s, want)
	}
	return nil
}

// majorOf returns "ccload/report/v1" for "ccload/report/v1" and "ccload/report/v1.3".
func majorOf(s string) string {
	i := strings.LastIndex(s, "/v")
	if i < 0 {
		return s
	}
	if j := strings.IndexByte(s[i+2:], '.'); j >= 0 {
		return s[:i+2+j]
	}
	return s
}
