package faultsrv_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"ccload/internal/faultsrv"
	"ccload/internal/loopback"
	"ccload/report"
	"ccload/runner"
	"ccload/scenario"
)

// The fault matrix (issue 14): one short run of ccload per kind of broken target,
// each checked against what the raw-socket server counted.

const matrixScenario = `
name: fault-%s
seed: 7
target:
  url: %s
  timeout: %s
  max_connections: 8
auth:
  app_key: ak
  access_token: at
channel:
  to: "1011577355744904195"
load:
  model: open
  arrivals: uniform
  stages:
    - {duration: 1s, rate: 15}
sessions:
  - name: s
    steps:
      - connect
      - chat: hello
      - chat: again
      - disconnect
`

// ok is the well-formed answer for r's endpoint.
func ok(r *faultsrv.Request) faultsrv.Answer {
	if r.Endpoint == "applyToken" {
		return faultsrv.Answer{Status: 200, Body: `{"resultCode":"0","token":"cm-1"}`}
	}
	return faultsrv.Answer{Status: 200, Body: `{"resultCode":"0","resultDesc":"ok"}`}
}

// onSend applies broken to every third sendAsync CHAT (the rest are answered well).
func onSend(broken func(*faultsrv.Request) faultsrv.Answer) faultsrv.Handler {
	var n atomic.Int64
	return func(r *faultsrv.Request) faultsrv.Answer {
		if r.Endpoint == "sendAsync" && r.ControlType == "CHAT" && n.Add(1)%3 == 0 {
			return broken(r)
		}
		return ok(r)
	}
}

func raw(s string, fate faultsrv.Fate, then string) func(*faultsrv.Request) faultsrv.Answer {
	return func(*faultsrv.Request) faultsrv.Answer { return faultsrv.Answer{Raw: s, Fate: fate, Then: then} }
}

// run plays the matrix scenario against url and returns the report.
func run(t *testing.T, url string, timeout time.Duration) *report.Report {
	t.Helper()
	rep := play(t, fmt.Sprintf(matrixScenario, strings.ReplaceAll(t.Name(), "/", "-"), url, timeout), 2*time.Second)
	if rep.Overall.Count == 0 {
		t.Fatalf("no request recorded: requests %+v, sessions %+v, stop %q", rep.Requests, rep.Sessions, rep.StopReason)
	}
	return rep
}

