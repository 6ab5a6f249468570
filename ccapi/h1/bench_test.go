package h1

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The benchmarks below send the same CHAT request to the same in-process
// loopback server (serveOK) with h1 and with a tuned net/http transport, so
// their ns/op, B/op and allocs/op compare the two clients within one run.
// The server shares the CPU, so ns/op is client plus server; compare ratios.

func BenchmarkH1Do(b *testing.B) {
	addr := rawServer(b, serveOK)
	c := newClient(b, Options{Addr: addr, MaxConns: 64, Timeout: 5 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		req := sendReq()
		var resp Response
		for pb.Next() {
			if err := c.Do(ctx, req, &resp); err != nil {
				b.Error(err)
				return
			}
			if resp.Status != 200 || len(resp.Header("ccmessaging-token")) == 0 {
				b.Errorf("status %d", resp.Status)
				return
			}
		}
	})
}

// BenchmarkH1DoPerCallTimeout is BenchmarkH1Do with a context.WithTimeout per
// call, as a caller that bounds each call with its own context does: it shows
// what that context and its cancellation watch cost.
func BenchmarkH1DoPerCallTimeout(b *testing.B) {
	addr := rawServer(b, serveOK)
	c := newClient(b, Options{Addr: addr, MaxConns: 64, Timeout: 5 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		req := sendReq()
		var resp Response
		for pb.Next() {
			cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
			err := c.Do(cctx, req, &resp)
			ccancel()
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkNetHTTPDo(b *testing.B) {
	addr := rawServer(b, serveOK)
	tr := &http.Transport{
		MaxConnsPerHost:     64,
		MaxIdleConnsPerHost: 64,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	url := "http://" + addr + sendAsyncPath
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		hdr := http.Header{"Content-Type": {"application/json"}, "Ccmessaging-Token": {"tok-1"}}
		body := bytes.NewReader(chatBody)
		buf := make([]byte, 0, 512)
		for pb.Next() {
			body.Reset(chatBody)
			req, err := http.NewRequestWithContext(ctx, "POST", url, body)
			if err != nil {
				b.Fatal(err)
			}
			req.Header = hdr
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			buf = buf[:0]
			for {
				if len(buf) == cap(buf) {
					buf = append(buf, 0)[:len(buf)]
				}
				n, err := resp.Body.Read(buf[len(buf):cap(buf)])
				buf = buf[:len(buf)+n]
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("ccmessaging-token") == "" {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}

// BenchmarkReadResponse measures parsing one response from a buffer: the
// client's own work per exchange, without the network.
func BenchmarkReadResponse(b *testing.B) {
	cn := newConn(&Client{maxBody: DefaultMaxResponseBytes}, nil)
	src := bytes.NewReader(okResponse)
	cn.br.Reset(src)
	req := sendReq()
	var resp Response
	b.ReportAllocs()
	b.SetBytes(int64(len(okResponse)))
	for b.Loop() {
		src.Reset(okResponse)
		cn.br.Reset(src)
		if err := cn.readResponse(req, &resp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteRequest measures checking and encoding one request into the
// connection's buffer (the write itself goes nowhere).
func BenchmarkWriteRequest(b *testing.B) {
	cn := newConn(&Client{host: "127.0.0.1:18090"}, discardConn{})
	req := sendReq()
	req.Header = append(req.Header, [2]string{"Authorization", "Bearer " + strings.Repeat("t", 200)})
	b.ReportAllocs()
	for b.Loop() {
		if err := cn.check(req); err != nil {
			b.Fatal(err)
		}
		if err := cn.writeRequest(req); err != nil {
			b.Fatal(err)
		}
	}
}

// discardConn is a net.Conn whose writes vanish; its other methods are not called.
type discardConn struct{ net.Conn }

func (discardConn) Write(p []byte) (int, error) { return len(p), nil }
