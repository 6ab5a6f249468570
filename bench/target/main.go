// Command target is the benchmark target of `make bench`: the least work that
// answers POST /apiaccess/ccmessaging/sendAsync with the documented body, so
// the generator, not the target, is what a benchmark measures.
//
// It speaks HTTP/1.1 on raw sockets (one goroutine per connection, keep-alive,
// pipelining-safe, Content-Length and chunked request bodies) instead of
// net/http, which does several times more work per request. It counts the
// connections it accepted and the most it held at once, so a benchmark can
// prove that a generator kept its connections bounded and reused them:
// GET /stats returns them as JSON (GET /reset does too, after restarting the
// high-water mark of open connections), and they are printed to stderr on exit.
//
//	go run ./bench/target --addr 127.0.0.1:18090 --delay 20ms
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// sendAsyncPath is the only path that gets the success body.
const sendAsyncPath = "/apiaccess/ccmessaging/sendAsync"

// okBody is the reference document's sendAsync success body.
const okBody = `{"resultCode":"0","resultDesc":"send sendMessageForOpenApiAsync success."}`

var (
	okResponse = []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: " +
		strconv.Itoa(len(okBody)) + "\r\n\r\n" + okBody)
	notFoundResponse = []byte("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
	badResponse      = []byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
)

// stats are the target's counters; every field is updated atomically.
type stats struct {
	accepted atomic.Int64 // connections accepted since start
	open     atomic.Int64 // connections open now
	maxOpen  atomic.Int64 // most connections open at once
	requests atomic.Int64 // sendAsync requests answered
	bodies   atomic.Int64 // sendAsync request body bytes received
}

func (s *stats) json() []byte {
	return fmt.Appendf(nil, `{"conns_accepted":%d,"conns_open":%d,"conns_max":%d,"requests":%d,"body_bytes":%d}`,
		s.accepted.Load(), s.open.Load(), s.maxOpen.Load(), s.requests.Load(), s.bodies.Load())
}

func main() {
	addr := flag.String("addr", "127.0.0.1:18090", "listen address (loopback)")
	delay := flag.Duration("delay", 0, "fixed delay before each sendAsync answer")
	flag.Parse()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "target:", err)
		os.Exit(2)
	}
	fmt.Printf("target: listening on %s (delay %s)\n", ln.Addr(), *delay)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st := &stats{}
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			fmt.Fprintln(os.Stderr, "target: accept:", err)
			time.Sleep(10 * time.Millisecond) // EMFILE and friends: do not spin
			continue
		}
		st.accepted.Add(1)
		n := st.open.Add(1)
		for m := st.maxOpen.Load(); n > m && !st.maxOpen.CompareAndSwap(m, n); m = st.maxOpen.Load() {
		}
		go func() {
			serve(c, *delay, st)
			c.Close()
			st.open.Add(-1)
		}()
	}
	fmt.Fprintf(os.Stderr, "target: %s\n", st.json())
}

// serve answers the requests of one connection until it closes or asks to.
// Answers are buffered and flushed when no further (pipelined) request is
// already buffered, so a pipelining client gets one write per batch.
func serve(c net.Conn, delay time.Duration, st *stats) {
	br := bufio.NewReaderSize(c, 8<<10)
	bw := bufio.NewWriterSize(c, 8<<10)
	for {
		path, keep, n, err := readRequest(br)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				bw.Write(badResponse)
				bw.Flush()
			}
			return
		}
		switch {
		case path == sendAsyncPath:
			if delay > 0 {
				time.Sleep(delay)
			}
			bw.Write(okResponse)
			st.requests.Add(1)
			st.bodies.Add(n)
		case path == "/stats" || path == "/reset":
			if path == "/reset" { // restart the high-water mark of open connections
				st.maxOpen.Store(st.open.Load())
			}
			body := st.json()
			fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		default:
			bw.Write(notFoundResponse)
		}
		if !keep {
			bw.Flush()
			return
		}
		if br.Buffered() == 0 {
			if bw.Flush() != nil {
				return
			}
		}
	}
}

var errBadRequest = errors.New("bad request")

// readRequest reads one request, discarding its body, and returns its path
// (one of the known ones, or "other"), whether the connection stays open and
// the body's size.
func readRequest(br *bufio.Reader) (path string, keep bool, size int64, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		if len(line) == 0 && errors.Is(err, io.EOF) {
			return "", false, 0, io.EOF
		}
		return "", false, 0, errBadRequest
	}
	// METHOD SP PATH SP HTTP/1.x
	sp1 := bytes.IndexByte(line, ' ')
	if sp1 < 0 {
		return "", false, 0, errBadRequest
	}
	rest := line[sp1+1:]
	sp2 := bytes.IndexByte(rest, ' ')
	if sp2 < 0 {
		return "", false, 0, errBadRequest
	}
	target := rest[:sp2]
	if q := bytes.IndexByte(target, '?'); q >= 0 {
		target = target[:q]
	}
	// Compare against the known paths without converting to a string (no allocation).
	switch {
	case string(target) == sendAsyncPath:
		path = sendAsyncPath
	case string(target) == "/stats":
		path = "/stats"
	case string(target) == "/reset":
		path = "/reset"
	default:
		path = "other"
	}
	keep = !bytes.HasPrefix(rest[sp2+1:], []byte("HTTP/1.0"))

	length, chunked := int64(0), false
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return "", false, 0, errBadRequest
		}
		if len(h) <= 2 { // the empty line
			break
		}
		colon := bytes.IndexByte(h, ':')
		if colon < 0 {
			return "", false, 0, errBadRequest
		}
		name, val := h[:colon], bytes.TrimSpace(h[colon+1:])
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, ok := parseUint(val, 10)
			if !ok {
				return "", false, 0, errBadRequest
			}
			length = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(val, []byte("chunked"))
		case bytes.EqualFold(name, []byte("Connection")):
			if bytes.EqualFold(val, []byte("close")) {
				keep = false
			} else if bytes.EqualFold(val, []byte("keep-alive")) {
				keep = true
			}
		}
	}
	if chunked {
		n, err := discardChunked(br)
		return path, keep, n, err
	}
	if _, err := br.Discard(int(length)); err != nil {
		return "", false, 0, errBadRequest
	}
	return path, keep, length, nil
}

// discardChunked skips a chunked request body and its trailers, and returns its size.
func discardChunked(br *bufio.Reader) (int64, error) {
	var size int64
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, errBadRequest
		}
		line = bytes.TrimSpace(line)
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		n, ok := parseUint(line, 16)
		if !ok {
			return 0, errBadRequest
		}
		if n == 0 {
			for {
				t, err := br.ReadSlice('\n')
				if err != nil {
					return 0, errBadRequest
				}
				if len(t) <= 2 {
					return size, nil
				}
			}
		}
		size += n
		if _, err := br.Discard(int(n) + 2); err != nil {
			return 0, errBadRequest
		}
	}
}

// parseUint parses a decimal or hexadecimal size without allocating.
func parseUint(b []byte, base int64) (int64, bool) {
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
