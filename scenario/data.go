package scenario

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// readCSV reads a CSV feeder: the header row names the columns, every other row is one
// session's values. Errors give the file's line.
func readCSV(data []byte, comma rune) (cols []string, rows [][]string, err error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = comma
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, errors.New("empty file: the first row must name the columns")
		}
		return nil, nil, csvErr(err)
	}
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		switch {
		case h == "":
			return nil, nil, fmt.Errorf("line 1: column %d has no name in the header row", i+1)
		case !feederName.MatchString(h):
			return nil, nil, fmt.Errorf("line 1: column name %q must be a word of letters, digits and _ (it is used as {{data.FEEDER.%s}})", h, h)
		case seen[h]:
			return nil, nil, fmt.Errorf("line 1: duplicate column name %q", h)
		}
		seen[h] = true
		header[i] = h
	}
	rows, err = r.ReadAll()
	if err != nil {
		return nil, nil, csvErr(err)
	}
	return header, rows, nil
}

// csvErr turns encoding/csv's error into "line N: what".
func csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return fmt.Errorf("line %d: wrong number of fields (the header has a different count)", pe.Line)
		}
		return fmt.Errorf("line %d: %v", pe.Line, pe.Err)
	}
	return err
}

// readLines reads a line feeder: one value per non-blank line, column `line`.
func readLines(data []byte) [][]string {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var rows [][]string
	for ln := range strings.SplitSeq(string(data), "\n") {
		ln = strings.TrimRight(ln, "\r")
		if strings.TrimSpace(ln) == "" {
			continue
		}
		rows = append(rows, []string{ln})
	}
	return rows
}