// play runs the scenario src with grace (bounded at 20 s) and checks the report's invariants.
func play(t *testing.T, src string, grace time.Duration) *report.Report {
	t.Helper()
	sc, err := scenario.Parse("matrix.yaml", []byte(src), t.TempDir(), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("scenario: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rep, err := runner.Run(ctx, runner.Config{Scenario: sc, Grace: grace})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if w := report.CheckInvariants(rep); len(w) > 0 {
		t.Errorf("report invariants broken: %v", w)
	}
	return rep
}

// restartAfter serves h and, once it has received n requests (the run is under way, however
// late a loaded machine started it), kills the server and starts h2 on the same address 200 ms
// later. The restarted server arrives on the channel (nil if it could not listen).
func restartAfter(t *testing.T, n int64, h, h2 faultsrv.Handler) (*faultsrv.Server, <-chan *faultsrv.Server) {
	var received atomic.Int64
	begun := make(chan struct{})
	srv := faultsrv.Start(t, func(r *faultsrv.Request) faultsrv.Answer {
		if received.Add(1) == n {
			close(begun)
		}
		return h(r)
	})
	addr := strings.TrimPrefix(srv.URL(), "http://")
	second := make(chan *faultsrv.Server, 1)
	go func() {
		<-begun
		srv.Close()
		time.Sleep(200 * time.Millisecond)
		s2, err := faultsrv.StartAt(addr, h2)
		if err != nil {
			t.Errorf("restart on %s: %v", addr, err)
		}
		second <- s2
	}()
	return srv, second
}

// sameCounts asserts every endpoint group of rep has exactly the requests the server
// received for it in total, plus the connections it refused (a target's error, though it
// received nothing); requests ccload never sent (not_sent) are outside total, and so are
// those whose receipt no client can know (unknown_receipt: written on a reused connection the
// server closed before answering). This server reads a request whole before it closes, so
// an unknown receipt is one it never read: total equals what it received, exactly.
func sameCounts(t *testing.T, rep *report.Report, srv *faultsrv.Server) {
	t.Helper()
	got := srv.Counts()
	seen := map[faultsrv.Key]bool{}
	// The scenario's requests (endpoint groups) and the DISCONNECTs ccload sends on its own
	// (teardown groups: the run's teardown, failed sessions' abandon) reach the same server
	// key: compare their sum, endpoint × controlType.
	var keys []faultsrv.Key
	sums := map[faultsrv.Key]*report.Group{}
	for _, g := range rep.Groups {
		if g.Kind != "endpoint" && g.Kind != "teardown" {
			continue
		}
		k := faultsrv.Key{Endpoint: g.Endpoint, ControlType: g.ControlType}
		sum := sums[k]
		if sum == nil {
			sum = &report.Group{Name: g.Name, Errors: map[string]int64{}}
			sums[k] = sum
			keys = append(keys, k)
		} else {
			sum.Name += " + " + g.Name
		}
		sum.Total += g.Total
		sum.NotSent += g.NotSent
		sum.UnknownReceipt += g.UnknownReceipt
		sum.OK += g.OK
		sum.AppErrors += g.AppErrors
		sum.HTTPErrors += g.HTTPErrors
		for c, n := range g.Errors {
			sum.Errors[c] += n
		}
	}
	for _, k := range keys {
		g := sums[k]
		seen[k] = true
		recv := 0
		for _, n := range got[k] {
			recv += n
		}
		unsent := g.Errors["refused"]
		if g.Total-unsent != int64(recv) {
			t.Errorf("group %s: ccload counted %d in total (%d refused; %d unknown receipt, %d not sent, both outside total), the server received %d",
				g.Name, g.Total, unsent, g.UnknownReceipt, g.NotSent, recv)
		}
		if a := int64(got[k][faultsrv.Answered]); g.OK+g.AppErrors+g.HTTPErrors > a {
			t.Errorf("group %s: ccload has %d answers, the server wrote %d well-formed ones", g.Name, g.OK+g.AppErrors+g.HTTPErrors, a)
		}
	}
	for k, m := range got {
		if !seen[k] && m[faultsrv.Answered]+m[faultsrv.Broken] > 0 {
			t.Errorf("server received %v for %v, absent from the report", m, k)
		}
	}
}

// chat returns the sendAsync CHAT group.
func chat(t *testing.T, rep *report.Report) report.Group {
	for _, g := range rep.Groups {
		if g.Kind == "endpoint" && g.Endpoint == "sendAsync" && g.ControlType == "CHAT" {
			return g
		}
	}
	t.Fatal("no sendAsync CHAT group")
	return report.Group{}
}

// answered is the request timeout of the cells whose server answers at once (well or broken):
// long enough that no answer of theirs times out on a loaded machine (at 1 s a -race run at load
// 18 could add "timeout" to the errors a cell counts exactly). The cells about time (trickle,
// stall) set their own.
const answered = 10 * time.Second

func TestFaultMatrix(t *testing.T) {
	cells := []struct {
		name    string
		h       faultsrv.Handler
		timeout time.Duration
		check   func(t *testing.T, g report.Group, brokenN int)
	}{
		{"5xx burst", onSend(func(*faultsrv.Request) faultsrv.Answer {
			return faultsrv.Answer{Status: 503, Body: "busy"}
		}), answered, func(t *testing.T, g report.Group, n int) {
			if g.HTTPStatus["503"] == 0 || g.HTTPErrors != g.HTTPStatus["503"] {
				t.Errorf("503s: http_errors %d, http_status %v", g.HTTPErrors, g.HTTPStatus)
			}
		}},
		{"resultCode 12", onSend(func(*faultsrv.Request) faultsrv.Answer {
			return faultsrv.Answer{Status: 200, Body: `{"resultCode":"12","resultDesc":"x"}`}
		}), answered, func(t *testing.T, g report.Group, n int) {
			if g.ResultCodes["12"] == 0 || g.AppErrors != g.ResultCodes["12"] {
				t.Errorf("resultCode 12: app_errors %d, result_codes %v", g.AppErrors, g.ResultCodes)
			}
		}},
		{"resultCode 13", onSend(func(*faultsrv.Request) faultsrv.Answer {
			return faultsrv.Answer{Status: 200, Body: `{"resultCode":"13","resultDesc":"x"}`}
		}), answered, func(t *testing.T, g report.Group, n int) {
			if g.ResultCodes["13"] == 0 || g.AppErrors != g.ResultCodes["13"] {
				t.Errorf("resultCode 13: app_errors %d, result_codes %v", g.AppErrors, g.ResultCodes)
			}
		}},
		{"truncated JSON", onSend(func(*faultsrv.Request) faultsrv.Answer {
			return faultsrv.Answer{Status: 200, Body: `{"resultCode":"0","res`, Fate: faultsrv.Broken}
		}), answered, wantErrors("unparseable")},
		{"HTML with 200", onSend(func(*faultsrv.Request) faultsrv.Answer {
			return faultsrv.Answer{Status: 200, Body: `<html><body>maintenance</body></html>`, Fate: faultsrv.Broken}
		}), answered, wantErrors("unparseable")},
		{"empty 200", onSend(func(*faultsrv.Request) faultsrv.Answer {
			return faultsrv.Answer{Status: 200, Fate: faultsrv.Broken}
		}), answered, wantErrors("unparseable")},
		{"reset after headers", onSend(raw("HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n", faultsrv.Broken, "reset")), answered, wantErrors("reset")},
		{"reset mid-body", onSend(raw("HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n{\"resultCode\"", faultsrv.Broken, "reset")), answered, wantErrors("reset")},
		{"content-length longer than body", onSend(raw("HTTP/1.1 200 OK\r\nContent-Length: 90\r\n\r\n{\"resultCode\":\"0\"}", faultsrv.Broken, "close")), answered, wantErrors("reset")},
		{"content-length shorter than body", onSend(raw("HTTP/1.1 200 OK\r\nContent-Length: 18\r\n\r\n{\"resultCode\":\"0\"}XXXXXXXX", faultsrv.Answered, "")), answered, wantErrors()},
		{"chunked", onSend(raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n{\"resultCo\r\n8\r\nde\":\"0\"}\r\n0\r\n\r\n", faultsrv.Answered, "")), answered, wantErrors()},
		{"Connection close on every response", func(r *faultsrv.Request) faultsrv.Answer {
			a := ok(r)
			return faultsrv.Answer{Raw: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: " + fmt.Sprint(len(a.Body)) + "\r\n\r\n" + a.Body, Fate: faultsrv.Answered, Then: "close"}
		}, answered, wantErrors()},
		{"HTTP/1.0", func(r *faultsrv.Request) faultsrv.Answer {
			return faultsrv.Answer{Raw: "HTTP/1.0 200 OK\r\n\r\n" + ok(r).Body, Fate: faultsrv.Answered, Then: "close"}
		}, answered, wantErrors()},
		// A keep-alive answer (no Connection: close), then a close: the next request, written at
		// once on that connection, never reaches the server. Not in total, no error of the target.
		{"close right after answering", func(r *faultsrv.Request) faultsrv.Answer {
			a := ok(r)
			a.Then = "close"
			return a
		}, answered, wantErrors()},
		{"close right after every other answer", func(r *faultsrv.Request) faultsrv.Answer {
			a := ok(r)
			if r.N%2 == 0 {
				a.Then = "close"
			}
			return a
		}, answered, wantErrors()},
		{"body over the size limit", onSend(raw("HTTP/1.1 200 OK\r\nContent-Length: 17825792\r\n\r\n{", faultsrv.Broken, "close")), answered, func(t *testing.T, g report.Group, n int) {
			wantErrors("unparseable")(t, g, n)
			// Every CHAT was answered 200, the oversized ones too: http_status counts each answer.
			if g.HTTPStatus["200"] != g.Total {
				t.Errorf("http_status %v, want 200 × %d (every CHAT the server answered, %d of them with a body over the limit)", g.HTTPStatus, g.Total, n)
			}
		}},
		{"trickled body within the timeout", onSend(func(r *faultsrv.Request) faultsrv.Answer {
			a := ok(r)
			a.Then = "trickle"
			return a
		}), 2 * time.Second, wantErrors()},
		{"trickled body past the timeout", onSend(func(r *faultsrv.Request) faultsrv.Answer {
			a := ok(r)
			a.Then, a.Fate = "trickle", faultsrv.Broken
			return a
		}), 100 * time.Millisecond, wantErrors("timeout")},
		{"full stall", onSend(func(*faultsrv.Request) faultsrv.Answer { return faultsrv.Answer{Then: "stall"} }), 300 * time.Millisecond, wantErrors("timeout")},
	}
	for _, c := range cells {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := faultsrv.Start(t, c.h)
			rep := run(t, srv.URL(), c.timeout)
			sameCounts(t, rep, srv)
			g := chat(t, rep)
			broken := srv.Counts()[faultsrv.Key{Endpoint: "sendAsync", ControlType: "CHAT"}][faultsrv.Broken]
			c.check(t, g, broken)
		})
	}
}

