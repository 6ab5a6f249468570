package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MaxFinalWait bounds how long Server.Close waits for a last scrape.
const MaxFinalWait = 15 * time.Second

// Server serves an Exporter's /metrics and remembers when it was scraped, so that at the end of a
// run it can wait for one scrape that sees the final counts (a pull-based exporter otherwise loses
// whatever happened after the last scrape).
type Server struct {
	srv *http.Server
	ln  net.Listener

	mu      sync.Mutex
	scrapes []time.Time // start times of the last two completed scrapes
	scraped chan struct{}
}

// Serve listens on addr (host:port) and serves e's series on /metrics until Close.
func Serve(addr string, e *Exporter) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln, scraped: make(chan struct{})}
	h := promhttp.HandlerFor(e.Gatherer(), promhttp.HandlerOpts{EnableOpenMetrics: true})
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		h.ServeHTTP(w, r)
		s.mu.Lock()
		s.scrapes = append(s.scrapes, began)
		if len(s.scrapes) > 2 {
			s.scrapes = s.scrapes[1:]
		}
		close(s.scraped)
		s.scraped = make(chan struct{})
		s.mu.Unlock()
	})
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Addr is the address the server listens on (with the port picked when addr asked for 0).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// FinalWait is how long Close will wait for a last scrape: none when nobody has scraped; twice the
// last scrape gap (plus a second) when known; MaxFinalWait after a single scrape.
func (s *Server) FinalWait() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch len(s.scrapes) {
	case 0:
		return 0
	case 1:
		return MaxFinalWait
	}
	return min(2*s.scrapes[1].Sub(s.scrapes[0])+time.Second, MaxFinalWait)
}

// Close waits (up to FinalWait, or until ctx ends) for a scrape that started after Close was called,
// so the last counts reach Prometheus, then shuts the server down. It reports whether such a scrape came.
func (s *Server) Close(ctx context.Context) (bool, error) {
	called := time.Now()
	wait := s.FinalWait()
	got := false
	if wait > 0 {
		timer := time.NewTimer(wait)
		defer timer.Stop()
	loop:
		for {
			s.mu.Lock()
			if n := len(s.scrapes); n > 0 && !s.scrapes[n-1].Before(called) {
				got = true
			}
			ch := s.scraped
			s.mu.Unlock()
			if got {
				break
			}
			select {
			case <-ch:
			case <-timer.C:
				break loop
			case <-ctx.Done():
				break loop
			}
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return got, err
}
