package main

// The round trip of `ccload fit` (issue "Reproduce production"): a known scenario runs against
// `ccload mock --record`, the log is fitted, the fitted scenario runs against a fresh recording
// mock, and the two logs must agree. Time is compressed so the test stays short: think times
// have medians of 0.6 to 1.2 s, the ramp is 10 s and the hold 4 s, and the arrival curve is
// compared in 2 s buckets instead of minutes.

import (
	"bufio"
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"ccload/traffic"
)

// recordingMock starts `ccload mock --record path` on a free loopback port and returns its URL
// and a stop function that ends it with SIGINT (which flushes the record) and waits.
func recordingMock(t *testing.T, path string) (string, func()) {
	t.Helper()
	bin := e2eBinary(t)
	cmd := exec.Command(bin, "mock", "--addr", "127.0.0.1:0", "--record", path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var se bytes.Buffer
	cmd.Stderr = &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cmd.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Errorf("mock did not stop on SIGINT; stderr:\n%s", se.String())
		}
	}
	t.Cleanup(stop)
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		stop()
		t.Fatalf("mock printed nothing; stderr:\n%s", se.String())
	}
	line := sc.Text()
	go func() {
		for sc.Scan() {
		}
	}()
	_, rest, ok := strings.Cut(line, "serving on ")
	url, _, _ := strings.Cut(rest, " ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		stop()
		t.Fatalf("no URL in %q", line)
	}
	return url, stop
}

// analyse reads one recorded log into an analysis with 2 s buckets.
func analyse(t *testing.T, path string) (*traffic.Analysis, traffic.Stats) {
	t.Helper()
	f, err := traffic.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a := traffic.NewAnalysis(traffic.AnalyzeOptions{Bucket: 2 * time.Second})
	st, err := traffic.Read(f, traffic.DefaultOptions(), a.Add)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return a, st
}

// maxLag is the scheduler lag past which a run says more about the machine than about the
// fit: the generator was starved of CPU (the logged gaps and arrivals carry its stalls).
const maxLag = 250 * time.Millisecond

// starved skips the round trip when the generator was starved: the report itself warns that
// such a run measured the generator, and comparing its log would test the machine's load.
func starved(t *testing.T, res e2eResult) {
	t.Helper()
	if res.rep == nil {
		t.Fatal("no report")
	}
	if lag := time.Duration(res.rep.SchedulerLagUS.Max) * time.Microsecond; lag > maxLag {
		t.Skipf("the generator was starved (scheduler lag max %s > %s): the logs would measure this machine's load, not the fit", lag, maxLag)
	}
}

