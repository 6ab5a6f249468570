// Command loop is the smallest closed-loop generator that can be built on an
// HTTP client: N workers, each sending the same request back to back for a
// duration, latencies in per-worker HdrHistograms merged at the end. It is not
// ccload (no scheduler, no sessions, no report); `make bench` runs it with
// ccapi/h1 and with a tuned net/http transport to measure what the choice of
// HTTP client alone is worth inside a whole generator process.
//
//	go run ./bench/loop --url http://127.0.0.1:18090/apiaccess/ccmessaging/sendAsync \
//	    --client h1 --conns 64 --duration 10s --body bench/chat.json
//
// --requests N stops each worker after N requests: a fixed amount of work, so that
// valgrind --tool=callgrind counts the instructions of N×conns requests (docs/perf.md,
// "The runner over the bare loop").
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"ccload/ccapi/h1"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// headerList collects repeated --header "Name: value" flags.
type headerList [][2]string

func (h *headerList) String() string { return fmt.Sprint(*h) }

func (h *headerList) Set(v string) error {
	name, val, ok := strings.Cut(v, ":")
	if !ok {
		return fmt.Errorf("header %q: want Name: value", v)
	}
	*h = append(*h, [2]string{strings.TrimSpace(name), strings.TrimSpace(val)})
	return nil
}

// result is what one run prints, as one JSON line on stdout.
type result struct {
	Client   string  `json:"client"`
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"rps"`
	P50us    int64   `json:"p50_us"`
	P99us    int64   `json:"p99_us"`
}

// sender sends one request and reports whether it got a 2xx answer.
type sender func(ctx context.Context) (ok bool, err error)

func main() {
	rawURL := flag.String("url", "", "target URL (loopback)")
	client := flag.String("client", "h1", "HTTP client: h1 or nethttp")
	conns := flag.Int("conns", 64, "workers, and the connection limit")
	duration := flag.Duration("duration", 10*time.Second, "how long to send")
	bodyFile := flag.String("body", "", "request body file")
	perWorker := flag.Int64("requests", 0, "stop each worker after this many requests (0: none; the run still ends at --duration): fixed work, for instruction counts under callgrind")
	var headers headerList
	flag.Var(&headers, "header", "request header \"Name: value\" (repeatable)")
	flag.Parse()

	u, err := url.Parse(*rawURL)
	if err != nil || u.Host == "" {
		fail("--url: want http://host:port/path, got %q", *rawURL)
	}
	if *duration <= 0 || *duration > 10*time.Minute || *conns < 1 || *conns > 100_000 {
		fail("--duration must be in (0, 10m] and --conns in [1, 100000]")
	}
	var body []byte
	if *bodyFile != "" {
		if body, err = os.ReadFile(*bodyFile); err != nil {
			fail("%v", err)
		}
	}

	var newSender func() sender
	switch *client {
	case "h1":
		c, err := h1.New(h1.Options{BaseURL: u.Scheme + "://" + u.Host, MaxConns: *conns, Timeout: 10 * time.Second})
		if err != nil {
			fail("%v", err)
		}
		defer c.Close()
		newSender = func() sender { return h1Sender(c, u.RequestURI(), headers, body) }
	case "nethttp":
		tr := &http.Transport{MaxConnsPerHost: *conns, MaxIdleConnsPerHost: *conns, DisableCompression: true}
		defer tr.CloseIdleConnections()
		hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
		newSender = func() sender { return netHTTPSender(hc, u.String(), headers, body) }
	default:
		fail("--client must be h1 or nethttp")
	}

	ctx, cancel := context.WithTimeout(context.Background(), *duration)
	defer cancel()
	hists := make([]*hdrhistogram.Histogram, *conns)
	errs := make([]int64, *conns)
	var firstErr atomic.Value // the first error seen, for the note on stderr
	var wg sync.WaitGroup
	start := time.Now()
	for i := range *conns {
		hists[i] = hdrhistogram.New(1, 60_000_000, 3)
		wg.Add(1)
		go func(h *hdrhistogram.Histogram, nerr *int64) {
			defer wg.Done()
			send := newSender()
			for n := int64(0); ctx.Err() == nil && (*perWorker == 0 || n < *perWorker); n++ {
				t0 := time.Now()
				ok, err := send(ctx)
				if err != nil && (ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded)) {
					return // cut off by the end of the run: not a sample
				}
				if !ok {
					*nerr++
					if err != nil {
						firstErr.CompareAndSwap(nil, err.Error())
					}
				}
				h.RecordValue(time.Since(t0).Microseconds())
			}
		}(hists[i], &errs[i])
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()

	all := hdrhistogram.New(1, 60_000_000, 3)
	r := result{Client: *client, Seconds: elapsed}
	for i, h := range hists {
		all.Merge(h)
		r.Errors += errs[i]
	}
	r.Requests = all.TotalCount()
	r.RPS = float64(r.Requests) / elapsed
	r.P50us, r.P99us = all.ValueAtQuantile(50), all.ValueAtQuantile(99)
	json.NewEncoder(os.Stdout).Encode(r)
	if e := firstErr.Load(); e != nil {
		fmt.Fprintln(os.Stderr, "loop: first error:", e)
	}
}

func h1Sender(c *h1.Client, path string, headers [][2]string, body []byte) sender {
	req := &h1.Request{Method: "POST", Path: path, Header: headers, Body: body}
	var resp h1.Response
	return func(ctx context.Context) (bool, error) {
		if err := c.Do(ctx, req, &resp); err != nil {
			return false, err
		}
		return resp.Status/100 == 2, nil
	}
}

func netHTTPSender(hc *http.Client, target string, headers [][2]string, body []byte) sender {
	hdr := http.Header{}
	for _, h := range headers {
		hdr.Add(h[0], h[1])
	}
	rd := bytes.NewReader(body)
	buf := make([]byte, 4096)
	return func(ctx context.Context) (bool, error) {
		rd.Reset(body)
		req, err := http.NewRequestWithContext(ctx, "POST", target, rd)
		if err != nil {
			return false, err
		}
		req.Header = hdr
		resp, err := hc.Do(req)
		if err != nil {
			return false, err
		}
		for {
			if _, err := resp.Body.Read(buf); err != nil {
				if err != io.EOF {
					resp.Body.Close()
					return false, err
				}
				break
			}
		}
		resp.Body.Close()
		return resp.StatusCode/100 == 2, nil
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "loop: "+format+"\n", args...)
	os.Exit(2)
}
