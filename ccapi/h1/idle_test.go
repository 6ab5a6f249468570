package h1

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

// An idle client sleeps: after its exchanges end, a minute with none in flight wakes its
// watch loop at most once (the look that finds nothing left to watch), where a loop ticking
// every watchInterval would wake 12,000 times (`ccload mock --push` burned CPU so between
// bursts). The next exchange wakes it again: a cancellation still aborts that exchange. Run
// in a synctest bubble against an in-memory server, so the minute is fake time.
func TestIdleClientSleeps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		c := newClient(t, Options{Addr: "target:80", Timeout: time.Hour, Dial: func(context.Context, string, string) (net.Conn, error) {
			cli, srv := net.Pipe()
			go serveInMemory(srv, release)
			return cli, nil
		}})
		var resp Response
		for range 3 {
			if err := c.Do(context.Background(), &Request{Method: "GET", Path: "/fast"}, &resp); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		before := c.watchRuns.Load()
		time.Sleep(time.Minute)
		synctest.Wait()
		if n := c.watchRuns.Load() - before; n > 1 {
			t.Errorf("the watch loop woke %d times in an idle minute, want at most 1 (it should sleep until an exchange starts)", n)
		}

		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.Do(ctx, sendReq(), &resp) }()
		synctest.Wait() // the request is written and the server holds it
		cancel()
		time.Sleep(2 * watchInterval)
		synctest.Wait()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", err)
			}
		default:
			t.Error("a cancelled exchange after the idle minute was not aborted")
		}
		close(release)
	})
}

// serveInMemory answers each request on c: at once for GET /fast, after release otherwise.
func serveInMemory(c net.Conn, release <-chan struct{}) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		r, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, r.Body)
		if r.URL.Path != "/fast" {
			<-release
		}
		if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); err != nil {
			return
		}
	}
}