// wantErrors asserts the CHAT group's errors are exactly the server's broken
// answers, all of the given classes (none: no error at all).
func wantErrors(classes ...string) func(t *testing.T, g report.Group, broken int) {
	return func(t *testing.T, g report.Group, broken int) {
		var n int64
		for _, c := range classes {
			n += g.Errors[c]
		}
		if len(classes) == 0 {
			if len(g.Errors) != 0 {
				t.Errorf("errors %v, want none (the server answered every request well)", g.Errors)
			}
			return
		}
		if n != int64(broken) || n == 0 {
			t.Errorf("errors %v: %d of %v, the server broke %d answers", g.Errors, n, classes, broken)
		}
	}
}

// Token expiry storms: every ccmessaging-token stops working after 2 uses (401), and in
// the second cell every 4th request gets 403 (AccessToken refused).
func TestFaultMatrixTokenStorms(t *testing.T) {
	for _, code := range []int{401, 403} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			uses := map[string]int{}
			var issued, refused atomic.Int64
			srv := faultsrv.Start(t, func(r *faultsrv.Request) faultsrv.Answer {
				if r.Endpoint == "applyToken" {
					return faultsrv.Answer{Status: 200, Body: fmt.Sprintf(`{"resultCode":"0","token":"cm-%d"}`, issued.Add(1))}
				}
				mu.Lock()
				tok := r.Header["ccmessaging-token"]
				uses[tok]++
				n := uses[tok]
				mu.Unlock()
				if code == 401 && n > 2 || code == 403 && r.N%4 == 0 {
					refused.Add(1)
					return faultsrv.Answer{Status: code, Body: `{"resultCode":"1","resultDesc":"token"}`}
				}
				return ok(r)
			})
			rep := run(t, srv.URL(), answered)
			sameCounts(t, rep, srv)
			if got := rep.Overall.HTTPStatus[fmt.Sprint(code)]; got != refused.Load() || got == 0 {
				t.Errorf("ccload recorded %d answers %d, the server sent %d", got, code, refused.Load())
			}
		})
	}
}

