package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ccload/mock"
	"ccload/report"
)

// Distinctive secret values: planted in the environment and literally in scenarios.
var plantedSecrets = map[string]string{
	"SECRET_AK":  "envAK7f3a9c",
	"SECRET_SK":  "envSK8d21e7",
	"SECRET_TOK": "envTOK77b0c2",
	"SECRET_CC":  "envCC4e5f61",
}

const (
	litAK, litSK, litTOK, litCC = "litAK1a2b3c", "litSK3c4d5e", "litTOK6f7a8b", "litCC9c0d1e"
	litPW, litQ                 = "litPW9e8f7a", "litQ6b5c4d"
	// litDefSK is a secret written as the default of an unset variable, ${UNSET:-litDefSK...}.
	litDefSK = "litDefSK5a6b7c"
)

func allSecrets() []string {
	out := []string{litAK, litSK, litTOK, litCC, litPW, litQ, litDefSK}
	for _, v := range plantedSecrets {
		out = append(out, v)
	}
	return out
}

// secretsHarness runs commands with the planted secrets in their environment and keeps
// everything they showed or wrote.
type secretsHarness struct {
	t     *testing.T
	env   []string // the planted secrets, KEY=VALUE
	dir   string
	shown []string // stdout and stderr of every command
	cmds  []string // the command of each shown output (it holds secrets: the user typed them)
	dirs  []string // output directories and record files to scan
}

func (h *secretsHarness) scenario(name, y string) string {
	p := filepath.Join(h.dir, name+".yaml")
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		h.t.Fatal(err)
	}
	return p
}

func (h *secretsHarness) cmd(args ...string) int {
	h.t.Helper()
	r := ccloadWith(h.t, ccloadOpts{env: h.env}, args...)
	h.shown = append(h.shown, r.stdout+r.stderr)
	h.cmds = append(h.cmds, args[0]+" "+filepath.Base(args[1]))
	return r.code
}

func (h *secretsHarness) out(name string) string {
	d := filepath.Join(h.dir, "out-"+name)
	h.dirs = append(h.dirs, d)
	return d
}

// echoServer answers every request with status and a body echoing the request's headers, query and body.
func echoServer(t *testing.T, status int) string {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		var e bytes.Buffer
		r.Header.Write(&e)
		io.WriteString(w, `{"resultCode":"401","resultDesc":"bad credentials: `+strings.ReplaceAll(e.String()+r.URL.RawQuery+string(b), `"`, `'`)+`"}`)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// TestSecretsNeverShown plants secrets in the environment and literally in scenarios, runs the
// commands in every situation that handles them, and finds none of them in any output or file.
func TestSecretsNeverShown(t *testing.T) {
	realTime(t)
	h := &secretsHarness{t: t, dir: t.TempDir(), env: []string{"SECRET_TXT=envTXT2b3c4d{{oops"}}
	for k, v := range plantedSecrets {
		h.env = append(h.env, k+"="+v)
	}
	const load = "load: {model: closed, customers: 2, duration: 1s}\nseed: 1\n"
	const chat = "sessions:\n  - poll: {interval: 50ms}\n    steps: [connect, {chat: \"hi\"}, {await_reply: 1s}, disconnect]\n"
	const channel = "channel: {to: \"1011577355744904195\"}\n"

	record := filepath.Join(h.dir, "record.jsonl")
	rec, err := os.Create(record)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	h.dirs = append(h.dirs, record)
	mk := func(key, secret string) string {
		return e2eMock(t, func(o *mock.Options) { o.AppKey, o.AppSecret, o.Record = key, secret, rec }).URL()
	}

	// 1. AK/SK from the environment.
	envMock := mk(plantedSecrets["SECRET_AK"], plantedSecrets["SECRET_SK"])
	s1 := h.scenario("env-aksk", "name: env\nauth: {app_key: \"${SECRET_AK}\", app_secret: \"${SECRET_SK}\"}\n"+channel+load+chat)
	if code := h.cmd("run", s1, "--target", envMock, "--out", h.out("env"), "--no-progress"); code != exitOK {
		t.Fatalf("env AK/SK run: exit %d\n%s", code, h.shown[len(h.shown)-1])
	}
	// 2. AK/SK written literally.
	litMock := mk(litAK, litSK)
	s2 := h.scenario("lit-aksk", "name: env\nauth:\n  app_key: "+litAK+"\n  app_secret: \""+litSK+"\"\n"+channel+load+chat)
	if code := h.cmd("run", s2, "--target", litMock, "--out", h.out("lit"), "--no-progress"); code != exitOK {
		t.Fatalf("literal AK/SK run: exit %d\n%s", code, h.shown[len(h.shown)-1])
	}
	// 3. Static tokens, literal and from the environment.
	s3 := h.scenario("static", "name: static\nauth: {app_key: '"+litAK+"', access_token: \"${SECRET_TOK}\", ccmessaging_token: "+litCC+"}\n"+channel+load+chat)
	if code := h.cmd("run", s3, "--target", litMock, "--out", h.out("static"), "--no-progress"); code == exitUsage {
		t.Fatalf("static token run: exit %d\n%s", code, h.shown[len(h.shown)-1])
	}
	// 4. A 401 storm: the mock knows other credentials.
	h.cmd("run", s2, "--target", mk("other-key", "other-secret"), "--out", h.out("401"), "--no-progress")
	// 5. and 6. Servers that echo the request (headers, query, body) in 401 and 403 bodies.
	h.cmd("run", s2, "--target", echoServer(t, 401), "--out", h.out("echo401"), "--no-progress")
	s6 := h.scenario("static-env", "name: static\nauth: {app_key: \"${SECRET_AK}\", access_token: "+litTOK+", ccmessaging_token: \"${SECRET_CC}\"}\n"+channel+load+chat)
	if code := h.cmd("run", s6, "--target", echoServer(t, 403), "--out", h.out("echo403"), "--no-progress"); code == exitUsage {
		t.Fatalf("403 run: exit %d\n%s", code, h.shown[len(h.shown)-1])
	}
	// 13. A secret written as the default of an unset variable (the shipped scenarios' pattern).
	defMock := mk(litAK, litDefSK)
	s13 := h.scenario("default-sk", "name: def\nauth:\n  app_key: \"${CCLOAD_UNSET_AK:-"+litAK+"}\"\n  app_secret: \"${CCLOAD_UNSET_SK:-"+litDefSK+"}\"\n"+channel+load+chat)
	if code := h.cmd("run", s13, "--target", defMock, "--out", h.out("default"), "--no-progress"); code != exitOK {
		t.Fatalf("AK/SK from variable defaults: exit %d\n%s", code, h.shown[len(h.shown)-1])
	}
	h.cmd("report", filepath.Join(h.dir, "out-default", "report.json"), "--html", filepath.Join(h.out("default-rerender"), "r.html"))
	// 7. A template made bad by an environment value, in validate and run.
	s7 := h.scenario("tmpl", "auth: {app_key: a, app_secret: b}\n"+load+"sessions:\n  - steps: [connect, {chat: \"${SECRET_TXT}\"}]\n")
	if code := h.cmd("validate", s7); code != exitUsage {
		t.Errorf("template error: validate exit %d", code)
	}
	h.cmd("run", s7, "--out", h.out("tmpl"))
	// 8. A target URL with user info, and 9. with a query, in validate and run.
	for i, u := range []string{"http://user:" + litPW + "@127.0.0.1:1", "http://127.0.0.1:1/?key=" + litQ} {
		s := h.scenario("url"+string(rune('a'+i)), "target: {url: \""+u+"\"}\nauth: {app_key: k, app_secret: s}\n"+channel+load+chat)
		if code := h.cmd("validate", s); code != exitUsage {
			t.Errorf("%s: validate exit %d", u, code)
		}
		h.cmd("run", s, "--out", h.out("url"+string(rune('a'+i))))
	}
	// 10. The same URLs given as --target.
	h.cmd("run", s2, "--target", "http://user:"+litPW+"@127.0.0.1:1", "--out", h.out("flagurl"))
	h.cmd("run", s2, "--target", "http://127.0.0.1:1/?key="+litQ, "--out", h.out("flagq"))
	// 11. Re-rendering, comparing and merging the reports of literal secrets.
	env, lit := filepath.Join(h.dir, "out-env", "report.json"), filepath.Join(h.dir, "out-lit", "report.json")
	h.cmd("report", lit, "--html", filepath.Join(h.out("rerender"), "r.html"), "--junit", filepath.Join(h.dir, "out-rerender", "j.xml"), "--csv", filepath.Join(h.dir, "out-rerender", "t.csv"))
	h.cmd("compare", env, lit)
	h.cmd("merge", env, lit, "-o", filepath.Join(h.out("merge"), "report.json"))
	// 12. validate's plan of a valid scenario with literal secrets.
	h.cmd("validate", s2, s3, s6)

	var scanned int
	check := func(where, text string) {
		for _, s := range allSecrets() {
			if strings.Contains(text, s) {
				t.Errorf("secret %s appears in %s", s, where)
			}
		}
	}
	for i, s := range h.shown {
		check("the output of `ccload "+h.cmds[i]+"`", s)
	}
	for _, d := range h.dirs {
		filepath.Walk(d, func(p string, fi os.FileInfo, err error) error {
			if err != nil || fi.IsDir() {
				return nil
			}
			b, _ := os.ReadFile(p)
			scanned++
			check(p, string(b))
			return nil
		})
	}
	for _, f := range []string{"out-env/report.json", "out-lit/report.html", "out-lit/junit.xml", "out-lit/timeseries.csv", "out-echo403/report.json", "out-default/report.html", "out-default-rerender/r.html", "record.jsonl"} {
		if fi, err := os.Stat(filepath.Join(h.dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s was not written (%v): the test would not see a secret in it", f, err)
		}
	}
	// The storms must have been storms, or the test proved nothing about their error paths.
	for _, name := range []string{"401", "echo401", "echo403"} {
		rep, err := report.ReadFile(filepath.Join(h.dir, "out-"+name, report.FileName))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if rep.Requests.HTTPErrors == 0 {
			t.Errorf("%s: no HTTP errors recorded (%+v): the server did not refuse the credentials", name, rep.Requests)
		}
	}
	t.Logf("%d command outputs and %d files scanned", len(h.shown), scanned)
}
