package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"ccload/scenario"
	"ccload/traffic"
)

// Bad logs are refused by fit, logdiff and replay with exit 2, naming the file and what is
// wrong; nothing is written or sent.
func TestFitBadLogs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	good := func(from, ct string, ms int) string {
		return fmt.Sprintf(`{"controlType":%q,"from":%q,"mediaType":"TEXT","content":"x","received_ms":%d}`+"\n", ct, from, ms)
	}
	var many strings.Builder
	for i := range 50 {
		many.WriteString(good(fmt.Sprint("c", i), "CONNECT", 1_000_000+i))
	}
	cases := []struct {
		name, log, want string
	}{
		{"empty", write("empty.jsonl", ""), "holds no request"},
		{"directory", dir, "is a directory"},
		{"device", "/dev/zero", "not a regular file"},
		{"missing", filepath.Join(dir, "nope.jsonl"), "no such file"},
		{"malformed", write("bad.jsonl", many.String()+"{not json\n"+"{\"from\":\"a\"\n"), "line 51: "},
		{"unknown controlType", write("ct.jsonl", many.String()+good("z", "SHOUT", 1_000_100)), `line 51: "SHOUT"`},
		{"unsorted", write("order.jsonl", many.String()+good("z", "CONNECT", 1)), "line 51: received_ms is"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, c.name+".yaml")
			var so, se bytes.Buffer
			code := ccloadTo(t, []string{"fit", c.log, "-o", out}, &so, &se)
			if code != exitUsage || !strings.Contains(se.String(), c.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, se.String(), c.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written", out)
			}
			for _, args := range [][]string{{"logdiff", c.log, c.log}, {"replay", c.log, "--no-progress", "--out", filepath.Join(dir, "rp-"+c.name)}} {
				se.Reset()
				if code := ccloadTo(t, args, &so, &se); code != exitUsage || !strings.Contains(se.String(), c.want) {
					t.Errorf("%s: exit %d, stderr %q; want 2 and %q", args[0], code, se.String(), c.want)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "rp-"+c.name)); err == nil {
				t.Errorf("replay wrote a report for a bad log")
			}
		})
	}
	// Below the bad-line limit, the same problems are reported but the fit goes on.
	log := write("some.jsonl", many.String()+"{not json\n")
	var so, se bytes.Buffer
	if code := ccloadTo(t, []string{"fit", log, "-o", filepath.Join(dir, "ok.yaml"), "--max-bad", "5%"}, &so, &se); code != 0 ||
		!strings.Contains(se.String(), "1 × malformed line (first: line 51:") {
		t.Fatalf("exit %d, stderr %q", code, se.String())
	}
}

// logdiff exits 1 when two logs differ past a limit beyond their noise, and says which
// comparison failed.
func TestLogdiffLimits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	mk := func(name string, chatPermille int) string {
		var b strings.Builder
		for i := range 1000 {
			t0 := 1_000_000 + i*50
			b.WriteString(fmt.Sprintf(`{"controlType":"CONNECT","from":"c%d","received_ms":%d}`+"\n", i, t0))
			ct := "INPUT"
			if i%10 < chatPermille/100 {
				ct = "CHAT"
			}
			b.WriteString(fmt.Sprintf(`{"controlType":%q,"from":"c%d","content":"hi","received_ms":%d}`+"\n", ct, i, t0+40))
			b.WriteString(fmt.Sprintf(`{"controlType":"DISCONNECT","from":"c%d","received_ms":%d}`+"\n", i, t0+90))
		}
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(b.String()), 0o644)
		return p
	}
	a, b := mk("a.jsonl", 500), mk("b.jsonl", 700)
	var so, se bytes.Buffer
	if code := ccloadTo(t, []string{"logdiff", a, a}, &so, &se); code != 0 {
		t.Fatalf("a log against itself: exit %d\n%s%s", code, so.String(), se.String())
	}
	so.Reset()
	code := ccloadTo(t, []string{"logdiff", a, b}, &so, &se)
	if code != exitFailed || !strings.Contains(so.String(), "CONNECT CHAT+ DISCONNECT") || !strings.Contains(so.String(), "20 pts") ||
		!strings.Contains(so.String(), "FAIL") {
		t.Fatalf("shares 50%% vs 70%% of 1000 sessions: exit %d\n%s", code, so.String())
	}
	// A looser limit passes the same logs.
	if code := ccloadTo(t, []string{"logdiff", a, b, "--max-share", "15%"}, &so, &se); code != 0 {
		t.Fatalf("--max-share 15%%: exit %d", code)
	}
}

