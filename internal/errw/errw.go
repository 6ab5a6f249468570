// Package errw is the writer ccload's text renderers (render's console, compare and capacity
// text; traffic's logdiff text and page) write through: it keeps the first write error, so a
// renderer of many lines writes straight on and checks once, at the end.
package errw

import (
	"fmt"
	"io"
)

// Writer passes writes to its io.Writer until one fails; from then on it writes nothing and
// every Write returns that first error.
type Writer struct {
	w   io.Writer
	err error
}

// New returns a Writer over w.
func New(w io.Writer) *Writer { return &Writer{w: w} }

// Write writes p unless an earlier write failed.
func (e *Writer) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// Printf is fmt.Fprintf to e, whose error Err keeps.
func (e *Writer) Printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }

// Err is the first write error (nil when every write succeeded).
func (e *Writer) Err() error { return e.err }
