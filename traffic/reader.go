// Package traffic reads production traffic logs (JSON lines of accepted send
// requests, the shape `ccload mock --record` writes) in one streaming pass with
// bounded memory, cuts them into sessions, and analyses them for fit and logdiff.
package traffic

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
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
	// To and Channel are the channel configuration's keys: fit writes the values the log
	// carries into the scenario's channel section (absent: not counted).
	To, Channel string
}

// DefaultFields are the keys `ccload mock --record` writes.
var DefaultFields = Fields{Time: "received_ms", From: "from", ControlType: "controlType", MediaType: "mediaType", Content: "content",
	To: "to", Channel: "channel"}

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
	if o.Fields.To == "" {
		o.Fields.To = d.Fields.To
	}
	if o.Fields.Channel == "" {
		o.Fields.Channel = d.Fields.Channel
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
	// To and Channel count the values of the requests' channel configuration fields.
	To, Channel Tally
}

// tallyCap bounds the distinct values a Tally keeps.
const tallyCap = 64

// Tally counts the values of one field, at most tallyCap distinct ones (later new values are
// counted in Other), so a field that differs on every line does not grow memory.
type Tally struct {
	Counts map[string]int64
	Other  int64
	// Missing counts the requests without the field.
	Missing int64
}

func (t *Tally) add(raw []byte) {
	if raw == nil {
		t.Missing++
		return
	}
	if t.Counts == nil {
		t.Counts = map[string]int64{}
	}
	if len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 {
		if _, ok := t.Counts[string(raw[1:len(raw)-1])]; ok {
			t.Counts[string(raw[1:len(raw)-1])]++
			return
		}
	}
	v, ok := str(raw)
	if !ok {
		v = string(raw) // a number or another literal, as written
	}
	if _, ok := t.Counts[v]; ok || len(t.Counts) < tallyCap {
		t.Counts[v]++
		return
	}
	t.Other++
}

// Top is the most frequent value (ties: the least), its count, and the number of requests
// that carried the field.
func (t Tally) Top() (string, int64, int64) {
	var top string
	var n, all int64
	for v, k := range t.Counts {
		all += k
		if k > n || (k == n && v < top) {
			top, n = v, k
		}
	}
	return top, n, all + t.Other
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

// A log is given up early, before its end, when its first EarlyBadLines lines are all bad or
// its first RunawayLine bytes hold no line end: a file of another kind, or a stream that never
// ends (a device), is refused at once instead of being read to its end (a 4 GB gzip of bad
// lines took over a minute to be refused).
const (
	EarlyBadLines = 1000
	RunawayLine   = 16 << 20
)

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
	r.want = []string{f.Time, f.From, f.ControlType, f.MediaType, f.Content, f.To, f.Channel}
	r.raw = make([][]byte, len(r.want))
	br := bufio.NewReaderSize(in, lineBuf)
	var long bool
	var longBytes int
	for {
		chunk, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A line longer than the buffer: read on to its end, refusing it past maxLine.
			if !long {
				r.lineN++
				r.st.Lines++
				long = true
				longBytes = 0
			}
			longBytes += len(chunk)
			if r.st.Requests == 0 && longBytes > RunawayLine {
				r.bad(ProblemTooLongLine, "no line end in its first %d MB", RunawayLine>>20)
				return r.st, fmt.Errorf("%w: no line end in the first %d MB and no request before: not a log of JSON lines (or a stream that never ends)", ErrTooManyBad, RunawayLine>>20)
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
		if r.st.Requests == 0 && r.st.Bad >= EarlyBadLines && o.MaxBadShare < 1 {
			return r.st, fmt.Errorf("%w: the first %d lines are all bad; given up before the end", ErrTooManyBad, r.st.Bad)
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
	r.st.To.add(r.raw[5])
	r.st.Channel.add(r.raw[6])
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
// decompressed; a directory, a device or a socket is refused (a device may never end), and
// so is standard input that is a device. OpenContext with a background context.
func Open(path string, stdin io.Reader) (io.ReadCloser, error) {
	return OpenContext(context.Background(), path, stdin)
}

// FIFOWait is how long OpenContext waits for a writer of a named pipe to send something.
const FIFOWait = 3 * time.Second

// OpenContext is Open, stopped by ctx: a named pipe is opened without waiting for a writer, and
// refused when nothing comes through it within FIFOWait (no writer: it would block forever);
// every read of the returned log fails with ctx's error once ctx is done, and closing it
// unblocks a read waiting on a pipe.
func OpenContext(ctx context.Context, path string, stdin io.Reader) (io.ReadCloser, error) {
	var rc io.ReadCloser
	var in io.Reader
	if path == "-" {
		if f, ok := stdin.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeDevice != 0 {
				return nil, fmt.Errorf("standard input is a device (%s), not a log: it may never end; redirect a log file or pipe one in", fi.Mode().Type())
			}
		}
		rc = io.NopCloser(stdin)
		in = stdin
	} else {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		switch m := fi.Mode(); {
		case m.IsDir():
			return nil, fmt.Errorf("%s is a directory; give the log file (or - for standard input)", path)
		case m&os.ModeNamedPipe != 0:
			f, err := openFIFO(ctx, path)
			if err != nil {
				return nil, err
			}
			rc, in = f, f
		case !m.IsRegular():
			return nil, fmt.Errorf("%s is not a regular file (mode %s): it may never end; give the log file, or pipe it to - ", path, m.Type())
		default:
			f, err := os.Open(path)
			if err != nil {
				return nil, err
			}
			rc, in = f, f
		}
	}
	br := bufio.NewReaderSize(ctxReader{ctx, in}, 64<<10)
	magic, _ := br.Peek(2)
	if err := ctx.Err(); err != nil {
		rc.Close()
		return nil, err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			rc.Close()
			return nil, fmt.Errorf("%s: gzip: %v", path, err)
		}
		return readCloser{ctxReader{ctx, zr}, func() error { zr.Close(); return rc.Close() }}, nil
	}
	return readCloser{br, rc.Close}, nil
}

// openFIFO opens a named pipe without blocking until a writer opens it, and waits (at most
// FIFOWait, or until ctx is done) for its first bytes: with no writer a read ends at once,
// so a pipe with nothing in it yet is polled.
func openFIFO(ctx context.Context, path string) (*fifoFile, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	ff := &fifoFile{f: f}
	deadline := time.Now().Add(FIFOWait)
	buf := make([]byte, 64<<10)
	for {
		// A writer that opened the pipe but sends nothing makes a read wait: a short deadline
		// keeps ctx and FIFOWait in force.
		f.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, err := f.Read(buf)
		if n > 0 {
			f.SetReadDeadline(time.Time{})
			ff.head = buf[:n]
			return ff, nil
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = nil
		}
		if err != nil && err != io.EOF {
			f.Close()
			return nil, err
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("%s is a named pipe and nothing came through it within %s (no writer?); start its writer first, or pipe the log to - ", path, FIFOWait)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// fifoFile is a named pipe whose first bytes were read while waiting for its writer.
type fifoFile struct {
	f    *os.File
	head []byte
}

func (p *fifoFile) Read(b []byte) (int, error) {
	if len(p.head) > 0 {
		n := copy(b, p.head)
		p.head = p.head[n:]
		return n, nil
	}
	return p.f.Read(b)
}

func (p *fifoFile) Close() error { return p.f.Close() }

// ctxReader fails every read once ctx is done, so a log that streams without end (a pipe,
// a huge gzip) stops within one read of a signal.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }
