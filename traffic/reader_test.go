package traffic

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func line(from, ct string, ms int64) string {
	return fmt.Sprintf(`{"channel":"WEB","content":"hi","controlType":%q,"from":%q,"mediaType":"TEXT","sourceType":"CUSTOMER","to":"1","received_ms":%d}`, ct, from, ms)
}

func readAll(t *testing.T, log string, o Options) ([]*Session, Stats, error) {
	t.Helper()
	var got []*Session
	st, err := Read(strings.NewReader(log), o, func(s *Session) { got = append(got, s) })
	return got, st, err
}

func TestReadSessions(t *testing.T) {
	log := strings.Join([]string{
		line("a", "CONNECT", 1000), line("b", "CONNECT", 1001), line("a", "CHAT", 1100),
		"", line("a", "DISCONNECT", 1200), line("b", "CHAT", 1300),
		// a comes back after DISCONNECT: a new session
		line("a", "CONNECT", 5000),
		// b connects again without a DISCONNECT: its first session ends there
		line("b", "CONNECT", 6000),
	}, "\n")
	got, st, err := readAll(t, log, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if st.Lines != 8 || st.Blank != 1 || st.Requests != 7 || st.Bad != 0 || st.Sessions != 4 {
		t.Fatalf("stats %+v", st)
	}
	if got[0].From != "a" || len(got[0].Events) != 3 || got[0].End != EndDisconnect || !got[0].Connected() {
		t.Fatalf("first session %+v", got[0])
	}
	if got[1].From != "b" || got[1].End != EndReconnect || len(got[1].Events) != 2 || got[2].From != "a" || got[3].From != "b" || got[3].End != EndEOF {
		t.Fatalf("sessions %+v %+v", got[1], got[2])
	}
	if d := got[0].Events[2].T - got[0].Events[0].T; d != 200e6 {
		t.Fatalf("gap %d ns, want 200ms", d)
	}
}

func TestReadIdleAndCap(t *testing.T) {
	o := DefaultOptions()
	o.Idle = 10e9 // 10s
	o.Reorder = 1e9
	log := strings.Join([]string{line("a", "CONNECT", 1000), line("a", "CHAT", 2000),
		line("b", "CONNECT", 30000), line("a", "CHAT", 31000)}, "\n")
	got, st, err := readAll(t, log, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].End != EndIdle || len(got[0].Events) != 2 {
		t.Fatalf("idle: %d sessions, first %+v", len(got), got[0])
	}
	// The second "a" session has no CONNECT: counted with its line number.
	if p := st.Problem(ProblemNoConnect); p.Count != 1 || !strings.HasPrefix(p.Examples[0], "line 4:") {
		t.Fatalf("no-connect problem %+v", p)
	}

	o = DefaultOptions()
	o.MaxOpen = 2
	log = strings.Join([]string{line("a", "CONNECT", 1000), line("b", "CONNECT", 1001), line("c", "CONNECT", 1002)}, "\n")
	got, st, err = readAll(t, log, o)
	if err != nil {
		t.Fatal(err)
	}
	if st.MaxOpen != 2 || got[0].From != "a" || got[0].End != EndEvicted || st.Problem(ProblemEvicted).Count != 1 {
		t.Fatalf("cap: max open %d, first %+v", st.MaxOpen, got[0])
	}
}

func TestReadBadLines(t *testing.T) {
	var lines []string
	for i := range 200 {
		lines = append(lines, line(fmt.Sprint("c", i), "CONNECT", int64(10000+i*10)))
	}
	lines[10] = `{"from":"x", "controlType":`       // malformed
	lines[20] = line("y", "SHOUT", 10200)           // unknown controlType
	lines[30] = line("z", "CHAT", 1000)             // 9 s before the line before it
	lines[40] = `{"from":"w","controlType":"CHAT"}` // no time
	o := DefaultOptions()
	o.MaxBadShare = 0.05
	_, st, err := readAll(t, strings.Join(lines, "\n"), o)
	if err != nil {
		t.Fatal(err)
	}
	for kind, ln := range map[string]string{ProblemMalformed: "line 11:", ProblemUnknownCT: "line 21:", ProblemOutOfOrder: "line 31:", ProblemMissing: "line 41:"} {
		p := st.Problem(kind)
		if p.Count != 1 || !strings.HasPrefix(p.Examples[0], ln) {
			t.Errorf("%s: %+v, want one at %s", kind, p, ln)
		}
	}
	if st.Bad != 4 || st.Requests != 196 || st.Lines != 200 {
		t.Fatalf("bad %d requests %d lines %d", st.Bad, st.Requests, st.Lines)
	}
	// 4 bad lines of 200 is 2%: past a 1% limit the log is refused.
	o.MaxBadShare = 0.01
	if _, _, err := readAll(t, strings.Join(lines, "\n"), o); !errors.Is(err, ErrTooManyBad) || !strings.Contains(err.Error(), "4 of 200") {
		t.Fatalf("err %v, want ErrTooManyBad with 4 of 200", err)
	}
}

func TestReadEmptyAndFormats(t *testing.T) {
	if _, _, err := readAll(t, "", DefaultOptions()); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty log: %v", err)
	}
	if _, _, err := readAll(t, "\n\n", DefaultOptions()); !errors.Is(err, ErrEmpty) {
		t.Fatalf("blank log: %v", err)
	}
	o := DefaultOptions()
	o.Fields = Fields{Time: "ts", From: "user", ControlType: "type"}
	o.TimeFormat = RFC3339
	log := `{"ts":"2026-12-02T10:00:00.000Z","user":"u\u0031","type":"CONNECT"}` + "\n" +
		`{"ts":"2026-12-02T10:00:01.500Z","user":"u1","type":"DISCONNECT"}`
	got, _, err := readAll(t, log, o)
	if err != nil || len(got) != 1 || got[0].From != "u1" || got[0].Events[1].T-got[0].Events[0].T != 1500e6 {
		t.Fatalf("rfc3339: %v %+v", err, got)
	}
	o.TimeFormat = EpochSeconds
	log = `{"ts":1764669600.25,"user":"u1","type":"CONNECT"}` + "\n" + `{"ts":1764669601,"user":"u1","type":"CHAT"}`
	got, _, err = readAll(t, log, o)
	if err != nil || got[0].Events[1].T-got[0].Events[0].T != 750e6 {
		t.Fatalf("epoch s: %v %+v", err, got)
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(dir, nil); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("directory: %v", err)
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		if _, err := Open("/dev/zero", nil); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("device: %v", err)
		}
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(line("a", "CONNECT", 1000) + "\n"))
	zw.Close()
	p := filepath.Join(dir, "log.gz")
	os.WriteFile(p, gz.Bytes(), 0o644)
	rc, err := Open(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	st, err := Read(rc, DefaultOptions(), nil)
	if err != nil || st.Requests != 1 {
		t.Fatalf("gzip: %v %+v", err, st)
	}
	rc2, err := Open("-", strings.NewReader(line("a", "CONNECT", 1000)))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := Read(rc2, DefaultOptions(), nil); err != nil || st.Requests != 1 {
		t.Fatalf("stdin: %v %+v", err, st)
	}
}

