package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// wrkOutput is wrk 4.1's output for a run with --latency (as captured on the bench machine).
const wrkOutput = `Running 3s test @ http://127.0.0.1:18092/apiaccess/ccmessaging/sendAsync
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   238.09us  151.37us   2.99ms   88.05%
    Req/Sec   175.88k    17.32k  203.95k    67.74%
  Latency Distribution
     50%  192.00us
     75%  279.00us
     90%  397.00us
     99%    1.84ms
  541330 requests in 3.10s, 82.08MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec: 174608.16
Transfer/sec:     26.48MB
`

func TestParseWrk(t *testing.T) {
	var r run
	if err := parseWrk([]byte(wrkOutput), &r); err != nil {
		t.Fatal(err)
	}
	want := run{requests: 541330, rps: 174608.16, p50us: 192, p99us: 1840, errors: 7}
	if r != want {
		t.Errorf("parseWrk = %+v, want %+v", r, want)
	}
}

func TestParseVegeta(t *testing.T) {
	out := `{"latencies":{"50th":760377,"99th":2718387},"requests":113733,"throughput":37878.01,"success":0.99,"errors":["connection refused"]}`
	var r run
	if err := parseVegeta([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.requests != 113733 || r.rps != 37878.01 || r.p50us != 760.377 || r.p99us != 2718.387 || r.errors != 1137 || r.errorDetail != "connection refused" {
		t.Errorf("parseVegeta = %+v", r)
	}
}

func TestParseRunWithTargetStats(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"time":   "Command exited with non-zero status 1\n6.01 1.50 0.50 20480\n",
		"stats0": "HTTP/1.1 200 OK\r\nContent-Length: 80\r\n\r\n{\"conns_accepted\":10,\"conns_max\":1,\"requests\":1000,\"body_bytes\":366000}",
		"stats1": "HTTP/1.1 200 OK\r\nContent-Length: 80\r\n\r\n{\"conns_accepted\":75,\"conns_max\":64,\"requests\":3000,\"body_bytes\":1098000}",
		"out":    `{"client":"h1","requests":2000,"errors":0,"seconds":6,"rps":333.3,"p50_us":400,"p99_us":900}`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := parseRun(dir, "loop-h1")
	if err != nil {
		t.Fatal(err)
	}
	if r.cpuSec != 2 || r.wallSec != 6.01 || r.rssMB != 20 || r.conns != 64 || r.maxOpen != 64 || r.bodyBytes != 366 || r.requests != 2000 {
		t.Errorf("parseRun = %+v", r)
	}
	row := summarize("pinned", "loop-h1", []run{r})
	if row.cpuUsPerReq != 1000 {
		t.Errorf("CPU per request = %v µs, want 1000", row.cpuUsPerReq)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// Requests the run's end cut off (--grace 0s) are in ccload's total but are no errors.
func TestParseCcloadCutIsNoError(t *testing.T) {
	out := `{"duration_s":2,"requests":{"total":100,"ok":95,"cut":4,"not_sent":7},"groups":[]}`
	var r run
	if err := parseCcload([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.requests != 96 || r.errors != 1 || r.rps != 48 {
		t.Errorf("parseCcload = requests %v errors %v rps %v, want 96 answered, 1 (cut is none), 48", r.requests, r.errors, r.rps)
	}
}

// The ratio line holds ccload's CPU per request against each tool of its configuration, with
// issue 24's goals: 0.3× vegeta's, 1.2× wrk's, 1.05× the bare h1 loop's.
func TestRatiosAgainstIssue24Goals(t *testing.T) {
	rows := []row{
		{config: "pinned", tool: "ccload", cpuUsPerReq: 10},
		{config: "pinned", tool: "vegeta", cpuUsPerReq: 40},
		{config: "pinned", tool: "wrk", cpuUsPerReq: 8},
		{config: "pinned", tool: "loop-h1", cpuUsPerReq: 9},
		{config: "shared", tool: "wrk", cpuUsPerReq: 1},
	}
	var b strings.Builder
	ratios(&b, "pinned", rows)
	for _, want := range []string{"0.25× vegeta's (goal ≤ 0.3)", "1.25× wrk's (goal ≤ 1.2)", "1.11× the bare h1 loop's (goal ≤ 1.05)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("ratio line %q lacks %q", b.String(), want)
		}
	}
}
