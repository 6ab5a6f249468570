package main

import (
	"os"
	"path/filepath"
	"testing"
)

// writeFiles writes name → content into dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// A report.json of a --duration/--grace 0s run: 64 exchanges in flight were
// cancelled. They are cut by the run, not errors of the target, and CPU per
// request is over the answered requests.
func TestParseCcloadCountsCancelledAsCut(t *testing.T) {
	out := `{"duration_s":2,"requests":{"total":1064,"ok":999,"transport_errors":65},
	  "groups":[{"endpoint":"sendAsync","count":1000,"errors":{"canceled":60,"reset":1},"service_time_us":{"p50":400,"p99":900}},
	            {"endpoint":"sendAsync","count":64,"errors":{"canceled":4}}]}`
	var r run
	if err := parseCcload([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.cut != 64 || r.errors != 1 || r.requests != 1000 || r.rps != 500 || r.p99us != 900 {
		t.Errorf("parseCcload = %+v, want 64 cut, 1 error, 1000 answered requests at 500/s", r)
	}
}

// Once the runner reports cut itself, that count is used (and a "canceled" class, if
// still present, is not counted twice); not_sent is outside total and counts nowhere.
func TestParseCcloadReadsRunnerCut(t *testing.T) {
	out := `{"duration_s":1,"requests":{"total":1008,"ok":1000,"cut":7,"not_sent":2},
	  "groups":[{"endpoint":"sendAsync","count":1001,"errors":{"canceled":7,"reset":1}}]}`
	var r run
	if err := parseCcload([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.cut != 7 || r.errors != 1 || r.requests != 1001 {
		t.Errorf("parseCcload = %+v, want 7 cut, 1 error, 1001 answered requests", r)
	}
}

// artilleryJSON is the shape of `artillery run --output` (2.0.21): three
// 10 s periods out of order in the file, 30 users created: 20 alive after the
// first period, 15 after the second, none after the third.
const artilleryJSON = `{
 "aggregate": {"counters": {"vusers.created": 30, "vusers.completed": 29, "vusers.failed": 1,
    "http.requests": 150, "http.codes.200": 147, "http.codes.500": 1, "errors.ETIMEDOUT": 2},
   "summaries": {"http.response_time": {"p50": 1.2, "p99": 40}},
   "firstCounterAt": 1796236300000, "lastCounterAt": 1796236330000},
 "intermediate": [
   {"counters": {"vusers.created": 10, "vusers.completed": 15}, "firstCounterAt": 1796236310000, "period": "1796236310000"},
   {"counters": {"vusers.created": 20}, "firstCounterAt": 1796236300000, "period": "1796236300000"},
   {"counters": {"vusers.completed": 14, "vusers.failed": 1}, "firstCounterAt": 1796236320000, "period": "1796236320000"}]
}`

func TestParseArtillery(t *testing.T) {
	var r run
	if err := parseArtillery([]byte(artilleryJSON), &r); err != nil {
		t.Fatal(err)
	}
	if r.requests != 150 || r.errors != 3 || r.rps != 5 || r.p50us != 1200 || r.p99us != 40000 {
		t.Errorf("parseArtillery = %+v, want 150 requests, 3 errors, 5/s, p50 1200 µs, p99 40000 µs", r)
	}
	// Periods in time order: 20 alive, then 20+10-15 = 15, then 0 (in file order the peak would be 15).
	if got := artilleryPeakVUs([]byte(artilleryJSON)); got != 20 {
		t.Errorf("peak virtual users = %v, want 20", got)
	}
}

// The 1m goal: polls counted only in the window goals.sh wrote, the peak of
// active customers over the whole run, and the mock's own GNU time figures.
func TestReadGoalRun1mWindow(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"time":      "500.1 100.5 50.5 1048576\n",
		"mock.time": "Command terminated by signal 2\n600.0 200.0 20.0 2097152\n",
		"window":    "2 4 90 30\n",
		"load":      " 18:00:00 up 1:00,  0 user,  load average: 1.00, 2.00, 3.00\n 18:08:00 up 1:08,  0 user,  load average: 4.00, 5.00, 6.00\n",
		"out": `{"duration_s":5,"requests":{"total":20,"ok":20},"interval_s":1,"timeseries":[
		  {"t":0,"active":50,"groups":[{"name":"poll","requests":100}]},
		  {"t":1,"active":90,"groups":[{"name":"poll","requests":100}]},
		  {"t":2,"active":90,"groups":[{"name":"poll","requests":2},{"name":"sendAsync CONNECT","requests":7}]},
		  {"t":3,"active":90,"groups":[{"name":"poll","requests":4}]},
		  {"t":4,"active":80,"groups":[{"name":"poll","requests":100}]}]}`,
	})
	g := readGoalRun(dir, "1m", "ccload", "1")
	if !g.ok {
		t.Fatal("no result")
	}
	if g.win.polls != 6 || g.win.span != 2 || g.peakConc != 90 {
		t.Errorf("window polls %v over %v s, peak %v active; want 6 over 2 s, 90", g.win.polls, g.win.span, g.peakConc)
	}
	if g.rssMB != 1024 || g.mockTime.rssKB != 2097152 || g.mockTime.user != 200 {
		t.Errorf("generator RSS %v MiB, mock %+v", g.rssMB, g.mockTime)
	}
	if want := "average (1, 5, 15 min) 1.00 2.00 3.00 before, 4.00 5.00 6.00 after"; g.load != want {
		t.Errorf("load = %q, want %q", g.load, want)
	}
}

// The artillery goal: Artillery's peak RSS is its process tree's when that is
// larger than GNU time's single process.
func TestReadGoalRunArtillery(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"time":     "60.0 9.0 1.0 102400\n",
		"tree_rss": "204800\n",
		"version":  "2.0.21\n",
		"out":      artilleryJSON,
	})
	g := readGoalRun(dir, "artillery", "artillery", "1")
	if !g.ok || g.rssMB != 200 || g.peakConc != 20 || g.version != "2.0.21" || g.requests != 150 {
		t.Errorf("readGoalRun = %+v", g)
	}
}
