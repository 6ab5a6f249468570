package h1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// readBufSize is each connection's read buffer; it bounds one header line.
const readBufSize = 8 << 10

// maxHeaderBytes bounds a response's header block.
const maxHeaderBytes = 64 << 10

// bigBody is the request body size past which Do writes headers and body
// separately instead of copying the body into the connection's buffer.
const bigBody = 64 << 10

// errNotWritten marks a failure that happened before any byte of the request
// left, so the request can be retried on another connection.
var errNotWritten = errors.New("h1: request not written")

// aLongTimeAgo is a deadline in the past: setting it aborts blocked I/O.
var aLongTimeAgo = time.Unix(1, 0)

// conn is one pooled connection. Only the goroutine that acquired it uses it,
// except for the client's watch loop, which takes mu.
type conn struct {
	c    *Client
	nc   net.Conn        // plain TCP or *tls.Conn
	raw  syscall.RawConn // the TCP socket, for the idle liveness check; may be nil
	tls  bool
	br   *bufio.Reader
	wbuf []byte

	// The method, path and headers last found valid (see check).
	okMethod, okPath string
	okHeader         [][2]string

	hasDeadline bool // a deadline is set on nc
	ctxDeadline bool // that deadline is ctx's
	reused      bool // came from the idle pool
	closeAfter  bool // the last exchange asked to close the connection
	noAnswer    bool // the last exchange failed before any byte of the answer, not by a timeout

	// Liveness check results, written by peekFn.
	peekN   int
	peekErr syscall.Errno
	peekBuf [1]byte
	peekFn  func(fd uintptr) bool

	// The write-then-wait exchange of plain TCP on Linux (see sendWait).
	peekDue  bool // alive deferred its peek to sendWait, just before the write
	sendBuf  []byte
	sendN    int
	sendErr  syscall.Errno
	sendDead bool // the deferred peek found the connection closed or not quiet
	sendDone bool // the request is written: the next call of sendFn is the wake-up
	sendFn   func(fd uintptr) bool

	mu      sync.Mutex      // guards ctx and aborted
	ctx     context.Context // the ctx of the exchange in flight, for Client.watchLoop
	aborted bool            // the watch loop set a past deadline during this exchange
	slot    int             // index in Client.conns; guarded by Client.connsMu
}

func newConn(c *Client, nc net.Conn) *conn {
	cn := &conn{c: c, nc: nc, br: bufio.NewReaderSize(nc, readBufSize), wbuf: make([]byte, 0, 1024),
		okHeader: make([][2]string, 0, 8)}
	if sc, ok := nc.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			cn.raw = raw
		}
	}
	cn.peekFn = cn.peek
	cn.sendFn = cn.sendWaitFn
	return cn
}

func (cn *conn) setTLS(tc net.Conn) {
	cn.nc, cn.tls = tc, true
	cn.br.Reset(tc)
}

func (cn *conn) close() {
	cn.nc.Close()
}

// alive reports whether an idle connection can take a request: it looks,
// without blocking or consuming, for a close or stray bytes from the server.
// It runs on every reuse: a server may close a connection right after an
// answer, without Connection: close, and a request written on it would fail
// for nothing. It costs one non-blocking system call.
func (cn *conn) alive() bool {
	if cn.br.Buffered() > 0 {
		return false // bytes nobody asked for
	}
	if cn.c.noAliveCheck {
		return true
	}
	if cn.raw == nil {
		return !cn.tls || cn.tlsQuiet(aLongTimeAgo)
	}
	if fastSend && !cn.tls {
		cn.peekDue = true // writeRequest peeks just before it writes (sendWait: in the same poller call)
		return true
	}
	return cn.peekAlive()
}