// logdiff's --json, --junit and --html follow compare's: written whatever the verdict, exit 0
// within the limits, 1 over one, 2 when an output cannot be written.
func TestLogdiffOutputs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := fitLog(t, dir, "1")
	var rows []string
	for i := range 200 { // the same log with every gap 3x as long
		t0 := 1_000_000 + i*200
		for k, ct := range []string{"CONNECT", "CHAT", "DISCONNECT"} {
			rows = append(rows, fmt.Sprintf(`{"received_ms":%d,"channel":"WEB","to":"1","controlType":%q,"from":"c%d","content":"hi"}`+"\n", t0+k*3*(300+i%7*50), ct, i))
		}
	}
	sort.Strings(rows) // by time: every received_ms has 7 digits
	slow := filepath.Join(dir, "slow.jsonl")
	os.WriteFile(slow, []byte(strings.Join(rows, "")), 0o644)
	for _, c := range []struct {
		b    string
		code int
	}{{log, exitOK}, {slow, exitFailed}} {
		js, ju, ht := filepath.Join(dir, "d.json"), filepath.Join(dir, "d.xml"), filepath.Join(dir, "d.html")
		var so, se bytes.Buffer
		code := ccloadTo(t, []string{"logdiff", log, c.b, "--json", js, "--junit", ju, "--html", ht}, &so, &se)
		if code != c.code {
			t.Fatalf("%s: exit %d, want %d\n%s%s", c.b, code, c.code, so.String(), se.String())
		}
		var res traffic.DiffResult
		data, _ := os.ReadFile(js)
		if err := json.Unmarshal(data, &res); err != nil || res.Pass != (c.code == exitOK) || res.Checks == 0 {
			t.Errorf("--json: %v, pass %v, %d checks", err, res.Pass, res.Checks)
		}
		if x, _ := os.ReadFile(ju); !bytes.Contains(x, []byte("<testsuites")) || bytes.Contains(x, []byte("<failure")) != (c.code == exitFailed) {
			t.Errorf("--junit:\n%s", x)
		}
		if h, _ := os.ReadFile(ht); !bytes.Contains(h, []byte("<table")) {
			t.Errorf("--html: %q", h)
		}
	}
	var so, se bytes.Buffer
	if code := ccloadTo(t, []string{"logdiff", log, log, "--json", filepath.Join(log, "x.json")}, &so, &se); code != exitUsage {
		t.Errorf("an unwritable --json: exit %d, want 2", code)
	}
}

