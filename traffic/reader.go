// Package traffic reads production traffic logs (JSON lines of accepted send
// requests, the shape `ccload mock --record` writes) in one streaming pass with
// bounded memory, cuts them into sessions, and analyses them for fit and logdiff.
package traffic

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"container/list"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"ccload/ccapi"
)

// TimeFormat says how the time field of a log line is written.
type TimeFormat uint8

// Time formats of the time field.
const (
	EpochMillis  TimeFormat = iota // a number of milliseconds since 1970 (received_ms)
	EpochSeconds                   // a number (or decimal) of seconds since 1970
	RFC3339                        // a string such as 2026-12-02T13:45:00.123Z
)

// ParseTimeFormat reads a --time-format value: ms, s or rfc3339.
func ParseTimeFormat(s string) (TimeFormat, error) {
	switch strings.ToLower(s) {
	case "ms", "epoch-ms", "epoch_ms":
		return EpochMillis, nil
	case "s", "epoch-s", "epoch_s":
		return EpochSeconds, nil
	case "rfc3339":
		return RFC3339, nil
	}
	return 0, fmt.Errorf("unknown time format %q (ms, s or rfc3339)", s)
}

// Resolution is the granularity of times written in f: gaps in the log are whole multiples
// of it, and the KS distance of a fitted distribution accounts for that (see KS).
func (f TimeFormat) Resolution() time.Duration {
	switch f {
	case EpochMillis:
		return time.Millisecond
	case EpochSeconds:
		return 0 // decimals are allowed: no fixed grain
	}
	return 0
}

// Fields names the JSON keys of a log line, so logs of other gateways can be read.
type Fields struct {
	Time, From, ControlType, MediaType, Content string
}

// DefaultFields are the keys `ccload mock --record` writes.
var DefaultFields = Fields{Time: "received_ms", From: "from", ControlType: "controlType", MediaType: "mediaType", Content: "content"}

// Options says how a log is read and cut into sessions. The zero value of each field
// means its default (DefaultOptions).
type Options struct {
	Fields     Fields
	TimeFormat TimeFormat
	// Idle closes a session that sent nothing for this long (default 30m): a customer that
	// comes back later is a new session. A DISCONNECT closes a session at once, and a CONNECT
	// of an open session closes it and begins a new one.
	Idle time.Duration
	// MaxOpen caps the sessions held open at once (default 1,000,000): past it the session
	// idle for longest is closed early and counted as evicted. With MaxEvents it bounds memory.
	MaxOpen int
	// MaxEvents caps the requests kept per session (default 10,000); later ones are counted
	// (truncated) but not kept.
	MaxEvents int
	// Reorder is the disorder tolerated between lines (default 2s): concurrent writers of one
	// log (the mock's handlers, a gateway's workers) interleave lines a little. A line earlier
	// than the latest time seen minus Reorder is out of order: counted, reported and skipped.
	Reorder time.Duration
	// MaxBadShare is the share of bad lines (malformed, out of order, unknown controlType,
	// missing field) past which the log is refused (default 1%; ErrTooManyBad).
	MaxBadShare float64
	// Examples is how many line numbers each kind of problem keeps (default 5).
	Examples int
	// KeepLines keeps each request's raw line in its Event (for replay); fit does not need it.
	KeepLines bool
}

// DefaultOptions are the reader's defaults.
func DefaultOptions() Options {
	return Options{Fields: DefaultFields, Idle: 30 * time.Minute, MaxOpen: 1_000_000, MaxEvents: 10_000,
		Reorder: 2 * time.Second, MaxBadShare: 0.01, Examples: 5}
}