// peekAlive is alive's socket peek, for a connection whose br holds nothing.
func (cn *conn) peekAlive() bool {
	cn.peekN, cn.peekErr = 0, 0
	if err := cn.raw.Read(cn.peekFn); err != nil {
		return false
	}
	switch {
	case cn.peekErr == syscall.EAGAIN || cn.peekErr == syscall.EWOULDBLOCK:
		// Nothing on the socket: open and quiet, unless crypto/tls read a
		// close_notify (or data) ahead with the last answer. Checked after
		// the peek: the past deadline would fail the peek too.
		return !cn.tls || cn.tlsQuiet(aLongTimeAgo)
	case cn.peekErr != 0:
		return false // reset
	case cn.peekN == 0:
		return false // the server closed it
	case !cn.tls:
		return false // bytes nobody asked for
	default:
		return cn.tlsQuiet(time.Now().Add(5 * time.Millisecond))
	}
}

// tlsQuiet tells what an idle TLS connection holds: nothing, or a session
// ticket (consumed by crypto/tls: the connection stays good), or a
// close_notify or data nobody asked for (it does not). With a deadline in the
// past it only looks at records crypto/tls has already read ahead, without a
// system call; with a short one it reads a record the socket peek saw (it is
// there, so the read returns at once; the deadline bounds a record cut in
// two). A read timeout leaves a tls.Conn usable.
//
//go:noinline
func (cn *conn) tlsQuiet(deadline time.Time) bool {
	cn.nc.SetReadDeadline(deadline)
	cn.hasDeadline = true // roundTrip sets or clears it before the next exchange
	_, err := cn.br.Peek(1)
	var ne net.Error
	return err != nil && errors.As(err, &ne) && ne.Timeout()
}

// watch publishes the exchange's ctx to the Client's watch loop, which aborts
// the exchange if ctx is cancelled.
//
// Subtleness ahead: this replaces context.AfterFunc, which allocates and
// registers with ctx's parent on every call whose ctx differs from the last
// one (every call, for callers that bound each call with its own context).
// The watch loop costs two uncontended locks per exchange and, while any
// exchange is in flight, a scan of the open connections every watchInterval
// (with none in flight it sleeps; the exchange that ends that wakes it);
// the price is that a cancellation takes up to watchInterval to abort an
// exchange.
func (cn *conn) watch(ctx context.Context) {
	// ctx.Done() would tell a ctx that is never cancelled, but it allocates
	// the channel of a fresh context; Err, which the loop calls, does not.
	cn.mu.Lock()
	cn.ctx = ctx
	cn.mu.Unlock()
	if cn.c.watched.Add(1) == 1 {
		select { // wake the loop if it sleeps; a wake already pending will do
		case cn.c.wake <- struct{}{}:
		default:
		}
	}
}

// unwatch withdraws the exchange's ctx, so a later cancellation leaves the
// connection alone, and reports whether the watch loop aborted the exchange.
func (cn *conn) unwatch() (aborted bool) {
	cn.mu.Lock()
	cn.ctx = nil
	aborted, cn.aborted = cn.aborted, false
	cn.mu.Unlock()
	cn.c.watched.Add(-1)
	return aborted
}

// abortIfCancelled aborts the exchange in flight when its ctx is done; the watch loop calls it.
func (cn *conn) abortIfCancelled() {
	cn.mu.Lock()
	if cn.ctx != nil && cn.ctx.Err() != nil {
		cn.nc.SetDeadline(aLongTimeAgo)
		cn.ctx, cn.aborted = nil, true
	}
	cn.mu.Unlock()
}

// roundTrip writes req and reads the response into resp.
func (cn *conn) roundTrip(ctx context.Context, now time.Time, req *Request, resp *Response) error {
	cn.noAnswer = false
	var dl time.Time
	if cn.c.timeout > 0 {
		dl = now.Add(cn.c.timeout)
	}
	cn.ctxDeadline = false
	d, hasCtxDeadline := ctx.Deadline()
	if hasCtxDeadline && (dl.IsZero() || d.Before(dl)) {
		dl, cn.ctxDeadline = d, true
	}
	if !dl.IsZero() || cn.hasDeadline {
		if err := cn.nc.SetDeadline(dl); err != nil {
			return &Error{Op: "write", Err: fmt.Errorf("%w: %w", errNotWritten, err)}
		}
		cn.hasDeadline = !dl.IsZero()
	}
	cn.watch(ctx)
	err := cn.writeRequest(req)
	if err == nil {
		err = cn.readResponse(req, resp)
	} else if !errors.Is(err, errNotWritten) {
		err = cn.earlyAnswer(req, resp, err)
	}
	if cn.unwatch() {
		// Cancelled just as the exchange completed: the answer is good, but
		// the connection now has a deadline in the past. Do not reuse it.
		cn.closeAfter = true
	}
	return err
}