func TestFitRoundTrip(t *testing.T) {
	realTime(t)
	dir := t.TempDir()
	base := filepath.Join(dir, "base.yaml")
	os.WriteFile(base, []byte("auth: {app_key: rt-key, app_secret: rt-secret}\n"), 0o644)
	known, _ := os.ReadFile("testdata/roundtrip.yaml")
	knownPath := filepath.Join(dir, "known.yaml")
	os.WriteFile(knownPath, append(known, []byte("auth: {app_key: rt-key, app_secret: rt-secret}\n")...), 0o644)

	log1, log2 := filepath.Join(dir, "prod.jsonl"), filepath.Join(dir, "fitted.jsonl")
	url, stop := recordingMock(t, log1)
	res := e2eRun(t, nil, knownPath, "--target", url)
	if res.code != 0 {
		t.Fatalf("known scenario: exit %d", res.code)
	}
	starved(t, res)
	stop()

	fitted := filepath.Join(dir, "fitted.yaml")
	var so, se bytes.Buffer
	if code := dispatch(context.Background(), []string{"fit", log1, "-o", fitted, "--bucket", "2s", "--tolerance", "2%",
		"--poll", "off", "--base", base}, &so, &se); code != 0 {
		t.Fatalf("fit: exit %d\n%s%s", code, so.String(), se.String())
	}
	t.Logf("fit:\n%s", so.String())
	if code := dispatch(context.Background(), []string{"validate", fitted}, &so, &se); code != 0 {
		t.Fatalf("validate rejects the fitted scenario: %s", se.String())
	}
	if b, err := os.ReadFile(strings.TrimSuffix(fitted, ".yaml") + ".fit.html"); err != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("fit page: %v, has svg %v", err, bytes.Contains(b, []byte("<svg")))
	}

	url, stop = recordingMock(t, log2)
	res = e2eRun(t, nil, fitted, "--target", url)
	if res.code != 0 {
		t.Fatalf("fitted scenario: exit %d", res.code)
	}
	starved(t, res)
	stop()

	a, st1 := analyse(t, log1)
	b, _ := analyse(t, log2)

	// The fit recovers the known mix (40/30/30) and medians (within 10%; the logged gaps
	// also hold the mock's latency, about a millisecond).
	r, err := traffic.FitScenario(a, st1, traffic.FitOptions{Resolution: time.Millisecond, Tolerance: 0.02})
	if err != nil {
		t.Fatal(err)
	}
	wantShare := map[string]float64{"CONNECT CHAT+ DISCONNECT": 0.4, "CONNECT INPUT READ DISCONNECT": 0.3, "CONNECT CHAT/WEBCARD+ DISCONNECT": 0.3}
	wantMedian := map[string]float64{"CONNECT→CHAT": 0.8, "CHAT→CHAT (repeat)": 0.6, "CHAT→DISCONNECT": 1,
		"CONNECT→INPUT": 1.2, "INPUT→READ": 0.8, "READ→DISCONNECT": 0.6, "CONNECT→CHAT/WEBCARD": 1, "CHAT/WEBCARD→DISCONNECT": 0.8}
	if len(r.Types) != 3 {
		t.Fatalf("fitted %d session types, want 3", len(r.Types))
	}
	for _, ft := range r.Types {
		if w, ok := wantShare[ft.Type.Key]; !ok || math.Abs(ft.Share-w) > 0.05 {
			t.Errorf("type %s: share %.3f, want %.2f ± 0.05", ft.Type.Key, ft.Share, w)
		}
		for _, s := range ft.Steps {
			for _, f := range []*traffic.Fitted{s.Think, s.Inner} {
				if f == nil {
					continue
				}
				if f.Chosen.Family != traffic.LogNormal {
					t.Errorf("%s: chose %s, want lognormal (%+v)", f.Label, f.Chosen.Family, f.Candidates)
				}
				if m := f.Chosen.Median(); math.Abs(m-wantMedian[f.Label]) > 0.1*wantMedian[f.Label] {
					t.Errorf("%s: fitted median %.1fms, want %.0fms ± 10%%", f.Label, m*1e3, wantMedian[f.Label]*1e3)
				}
			}
		}
	}
	// The fitted scenario's run is like production: the limits.
	rows := traffic.Diff(a, b, traffic.DiffLimits{Share: 0.05, KS: 0.1, Median: 0.10, Rate: 0.05, MinSamples: 30})
	var tbl bytes.Buffer
	fails := traffic.WriteDiff(&tbl, "known", "fitted", rows)
	checked := map[string]int{}
	for _, row := range rows {
		if row.Checked {
			checked[row.Section]++
		}
	}
	if fails > 0 || checked["session type"] != 3 || checked["think time"] != 16 || checked["arrivals"] != 7 {
		t.Errorf("logdiff: %d failed, checked %v (want 3 types, 8 transitions × KS and median, 7 buckets):\n%s", fails, checked, tbl.String())
	} else {
		t.Logf("logdiff:\n%s", tbl.String())
	}
	// The command says the same with its exit code.
	so.Reset()
	if code := dispatch(context.Background(), []string{"logdiff", log1, log2, "--bucket", "2s"}, &so, &se); code != 0 {
		t.Errorf("ccload logdiff: exit %d\n%s", code, so.String())
	}
}