// endless repeats its bytes forever: a stream that never ends.
type endless struct{ b []byte }

func (e endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], e.b)
	}
	return n, nil
}

// A stream of nothing but bad lines, or of no line end at all (/dev/zero), is given up early
// instead of being read forever.
func TestReadGivesUpEarly(t *testing.T) {
	st, err := Read(endless{[]byte("{not json\n")}, DefaultOptions(), nil)
	if !errors.Is(err, ErrTooManyBad) || st.Lines != EarlyBadLines || !strings.Contains(err.Error(), "all bad") {
		t.Errorf("endless bad lines: %v after %d lines", err, st.Lines)
	}
	_, err = Read(endless{[]byte{0}}, DefaultOptions(), nil)
	if !errors.Is(err, ErrTooManyBad) || !strings.Contains(err.Error(), "no line end") {
		t.Errorf("endless zeros: %v", err)
	}
	// With a good line first, bad lines are counted to the end as before.
	log := line("a", "CONNECT", 1000) + "\n" + strings.Repeat("{bad\n", 2000)
	if st, err := Read(strings.NewReader(log), DefaultOptions(), nil); !errors.Is(err, ErrTooManyBad) || st.Lines != 2001 {
		t.Errorf("a log with a good line: %v after %d lines", err, st.Lines)
	}
}

// cancelAfter cancels its context after n reads of an endless stream of good lines.
type cancelAfter struct {
	n      int
	cancel func()
	r      io.Reader
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n--; c.n == 0 {
		c.cancel()
	}
	return c.r.Read(p)
}

// A log read under a context stops at its next read once the context is done (a signal).
func TestOpenContextStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	src := &cancelAfter{n: 50, cancel: cancel, r: endless{[]byte(line("b", "CHAT", 1000) + "\n")}}
	rc, err := OpenContext(ctx, "-", src)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	st, err := Read(rc, DefaultOptions(), nil)
	if !errors.Is(err, context.Canceled) || st.Requests == 0 {
		t.Fatalf("%v after %d requests", err, st.Requests)
	}
}