// earlyAnswer reads the answer a server may have sent before it stopped
// reading the request (a 413 during a large upload, then a close that resets
// the unread rest): that answer, not the write error, is what the server
// said. The connection is not reused. Without one, writeErr stands; the
// exchange's deadline bounds the read as it bounded the write.
//
//go:noinline
func (cn *conn) earlyAnswer(req *Request, resp *Response, writeErr error) error {
	if err := cn.readResponse(req, resp); err != nil {
		resp.Status, resp.Body = 0, resp.Body[:0]
		return writeErr
	}
	cn.closeAfter = true
	return nil
}

// check rejects a request that cannot be written as is (a CR or LF in a
// header would let a value inject headers). The strings last found valid on
// this connection are not scanned again: comparing a string with itself is a
// pointer check, so a shared bearer token or app key is checked once per
// connection, not once per call.
func (cn *conn) check(req *Request) error {
	if req.Method != cn.okMethod {
		if req.Method != "" && !validToken(req.Method) {
			return &Error{Op: "write", Err: ErrInvalidRequest, NotWritten: true}
		}
		cn.okMethod = req.Method
	}
	if req.Path != cn.okPath {
		if p := req.Path; p != "" && (!validPath(p) || p[0] != '/' && p != "*") {
			return &Error{Op: "write", Err: ErrInvalidRequest, NotWritten: true}
		}
		cn.okPath = req.Path
	}
	for i := range req.Header {
		if i < len(cn.okHeader) && sameString(cn.okHeader[i][0], req.Header[i][0]) &&
			sameString(cn.okHeader[i][1], req.Header[i][1]) {
			continue
		}
		if !validToken(req.Header[i][0]) || !validValue(req.Header[i][1]) {
			return &Error{Op: "write", Err: ErrInvalidRequest, NotWritten: true}
		}
		if i < len(cn.okHeader) {
			cn.okHeader[i] = req.Header[i]
		} else if i < cap(cn.okHeader) {
			cn.okHeader = append(cn.okHeader, req.Header[i])
		}
	}
	return nil
}

// sameString is a == b, answered without a call when both are the same bytes (the header
// names are constants and the tokens shared strings, so that is the common case).
func sameString(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	return len(a) == 0 || unsafe.StringData(a) == unsafe.StringData(b) || a == b
}