// The target killed and restarted on the same port mid-run: requests during the outage
// are refused (never received), the rest are counted as received.
func TestFaultMatrixTargetRestarted(t *testing.T) {
	t.Parallel()
	srv, second := restartAfter(t, 5, ok, ok) // killed after its 5th request, back 200 ms later
	rep := run(t, srv.URL(), answered)
	s2 := <-second
	if s2 == nil {
		return
	}
	defer s2.Close()
	recv := int64(0)
	for _, s := range []*faultsrv.Server{srv, s2} {
		for _, m := range s.Counts() {
			recv += int64(m[faultsrv.Answered] + m[faultsrv.Broken])
		}
	}
	// Every request ccload made, the DISCONNECTs of sessions that failed in the outage (teardown
	// groups: abandon) too: rep.Overall leaves those out, though the restarted server receives
	// them, and a run whose abandoned sessions were disconnected after the restart failed so.
	var o report.Group
	o.Errors = map[string]int64{}
	for _, g := range rep.Groups {
		if g.Kind != "endpoint" && g.Kind != "teardown" {
			continue
		}
		o.Total += g.Total
		o.UnknownReceipt += g.UnknownReceipt
		o.OK += g.OK
		for c, n := range g.Errors {
			o.Errors[c] += n
		}
	}
	// Requests in flight at the kill may have been read, or not, by the dying process: on a
	// reused connection ccload counts them apart (unknown_receipt, outside total), on a
	// fresh one as reset (in total).
	diff := o.Total - o.Errors["refused"] - recv
	if diff < -o.UnknownReceipt || diff > o.Errors["reset"] {
		t.Errorf("ccload counted %d in total (refused %d, reset %d, unknown receipt %d outside total), the servers received %d",
			o.Total, o.Errors["refused"], o.Errors["reset"], o.UnknownReceipt, recv)
	}
	if o.OK == 0 || o.Errors["refused"] == 0 {
		t.Errorf("want answers before and after the outage and refusals during it: ok %d, errors %v", o.OK, o.Errors)
	}
}

