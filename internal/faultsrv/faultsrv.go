// Package faultsrv is a hostile test target for ccload: a raw-socket HTTP/1.1
// server, written without ccapi's parser, that breaks its answers on purpose
// and counts every request it received by endpoint and controlType, with what
// became of it. Tests compare ccload's report with these counts: the server is
// the referee.
package faultsrv

import (
	"bufio"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request is one request as the server parsed it.
type Request struct {
	Method, Path string
	// Endpoint is the last path segment (e.g. "sendAsync"); ControlType is the body's controlType, if any.
	Endpoint, ControlType string
	Header                map[string]string // lower-cased names
	Body                  []byte
	// N is this request's number among all the server received, from 1.
	N int
}

// Key is what requests are counted by, the way ccload groups them.
type Key struct{ Endpoint, ControlType string }

// Fate is what became of a received request.
type Fate string

// The fates a request can have.
const (
	// Answered: a complete, well-formed HTTP answer was written.
	Answered Fate = "answered"
	// Broken: the answer was cut, malformed, or never written (reset, close, stall).
	Broken Fate = "broken"
)

// Answer tells the server what to do with one request.
type Answer struct {
	// Raw is written as is when set (a broken response); otherwise Status and Body make a
	// well-formed answer with a Content-Length.
	Raw    string
	Status int
	Body   string
	// Fate overrides the fate recorded (default: Answered, or Broken when Raw is set).
	Fate Fate
	// Then: "" keep the connection, "close" close it, "reset" reset it, "stall" hold it until
	// Close, "trickle" write the answer a byte every 2 ms and keep the connection.
	Then string
}

// Handler decides the answer to each request.
type Handler func(*Request) Answer

// Server is a running fault server.
type Server struct {
	ln   net.Listener
	h    Handler
	wg   sync.WaitGroup
	done chan struct{}

	mu     sync.Mutex
	n      int
	counts map[Key]map[Fate]int
	conns  map[net.Conn]bool
}

var controlTypeRE = regexp.MustCompile(`"controlType"\s*:\s*"([A-Z0-9_]+)"`)

// Start starts a server on a loopback port; it closes when the test ends.
func Start(t testing.TB, h Handler) *Server {
	s, err := StartAt("127.0.0.1:0", h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// StartAt starts a server on addr (a restarted target takes its old port); the caller closes it.
func StartAt(addr string, h Handler) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln, h: h, done: make(chan struct{}), counts: map[Key]map[Fate]int{}, conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// URL is the server's base URL.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Close stops the server and closes every connection (stalled ones included).
func (s *Server) Close() {
	select {
	case <-s.done:
		return
	default:
	}
	close(s.done)
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Counts returns, per endpoint and controlType, how many requests had each fate.
func (s *Server) Counts() map[Key]map[Fate]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[Key]map[Fate]int, len(s.counts))
	for k, m := range s.counts {
		out[k] = map[Fate]int{}
		for f, n := range m {
			out[k][f] = n
		}
	}
	return out
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			c.Close()
		}()
	}
}

func (s *Server) serve(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		req, ok := readRequest(br)
		if !ok {
			return
		}
		s.mu.Lock()
		s.n++
		req.N = s.n
		s.mu.Unlock()
		a := s.h(req)
		raw := a.Raw
		fate := Answered
		if raw != "" {
			fate = Broken
		} else {
			raw = "HTTP/1.1 " + strconv.Itoa(a.Status) + " X\r\nContent-Type: application/json\r\nContent-Length: " +
				strconv.Itoa(len(a.Body)) + "\r\n\r\n" + a.Body
		}
		if a.Fate != "" {
			fate = a.Fate
		}
		if a.Then == "stall" {
			fate = Broken
		}
		s.mu.Lock()
		k := Key{req.Endpoint, req.ControlType}
		if s.counts[k] == nil {
			s.counts[k] = map[Fate]int{}
		}
		s.counts[k][fate]++
		s.mu.Unlock()
		switch a.Then {
		case "stall":
			<-s.done
			return
		case "trickle":
			for i := range len(raw) {
				if _, err := c.Write([]byte{raw[i]}); err != nil {
					return
				}
				time.Sleep(2 * time.Millisecond)
			}
			continue
		case "reset":
			c.Write([]byte(raw))
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			return
		}
		if _, err := c.Write([]byte(raw)); err != nil || a.Then == "close" {
			return
		}
	}
}

// readRequest parses one request: request line, headers, a Content-Length body.
func readRequest(br *bufio.Reader) (*Request, bool) {
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, false
	}
	parts := strings.Fields(line)
	if len(parts) != 3 {
		return nil, false
	}
	r := &Request{Method: parts[0], Path: parts[1], Header: map[string]string{}}
	for {
		h, err := br.ReadString('\n')
		if err != nil {
			return nil, false
		}
		h = strings.TrimRight(h, "\r\n")
		if h == "" {
			break
		}
		name, val, ok := strings.Cut(h, ":")
		if !ok {
			return nil, false
		}
		r.Header[strings.ToLower(name)] = strings.TrimSpace(val)
	}
	if cl := r.Header["content-length"]; cl != "" {
		n, err := strconv.Atoi(cl)
		if err != nil || n < 0 || n > 64<<20 {
			return nil, false
		}
		r.Body = make([]byte, n)
		if _, err := io.ReadFull(br, r.Body); err != nil {
			return nil, false
		}
	}
	p := r.Path
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	r.Endpoint = p[strings.LastIndexByte(p, '/')+1:]
	if m := controlTypeRE.FindSubmatch(r.Body); m != nil {
		r.ControlType = string(m[1])
	}
	return r, true
}