// writeRequest writes a request that check accepted.
func (cn *conn) writeRequest(req *Request) error {
	cn.closeAfter = false
	method, path := req.Method, req.Path
	if method == "" {
		method = "GET"
	}
	if path == "" {
		path = "/"
	}
	b := cn.wbuf[:0]
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, cn.c.host...)
	b = append(b, "\r\n"...)
	hasUA := false
	for i := range req.Header {
		name, val := req.Header[i][0], req.Header[i][1]
		if len(name) == len("Connection") {
			if equalFoldSS(name, "Connection") && equalFoldSS(val, "close") {
				cn.closeAfter = true
			}
			hasUA = hasUA || equalFoldSS(name, "User-Agent")
		}
		b = append(b, name...)
		b = append(b, ": "...)
		b = append(b, val...)
		b = append(b, "\r\n"...)
	}
	if !hasUA {
		b = append(b, "User-Agent: "...)
		b = append(b, cn.c.userAgent...)
		b = append(b, "\r\n"...)
	}
	if req.Body != nil || method == "POST" || method == "PUT" || method == "PATCH" {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(req.Body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	big := len(req.Body) > bigBody
	if !big {
		b = append(b, req.Body...)
	}
	cn.wbuf = b
	if fastSend && !big && cn.raw != nil && !cn.tls {
		return cn.sendWait(b)
	}
	if cn.peekDue {
		if cn.peekDue = false; !cn.peekAlive() {
			return errStale
		}
	}

	n, err := cn.nc.Write(b)
	if err == nil && big {
		_, err = cn.nc.Write(req.Body)
		n++
	}
	if err != nil {
		if n == 0 {
			err = fmt.Errorf("%w: %w", errNotWritten, err)
		}
		return &Error{Op: "write", Err: err}
	}
	return nil
}

// errStale is what sendWait returns when the liveness peek it runs before the
// write finds the idle connection closed (or holding bytes nobody asked for):
// nothing was written, and Do takes another connection, as acquire would have.
var errStale = fmt.Errorf("%w: idle connection closed by the server", errNotWritten)

// sendWait writes a request on a plain TCP connection and waits until its
// answer is readable, in one call of the runtime poller: it saves the read
// that would find nothing yet (EAGAIN) after a write and park. It also runs
// the reuse liveness peek (see alive) right before the write. The wait
// starts before the write, so an answer arriving at once cannot be missed
// (the poller's readiness is cleared before, not after, the request leaves).
// A failed wait (deadline, abort, close) is left to readResponse, whose
// first read reports it as it always did.
func (cn *conn) sendWait(b []byte) error {
	cn.sendBuf, cn.sendN, cn.sendErr, cn.sendDead, cn.sendDone = b, 0, 0, false, false
	err := cn.raw.Read(cn.sendFn)
	cn.peekDue, cn.sendBuf = false, nil
	switch {
	case cn.sendDead:
		return errStale
	case cn.sendErr != 0:
		return cn.sendError(os.NewSyscallError("write", cn.sendErr))
	case cn.sendN < len(b):
		if err != nil && cn.sendN == 0 {
			return cn.sendError(err) // the poller refused before the write: closed, or deadline passed
		}
		// The socket took part of it (or would have blocked): write the rest the usual way.
		if _, err := cn.nc.Write(b[cn.sendN:]); err != nil {
			return &Error{Op: "write", Err: err}
		}
	}
	return nil
}

// sendError is the error of a write that failed; nothing left if sendN is 0.
//
//go:noinline
func (cn *conn) sendError(err error) error {
	if cn.sendN == 0 {
		err = fmt.Errorf("%w: %w", errNotWritten, err)
	}
	return &Error{Op: "write", Err: err}
}

func (cn *conn) readResponse(req *Request, resp *Response) error {
	resp.Status = 0
	resp.Body = resp.Body[:0]
	resp.head = resp.head[:0]
	first := true
	informational := 0

	var (
		length          = int64(-1)
		chunked, http10 bool
		hasTE           bool // a Transfer-Encoding header, chunked or not
		connClose       bool
		connKeepAlive   bool
	)
	for {
		line, err := cn.readLine(first)
		if err != nil {
			return err
		}
		first = false
		status, v10, ok := parseStatusLine(line)
		if !ok {
			return malformed("status line", line)
		}
		resp.Status, http10 = status, v10
		resp.head = resp.head[:0]
		length, chunked, hasTE, connClose, connKeepAlive = -1, false, false, false, false
		for {
			line, err := cn.readLine(false)
			if err != nil {
				return err
			}
			if len(line) == 0 {
				break
			}
			if len(resp.head)+len(line) > maxHeaderBytes {
				return malformed("header block over 64 KiB", nil)
			}
			colon := bytes.IndexByte(line, ':')
			if colon <= 0 {
				return malformed("header line", line)
			}
			resp.head = append(append(resp.head, line...), '\n')
			name, val := line[:colon], trimOWS(line[colon+1:])
			switch len(name) {
			case len("Content-Length"):
				if equalFoldBS(name, "Content-Length") {
					n, ok := parseSize(val, 10)
					if !ok || length >= 0 && n != length {
						return malformed("Content-Length", val)
					}
					length = n
				}
			case len("Transfer-Encoding"):
				if equalFoldBS(name, "Transfer-Encoding") {
					chunked, hasTE = hasToken(val, "chunked"), true
				}
			case len("Connection"):
				if equalFoldBS(name, "Connection") {
					connClose = connClose || hasToken(val, "close")
					connKeepAlive = connKeepAlive || hasToken(val, "keep-alive")
				}
			}
		}
		// 1xx answers precede the real one (101 is not expected: no upgrades asked).
		if status >= 100 && status < 200 && status != 101 {
			if informational++; informational > maxInformational {
				return malformed("over 100 informational (1xx) answers", nil)
			}
			continue
		}
		break
	}
	status := resp.Status
	// A connection whose framing cannot be trusted is closed after this
	// answer, never reused (as net/http does): a 101 (the server now speaks
	// another protocol), both Transfer-Encoding and Content-Length (RFC 9112
	// 6.1: a smuggling pattern), a 204 that announces a body, and bytes left
	// in the buffer after the answer (a Content-Length shorter than the body,
	// or an answer nobody asked for): they would be read as the next answer.
	if connClose || http10 && !connKeepAlive || status == 101 || hasTE && length >= 0 ||
		status == 204 && (hasTE || length > 0) {
		cn.closeAfter = true
	}
	var err error
	switch {
	case req.Method == "HEAD" || status == 204 || status == 304 || status < 200:
	case chunked:
		err = cn.readChunked(resp)
	case length >= 0 && !hasTE:
		if length > int64(cn.c.maxBody) {
			return tooLarge(length)
		}
		n := int(length)
		resp.Body = slices.Grow(resp.Body[:0], n)[:n]
		if _, err := io.ReadFull(cn.br, resp.Body); err != nil {
			resp.Body = resp.Body[:0]
			return &Error{Op: "read", Err: eofToUnexpected(err)}
		}
	default:
		// No length, or a coding other than chunked last: the body runs
		// until the server closes the connection.
		cn.closeAfter = true
		err = cn.readToEOF(resp)
	}
	if err == nil && cn.br.Buffered() > 0 {
		cn.closeAfter = true
	}
	return err
}

// readLine returns one line without its CRLF (or LF). The slice aliases the
// read buffer. A close before any byte of the response is io.EOF; a close
// within it is io.ErrUnexpectedEOF.
func (cn *conn) readLine(first bool) ([]byte, error) {
	line, err := cn.br.ReadSlice('\n')
	if err != nil {
		if first && len(line) == 0 {
			var ne net.Error
			cn.noAnswer = !(errors.As(err, &ne) && ne.Timeout())
		}
		switch {
		case err == bufio.ErrBufferFull:
			err = fmt.Errorf("%w: line over %d bytes", ErrMalformed, readBufSize)
		case err == io.EOF && (!first || len(line) > 0):
			err = io.ErrUnexpectedEOF
		}
		return nil, &Error{Op: "read", Err: err}
	}
	line = line[:len(line)-1]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, nil
}

func (cn *conn) readChunked(resp *Response) error {
	for {
		line, err := cn.readLine(false)
		if err != nil {
			return err
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i] // chunk extensions
		}
		size, ok := parseSize(bytes.TrimRight(line, " \t"), 16)
		if !ok {
			return malformed("chunk size", line)
		}
		if size == 0 {
			for { // trailers, then the empty line
				t, err := cn.readLine(false)
				if err != nil {
					return err
				}
				if len(t) == 0 {
					return nil
				}
			}
		}
		if int64(len(resp.Body))+size > int64(cn.c.maxBody) {
			return &Error{Op: "read", Err: ErrBodyTooLarge}
		}
		n, m := len(resp.Body), int(size)
		resp.Body = slices.Grow(resp.Body, m)[:n+m]
		if _, err := io.ReadFull(cn.br, resp.Body[n:]); err != nil {
			return &Error{Op: "read", Err: eofToUnexpected(err)}
		}
		crlf, err := cn.readLine(false)
		if err != nil {
			return err
		}
		if len(crlf) != 0 {
			return malformed("chunk not followed by CRLF", nil)
		}
	}
}

