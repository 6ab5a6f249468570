package h1

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// closingServer answers every request and closes the connection, without
// Connection: close, after every third answer; it signals done after each
// answer (and after the close, when it closes).
func closingServer(t *testing.T, received *atomic.Int64) (addr string, done chan struct{}) {
	done = make(chan struct{}, 64)
	var answers atomic.Int64
	addr = rawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for readRequest(br) == nil {
			received.Add(1)
			if _, err := c.Write(okResponse); err != nil {
				return
			}
			if answers.Add(1)%3 == 0 {
				c.Close()
				done <- struct{}{}
				return
			}
			done <- struct{}{}
		}
	})
	return addr, done
}

// A server that closes a connection right after answering (30% of answers,
// no Connection: close) must cost no request: the closed connection is seen
// on reuse, however short its idle time, and replaced.
func TestConnectionClosedAfterAnswerIsNotReused(t *testing.T) {
	const n = 30
	var received atomic.Int64
	addr, done := closingServer(t, &received)
	c := newClient(t, Options{Addr: addr, Timeout: 5 * time.Second})
	var resp Response
	errs := 0
	for i := range n {
		if err := c.Do(context.Background(), sendReq(), &resp); err != nil {
			errs++
			t.Logf("h1 Do #%d: %v", i, err)
			continue
		}
		within(t, done, "the server's answer")
		if (i+1)%3 == 0 {
			time.Sleep(5 * time.Millisecond) // let the FIN reach the client's socket
		}
	}
	if errs != 0 {
		t.Errorf("h1: %d of %d requests failed against a server that closes after answering, want 0", errs, n)
	}
	if got := received.Load(); got != n {
		t.Errorf("server received %d requests, want %d (one per Do, none resent)", got, n)
	}
	if d := c.Dials(); d != n/3 {
		t.Errorf("Dials = %d, want %d (the first, then one per server close but the last)", d, n/3)
	}

	// The same server and loop through net/http, for the record: h1 must not do worse.
	var received2 atomic.Int64
	addr2, done2 := closingServer(t, &received2)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	nhErrs := 0
	for i := range n {
		r, err := hc.Post("http://"+addr2+sendAsyncPath, "application/json", bytes.NewReader(chatBody))
		if err != nil {
			nhErrs++
			continue
		}
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
		within(t, done2, "the server's answer")
		if (i+1)%3 == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	t.Logf("errors over %d requests: h1 %d, net/http %d", n, errs, nhErrs)
	if errs > nhErrs && errs > 0 {
		t.Errorf("h1 failed %d requests, net/http %d", errs, nhErrs)
	}
}

// A body over bigBody takes the other write path (headers, then the body
// from the caller's slice): it too must see a server close on reuse.
func TestConnectionClosedAfterAnswerIsNotReusedBigBody(t *testing.T) {
	const n = 9
	var received atomic.Int64
	addr, done := closingServer(t, &received)
	c := newClient(t, Options{Addr: addr, Timeout: 5 * time.Second})
	req := sendReq()
	req.Body = bytes.Repeat([]byte("x"), bigBody+1)
	var resp Response
	errs := 0
	for i := range n {
		if err := c.Do(context.Background(), req, &resp); err != nil {
			errs++
			t.Logf("h1 Do #%d: %v", i, err)
			continue
		}
		within(t, done, "the server's answer")
		if (i+1)%3 == 0 {
			time.Sleep(5 * time.Millisecond) // let the FIN reach the client's socket
		}
	}
	if errs != 0 || received.Load() != n || c.Dials() != n/3 {
		t.Errorf("big body: %d of %d failed, server received %d, %d dials; want 0, %d, %d",
			errs, n, received.Load(), c.Dials(), n, n/3)
	}
}

// An idempotent request on a reused connection that the server dropped
// before any byte of an answer is retried once on a new connection.
func TestIdempotentRequestIsRetriedWhenDropped(t *testing.T) {
	var received atomic.Int64
	first := make(chan struct{}, 1)
	addr := rawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		if readRequest(br) != nil {
			return
		}
		received.Add(1)
		c.Write(okResponse)
		select {
		case first <- struct{}{}:
		default:
			return // later connections answer once and close
		}
		// First connection: take the second request and drop it unanswered.
		if readRequest(br) == nil {
			received.Add(1)
		}
	})
	c := newClient(t, Options{Addr: addr, Timeout: 5 * time.Second})
	get := &Request{Method: "GET", Path: "/poll"}
	var resp Response
	if err := c.Do(context.Background(), get, &resp); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(context.Background(), get, &resp); err != nil {
		t.Fatalf("GET dropped unanswered on a reused connection: %v, want one retry on a new connection", err)
	}
	if resp.Status != 200 || string(resp.Body) != okBody {
		t.Errorf("retried GET: status %d body %q", resp.Status, resp.Body)
	}
	if got := received.Load(); got != 3 {
		t.Errorf("server received %d requests, want 3 (the dropped GET sent again once)", got)
	}
	if d := c.Dials(); d != 2 {
		t.Errorf("Dials = %d, want 2", d)
	}
}

