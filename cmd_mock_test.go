package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ccload/ccapi"
)

func TestMockCommandHelp(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	if code := ccloadTo(t, []string{"mock", "--help"}, &out, &errb); code != exitOK {
		t.Fatalf("--help exited %d", code)
	}
	for _, f := range []string{"addr", "app-key", "app-secret", "lenient", "token-lifetime", "cc-token-lifetime",
		"robot-delay", "agents", "handle-time", "agent-reply-delay", "session-timeout", "latency", "error-rate",
		"error-kind", "stall", "drop-rate", "malformed-rate", "capacity", "record", "seed"} {
		if !strings.Contains(out.String(), "-"+f+" ") && !strings.Contains(out.String(), "-"+f+"\n") {
			t.Errorf("--help does not document --%s", f)
		}
	}
	if errb.Len() != 0 {
		t.Errorf("--help wrote to stderr: %q", errb.String())
	}
}

func TestMockCommandBadFlagsExit2(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "unknown flag --bogus; see 'ccload mock --help'"},
		{[]string{"--latency", "sendSync=5ms"}, `unknown endpoint "sendSync"`},
		{[]string{"--latency", "lognormal:5ms"}, "lognormal takes 2"},
		{[]string{"--handle-time", "soon"}, "distribution"},
		{[]string{"--stall", "10s/1s"}, "STALL/PERIOD"},
		{[]string{"--stall", "1s"}, "STALL/PERIOD"},
		{[]string{"--error-rate", "1.5"}, "between 0 and 1"},
		{[]string{"--error-kind", "404"}, "want 500, 12 or 13"},
		{[]string{"--agents", "-1"}, "agents"},
		{[]string{"extra"}, "unexpected argument"},
		{[]string{"--addr", "127.0.0.1:0", "--record", "/nonexistent-dir/x.jsonl"}, "--record"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := ccloadTo(t, append([]string{"mock"}, tc.args...), &out, &errb)
			if code != exitUsage || !strings.Contains(errb.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errb.String(), tc.want)
			}
		})
	}
}

func TestMockCommandServesUntilCancelled(t *testing.T) {
	t.Parallel()
	record := filepath.Join(t.TempDir(), "rec.jsonl")
	m := startMockCommand(t, "--record", record, "--robot-delay", "0", "--latency", "1ms", "--latency", "poll=2ms", "--seed", "7")
	base := m.url

	post := func(path string, body any, hdr map[string]string) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", base+path, bytes.NewReader(b))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rsp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer rsp.Body.Close()
		var v map[string]any
		if rsp.StatusCode != 200 || json.NewDecoder(rsp.Body).Decode(&v) != nil {
			t.Fatalf("%s: HTTP %d", path, rsp.StatusCode)
		}
		return v
	}
	at := post(ccapi.DefaultPaths.TokenByAkSk, ccapi.TokenByAkSkReq{AppKey: "k", AppSecret: "s"}, nil)["AccessToken"].(string)
	hdr := map[string]string{ccapi.HeaderAppKey: "k", ccapi.HeaderAuthorization: "Bearer " + at}
	hdr[ccapi.HeaderToken] = post(ccapi.DefaultPaths.ApplyToken, ccapi.ApplyTokenReq{UserID: "cli", ChannelID: "c"}, hdr)["token"].(string)
	msg := ccapi.SendMsgReq{Channel: "WEB", ControlType: ccapi.Connect, From: "cli", MediaType: ccapi.Text, SourceType: ccapi.SourceCustomer, To: "c"}
	if got := post(ccapi.DefaultPaths.SendAsync, msg, hdr)["resultCode"]; got != "0" {
		t.Fatalf("CONNECT: resultCode %v", got)
	}

	r := m.stop(t) // SIGINT; a hang is an error of stop
	if r.code != exitOK {
		t.Fatalf("exit %d after SIGINT; stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "stopped after 3 requests") {
		t.Errorf("stdout %q, want the request count on exit", r.stdout)
	}
	b, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(b), &line); err != nil || line["controlType"] != "CONNECT" || line["received_ms"] == nil {
		t.Errorf("record file %q: want one JSON line of the CONNECT with received_ms", b)
	}
}

// A --record file that cannot be written (a full device) is said in the user's words when the
// mock stops: which flag and file, what failed, that the record is incomplete and what to do; not
// Go's "close: ..." of the step that found it. The mock exits 3, and every stderr line is in the
// command's voice.
func TestMockRecordFailureSaysWhatFailed(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	m := startMockCommand(t, "--record", "/dev/full")
	dir := t.TempDir()
	sc := filepath.Join(dir, "sc.yaml")
	os.WriteFile(sc, []byte("name: rec\nauth: {app_key: k, app_secret: s}\nload: {model: open, arrivals: uniform, rate: 10, duration: 1s}\nseed: 1\nsessions: [{name: s, poll: false, steps: [connect, disconnect]}]\n"), 0o644)
	if code, _, runErr := ccload(t, "run", sc, "--target", m.url, "--out", filepath.Join(dir, "out"), "--no-progress"); code != exitOK {
		t.Fatalf("run against the mock: exit %d\n%s", code, runErr)
	}
	r := m.stop(t)
	want := "ccload mock: --record /dev/full: writing the received requests failed, so the record is incomplete"
	if r.code != exitAborted || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "record to another file") {
		t.Errorf("exit %d, stderr %q; want 3 and %q with what to do", r.code, r.stderr, want)
	}
	for _, line := range strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n") {
		if !strings.HasPrefix(line, "ccload mock: ") || strings.Contains(line, "close:") || strings.Contains(line, "record:") {
			t.Errorf("a mock stderr line not in the user's words: %q", line)
		}
	}
}
