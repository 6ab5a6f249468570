package errw

import (
	"errors"
	"strings"
	"testing"
)

// failAfter accepts n writes, then fails every one.
type failAfter struct {
	n   int
	got strings.Builder
}

var errFull = errors.New("disk full")

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errFull
	}
	f.n--
	return f.got.Write(p)
}

// A renderer's output stops at the first failed write and the renderer learns that error, not
// a later one, whatever it writes after it.
func TestTheFirstWriteErrorIsKept(t *testing.T) {
	dst := &failAfter{n: 2}
	w := New(dst)
	w.Printf("a%d ", 1)
	w.Printf("b ")
	w.Printf("c ")
	dst.n = 5 // the destination would take writes again: the Writer must not
	w.Printf("d ")
	if got := dst.got.String(); got != "a1 b " {
		t.Errorf("written %q, want %q", got, "a1 b ")
	}
	if !errors.Is(w.Err(), errFull) {
		t.Errorf("Err() = %v, want %v", w.Err(), errFull)
	}
	ok := New(&failAfter{n: 1})
	ok.Printf("x")
	if ok.Err() != nil {
		t.Errorf("Err() after a good write = %v, want nil", ok.Err())
	}
}