func (cn *conn) readToEOF(resp *Response) error {
	for {
		if len(resp.Body) == cap(resp.Body) {
			resp.Body = slices.Grow(resp.Body, 4096)
		}
		n, err := cn.br.Read(resp.Body[len(resp.Body):cap(resp.Body)])
		resp.Body = resp.Body[:len(resp.Body)+n]
		if len(resp.Body) > cn.c.maxBody {
			return &Error{Op: "read", Err: ErrBodyTooLarge}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return &Error{Op: "read", Err: err}
		}
	}
}

// malformed is the error of a response that breaks HTTP/1.1, quoting the
// offending bytes. Error paths live in small functions of their own so the
// hot functions' stack frames stay small: every virtual customer's goroutine
// carries them while it waits for an answer.
//
//go:noinline
func malformed(what string, b []byte) error {
	if b == nil {
		return &Error{Op: "read", Err: fmt.Errorf("%w: %s", ErrMalformed, what)}
	}
	return &Error{Op: "read", Err: fmt.Errorf("%w: %s %q", ErrMalformed, what, trim(b))}
}

// tooLarge is the error of a Content-Length over MaxResponseBytes.
//
//go:noinline
func tooLarge(n int64) error {
	return &Error{Op: "read", Err: fmt.Errorf("%w: Content-Length %d", ErrBodyTooLarge, n)}
}

func eofToUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseStatusLine parses "HTTP/1.x SSS reason"; SSS is 100 to 999.
func parseStatusLine(line []byte) (status int, http10, ok bool) {
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || line[8] != ' ' {
		return 0, false, false
	}
	if len(line) > 12 && line[12] != ' ' {
		return 0, false, false
	}
	for _, d := range line[9:12] {
		if d < '0' || d > '9' {
			return 0, false, false
		}
		status = status*10 + int(d-'0')
	}
	if status < 100 {
		return 0, false, false // RFC 9110 15: the first digit is the class, 1 to 5 (6-9 are tolerated as unknown classes)
	}
	return status, line[7] == '0', true
}

// parseSize parses a non-negative decimal or hexadecimal size without allocating.
func parseSize(b []byte, base int64) (int64, bool) {
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		var d int64
		switch {
		case c >= '0' && c <= '9':
			d = int64(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = int64(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = int64(c-'A') + 10
		default:
			return 0, false
		}
		n = n*base + d
	}
	return n, true
}

// hasToken reports whether a comma-separated header value holds tok (case-insensitive).
func hasToken(v []byte, tok string) bool {
	for len(v) > 0 {
		var item []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			item, v = v, nil
		}
		if equalFoldBS(bytes.TrimSpace(item), tok) {
			return true
		}
	}
	return false
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFoldBS is ASCII case-insensitive equality of a byte slice and a string.
func equalFoldBS(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

func equalFoldSS(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

// validToken reports whether s is a non-empty HTTP token (method or header name).
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == ':' || c == '(' || c == ')' || c == ',' || c == '/' ||
			c == ';' || c == '<' || c == '=' || c == '>' || c == '?' || c == '@' || c == '[' ||
			c == '\\' || c == ']' || c == '{' || c == '}' || c == '"' {
			return false
		}
	}
	return true
}

// validValue reports whether s can go on a request or header line: no CR, LF or NUL.
func validValue(s string) bool {
	for i := range len(s) {
		if c := s[i]; c == '\r' || c == '\n' || c == 0 {
			return false
		}
	}
	return true
}

// validPath reports whether s can be a request target: printable ASCII, no spaces.
func validPath(s string) bool {
	for i := range len(s) {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// trimOWS trims the optional white space around a header value.
func trimOWS(v []byte) []byte {
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		v = v[1:]
	}
	for len(v) > 0 && (v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
		v = v[:len(v)-1]
	}
	return v
}

// trim shortens a line quoted in an error message.
func trim(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}
