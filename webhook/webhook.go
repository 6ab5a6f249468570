// Package webhook is ccload's receiver for push mode: the platform POSTs each customer's
// downlink messages to the customer system's /webhooks/v1/messages as
// {"messages": [<downlink message>...], "timestamp": <ms>} and expects 200 {"resultCode":"0"}.
// The receiver routes every message to its virtual customer by `to` (a Router) and counts every
// callback and every message in exactly one outcome, so a test (or a report) can prove that no
// push was lost. Bad callbacks cost nothing: the body is read into a pooled buffer up to a size
// limit, connections are capped, and slow senders are cut by read timeouts.
package webhook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ccload/ccapi"
)

// DefaultPath is the path the platform calls (the reference's webhook path).
const DefaultPath = "/webhooks/v1/messages"

// Defaults of the receiver's bounds.
const (
	DefaultMaxBody  = 64 << 10 // a callback body larger than this is refused (413) unread
	DefaultMaxConns = 4096     // concurrent connections; more wait in the kernel's backlog
)

// Outcome is what became of one pushed message.
type Outcome uint8

// Message outcomes: every message of a well-formed callback ends in exactly one.
const (
	Matched    Outcome = iota // delivered to the live customer whose user id is its `to`
	Unknown                   // no customer of this run ever had that user id
	Duplicated                // the same message was already delivered to that customer (a platform retry)
	Late                      // the customer's session had already ended
	NumOutcomes
)

var outcomeNames = [...]string{"matched", "unknown", "duplicated", "late"}

// String returns the outcome's report key.
func (o Outcome) String() string { return outcomeNames[o] }

// Kind is the message's sourceType, for per-kind counts.
type Kind uint8

// Message kinds.
const (
	KindRobot Kind = iota
	KindAgent
	KindSystem
	KindOther
	NumKinds
)

// KindNames are the report keys of the kinds, lower-case sourceTypes.
var KindNames = [...]string{"robot", "agent", "system", "other"}

// KindOf classifies a message by its sourceType.
func KindOf(s ccapi.SourceType) Kind {
	switch s {
	case ccapi.SourceRobot:
		return KindRobot
	case ccapi.SourceAgent:
		return KindAgent
	case ccapi.SourceSystem:
		return KindSystem
	}
	return KindOther
}

// Router takes one pushed message received at t and says what became of it. It is called
// from the receiver's connection goroutines concurrently; m is valid only during the call.
type Router interface {
	Route(m *ccapi.DownlinkMessage, t time.Time) Outcome
}

// RouterFunc adapts a function to Router.
type RouterFunc func(m *ccapi.DownlinkMessage, t time.Time) Outcome

// Route calls f.
func (f RouterFunc) Route(m *ccapi.DownlinkMessage, t time.Time) Outcome { return f(m, t) }

// Fault is how a faulted callback is answered (Options.Fault).
type Fault uint8

// Fault kinds.
const (
	Fault500   Fault = iota // answer HTTP 500 without routing the messages (the platform should retry)
	FaultStall              // hold the answer for StallFor, then answer 500 (a receiver too slow to answer)
)

// Options configures a Server.
type Options struct {
	// Listen is the address to listen on (default 127.0.0.1:0); ignored by Serve.
	Listen string
	// Path is the callback path (default DefaultPath).
	Path string
	// MaxBody bounds a callback's body (default DefaultMaxBody): larger ones are answered 413.
	MaxBody int
	// MaxConns bounds concurrent connections (default DefaultMaxConns).
	MaxConns int
	// FaultRate is the share (0..1) of callbacks answered with Fault instead of being routed,
	// spread evenly (callback n is faulted when floor(n·rate) grows), so counts are exact.
	FaultRate float64
	Fault     Fault
	// StallFor is how long a FaultStall callback is held (default 2 s).
	StallFor time.Duration
	// HeaderTimeout cuts a connection whose request headers take longer (default 5 s);
	// ReadTimeout one whose whole request, body included, does (default 10 s): slow senders.
	HeaderTimeout, ReadTimeout time.Duration
	// Router receives every message of a well-formed callback that is not faulted.
	Router Router
	// Logf, when set, receives the server's operational messages.
	Logf func(format string, args ...any)
}