func (o *Options) defaults() {
	d := DefaultOptions()
	if o.Fields.Time == "" {
		o.Fields.Time = d.Fields.Time
	}
	if o.Fields.From == "" {
		o.Fields.From = d.Fields.From
	}
	if o.Fields.ControlType == "" {
		o.Fields.ControlType = d.Fields.ControlType
	}
	if o.Fields.MediaType == "" {
		o.Fields.MediaType = d.Fields.MediaType
	}
	if o.Fields.Content == "" {
		o.Fields.Content = d.Fields.Content
	}
	if o.Idle <= 0 {
		o.Idle = d.Idle
	}
	if o.MaxOpen <= 0 {
		o.MaxOpen = d.MaxOpen
	}
	if o.MaxEvents <= 0 {
		o.MaxEvents = d.MaxEvents
	}
	if o.Reorder <= 0 {
		o.Reorder = d.Reorder
	}
	if o.MaxBadShare <= 0 {
		o.MaxBadShare = d.MaxBadShare
	}
	if o.Examples <= 0 {
		o.Examples = d.Examples
	}
}

// Event is one logged send request.
type Event struct {
	T       int64 // Unix nanoseconds
	Control ccapi.ControlType
	Media   ccapi.MediaType
	// ContentLen is the content's length in bytes.
	ContentLen int
	Line       int64
	Content    string // the content, with Options.KeepLines
	Raw        []byte // the line, with Options.KeepLines
}

// EndReason says why a session was closed.
type EndReason string

// How sessions end.
const (
	EndDisconnect EndReason = "disconnect" // the customer sent DISCONNECT
	EndIdle       EndReason = "idle"       // nothing for Options.Idle
	EndEvicted    EndReason = "evicted"    // closed early by Options.MaxOpen
	EndEOF        EndReason = "eof"        // still open when the log ended
	EndReconnect  EndReason = "reconnect"  // the customer sent CONNECT again: a new session begins
)

// Session is one customer's requests from CONNECT to DISCONNECT (or an idle gap).
type Session struct {
	From   string
	Events []Event // in time order
	End    EndReason
	// Truncated counts requests past Options.MaxEvents that were not kept.
	Truncated int
}

// Connected reports whether the session starts with a CONNECT.
func (s *Session) Connected() bool {
	return len(s.Events) > 0 && s.Events[0].Control == ccapi.Connect
}

// Problem kinds.
const (
	ProblemMalformed   = "malformed line"
	ProblemOutOfOrder  = "out of time order"
	ProblemUnknownCT   = "unknown controlType"
	ProblemMissing     = "missing or bad field"
	ProblemNoConnect   = "session without CONNECT"
	ProblemEvicted     = "session closed early (open-session cap)"
	ProblemTruncated   = "request past the per-session cap"
	ProblemTooLongLine = "line too long"
)

// badKinds are the problems that count as bad lines (against MaxBadShare).
var badKinds = []string{ProblemMalformed, ProblemTooLongLine, ProblemMissing, ProblemUnknownCT, ProblemOutOfOrder}

// Problem counts one kind of problem and keeps the first few line numbers with what was wrong.
type Problem struct {
	Kind     string
	Count    int64
	Examples []string // "line N: detail"
	// Lines are the first few line numbers alone (as many as Examples): what a report may show,
	// since a detail can quote a logged identity or content.
	Lines []int64
}

// Stats is what a read saw: every line ends in exactly one of Requests, a bad kind, or Blank.
type Stats struct {
	Lines    int64 // lines read
	Blank    int64 // empty lines (ignored)
	Requests int64 // lines that became events
	Bad      int64 // lines refused: the sum of the bad kinds
	Sessions int64 // sessions handed to the callback
	MaxOpen  int   // the most sessions open at once
	Problems map[string]*Problem
	First    int64 // time of the first event (Unix ns)
	Last     int64 // time of the last event
}

// Problem returns the problem of kind k (a zero one when none was seen).
func (s *Stats) Problem(k string) Problem {
	if p := s.Problems[k]; p != nil {
		return *p
	}
	return Problem{Kind: k}
}

// WriteProblems writes one line per problem kind seen, with its first examples, prefixed by name.
func (s *Stats) WriteProblems(w io.Writer, name string) {
	kinds := make([]string, 0, len(s.Problems))
	for k := range s.Problems {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		p := s.Problems[k]
		fmt.Fprintf(w, "%s: %d × %s", name, p.Count, k)
		if len(p.Examples) > 0 {
			fmt.Fprintf(w, " (first: %s)", strings.Join(p.Examples, "; "))
		}
		fmt.Fprintln(w)
	}
}

// ErrTooManyBad is returned when bad lines exceed Options.MaxBadShare; ErrEmpty when the log
// holds no request.
var (
	ErrTooManyBad = errors.New("too many bad lines")
	ErrEmpty      = errors.New("the log holds no request: check that it is JSON lines of send requests and map its fields (--time-field, --control-field, ...)")
)

// lineBuf bounds one line: a longer one is a bad line, and memory stays bounded.
const lineBuf = 256 << 10

// open is one session being collected.
type open struct {
	s    Session
	last int64
	el   *list.Element // in the idle order
	// opened is the latest time read when the session opened, and oel its place in the opening
	// order: no session opened after it can start before opened - Reorder (ReadOrdered).
	opened int64
	oel    *list.Element
}

type reader struct {
	o     Options
	st    Stats
	open  map[string]*open
	idle  *list.List // *open, least recently active first
	order *list.List // *open, in the order they opened (ReadOrdered; nil: not kept)
	fn    func(*Session)
	after func() // called after each line (ReadOrdered)
	stop  bool   // the caller asked to stop reading
	maxT  int64
	want  []string
	raw   [][]byte
	lineN int64
}

func (r *reader) problem(kind string, line int64, format string, args ...any) {
	p := r.st.Problems[kind]
	if p == nil {
		p = &Problem{Kind: kind}
		r.st.Problems[kind] = p
	}
	p.Count++
	if len(p.Examples) < r.o.Examples {
		p.Examples = append(p.Examples, fmt.Sprintf("line %d: ", line)+fmt.Sprintf(format, args...))
		p.Lines = append(p.Lines, line)
	}
}

func (r *reader) bad(kind string, format string, args ...any) {
	r.st.Bad++
	r.problem(kind, r.lineN, format, args...)
}

// Read reads a log from in, cutting it into sessions, and calls fn with each session as it
// closes (fn may keep the *Session). It returns what it saw; the error is ErrTooManyBad or
// ErrEmpty (wrapped with the counts), or the reader's error.
//
// Memory is bounded by MaxOpen × MaxEvents events plus one line: sessions close on DISCONNECT,
// after Idle without a request, or, past MaxOpen open sessions, the least recently active first.
func Read(in io.Reader, o Options, fn func(*Session)) (Stats, error) {
	o.defaults()
	r := &reader{o: o, open: map[string]*open{}, idle: list.New(), fn: fn,
		st: Stats{Problems: map[string]*Problem{}}}
	return r.read(in)
}

// read runs the reader over in (see Read).
func (r *reader) read(in io.Reader) (Stats, error) {
	o := r.o
	f := o.Fields
	r.want = []string{f.Time, f.From, f.ControlType, f.MediaType, f.Content}
	r.raw = make([][]byte, len(r.want))
	br := bufio.NewReaderSize(in, lineBuf)
	var long bool
	for {
		chunk, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A line longer than the buffer: read on to its end, refusing it past maxLine.
			if !long {
				r.lineN++
				r.st.Lines++
				long = true
			}
			continue
		}
		if long {
			long = false
			r.bad(ProblemTooLongLine, "longer than %d KB; one JSON object per line is expected", lineBuf>>10)
		} else if len(chunk) > 0 {
			r.lineN++
			r.st.Lines++
			r.line(chunk)
			if r.after != nil {
				r.after()
			}
		}
		if err == io.EOF || r.stop {
			break
		}
		if err != nil {
			return r.st, err
		}
	}
	// Close what is still open, oldest first.
	for e := r.idle.Front(); e != nil; e = r.idle.Front() {
		r.close(e.Value.(*open), EndEOF)
	}
	if r.st.Requests == 0 {
		return r.st, fmt.Errorf("%w (%d lines, %d bad)", ErrEmpty, r.st.Lines, r.st.Bad)
	}
	if float64(r.st.Bad) > o.MaxBadShare*float64(r.st.Lines) {
		return r.st, fmt.Errorf("%w: %d of %d lines (%.2f%%, at most %.2f%% allowed)", ErrTooManyBad,
			r.st.Bad, r.st.Lines, 100*float64(r.st.Bad)/float64(r.st.Lines), 100*o.MaxBadShare)
	}
	return r.st, nil
}

var knownCT = func() map[string]ccapi.ControlType {
	m := map[string]ccapi.ControlType{}
	for _, c := range ccapi.ControlTypes {
		m[string(c)] = c
	}
	return m
}()

var knownMedia = func() map[string]ccapi.MediaType {
	m := map[string]ccapi.MediaType{}
	for _, c := range append(ccapi.MediaTypes, ccapi.Locate, ccapi.Document) {
		m[string(c)] = c
	}
	return m
}()

func (r *reader) line(b []byte) {
	b = bytes.TrimRight(b, "\r\n")
	if len(bytes.TrimSpace(b)) == 0 {
		r.st.Blank++
		return
	}
	if err := fields(b, r.want, r.raw); err != nil {
		r.bad(ProblemMalformed, "%v", err)
		return
	}
	f := r.o.Fields
	t, err := r.time(r.raw[0])
	if err != nil {
		r.bad(ProblemMissing, "field %q: %v (set --time-field / --time-format)", f.Time, err)
		return
	}
	from, ok := str(r.raw[1])
	if !ok || from == "" {
		r.bad(ProblemMissing, "field %q: missing or not a non-empty string (set --from-field)", f.From)
		return
	}
	cts, ok := str(r.raw[2])
	if !ok {
		r.bad(ProblemMissing, "field %q: missing or not a string (set --control-field)", f.ControlType)
		return
	}
	ct, ok := knownCT[cts]
	if !ok {
		r.bad(ProblemUnknownCT, "%q (one of CONNECT, CHAT, TRANS2AGENT, INPUT, DISCONNECT, READ)", cts)
		return
	}
	media := ccapi.Text
	if r.raw[3] != nil {
		ms, ok := str(r.raw[3])
		m, known := knownMedia[ms]
		if !ok || !known {
			r.bad(ProblemMissing, "field %q: unknown mediaType %q", f.MediaType, ms)
			return
		}
		media = m
	}
	if t < r.maxT-int64(r.o.Reorder) {
		r.bad(ProblemOutOfOrder, "%s is %s before a line already read (more than --reorder %s)",
			f.Time, time.Duration(r.maxT-t).Round(time.Millisecond), r.o.Reorder)
		return
	}
	if t > r.maxT {
		r.maxT = t
	}
	c, _ := str(r.raw[4])
	ev := Event{T: t, Control: ct, Media: media, ContentLen: len(c), Line: r.lineN}
	if r.o.KeepLines {
		ev.Raw = append([]byte(nil), b...)
		ev.Content = c
	}
	r.st.Requests++
	if r.st.First == 0 || t < r.st.First {
		r.st.First = t
	}
	if t > r.st.Last {
		r.st.Last = t
	}
	r.closeIdle()
	s := r.open[from]
	if s != nil && ct == ccapi.Connect {
		r.close(s, EndReconnect)
		s = nil
	}
	if s == nil {
		if len(r.open) >= r.o.MaxOpen {
			v := r.idle.Front().Value.(*open)
			r.problem(ProblemEvicted, v.s.Events[0].Line, "from %q closed with %d requests (--max-open %d)", v.s.From, len(v.s.Events), r.o.MaxOpen)
			r.close(v, EndEvicted)
		}
		s = &open{s: Session{From: from}, opened: r.maxT}
		s.el = r.idle.PushBack(s)
		if r.order != nil {
			s.oel = r.order.PushBack(s)
		}
		r.open[from] = s
		if len(r.open) > r.st.MaxOpen {
			r.st.MaxOpen = len(r.open)
		}
	} else {
		r.idle.MoveToBack(s.el)
	}
	if t > s.last {
		s.last = t
	}
	if len(s.s.Events) >= r.o.MaxEvents {
		s.s.Truncated++
		r.problem(ProblemTruncated, r.lineN, "from %q has more than %d requests (--max-events)", from, r.o.MaxEvents)
	} else {
		// Keep time order within the session (lines may be reordered within Reorder).
		evs := append(s.s.Events, ev)
		for i := len(evs) - 1; i > 0 && evs[i].T < evs[i-1].T; i-- {
			evs[i], evs[i-1] = evs[i-1], evs[i]
		}
		s.s.Events = evs
	}
	if ct == ccapi.Disconnect {
		r.close(s, EndDisconnect)
	}
}