// The same over TLS: the server's close comes as a close_notify record, which
// the socket peek sees only as bytes; the check must read it as the close.
func TestTLSConnectionClosedAfterAnswerIsNotReused(t *testing.T) {
	const n = 15
	var answers atomic.Int64
	done := make(chan struct{}, 64)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if answers.Add(1)%3 != 0 {
			io.WriteString(w, okBody)
			done <- struct{}{}
			return
		}
		nc, bw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		bw.Write(okResponse) // no Connection: close
		bw.Flush()
		nc.Close() // close_notify, then FIN
		done <- struct{}{}
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	tlsConf := srv.Client().Transport.(*http.Transport).TLSClientConfig
	c := newClient(t, Options{BaseURL: srv.URL, TLSConfig: tlsConf, Timeout: 5 * time.Second})
	var resp Response
	errs := 0
	for i := range n {
		if err := c.Do(context.Background(), sendReq(), &resp); err != nil {
			errs++
			t.Logf("Do #%d: %v", i, err)
			continue
		}
		within(t, done, "the server's answer")
		if (i+1)%3 == 0 {
			time.Sleep(5 * time.Millisecond) // let close_notify and FIN reach the client's socket
		}
	}
	if errs != 0 {
		t.Errorf("%d of %d requests failed against a TLS server that closes after answering, want 0", errs, n)
	}
	if got := answers.Load(); got != n {
		t.Errorf("server answered %d requests, want %d", got, n)
	}
}

// BenchmarkCloseAfterAnswer measures the failed share of requests against a
// server that closes a third of its connections right after answering (no
// Connection: close), with 8 concurrent callers and no synchronisation with
// the server, for h1 and net/http side by side:
//
//	go test -run '^$' -bench CloseAfterAnswer -benchtime 3000x ./ccapi/h1
func BenchmarkCloseAfterAnswer(b *testing.B) {
	const callers = 8
	run := func(b *testing.B, do func() error) {
		var errs atomic.Int64
		var next atomic.Int64
		b.ResetTimer()
		var wg sync.WaitGroup
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(b.N) {
					if do() != nil {
						errs.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		b.ReportMetric(float64(errs.Load())/float64(b.N)*100, "%failed")
	}
	serve := func(b *testing.B) string {
		var answers atomic.Int64
		return rawServer(b, func(c net.Conn) {
			br := bufio.NewReader(c)
			for readRequest(br) == nil {
				if _, err := c.Write(okResponse); err != nil || answers.Add(1)%3 == 0 {
					return // rawServer closes c
				}
			}
		})
	}
	b.Run("h1", func(b *testing.B) {
		c := newClient(b, Options{Addr: serve(b), MaxConns: callers, Timeout: 5 * time.Second})
		run(b, func() error {
			var resp Response
			return c.Do(context.Background(), sendReq(), &resp)
		})
	})
	b.Run("nethttp", func(b *testing.B) {
		addr := serve(b)
		tr := &http.Transport{MaxConnsPerHost: callers, MaxIdleConnsPerHost: callers}
		defer tr.CloseIdleConnections()
		hc := &http.Client{Transport: tr, Timeout: 5 * time.Second}
		run(b, func() error {
			r, err := hc.Post("http://"+addr+sendAsyncPath, "application/json", bytes.NewReader(chatBody))
			if err != nil {
				return err
			}
			io.Copy(io.Discard, r.Body)
			return r.Body.Close()
		})
	})
}