// Counts is what the receiver saw. Every callback (a request to the path) ends in exactly one
// of Accepted, Malformed, TooLarge, Faulted, Stalled, Abandoned; WrongMethod and NotFound count
// requests that were not callbacks. BadAuth counts the callbacks (of any outcome) without a
// well-formed auth-v2 Authorization header: the format is checked, the signature cannot be.
// Every message of an accepted callback ends in exactly one of Messages.
type Counts struct {
	Callbacks   int64
	Accepted    int64
	Malformed   int64
	TooLarge    int64
	Faulted     int64
	Stalled     int64
	Abandoned   int64 // the body could not be read whole (the sender went away or was too slow)
	BadAuth     int64
	WrongMethod int64
	NotFound    int64
	Messages    [NumOutcomes]int64
	Kinds       [NumKinds]int64 // the messages of accepted callbacks, by sourceType
	// Overflowed counts matched messages the customer never took: its router's mailbox was full,
	// and the oldest waiting message went (Server.Overflowed).
	Overflowed int64
}

// Server is a running receiver.
type Server struct {
	opts    Options
	ln      net.Listener
	http    *http.Server
	pool    sync.Pool
	sem     chan struct{}
	seq     atomic.Int64
	faulted atomic.Int64
	closing chan struct{}

	callbacks, accepted, malformed, tooLarge, faults, stalls, abandoned, badAuth, wrongMethod, notFound atomic.Int64
	messages                                                                                            [NumOutcomes]atomic.Int64
	kinds                                                                                               [NumKinds]atomic.Int64
	overflowed                                                                                          atomic.Int64
}

// Overflowed records that the Router dropped a message it had matched before its customer took
// it (a full mailbox), so the loss is counted in Counts.Overflowed rather than silent.
func (s *Server) Overflowed() { s.overflowed.Add(1) }

// New checks opts and returns a server that is not yet serving (see Listen, Serve).
func New(opts Options) (*Server, error) {
	if opts.Listen == "" {
		opts.Listen = "127.0.0.1:0"
	}
	if opts.Path == "" {
		opts.Path = DefaultPath
	}
	if !strings.HasPrefix(opts.Path, "/") {
		return nil, fmt.Errorf("webhook path %q: want a path starting with /", opts.Path)
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = DefaultMaxConns
	}
	if opts.FaultRate < 0 || opts.FaultRate > 1 {
		return nil, fmt.Errorf("webhook fault rate %v: want a share between 0 and 1", opts.FaultRate)
	}
	if opts.HeaderTimeout <= 0 {
		opts.HeaderTimeout = 5 * time.Second
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = 10 * time.Second
	}
	if opts.StallFor <= 0 {
		opts.StallFor = 2 * time.Second
	}
	if opts.Router == nil {
		opts.Router = RouterFunc(func(*ccapi.DownlinkMessage, time.Time) Outcome { return Unknown })
	}
	s := &Server{opts: opts, sem: make(chan struct{}, opts.MaxConns), closing: make(chan struct{})}
	s.pool.New = func() any { return new(callbackBuf) }
	return s, nil
}

// Start listens on opts.Listen and serves in the background.
func Start(opts Options) (*Server, error) {
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	ln, err := Listen(s.opts.Listen)
	if err != nil {
		return nil, err
	}
	s.Serve(ln)
	return s, nil
}

// Listen opens the receiver's TCP listener on addr. Its error speaks to the user: "cannot
// listen for webhooks on ADDR: REASON; choose another webhook.listen or --webhook-listen",
// where REASON is the system's word (permission denied, address already in use), not Go's
// "listen tcp ADDR: bind:" chain.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen for webhooks on %s: %s; choose another webhook.listen or --webhook-listen", addr, listenReason(err))
	}
	return ln, nil
}