// Values that make no sense are refused naming the flag, exit 2, nothing read or written.
func TestFitLogdiffRefuseAbsurdFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := filepath.Join(dir, "a.jsonl")
	os.WriteFile(log, []byte(`{"controlType":"CONNECT","from":"a","received_ms":1000000}`+"\n"), 0o644)
	out := filepath.Join(dir, "x.yaml")
	for _, c := range []struct {
		args []string
		flag string
	}{
		{[]string{"fit", log, "-o", out, "--types", "0"}, "--types"},
		{[]string{"fit", log, "-o", out, "--coverage", "0%"}, "--coverage"},
		{[]string{"fit", log, "-o", out, "--ks", "-1"}, "--ks"},
		{[]string{"fit", log, "-o", out, "--ks", "NaN"}, "--ks"},
		{[]string{"fit", log, "-o", out, "--tolerance", "NaN"}, "--tolerance"},
		{[]string{"fit", log, "-o", out, "--bucket", "-1s"}, "--bucket"},
		{[]string{"logdiff", log, log, "--max-ks", "2"}, "--max-ks"},
		{[]string{"logdiff", log, log, "--max-ks", "NaN"}, "--max-ks"},
		{[]string{"logdiff", log, log, "--speed", "0"}, "--speed"},
		{[]string{"logdiff", log, log, "--speed", "Inf"}, "--speed"},
		{[]string{"logdiff", log, log, "--alpha", "0"}, "--alpha"},
		{[]string{"logdiff", log, log, "--max-rate", "-5%"}, "--max-rate"},
		{[]string{"logdiff", log, log, "--max-open", "0"}, "--max-open"},
		{[]string{"fit", log, "-o", out, "--max-events", "-1"}, "--max-events"},
		{[]string{"fit", log, "-o", out, "--idle", "0s"}, "--idle"},
	} {
		var so, se bytes.Buffer
		code := ccloadTo(t, c.args, &so, &se)
		if code != exitUsage || !strings.Contains(se.String(), c.flag+":") || !strings.HasPrefix(se.String(), "ccload "+c.args[0]+": ") {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming %s", c.args, code, se.String(), c.flag)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("%v wrote %s", c.args, out)
		}
	}
}

// A log of nothing but bad lines is given up early, not read to its end.
func TestFitGivesUpOnAllBadLines(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(p, bytes.Repeat([]byte("{not json\n"), 50_000), 0o644)
	var so, se bytes.Buffer
	code := ccloadTo(t, []string{"fit", p, "-o", filepath.Join(dir, "x.yaml")}, &so, &se)
	if code != exitUsage || !strings.Contains(se.String(), "the first 1000 lines are all bad") || !strings.Contains(se.String(), "1000 × malformed line") {
		t.Fatalf("exit %d, stderr %q", code, se.String())
	}
}

// fitLog writes a small valid log whose requests carry to and channel.
func fitLog(t *testing.T, dir, to string) string {
	t.Helper()
	var b strings.Builder
	for i := range 200 {
		t0 := 1_000_000 + i*200
		for k, ct := range []string{"CONNECT", "CHAT", "DISCONNECT"} {
			fmt.Fprintf(&b, `{"channel":"WEB","to":%q,"controlType":%q,"from":"c%d","content":"hi","received_ms":%d}`+"\n", to, ct, i, t0+k*(300+i%7*50))
		}
	}
	p := filepath.Join(dir, "prod.jsonl")
	os.WriteFile(p, []byte(b.String()), 0o644)
	return p
}

