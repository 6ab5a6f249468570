package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"ccload/mock"
	"ccload/report"
	"ccload/scenario"
)

// TestTargetFlagHeldToTheScenarioRules: a --target that target.url would refuse is refused by run,
// replay and capacity with the same message, naming --target, exit 2, nothing sent (a counting
// server is the referee) and the password never shown.
func TestTargetFlagHeldToTheScenarioRules(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(ts.Close)
	host := strings.TrimPrefix(ts.URL, "http://")
	const pw = "flagPW5e6f7a"
	dir := t.TempDir()
	sc := filepath.Join(dir, "s.yaml")
	body := "auth: {app_key: k, app_secret: s}\nchannel: {to: \"1\"}\nload: {model: open, stages: [{duration: 1s, rate: 5}]}\n" +
		"thresholds: {\"response_time.p99\": \"<1s\"}\nsessions:\n  - steps: [connect, disconnect]\n"
	if err := os.WriteFile(sc, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, "log.jsonl")
	if err := os.WriteFile(log, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{
		"http://user:" + pw + "@" + host + "/",
		"http://" + host + "/?token=" + pw,
		"http://user:" + pw + "@" + host + ":bad/",
		"ftp://user:" + pw + "@" + host + "/",
		"http:///nohost",
	} {
		// The scenario's own words for this URL, without the file position.
		_, serr := scenario.Parse("s.yaml", []byte("target: {url: \""+target+"\"}\n"+body), ".", nil)
		if serr == nil {
			t.Fatalf("%s: the scenario loader accepts it", target)
		}
		_, want, _ := strings.Cut(serr.Error(), "target.url: ")
		want, _, _ = strings.Cut(want, "\n")
		for _, args := range [][]string{
			{"run", sc, "--target", target, "--out", filepath.Join(dir, "out"), "--no-progress"},
			{"replay", log, "--target", target, "--out", filepath.Join(dir, "out"), "--no-progress"},
			{"capacity", sc, "--target", target, "--out", filepath.Join(dir, "out")},
		} {
			var so, se bytes.Buffer
			code := ccloadTo(t, args, &so, &se)
			if code != exitUsage {
				t.Errorf("%s --target %s: exit %d, want 2\n%s", args[0], target, code, se.String())
			}
			if w := "ccload " + args[0] + ": --target: " + want; !strings.Contains(se.String(), w) {
				t.Errorf("%s --target %s: stderr\n%s\nwant it to hold %q", args[0], target, se.String(), w)
			}
			if strings.Contains(so.String()+se.String(), pw) {
				t.Errorf("%s --target %s: the password is shown:\n%s%s", args[0], target, so.String(), se.String())
			}
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the server received %d requests, want none", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Error("an output directory was written")
	}
}

// TestUserAgentReachesTheTarget: target.user_agent is the User-Agent of every request of a run
// (token calls included), --user-agent overrides it, and a bad --user-agent is refused like a bad
// scenario value (exit 2, nothing sent). A proxy in front of the mock records each request's header.
func TestUserAgentReachesTheTarget(t *testing.T) {
	t.Parallel()
	m := e2eMock(t, func(o *mock.Options) { o.AppKey, o.AppSecret = "ua-key", "ua-secret" })
	mu, _ := url.Parse(m.URL())
	proxy := httputil.NewSingleHostReverseProxy(mu)
	var lock sync.Mutex
	var seen []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lock.Lock()
		seen = append(seen, strings.Join(r.Header.Values("User-Agent"), " | "))
		lock.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	sc := filepath.Join(dir, "ua.yaml")
	y := "name: ua\nseed: 1\ntarget: {url: \"" + ts.URL + "\", user_agent: \"from-scenario/1\"}\nauth: {app_key: ua-key, app_secret: ua-secret}\n" +
		"channel: {to: \"1011577355744904195\"}\nload: {model: closed, customers: 2, duration: 500ms}\n" +
		"sessions:\n  - poll: false\n    steps: [connect, {chat: \"hi\"}, disconnect]\n"
	if err := os.WriteFile(sc, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct{ flag, want string }{{"", "from-scenario/1"}, {"from-flag/2 (soak)", "from-flag/2 (soak)"}} {
		lock.Lock()
		seen = nil
		lock.Unlock()
		out := filepath.Join(dir, "out"+string(rune('a'+i)))
		args := []string{"run", sc, "--out", out, "--no-progress", "--grace", "5s"}
		if c.flag != "" {
			args = append(args, "--user-agent", c.flag)
		}
		var so, se bytes.Buffer
		if code := ccloadTo(t, args, &so, &se); code != exitOK {
			t.Fatalf("%v: exit %d\n%s%s", args, code, so.String(), se.String())
		}
		rep, err := report.ReadFile(filepath.Join(out, report.FileName))
		if err != nil {
			t.Fatal(err)
		}
		lock.Lock()
		got := append([]string(nil), seen...)
		lock.Unlock()
		if int64(len(got)) != rep.Requests.Total || len(got) == 0 {
			t.Errorf("%v: the proxy saw %d requests, the report counts %d", args, len(got), rep.Requests.Total)
		}
		for j, ua := range got {
			if ua != c.want {
				t.Errorf("%v: request %d had User-Agent %q, want %q", args, j+1, ua, c.want)
				break
			}
		}
	}
	lock.Lock()
	seen = nil
	lock.Unlock()
	var so, se bytes.Buffer
	if code := ccloadTo(t, []string{"run", sc, "--user-agent", "a\r\nX-Injected: 1", "--out", filepath.Join(dir, "bad")}, &so, &se); code != exitUsage ||
		!strings.Contains(se.String(), "ccload run: --user-agent: holds the control character") {
		t.Errorf("bad --user-agent: exit %d, stderr %s", code, se.String())
	}
	if len(seen) != 0 {
		t.Errorf("a bad --user-agent sent %d requests", len(seen))
	}
}