// closeIdle closes the sessions idle for longer than Idle, measured back from the latest
// time seen less the reorder window (a late line may still belong to them).
func (r *reader) closeIdle() {
	cut := r.maxT - int64(r.o.Reorder) - int64(r.o.Idle)
	for e := r.idle.Front(); e != nil; e = r.idle.Front() {
		s := e.Value.(*open)
		if s.last >= cut {
			return
		}
		r.close(s, EndIdle)
	}
}

func (r *reader) close(s *open, why EndReason) {
	r.idle.Remove(s.el)
	if s.oel != nil {
		r.order.Remove(s.oel)
	}
	delete(r.open, s.s.From)
	s.s.End = why
	if len(s.s.Events) > 0 && s.s.Events[0].Control != ccapi.Connect {
		r.problem(ProblemNoConnect, s.s.Events[0].Line, "from %q starts with %s", s.s.From, s.s.Events[0].Control)
	}
	r.st.Sessions++
	if r.fn != nil {
		r.fn(&s.s)
	}
}

func (r *reader) time(raw []byte) (int64, error) {
	if raw == nil {
		return 0, errors.New("missing")
	}
	switch r.o.TimeFormat {
	case RFC3339:
		s, ok := str(raw)
		if !ok {
			return 0, errors.New("want an RFC 3339 string")
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return 0, fmt.Errorf("not RFC 3339: %q", s)
		}
		return t.UnixNano(), nil
	default:
		s := string(raw)
		if q, ok := str(raw); ok {
			s = q // a quoted number
		}
		unit := int64(1e6)
		if r.o.TimeFormat == EpochSeconds {
			unit = 1e9
		}
		v, ok := decimal(s, unit)
		if !ok {
			return 0, fmt.Errorf("want a positive number, got %s", raw)
		}
		return v, nil
	}
}

// decimal reads a positive decimal number exactly (float64 would lose the
// nanoseconds of an epoch time) and returns it times unit.
func decimal(s string, unit int64) (int64, bool) {
	ip, fp, _ := strings.Cut(s, ".")
	i, err := strconv.ParseInt(ip, 10, 64)
	if err != nil || i < 0 || i > math.MaxInt64/unit/2 {
		return 0, false
	}
	v := i * unit
	for _, c := range fp {
		if c < '0' || c > '9' {
			return 0, false
		}
		unit /= 10
		v += int64(c-'0') * unit
	}
	return v, v > 0
}

// Open opens a log for Read: "-" is standard input; gzip (by its magic bytes) is
// decompressed; a directory, a device or a socket is refused (a device may never end).
func Open(path string, stdin io.Reader) (io.ReadCloser, error) {
	var rc io.ReadCloser
	if path == "-" {
		rc = io.NopCloser(stdin)
	} else {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		switch m := fi.Mode(); {
		case m.IsDir():
			return nil, fmt.Errorf("%s is a directory; give the log file (or - for standard input)", path)
		case !m.IsRegular() && m&os.ModeNamedPipe == 0:
			return nil, fmt.Errorf("%s is not a regular file (mode %s); give the log file, or pipe it to - ", path, m.Type())
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		rc = f
	}
	br := bufio.NewReaderSize(rc, 64<<10)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			rc.Close()
			return nil, fmt.Errorf("%s: gzip: %v", path, err)
		}
		return readCloser{zr, func() error { zr.Close(); return rc.Close() }}, nil
	}
	return readCloser{br, rc.Close}, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }
