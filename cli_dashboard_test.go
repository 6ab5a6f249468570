package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// Every command that sends load takes --dashboard; a bad or busy address exits 2 before anything is sent.
func TestDashboardFlagOnEveryLoadCommand(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, sub := range []string{"run", "replay", "capacity"} {
		var out, errb bytes.Buffer
		if code := ccloadTo(t, []string{sub, "--help"}, &out, &errb); code != exitOK ||
			!strings.Contains(out.String()+errb.String(), "-dashboard host:port") {
			t.Errorf("ccload %s --help (exit %d) does not list --dashboard", sub, code)
		}
	}
	for _, c := range []struct{ sub, file, addr, want string }{
		{"run", "scenarios/quickstart.yaml", "nonsense", "--dashboard \"nonsense\": want host:port"},
		{"run", "scenarios/quickstart.yaml", busy.Addr().String(), "pick a free port"},
		{"capacity", "scenarios/capacity.yaml", "nonsense", "--dashboard \"nonsense\": want host:port"},
	} {
		var out, errb bytes.Buffer
		code := ccloadTo(t, []string{c.sub, "--dashboard", c.addr, "--out", t.TempDir(), c.file}, &out, &errb)
		if code != exitUsage || !strings.Contains(errb.String(), c.want) || strings.Contains(out.String(), "report:") {
			t.Errorf("ccload %s --dashboard %s: exit %d, stderr %q; want exit 2 naming the flag, and no run", c.sub, c.addr, code, errb.String())
		}
	}
}

// TestDashboardServesARun runs the binary with --dashboard: the page's state follows the run (its
// scenario, charts drawn, more intervals over time), and ccload exits when the run ends although a
// browser's event stream is still open and unread.
func TestDashboardServesARun(t *testing.T) {
	ccloadBinary(t)
	realTime(t)
	addr := freePort(t)
	type state struct {
		Seq  int64  `json:"seq"`
		Done bool   `json:"done"`
		Body string `json:"body"`
	}
	var seqs []int64
	var body string
	var stream *http.Response
	res := e2eRun(t, func(*os.Process) {
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) && len(seqs) < 3 {
			resp, err := http.Get("http://" + addr + "/state")
			if err == nil {
				var st state
				if json.NewDecoder(resp.Body).Decode(&st) == nil && st.Body != "" && !st.Done &&
					(len(seqs) == 0 || st.Seq > seqs[len(seqs)-1]) {
					seqs, body = append(seqs, st.Seq), st.Body
				}
				resp.Body.Close()
			}
			if stream == nil {
				stream, _ = http.Get("http://" + addr + "/events") // opened, never read
			}
			time.Sleep(100 * time.Millisecond)
		}
	}, "testdata/e2e/metrics.yaml", "--dashboard", addr, "--grace", "5s")
	if stream != nil {
		stream.Body.Close()
	}
	if res.code != exitOK || res.rep == nil {
		t.Fatalf("exit %d, want 0 with a report", res.code)
	}
	if !strings.Contains(res.stderr, "live dashboard on http://"+addr+"/") {
		t.Errorf("stderr does not give the dashboard's address")
	}
	if len(seqs) < 3 {
		t.Fatalf("the dashboard showed %d distinct states during a 4 s run, want 3", len(seqs))
	}
	if !strings.Contains(body, "e2e-metrics") || !strings.Contains(body, `id="throughput"`) || !strings.Contains(body, "RUNNING") {
		t.Errorf("the live state lacks the scenario's name, the charts or the running verdict: %.400s", body)
	}
}