func TestFaultMatrixConnectionRefused(t *testing.T) {
	t.Parallel()
	url := "http://" + loopback.RefusedAddr(t) // a parallel test's server cannot take the port
	rep := run(t, url, answered)
	if rep.Overall.Errors["refused"] != rep.Overall.Count {
		t.Errorf("refused %d of %d requests, want all (nothing listens)", rep.Overall.Errors["refused"], rep.Overall.Count)
	}
}

// A target that holds every answer longer than the run, at 200 arrivals/s with 4
// connections: only 4 requests reach it. Every group's total is what the server received;
// those 4 are cut (written, answers cut off by the run), and every other session's due
// request, which waited for one of the 4 exchange workers, is not sent. Nothing is an
// error of the target, and each session's one request is counted once.
func TestFaultMatrixStalledTargetNotSent(t *testing.T) {
	t.Parallel()
	srv := faultsrv.Start(t, func(*faultsrv.Request) faultsrv.Answer { return faultsrv.Answer{Then: "stall"} })
	rep := play(t, strings.NewReplacer("max_connections: 8", "max_connections: 4", "rate: 15", "rate: 200").
		Replace(fmt.Sprintf(matrixScenario, "stalled", srv.URL(), "10s")), 300*time.Millisecond)
	if err := report.Validate(rep); err != nil {
		t.Errorf("report.json invalid: %v", err)
	}
	sameCounts(t, rep, srv)
	q, s := rep.Requests, rep.Sessions
	if q.Total != 4 || q.Cut != 4 || rep.Overall.Count != 0 || len(rep.Overall.Errors) != 0 {
		t.Errorf("requests %+v errors %v: want 4 in total, all cut, none an error (the server holds 4 connections)", q, rep.Overall.Errors)
	}
	if q.NotSent == 0 || q.NotSentBy["canceled_waiting"] != q.NotSent {
		t.Errorf("not_sent %d by %v: want the rest, all canceled_waiting", q.NotSent, q.NotSentBy)
	}
	if s.Started < 100 || q.Total+q.NotSent != s.Started {
		t.Errorf("%d sessions started, %d requests in total + %d not sent: want one request per session", s.Started, q.Total, q.NotSent)
	}
	if rep.Overall.ResponseTimeUS.Count != 0 {
		t.Errorf("%d latencies recorded, want none (nothing was answered)", rep.Overall.ResponseTimeUS.Count)
	}
}

// A customer cut while its CONNECT still waited for a connection was never connected: the
// run's teardown sends it no DISCONNECT (with static tokens, a CONNECT is its first request).
func TestFaultMatrixStalledTargetNoTeardownForUnsentConnect(t *testing.T) {
	t.Parallel()
	srv := faultsrv.Start(t, func(*faultsrv.Request) faultsrv.Answer { return faultsrv.Answer{Then: "stall"} })
	rep := play(t, strings.NewReplacer("max_connections: 8", "max_connections: 4", "rate: 15", "rate: 200", "access_token: at", "access_token: at\n  ccmessaging_token: ct").
		Replace(fmt.Sprintf(matrixScenario, "stalled-static", srv.URL(), "10s")), 300*time.Millisecond)
	sameCounts(t, rep, srv)
	q, s := rep.Requests, rep.Sessions
	var teardown int64
	for _, g := range rep.Groups {
		if g.Kind == "teardown" {
			teardown += g.Total + g.NotSent
		}
	}
	// The 4 CONNECTs the server holds may be connected: at most those get a DISCONNECT.
	for _, w := range rep.Warnings {
		// Only the 4 written CONNECTs may have left a session the teardown could not close.
		var n int
		if _, err := fmt.Sscanf(w, "teardown: %d ", &n); err == nil && n > 4 {
			t.Errorf("warning %q: want at most the 4 customers whose CONNECT was written", w)
		}
	}
	if teardown > 4 {
		t.Errorf("%d teardown DISCONNECTs attempted; want at most 4 (only the CONNECTs that were written)", teardown)
	}
	if s.Started < 100 || q.Total+q.NotSent-teardown != s.Started {
		t.Errorf("%d sessions started, %d requests in total + %d not sent (%d teardown): want one CONNECT per session", s.Started, q.Total, q.NotSent, teardown)
	}
}

