package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"ccload/ccapi"
)

// mockCmdBuffer is an io.Writer safe to read while cmdMock writes to it.
type mockCmdBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *mockCmdBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *mockCmdBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func TestMockCommandHelp(t *testing.T) {
	var out, errb bytes.Buffer
	if code := cmdMock(context.Background(), []string{"--help"}, &out, &errb); code != exitOK {
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
			code := cmdMock(context.Background(), tc.args, &out, &errb)
			if code != exitUsage || !strings.Contains(errb.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errb.String(), tc.want)
			}
		})
	}
}

func TestMockCommandServesUntilCancelled(t *testing.T) {
	record := filepath.Join(t.TempDir(), "rec.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb mockCmdBuffer
	done := make(chan int, 1)
	go func() {
		done <- cmdMock(ctx, []string{"--addr", "127.0.0.1:0", "--record", record, "--robot-delay", "0",
			"--latency", "1ms", "--latency", "poll=2ms", "--seed", "7"}, &out, &errb)
	}()
	urlRE := regexp.MustCompile(`serving on (http://127\.0\.0\.1:\d+)`)
	var base string
	for deadline := time.Now().Add(10 * time.Second); base == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := urlRE.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("no URL printed; stdout %q stderr %q", out.String(), errb.String())
	}

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

	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d after cancel; stderr %q", code, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ccload mock did not stop when its context was cancelled")
	}
	if !strings.Contains(out.String(), "stopped after 3 requests") {
		t.Errorf("stdout %q, want the request count on exit", out.String())
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