// The fitted scenario runs anywhere: credentials from CC_APP_KEY / CC_APP_SECRET (demo by
// default, which the embedded mock takes), the channel configuration the log carries.
func TestFitAuthAndChannel(t *testing.T) {
	realTime(t)
	dir := t.TempDir()
	log := fitLog(t, dir, "4242")
	out := filepath.Join(dir, "fitted.yaml")
	var so, se bytes.Buffer
	if code := ccloadTo(t, []string{"fit", log, "-o", out}, &so, &se); code != 0 {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	text, _ := os.ReadFile(out)
	for _, want := range []string{"app_key: ${CC_APP_KEY:-demo}", "app_secret: ${CC_APP_SECRET:-demo}", "to: ${CC_CHANNEL_TO:-4242}", `channel: "WEB"`} {
		if !bytes.Contains(text, []byte(want)) {
			t.Errorf("the fitted scenario lacks %q:\n%s", want, text)
		}
	}
	env := map[string]string{"CC_APP_KEY": "k-from-env", "CC_APP_SECRET": "s-from-env"}
	sc, err := scenario.Parse(out, text, dir, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	if sc.Auth.AppKey != "k-from-env" || sc.Auth.AppSecret != "s-from-env" {
		t.Errorf("auth from the environment: %q %q", sc.Auth.AppKey, sc.Auth.AppSecret)
	}
	sc, err = scenario.Parse(out, text, dir, func(string) (string, bool) { return "", false })
	if err != nil || sc.Auth.AppKey != "demo" {
		t.Fatalf("auth without environment: %v %+v", err, sc)
	}
	// `ccload run fitted.yaml --target URL`, no --base: every session connects and sends its
	// requests (fitted from 30 sessions; the mock counts what it received), every answer 0.
	short := filepath.Join(dir, "short.jsonl")
	var b strings.Builder
	for i := range 30 {
		for k, ct := range []string{"CONNECT", "CHAT", "DISCONNECT"} {
			fmt.Fprintf(&b, `{"channel":"WEB","to":"4242","controlType":%q,"from":"c%d","content":"hi","received_ms":%d}`+"\n", ct, i, 1_000_000+i*100+k*(100+i%5*20))
		}
	}
	os.WriteFile(short, []byte(b.String()), 0o644)
	if code := ccloadTo(t, []string{"fit", short, "-o", out, "--poll", "off"}, &so, &se); code != 0 {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	m := e2eMock(t, nil)
	so.Reset()
	se.Reset()
	code := ccloadTo(t, []string{"run", out, "--target", m.URL(), "--out", filepath.Join(dir, "run"), "--no-progress"}, &so, &se)
	st := m.Stats()
	var answers int64
	for _, n := range st.ResultCodes {
		answers += n
	}
	if code != 0 || st.ControlTypes["CONNECT"] != 30 || st.ControlTypes["CHAT"] != 30 || st.ControlTypes["DISCONNECT"] != 30 || st.ResultCodes["0"] != answers {
		t.Fatalf("run --target: exit %d, mock saw %v, answered %v\n%s%s", code, st.ControlTypes, st.ResultCodes, so.String(), se.String())
	}
}

// --base: its sections are copied, a channel without `to` takes the log's, its first session's
// poll is the default --poll, and a base that does not fit is named truly, nothing written.
func TestFitBase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := fitLog(t, dir, "777")
	base := filepath.Join(dir, "env.yaml")
	os.WriteFile(base, []byte("target: {url: \"http://127.0.0.1:9\"}\nauth: {app_key: k, app_secret: s}\nchannel: {source_type: CUSTOMER}\nsessions:\n  - {name: x, poll: {interval: 2s}, steps: [connect]}\n"), 0o644)
	out := filepath.Join(dir, "fitted.yaml")
	var so, se bytes.Buffer
	if code := ccloadTo(t, []string{"fit", log, "-o", out, "--base", base}, &so, &se); code != 0 {
		t.Fatalf("a base without channel.to: exit %d: %s", code, se.String())
	}
	text, _ := os.ReadFile(out)
	sc, err := scenario.Parse(out, text, dir, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if sc.Auth.AppKey != "k" || sc.Target.URL != "http://127.0.0.1:9" || sc.Sessions[0].PollInterval != 2*time.Second ||
		!bytes.Contains(text, []byte(`to: "777" # from the log`)) {
		t.Errorf("auth %q, target %q, poll %s, text:\n%s", sc.Auth.AppKey, sc.Target.URL, sc.Sessions[0].PollInterval, text)
	}
	// An explicit --poll wins over the base's.
	if code := ccloadTo(t, []string{"fit", log, "-o", out, "--base", base, "--poll", "500ms"}, &so, &se); code != 0 {
		t.Fatal(se.String())
	}
	if text, _ := os.ReadFile(out); !bytes.Contains(text, []byte("poll: {interval: 500ms}")) {
		t.Errorf("--poll 500ms not written:\n%s", text)
	}
	// A base whose sections do not load: the error names the base and its fault, nothing is written.
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("auth: {app_key: k, app_secret: s}\nthresholds: {p99: fast}\n"), 0o644)
	out2 := filepath.Join(dir, "fitted2.yaml")
	se.Reset()
	code := ccloadTo(t, []string{"fit", log, "-o", out2, "--base", bad}, &so, &se)
	if code != exitUsage || !strings.Contains(se.String(), "--base "+bad) || !strings.Contains(se.String(), "nothing was written") ||
		strings.Contains(se.String(), "steps of the base?") || strings.Contains(se.String(), out2+":") {
		t.Errorf("exit %d, stderr %s", code, se.String())
	}
	if _, err := os.Stat(out2); err == nil {
		t.Errorf("%s was written", out2)
	}
}

// fit and logdiff stop within moments of SIGINT, SIGTERM or SIGHUP, even while a pipe's writer
// holds them waiting; exit 3, nothing written.
func TestFitLogdiffStoppable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := fitLog(t, dir, "1")
	for i, c := range []struct {
		sig  syscall.Signal
		args func(fifo, out string) []string
	}{
		{syscall.SIGINT, func(fifo, out string) []string { return []string{"fit", fifo, "-o", out} }},
		{syscall.SIGTERM, func(fifo, out string) []string { return []string{"fit", fifo, "-o", out} }},
		{syscall.SIGHUP, func(fifo, out string) []string { return []string{"fit", fifo, "-o", out} }},
		{syscall.SIGTERM, func(fifo, out string) []string { return []string{"logdiff", good, fifo, "--json", out} }},
	} {
		t.Run(fmt.Sprintf("%d-%s", i, c.sig), func(t *testing.T) {
			fifo, out := filepath.Join(dir, fmt.Sprintf("f%d", i)), filepath.Join(dir, fmt.Sprintf("out%d", i))
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			// The writer sends a few lines and then holds the pipe open, sending nothing: a
			// producer that stalls. Opening for writing returns once ccload opened the pipe.
			var w *os.File
			defer func() {
				if w != nil {
					w.Close()
				}
			}()
			r := ccloadWith(t, ccloadOpts{timeout: 20 * time.Second, // a hang guard, not a timing assertion
				started: func(p *os.Process) {
					var err error
					if w, err = os.OpenFile(fifo, os.O_WRONLY, 0); err != nil {
						t.Error(err)
						p.Kill()
						return
					}
					fmt.Fprintf(w, `{"controlType":"CONNECT","from":"a","received_ms":1000000}`+"\n")
					time.Sleep(200 * time.Millisecond) // let it read them and wait for more
					p.Signal(c.sig)
				}}, c.args(fifo, out)...)
			if r.code != exitAborted || !strings.Contains(r.stderr, "interrupted while reading") {
				t.Errorf("exit %d, stderr %q; want 3, interrupted", r.code, r.stderr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written", out)
			}
		})
	}
}

// A source that never ends is refused, not read: standard input that is a device, and a named
// pipe no writer opened.
func TestFitRefusesEndlessInput(t *testing.T) {
	t.Parallel() // the pipe is waited on for 3 s
	dir := t.TempDir()
	zero, err := os.Open("/dev/zero")
	if err != nil {
		t.Fatal(err)
	}
	defer zero.Close()
	r := ccloadWith(t, ccloadOpts{stdin: zero}, "fit", "-", "-o", filepath.Join(dir, "x.yaml"))
	if outb := r.stdout + r.stderr; r.code != exitUsage || !strings.Contains(outb, "standard input is a device") {
		t.Errorf("fit - < /dev/zero: exit %d, %q", r.code, outb)
	}
	fifo := filepath.Join(dir, "nowriter")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	var so, se bytes.Buffer
	code := ccloadTo(t, []string{"logdiff", fifo, fitLog(t, dir, "1")}, &so, &se)
	if code != exitUsage || !strings.Contains(se.String(), "named pipe and nothing came through it") {
		t.Errorf("a FIFO without a writer: exit %d, %q", code, se.String())
	}
}