// listenReason is the innermost useful text of a listen error: the system call's errno text,
// the address parser's or the resolver's complaint.
func listenReason(err error) string {
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err.Error()
	}
	var ae *net.AddrError
	if errors.As(err, &ae) {
		return ae.Err + " (want HOST:PORT, like 127.0.0.1:9090)"
	}
	var de *net.DNSError
	if errors.As(err, &de) {
		return "cannot resolve host " + de.Name + " (" + de.Err + ")"
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}

// Serve serves on ln in the background (ln is closed by Close).
func (s *Server) Serve(ln net.Listener) {
	s.ln = &limitListener{Listener: ln, sem: s.sem}
	s.http = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.opts.HeaderTimeout, // a sender that trickles headers is cut
		ReadTimeout:       s.opts.ReadTimeout,   // and one that trickles its body
		WriteTimeout:      s.opts.StallFor + 10*time.Second,
		IdleTimeout:       2 * time.Minute, // keep-alive: the platform reuses its connections
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() {
		if err := s.http.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) && s.opts.Logf != nil {
			s.opts.Logf("webhook: serve: %v", err)
		}
	}()
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the callback URL: http://ADDR/PATH.
func (s *Server) URL() string { return "http://" + s.Addr() + s.opts.Path }

// Close stops the server: open connections are closed, stalled answers released.
func (s *Server) Close() error {
	select {
	case <-s.closing:
		return nil
	default:
		close(s.closing)
	}
	if s.http == nil {
		return nil
	}
	return s.http.Close()
}

// Counts returns the counts so far.
func (s *Server) Counts() Counts {
	c := Counts{
		Callbacks: s.callbacks.Load(), Accepted: s.accepted.Load(), Malformed: s.malformed.Load(),
		TooLarge: s.tooLarge.Load(), Faulted: s.faults.Load(), Stalled: s.stalls.Load(),
		Abandoned: s.abandoned.Load(), BadAuth: s.badAuth.Load(), WrongMethod: s.wrongMethod.Load(),
		NotFound: s.notFound.Load(), Overflowed: s.overflowed.Load(),
	}
	for i := range c.Messages {
		c.Messages[i] = s.messages[i].Load()
	}
	for i := range c.Kinds {
		c.Kinds[i] = s.kinds[i].Load()
	}
	return c
}

// body is a callback's JSON: the messages and the platform's timestamp.
type body struct {
	Messages  []ccapi.DownlinkMessage `json:"messages"`
	Timestamp int64                   `json:"timestamp"`
}

var (
	okBody        = []byte(`{"resultCode":"0"}`)
	malformedBody = []byte(`{"resultCode":"1","resultDesc":"malformed callback body"}`)
	tooLargeBody  = []byte(`{"resultCode":"1","resultDesc":"callback body over the receiver's size limit (webhook.max_body)"}`)
	faultBody     = []byte(`{"resultCode":"1","resultDesc":"injected receiver fault"}`)
)

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != s.opts.Path {
		s.notFound.Add(1)
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		s.wrongMethod.Add(1)
		w.Header().Set("Allow", http.MethodPost)
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	t := time.Now()
	s.callbacks.Add(1)
	if !AuthWellFormed(r.Header.Get("Authorization")) {
		s.badAuth.Add(1)
	}
	if r.ContentLength > int64(s.opts.MaxBody) {
		s.tooLarge.Add(1)
		w.Header().Set("Connection", "close") // the body is not read: the connection cannot be reused
		write(w, http.StatusRequestEntityTooLarge, tooLargeBody)
		return
	}
	cb := s.pool.Get().(*callbackBuf)
	defer s.release(cb)
	buf := &cb.buf
	buf.Reset()
	cb.lim = io.LimitedReader{R: r.Body, N: int64(s.opts.MaxBody) + 1}
	n, err := buf.ReadFrom(&cb.lim)
	cb.lim.R = nil
	switch {
	case err != nil:
		s.abandoned.Add(1)
		return
	case n > int64(s.opts.MaxBody):
		s.tooLarge.Add(1)
		w.Header().Set("Connection", "close")
		write(w, http.StatusRequestEntityTooLarge, tooLargeBody)
		return
	}
	if s.fault() {
		if s.opts.Fault == FaultStall {
			s.stalls.Add(1)
			tm := time.NewTimer(s.opts.StallFor)
			select {
			case <-tm.C:
			case <-r.Context().Done():
			case <-s.closing:
			}
			tm.Stop()
		} else {
			s.faults.Add(1)
		}
		write(w, http.StatusInternalServerError, faultBody)
		return
	}
	b := &cb.body
	if !decode(buf.Bytes(), b) {
		s.malformed.Add(1)
		write(w, http.StatusBadRequest, malformedBody)
		return
	}
	s.accepted.Add(1)
	for i := range b.Messages {
		m := &b.Messages[i]
		s.kinds[KindOf(m.SourceType)].Add(1)
		s.messages[s.opts.Router.Route(m, t)].Add(1)
	}
	write(w, http.StatusOK, okBody)
}

