package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServeAnswersPipelinedRequests sends two pipelined sendAsync requests
// (Content-Length and chunked bodies) and a closing one, and checks the
// answers, the counters and that the connection is closed when asked.
func TestServeAnswersPipelinedRequests(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	st := &stats{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		serve(c, 0, st)
		c.Close()
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	reqs := "POST /apiaccess/ccmessaging/sendAsync?x=1 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello" +
		"POST /apiaccess/ccmessaging/sendAsync HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n" +
		"POST /other HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
	if _, err := io.WriteString(c, reqs); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for i, want := range []int{200, 200, 404} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("response %d: %v", i, err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want || want == 200 && string(body) != okBody {
			t.Errorf("response %d: %d %q, want %d", i, resp.StatusCode, body, want)
		}
	}
	<-done // the server closed the connection after the Connection: close request
	if n := st.requests.Load(); n != 2 {
		t.Errorf("requests = %d, want 2 (sendAsync only)", n)
	}
	if n := st.bodies.Load(); n != 10 {
		t.Errorf("body bytes = %d, want 10", n)
	}
}

func TestReadRequestRejectsGarbage(t *testing.T) {
	for _, raw := range []string{
		"GARBAGE\r\n\r\n",
		"POST /x HTTP/1.1\r\nContent-Length: x\r\n\r\n",
		"POST /x HTTP/1.1\r\nno colon\r\n\r\n",
		"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	} {
		if _, _, _, err := readRequest(bufio.NewReader(strings.NewReader(raw))); err == nil {
			t.Errorf("readRequest(%q): want an error", raw)
		}
	}
}
