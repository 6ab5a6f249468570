package genlimit

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestJudge: the rule, clock-free. Each case is a span's usage and whether the generator was the limit.
func TestJudge(t *testing.T) {
	l := Defaults()
	ms := time.Millisecond
	for _, tc := range []struct {
		name      string
		u         Usage
		limited   bool
		transient bool
		why       string
	}{
		{"a quiet generator", Usage{LagP99: 2 * ms, ResponseP99: 20 * ms, CPU: 0.2, CPUs: 2, MachineBusy: 0.3}, false, false, ""},
		{"saturated CPUs", Usage{LagP99: 2 * ms, ResponseP99: 20 * ms, CPU: 0.97, CPUs: 2, MachineBusy: 0.99}, true, false, "the process used 97% of its 2 CPUs (over 90%)"},
		{"saturated CPUs, but the target shares the process", Usage{LagP99: 2 * ms, ResponseP99: 20 * ms, CPU: 0.97, CPUs: 2, MachineBusy: 0.99, SharedWithTarget: true}, false, false, ""},
		{"lag while busy", Usage{LagP99: 150 * ms, ResponseP99: 300 * ms, CPU: 0.8, CPUs: 2, MachineBusy: 0.95}, true, false, "scheduler lag p99 150ms over 50.0ms"},
		{"lag waiting for a CPU others used", Usage{LagP99: 150 * ms, ResponseP99: 300 * ms, CPU: 0.1, CPUs: 2, MachineBusy: 0.99}, true, true, "waiting for a CPU"},
		{"lag on an idle machine is the target's queue", Usage{LagP99: 150 * ms, ResponseP99: 300 * ms, CPU: 0.1, CPUs: 2, MachineBusy: 0.4}, false, false, ""},
		{"lag while every connection was busy is the target's queue, busy machine or not", Usage{LagP99: 150 * ms, ResponseP99: 300 * ms, CPU: 0.1, CPUs: 2, MachineBusy: 0.99, WorkersBusy: 0.3}, false, false, ""},
		{"lag with the workers hardly ever all busy is still the generator's", Usage{LagP99: 150 * ms, ResponseP99: 300 * ms, CPU: 0.1, CPUs: 2, MachineBusy: 0.99, WorkersBusy: 0.005}, true, true, "waiting for a CPU"},
		{"busy workers do not excuse saturated CPUs", Usage{LagP99: 150 * ms, ResponseP99: 300 * ms, CPU: 0.97, CPUs: 2, MachineBusy: 0.99, WorkersBusy: 0.5}, true, false, "the process used 97% of its 2 CPUs"},
		{"lag a small part of slow answers", Usage{LagP99: 60 * ms, ResponseP99: 2 * time.Second, CPU: 0.8, CPUs: 2, MachineBusy: 0.99}, false, false, ""},
		{"memory", Usage{CPU: 0.1, CPUs: 2, Memory: 900 << 20, MemoryTotal: 1000 << 20}, true, false, "held 900 MiB"},
		{"CPU unknown", Usage{LagP99: 2 * ms, ResponseP99: 20 * ms}, false, false, ""},
	} {
		why, transient := l.Judge(tc.u)
		if (len(why) > 0) != tc.limited || transient != tc.transient || tc.why != "" && !strings.Contains(strings.Join(why, "; "), tc.why) {
			t.Errorf("%s: reasons %q transient %v, want limited %v transient %v naming %q", tc.name, why, transient, tc.limited, tc.transient, tc.why)
		}
	}
	// ccload capacity names its flags.
	if why, _ := (Limits{MaxLag: 50 * ms, MaxCPU: 0.9, MaxMemory: 0.8, Flags: true}).Judge(Usage{CPU: 0.95, CPUs: 2}); len(why) != 1 || !strings.Contains(why[0], "--max-cpu 90%") {
		t.Errorf("capacity's reasons %q, want --max-cpu named", why)
	}
}

// TestSinceMeasuresTheProcess: a process that burns a CPU for a while reads a CPU share above
// zero; no time, no share.
func TestSinceMeasuresTheProcess(t *testing.T) {
	if _, ok := ProcessCPU(); !ok {
		t.Skip("no process CPU time on " + runtime.GOOS)
	}
	m0 := Now()
	x := 0
	for end := time.Now().Add(200 * time.Millisecond); time.Now().Before(end); {
		x++
	}
	cpu, _ := Since(m0, Now())
	if cpu <= 0 || cpu > 1.01 || x == 0 {
		t.Errorf("CPU share %g after burning a CPU, want above 0 and at most 1", cpu)
	}
	if cpu, busy := Since(m0, m0); cpu != 0 || busy != 0 {
		t.Errorf("a span of no time: %g, %g, want 0", cpu, busy)
	}
}

// TestServesInProcess: a server of this process is in it; another process's listener and a
// remote host are not.
func TestServesInProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("ServesInProcess reads /proc")
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	if !ServesInProcess(srv.URL) {
		t.Errorf("%s is served by this process, ServesInProcess says no", srv.URL)
	}
	if ServesInProcess("http://192.0.2.1:8080") {
		t.Error("a remote host taken for this process")
	}
	// A listener of another process: a port this process holds none of.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	if ServesInProcess("http://127.0.0.1:" + itoa(port)) {
		t.Errorf("port %d, which no one listens on, taken for this process", port)
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		return
	}
	cmd := exec.Command(py, "-c", "import socket,sys,time;s=socket.socket();s.bind(('127.0.0.1',0));s.listen();print(s.getsockname()[1],flush=True);time.sleep(20)")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	buf := make([]byte, 16)
	n, _ := out.Read(buf)
	if p := strings.TrimSpace(string(buf[:n])); p != "" && ServesInProcess("http://127.0.0.1:"+p) {
		t.Errorf("another process's listener on %s taken for this process", p)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