// callbackBuf is what one callback needs, pooled: the body's buffer, its reader and the
// decoded messages (whose strings are not reused: a Router may keep them).
type callbackBuf struct {
	buf  bytes.Buffer
	lim  io.LimitedReader
	body body
}

// release returns a callback's buffers to the pool unless a huge body grew them.
func (s *Server) release(cb *callbackBuf) {
	if cb.buf.Cap() > 2*s.opts.MaxBody+4096 || cap(cb.body.Messages) > 64 {
		return
	}
	clear(cb.body.Messages[:cap(cb.body.Messages)]) // drop the strings: the pool must not pin old bodies
	cb.body.Messages = cb.body.Messages[:0]
	s.pool.Put(cb)
}

// fault says whether this callback is faulted: callback n (from 1) is when floor(n·rate) grows.
func (s *Server) fault() bool {
	if s.opts.FaultRate <= 0 {
		return false
	}
	n := s.seq.Add(1)
	want := int64(float64(n) * s.opts.FaultRate)
	for {
		got := s.faulted.Load()
		if got >= want {
			return false
		}
		if s.faulted.CompareAndSwap(got, got+1) {
			return true
		}
	}
}

// jsonType is the Content-Type of every answer, shared (net/http only reads it).
var jsonType = []string{"application/json"}

func write(w http.ResponseWriter, status int, b []byte) {
	w.Header()["Content-Type"] = jsonType // canonical key: no Set (it canonicalizes and allocates)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// AuthWellFormed checks the form of the platform's Authorization header:
// auth-v2/{accessKey}/{timestamp}/{SignedHeaders}[/{signature}], every part non-empty and
// without spaces. The signing algorithm is not published, so the signature cannot be checked.
func AuthWellFormed(h string) bool {
	rest, ok := strings.CutPrefix(h, "auth-v2/")
	if !ok {
		return false
	}
	part, n := 0, 0 // the part being read (0 accessKey, 1 timestamp, 2 SignedHeaders, 3 signature) and its length
	for i := 0; i < len(rest); i++ {
		switch c := rest[i]; {
		case c == ' ' || c == '\t':
			return false
		case c == '/':
			if n == 0 || part == 3 {
				return false
			}
			part, n = part+1, 0
		case part == 1 && !(c >= '0' && c <= '9' || c == 'T' || c == 'Z' || c == ':' || c == '-' || c == '.' || c == '+'):
			return false // the timestamp: digits, or an ISO 8601 form
		default:
			n++
		}
	}
	return part >= 2 && n > 0
}

// limitListener caps concurrent connections: Accept waits for a free slot.
type limitListener struct {
	net.Listener
	sem chan struct{}
}

func (l *limitListener) Accept() (net.Conn, error) {
	l.sem <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, sem: l.sem}, nil
}

type limitConn struct {
	net.Conn
	sem  chan struct{}
	once sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { <-c.sem })
	return err
}