// platform is a token-aware target: tokenByAkSk issues AccessTokens, applyToken (with a known
// AccessToken) issues ccmessaging-tokens, and every other call needs both. Each instance knows
// only the tokens it issued, as a restarted platform does.
func platform(name string) faultsrv.Handler {
	var mu sync.Mutex
	known := map[string]bool{}
	var n int
	issue := func(kind string) string {
		mu.Lock()
		defer mu.Unlock()
		n++
		t := fmt.Sprintf("%s-%s-%d", name, kind, n)
		known[t] = true
		return t
	}
	knows := func(t string) bool {
		mu.Lock()
		defer mu.Unlock()
		return known[t]
	}
	refuse := faultsrv.Answer{Status: 401, Body: `{"errorCode":"1","exceptionInfo":"unauthorized: unknown token"}`}
	return func(r *faultsrv.Request) faultsrv.Answer {
		at := strings.TrimPrefix(r.Header["authorization"], "Bearer ")
		switch {
		case r.Endpoint == "tokenByAkSk":
			return faultsrv.Answer{Status: 200, Body: `{"AccessToken":"` + issue("at") + `","Expires":"600"}`}
		case !knows(at):
			return refuse
		case r.Endpoint == "applyToken":
			return faultsrv.Answer{Status: 200, Body: `{"resultCode":"0","token":"` + issue("cm") + `"}`}
		case !knows(r.Header["ccmessaging-token"]):
			return refuse
		}
		return faultsrv.Answer{Status: 200, Body: `{"resultCode":"0","resultDesc":"ok"}`}
	}
}

// A restarted platform forgets every token it issued: ccload fetches one fresh AccessToken for
// all its customers and re-applies their ccmessaging-tokens, so the sessions that start after
// the restart succeed (issue 27: every later applyToken was refused, 239 of 314 sessions failed).
func TestFaultMatrixRestartedPlatformRecovers(t *testing.T) {
	t.Parallel()
	// Killed after its 20th request (about 0.3 s into the run), back 200 ms later.
	srv, second := restartAfter(t, 20, platform("first"), platform("second"))
	rep := play(t, strings.NewReplacer("access_token: at", "app_secret: sk", "duration: 1s", "duration: 3s").
		Replace(fmt.Sprintf(matrixScenario, "restart-tokens", srv.URL(), "1s")), 2*time.Second)
	s2 := <-second
	if s2 == nil {
		return
	}
	defer s2.Close()
	c2 := s2.Counts()
	if n := c2[faultsrv.Key{Endpoint: "tokenByAkSk"}][faultsrv.Answered]; n != 1 {
		t.Errorf("the restarted platform issued %d AccessTokens, want 1 (one fetch shared by every customer)", n)
	}
	// Sessions that began well after the restart (from 2 s on: the restart is at about 0.3–0.5 s)
	// must not fail: the outage, not the forgotten tokens, is all that may fail a session.
	var late, lateFailed int64
	for _, p := range rep.Timeseries {
		if p.T >= 2 {
			late += p.Arrivals
			lateFailed += p.SessionsFailed
		}
	}
	if late == 0 || lateFailed != 0 {
		t.Errorf("%d sessions failed of %d arrived from 2 s on (the restart was at about 0.5 s): want none; failures %+v", lateFailed, late, rep.FailureReasons)
	}
	if rep.Sessions.Completed == 0 || rep.Sessions.Failed*2 > rep.Sessions.Started {
		t.Errorf("sessions %+v: want most to complete, only those caught by the outage to fail", rep.Sessions)
	}
}

// sessions tracks the sessions a target holds open: a CONNECT answered 200 opens the sender's,
// a DISCONNECT answered 200 closes it.
type sessions struct {
	mu   sync.Mutex
	open map[string]bool
}

var fromRE = regexp.MustCompile(`"from"\s*:\s*"([^"]*)"`)

func (s *sessions) answer(r *faultsrv.Request, a faultsrv.Answer) faultsrv.Answer {
	m := fromRE.FindSubmatch(r.Body)
	if m == nil || a.Status != 200 {
		return a
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.ControlType {
	case "CONNECT":
		s.open[string(m[1])] = true
	case "DISCONNECT":
		delete(s.open, string(m[1]))
	}
	return a
}

func (s *sessions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.open)
}

// A target that sheds DISCONNECTs with 503 (Retry-After: 1 on every other one):
// ccload sends them again within the teardown window, so the target ends holding no session
// (issue 27: 52 sessions were left open behind a limit answering 503).
func TestFaultMatrixDisconnectShedWith503(t *testing.T) {
	t.Parallel()
	st := &sessions{open: map[string]bool{}}
	var shed atomic.Int64
	var mu sync.Mutex
	refused := map[string]bool{} // sessions (by from) whose first DISCONNECT was shed
	srv := faultsrv.Start(t, func(r *faultsrv.Request) faultsrv.Answer {
		// The first DISCONNECT of each of the first 8 sessions that send one is shed, and its
		// retry answered: counted, not timed (a 700 ms window from the test's start could close
		// before a run slowed by a loaded machine sent one, or shed one session's retries past
		// the teardown's 2 s).
		if m := fromRE.FindSubmatch(r.Body); r.ControlType == "DISCONNECT" && m != nil {
			mu.Lock()
			first := !refused[string(m[1])] && len(refused) < 8
			if first {
				refused[string(m[1])] = true
			}
			mu.Unlock()
			if first {
				hdr := ""
				if shed.Add(1)%2 == 0 {
					hdr = "Retry-After: 1\r\n"
				}
				return faultsrv.Answer{Raw: "HTTP/1.1 503 Busy\r\n" + hdr + "Content-Length: 4\r\n\r\nbusy", Fate: faultsrv.Answered}
			}
		}
		return st.answer(r, ok(r))
	})
	rep := run(t, srv.URL(), answered)
	sameCounts(t, rep, srv)
	if shed.Load() == 0 {
		t.Fatal("no DISCONNECT was shed: the cell tested nothing")
	}
	if n := st.count(); n != 0 {
		t.Errorf("the target holds %d sessions open after the run (%d DISCONNECTs shed with 503); want none; warnings %q", n, shed.Load(), rep.Warnings)
	}
	for _, w := range rep.Warnings {
		if strings.Contains(w, "DISCONNECT") {
			t.Errorf("warning %q: every DISCONNECT should have gone through on a retry", w)
		}
	}
}

// A target that sheds every DISCONNECT: what could not be disconnected is named in a warning
// with its count, for the scenario's own DISCONNECT steps too.
func TestFaultMatrixDisconnectAlwaysShedIsWarned(t *testing.T) {
	t.Parallel()
	srv := faultsrv.Start(t, func(r *faultsrv.Request) faultsrv.Answer {
		if r.ControlType == "DISCONNECT" {
			return faultsrv.Answer{Status: 503, Body: "busy"}
		}
		return ok(r)
	})
	rep := run(t, srv.URL(), answered)
	sameCounts(t, rep, srv)
	// A session whose DISCONNECT step still failed when the grace ran out is cut, and the
	// run's teardown tries again: each session is named once, by one warning or the other.
	var steps, teardown int64
	for _, w := range rep.Warnings {
		fmt.Sscanf(w, "disconnect: %d of the scenario's DISCONNECT steps failed", &steps)
		fmt.Sscanf(w, "teardown: %d customers still connected", &teardown)
	}
	if steps == 0 || steps+teardown != rep.Sessions.Started {
		t.Errorf("warnings %q: want %d sessions named (every DISCONNECT failed), %d by the step's warning and %d by the teardown's",
			rep.Warnings, rep.Sessions.Started, steps, teardown)
	}
}
