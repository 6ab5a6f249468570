package h1

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// captureUA answers every request and sends the User-Agent lines of each on got.
func captureUA(t *testing.T, got chan<- []string) string {
	return rawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			var uas []string
			for first := true; ; first = false {
				line, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if line == "\r\n" && !first {
					break
				}
				if name, val, ok := strings.Cut(line, ":"); ok && strings.EqualFold(name, "User-Agent") {
					uas = append(uas, strings.TrimSpace(val))
				}
			}
			got <- uas
			if _, err := c.Write(okResponse); err != nil {
				return
			}
		}
	})
}

func TestUserAgent(t *testing.T) {
	got := make(chan []string, 4)
	addr := captureUA(t, got)
	get := func(c *Client, req *Request) []string {
		t.Helper()
		var resp Response
		if err := c.Do(context.Background(), req, &resp); err != nil {
			t.Fatal(err)
		}
		return <-got
	}
	def := newClient(t, Options{Addr: addr, Timeout: 5 * time.Second})
	if uas := get(def, &Request{Path: "/"}); len(uas) != 1 || uas[0] != DefaultUserAgent || !strings.HasPrefix(uas[0], "ccload/") {
		t.Errorf("default User-Agent lines = %q, want [%q] (ccload/<version>)", uas, DefaultUserAgent)
	}
	own := newClient(t, Options{Addr: addr, Timeout: 5 * time.Second, UserAgent: "soak-probe/2"})
	if uas := get(own, &Request{Path: "/"}); len(uas) != 1 || uas[0] != "soak-probe/2" {
		t.Errorf("Options.UserAgent: User-Agent lines = %q, want [soak-probe/2]", uas)
	}
	// A request's own User-Agent wins, and is not doubled.
	req := &Request{Path: "/", Header: [][2]string{{"user-agent", "per-request/1"}}}
	if uas := get(own, req); len(uas) != 1 || uas[0] != "per-request/1" {
		t.Errorf("request header: User-Agent lines = %q, want [per-request/1]", uas)
	}
	if _, err := New(Options{Addr: addr, UserAgent: "x\r\nInjected: 1"}); err == nil {
		t.Error("New accepted a UserAgent with CRLF")
	}
}

// A server cannot hold an exchange with endless 1xx answers: 100 are skipped, the 101st is an error.
func TestInformationalAnswersAreCapped(t *testing.T) {
	for _, tc := range []struct {
		n      int
		wantOK bool
	}{{100, true}, {101, false}} {
		addr := rawServer(t, func(c net.Conn) {
			br := bufio.NewReader(c)
			if readRequest(br) != nil {
				return
			}
			c.Write([]byte(strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", tc.n)))
			c.Write(okResponse)
		})
		c := newClient(t, Options{Addr: addr, Timeout: 5 * time.Second})
		var resp Response
		err := c.Do(context.Background(), sendReq(), &resp)
		switch {
		case tc.wantOK && (err != nil || resp.Status != 200 || string(resp.Body) != okBody):
			t.Errorf("%d 1xx then 200: err %v status %d body %q, want the 200", tc.n, err, resp.Status, resp.Body)
		case !tc.wantOK && !errors.Is(err, ErrMalformed):
			t.Errorf("%d 1xx then 200: err %v (status %d), want ErrMalformed", tc.n, err, resp.Status)
		}
	}
}
