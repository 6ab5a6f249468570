package evaluate_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"ccload/gates"
	"ccload/gates/evaluate"
	"ccload/render"
	"ccload/report"
	"ccload/report/compare"
	"ccload/report/record"
	"ccload/report/reporttest"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

const gatesMS = 1000.0 // one millisecond in the specs' base unit (µs)

func TestEvaluateThresholdsEachMetric(t *testing.T) {
	r := reporttest.SmallRun(t)
	max := func(metric, group string, v float64) evaluate.ThresholdSpec {
		return evaluate.ThresholdSpec{Metric: metric, Group: group, Max: v, HasMax: true}
	}
	min := func(metric, group string, v float64) evaluate.ThresholdSpec {
		return evaluate.ThresholdSpec{Metric: metric, Group: group, Min: v, HasMin: true}
	}
	code := func(s evaluate.ThresholdSpec, c string) evaluate.ThresholdSpec { s.Code = c; return s }
	text := func(s evaluate.ThresholdSpec, lt string) evaluate.ThresholdSpec { s.LimitText = lt; return s }
	tests := []struct {
		spec    evaluate.ThresholdSpec
		pass    bool
		display string
	}{
		// 200 requests: CHAT 1..100 ms, CONNECT 20×200 ms, poll 80×5 ms. p50 of all = 5ms bucket; max 200 ms.
		{max("response_time.max", "all", 200*gatesMS), true, "200ms"},
		{max("response_time.max", "all", 150*gatesMS), false, "200ms"},
		{max("response_time.p50", "all", 20*gatesMS), true, "20.0ms"},
		{max("response_time.p99", "step:ask", 99*gatesMS), true, "99.0ms"},
		{max("response_time.p90", "step:ask", 80*gatesMS), false, "90.0ms"},
		{max("service_time.p50", "endpoint:sendAsync CHAT", 45*gatesMS), true, "45.0ms"},
		{max("response_time.mean", "control_type:CHAT", 50.5*gatesMS), true, "50.5ms"},
		// endpoint:sendAsync merges CHAT (100) and CONNECT (20): its p90 is CONNECT's 200 ms.
		{max("response_time.p90", "endpoint:sendAsync", 150*gatesMS), false, "200ms"},
		{max("response_time.p80", "endpoint:sendAsync", 100*gatesMS), true, "96.1ms"},
		{max("error_rate", "all", 0.05), true, "5.00%"},
		{max("error_rate", "step:ask", 0.05), false, "10.0%"},
		// poll carries no resultCode: the share is of the 120 requests that carried one (10 of them "12").
		{code(max("result_code_share", "all", 0.04), "12"), false, "8.33%"},
		{code(min("result_code_share", "endpoint:sendAsync", 0.9), "0"), true, "91.7%"},
		{min("rps", "all", 20), true, "20.0/s"},
		{min("rps", "control_type:CONNECT", 3), false, "2.00/s"},
		{max("reply_latency.p95", "all", 4.3e6), true, "4.30s"},
		{max("time_to_agent.p99", "all", 20e6), false, "30.0s"},
		{max("session_duration.p50", "all", 60e6), true, "1m00s"},
		{max("failed_sessions", "all", 0.2), true, "20.0%"},
		{max("failed_sessions", "all", 0.15), false, "20.0%"},
		{max("dropped_arrivals", "all", 5), true, "5"},
		{max("dropped_arrivals", "all", 4), false, "5"},
		{text(max("dropped_arrivals", "all", 0.05), "5%"), false, "10.0%"},
		{max("scheduler_lag.p99", "all", 9*gatesMS), false, "9.81ms"},
		{max("response_time.p99", "step:nope", 1e6), false, "no data"},
	}
	specs := make([]evaluate.ThresholdSpec, len(tests))
	for i, tc := range tests {
		specs[i] = tc.spec
	}
	got := evaluate.Thresholds(r, specs)
	if len(got) != len(tests) {
		t.Fatalf("got %d results for %d specs", len(got), len(tests))
	}
	for i, tc := range tests {
		g := got[i]
		if g.Pass != tc.pass || g.Display != tc.display {
			t.Errorf("%s: got pass=%v display=%q value=%v, want pass=%v display=%q", g.Name, g.Pass, g.Display, g.Value, tc.pass, tc.display)
		}
		if g.Metric != tc.spec.Metric || g.Group != tc.spec.Group || g.Limit == "" {
			t.Errorf("%s: metric/group/limit not filled: %+v", g.Name, g)
		}
	}
	if got[0].Name != "response_time.max all <= 200ms" || got[0].Limit != "<= 200ms" {
		t.Errorf("default name/limit = %q / %q", got[0].Name, got[0].Limit)
	}
}

func TestEvaluateThresholdsRefusesWhatItCannotEvaluate(t *testing.T) {
	r := reporttest.SmallRun(t)
	specs := []evaluate.ThresholdSpec{
		{Metric: "latency.p99", Max: 1, HasMax: true},
		{Metric: "service_time.p99", Group: "step:ask", Max: 1, HasMax: true, Over: 30 * time.Second},
		{Metric: "result_code_share", Code: "12", Group: "step:ask", Max: 0.1, HasMax: true, Over: 30 * time.Second},
		{Metric: "reply_latency.p99", Max: 1, HasMax: true, Over: 30 * time.Second},
		{Metric: "result_code_share", Code: "0", Min: 0.9, HasMin: true, Over: 30 * time.Second},
		{Metric: "failed_sessions", Group: "step:ask", Max: 0.1, HasMax: true},
		{Metric: "ended_by_platform", Max: 0.1, HasMax: true, Over: 30 * time.Second},
		{Metric: "error_rate"},
	}
	for i, res := range evaluate.Thresholds(r, specs) {
		if res.Pass || !strings.HasPrefix(res.Display, "error: ") {
			t.Errorf("spec %d (%s): got pass=%v display=%q, want a failing error", i, res.Name, res.Pass, res.Display)
		}
		if err := gates.Check(specs[i]); !errors.Is(err, evaluate.ErrThreshold) {
			t.Errorf("gates.Check(%d) = %v, want ErrThreshold", i, err)
		}
	}
}

func TestWindowedThresholdCatchesABurstTheWholeRunHides(t *testing.T) {
	t.Parallel()
	r := reporttest.BurstRun(t)
	// Whole run: 200 errors in 12000 requests = 1.67%. Any 30 s window holding the burst: 200/3000 = 6.67%.
	specs := []evaluate.ThresholdSpec{
		{Name: "errors whole run", Metric: "error_rate", Max: 0.02, HasMax: true},
		{Name: "errors every 30s", Metric: "error_rate", Max: 0.02, HasMax: true, Over: 30 * time.Second},
		{Name: "code 12 every 30s", Metric: "result_code_share", Code: "12", Max: 0.02, HasMax: true, Over: 30 * time.Second},
		{Name: "p99 whole run", Metric: "response_time.p99", Max: 900_000, HasMax: true},
		{Name: "p95 whole run", Metric: "response_time.p95", Max: 50_000, HasMax: true},
		{Name: "p95 every 30s", Metric: "response_time.p95", Max: 50_000, HasMax: true, Over: 30 * time.Second},
		{Name: "rps every 30s", Metric: "rps", Min: 99, HasMin: true, Over: 30 * time.Second},
	}
	got := evaluate.Thresholds(r, specs)
	want := []struct {
		pass    bool
		display string
		window  string
	}{
		{true, "1.67%", ""},
		{false, "6.67%", "30s–60s"},
		{false, "6.67%", "30s–60s"},
		{true, "900ms", ""},
		{true, "11.0ms", ""},
		{false, "900ms", "28s–58s"}, // the first window with more than 5% slow requests
		{true, "100/s", "0s–30s"},
	}
	for i, w := range want {
		g := got[i]
		if g.Pass != w.pass || g.Display != w.display || g.Window != w.window {
			t.Errorf("%s: got pass=%v display=%q window=%q, want pass=%v display=%q window=%q",
				g.Name, g.Pass, g.Display, g.Window, w.pass, w.display, w.window)
		}
	}
}

// gatesGroupBurstRun records 120 s through a Recorder: poll answers 90 requests/s in 10 ms throughout;
// sendAsync CHAT (step "ask") 10 requests/s in 20 ms, except from 50 s to 60 s, when half of them fail
// and take 900 ms.
func gatesGroupBurstRun(t *testing.T) *report.Report {
	t.Helper()
	r := record.New(record.Options{Start: reporttest.Start})
	chat, poll, ask := r.Group("sendAsync", "CHAT"), r.Group("poll", ""), r.StepGroup("ask")
	for sec := range 120 {
		base := int64(sec) * int64(time.Second)
		for i := range 100 {
			at := base + int64(i)*int64(10*time.Millisecond)
			s := report.Sample{Group: poll, Step: report.NoGroup, Intended: at, Start: at, End: at + int64(10*time.Millisecond), Status: 200, Class: report.ClassOK}
			if i%10 == 0 {
				// A slow request was due 880 ms earlier (it waited for the generator): it still ends in
				// this second, so the burst's intervals are exactly 50 s to 60 s.
				wait, class, code := int64(0), report.ClassOK, "0"
				if sec >= 50 && sec < 60 && i%20 == 0 {
					wait, class, code = int64(880*time.Millisecond), report.ClassApp, "12"
				}
				s = report.Sample{Group: chat, Step: ask, Intended: at - wait, Start: at, End: at + int64(20*time.Millisecond), Status: 200, ResultCode: code, Class: class}
			}
			r.Record(&s)
		}
	}
	return r.Finish(reporttest.Start.Add(120*time.Second), record.Meta{Scenario: "group-burst"})
}

func TestWindowedThresholdOnAGroupCatchesItsBurst(t *testing.T) {
	t.Parallel()
	r := gatesGroupBurstRun(t)
	// step:ask whole run: 50 errors in 1200 = 4.17%, 4.17% slow (p95 fast). A 30 s window holding the
	// burst: 50 in 300 = 16.7%; p95 reaches 900 ms in the first window with more than 5% slow (24 s–54 s).
	// The whole run's windows hide it: 50 in 3000 = 1.67%.
	const over = 30 * time.Second
	specs := []evaluate.ThresholdSpec{
		{Name: "ask errors whole run", Metric: "error_rate", Group: "step:ask", Max: 0.05, HasMax: true},
		{Name: "ask errors every 30s", Metric: "error_rate", Group: "step:ask", Max: 0.05, HasMax: true, Over: over},
		{Name: "all errors every 30s", Metric: "error_rate", Max: 0.05, HasMax: true, Over: over},
		{Name: "ask p95 whole run", Metric: "response_time.p95", Group: "step:ask", Max: 50 * gatesMS, HasMax: true},
		{Name: "ask p95 every 30s", Metric: "response_time.p95", Group: "step:ask", Max: 50 * gatesMS, HasMax: true, Over: over},
		{Name: "CHAT p95 every 30s", Metric: "response_time.p95", Group: "control_type:CHAT", Max: 50 * gatesMS, HasMax: true, Over: over},
		{Name: "sendAsync errors every 30s", Metric: "error_rate", Group: "endpoint:sendAsync", Max: 0.05, HasMax: true, Over: over},
		{Name: "poll p99 every 30s", Metric: "response_time.p99", Group: "endpoint:poll", Max: 50 * gatesMS, HasMax: true, Over: over},
		{Name: "ask rps every 30s", Metric: "rps", Group: "step:ask", Min: 10, Max: 10, HasMin: true, HasMax: true, Over: over},
		{Name: "nobody every 30s", Metric: "error_rate", Group: "step:nobody", Max: 0.05, HasMax: true, Over: over},
	}
	want := []struct {
		pass    bool
		display string
		window  string
	}{
		{true, "4.17%", ""},
		{false, "16.7%", "30s–60s"},
		{true, "1.67%", "30s–60s"},
		{true, "20.0ms", ""},
		{false, "900ms", "24s–54s"},
		{false, "900ms", "24s–54s"},
		{false, "16.7%", "30s–60s"},
		{true, "10.0ms", "0s–30s"},
		{true, "10.0/s", "0s–30s"},
		{false, "no data", ""},
	}
	got := evaluate.Thresholds(r, specs)
	for i, w := range want {
		g := got[i]
		if g.Pass != w.pass || g.Display != w.display || g.Window != w.window {
			t.Errorf("%s: got pass=%v display=%q window=%q, want pass=%v display=%q window=%q",
				g.Name, g.Pass, g.Display, g.Window, w.pass, w.display, w.window)
		}
	}
}

// A report without per-group points (an older ccload's) cannot answer a windowed group threshold:
// it must say so, not pass on no data.
func TestWindowedGroupThresholdNeedsPerGroupPoints(t *testing.T) {
	t.Parallel()
	r := gatesGroupBurstRun(t)
	for i := range r.Timeseries {
		r.Timeseries[i].Groups = nil
	}
	res := evaluate.Thresholds(r, []evaluate.ThresholdSpec{{Metric: "error_rate", Group: "step:ask", Max: 0.05, HasMax: true, Over: 30 * time.Second}})[0]
	if res.Pass || !strings.Contains(res.Display, "no per-group points") {
		t.Errorf("got pass=%v display=%q, want an error naming the missing per-group points", res.Pass, res.Display)
	}
}

// The sliding windows must give exactly what merging each window's interval histograms gives.
func TestWindowedPercentilesAreExact(t *testing.T) {
	t.Parallel()
	r := reporttest.Realistic(t, 3)
	const k = 7
	worst := int64(0)
	for start := 0; start+k <= len(r.Timeseries); start++ {
		h := reporttest.NewHist()
		for _, p := range r.Timeseries[start : start+k] {
			if p.Histogram == "" {
				continue
			}
			ph, err := hdrhistogram.Decode([]byte(p.Histogram))
			if err != nil {
				t.Fatal(err)
			}
			h.Merge(ph)
		}
		worst = max(worst, h.ValueAtQuantile(99.9))
	}
	res := evaluate.Thresholds(r, []evaluate.ThresholdSpec{{Metric: "response_time.p999", Max: 1, HasMax: true, Over: k * time.Second}})[0]
	if int64(res.Value) != worst {
		t.Fatalf("windowed p99.9 = %v, want the worst window's exact %d", res.Value, worst)
	}
}

func TestPercentileLimitsUseHistogramPrecision(t *testing.T) {
	b := reporttest.NewBuilder(t, 1)
	for range 100 {
		b.Req(0, 500_100, 500_100, "0", report.ClassOK) // recorded in the bucket [499968, 500223]
	}
	r := b.Finish()
	for _, tc := range []struct {
		limit float64
		pass  bool
	}{{500_000, true}, {500_351, true}, {499_968, true}, {499_967, false}, {499_000, false}} {
		res := evaluate.Thresholds(r, []evaluate.ThresholdSpec{{Metric: "response_time.p99", Max: tc.limit, HasMax: true}})[0]
		if res.Pass != tc.pass {
			t.Errorf("p99 %v against max %v: pass=%v, want %v", res.Value, tc.limit, res.Pass, tc.pass)
		}
	}
}

func TestGatesEquivalentMatchesHdrHistogram(t *testing.T) {
	h := reporttest.NewHist()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		a := rng.Int64N(60_000_000)
		b := a + rng.Int64N(a/500+2) - a/1000
		if got, want := gates.Equivalent(a, b), h.ValuesAreEquivalent(a, b); got != want {
			t.Fatalf("gates.Equivalent(%d, %d) = %v, hdrhistogram says %v", a, b, got, want)
		}
	}
}

func TestAbortCheck(t *testing.T) {
	r := reporttest.BurstRun(t)
	specs := []evaluate.ThresholdSpec{
		{Name: "report only", Metric: "error_rate", Max: 0.001, HasMax: true},
		{Name: "no data yet", Metric: "reply_latency.p99", Max: 1, HasMax: true, AbortOnFail: true},
		{Name: "late", Metric: "error_rate", Max: 0.05, HasMax: true, Over: 10 * time.Second, AbortOnFail: true, After: 90 * time.Second},
		{Name: "burst", Metric: "error_rate", Max: 0.1, HasMax: true, Over: 5 * time.Second, AbortOnFail: true, After: 30 * time.Second},
	}
	snapAt := func(s int) *report.Report {
		c := *r
		c.Timeseries = r.Timeseries[:s]
		c.DurationS = float64(s)
		return &c
	}
	if res, ok := evaluate.AbortCheck(snapAt(40), specs, 40*time.Second); ok {
		t.Fatalf("aborted at 40 s on %q before any abort threshold failed", res.Name)
	}
	res, ok := evaluate.AbortCheck(snapAt(60), specs, 60*time.Second)
	if !ok || res.Name != "burst" || res.Pass {
		t.Fatalf("at 60 s: got %+v ok=%v, want the failed threshold \"burst\"", res, ok)
	}
	res, ok = evaluate.AbortCheck(snapAt(100), specs, 100*time.Second)
	if !ok || res.Name != "late" {
		t.Fatalf("at 100 s: got %q ok=%v, want \"late\" (first in order once its After elapsed)", res.Name, ok)
	}
}

// A run's report is gated by its thresholds: one result per threshold, in order.
func ExampleThresholds() {
	start := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	rec := record.New(record.Options{Start: start})
	chat := rec.Group("sendAsync", "CHAT")
	for i := range 1000 {
		at := int64(i) * int64(10*time.Millisecond)
		code, class := "0", report.ClassOK
		if i%100 == 0 {
			code, class = "12", report.ClassApp // 1% of the answers fail
		}
		lat := int64(20+i%50) * int64(time.Millisecond) // 20..69 ms
		rec.Record(&report.Sample{Group: chat, Step: report.NoGroup, Intended: at, Start: at, End: at + lat, Status: 200, ResultCode: code, Class: class})
	}
	rep := rec.Finish(start.Add(10*time.Second), record.Meta{Scenario: "example"})

	results := evaluate.Thresholds(rep, []evaluate.ThresholdSpec{
		{Metric: "response_time.p99", Max: 100_000, HasMax: true},                     // 100 ms, in µs
		{Metric: "error_rate", Group: "endpoint:sendAsync", Max: 0.005, HasMax: true}, // 0.5%
		{Metric: "rps", Min: 50, HasMin: true},
	})
	for _, r := range results {
		verdict := "PASS"
		if !r.Pass {
			verdict = "FAIL"
		}
		fmt.Printf("%s %s: %s\n", verdict, r.Name, r.Display)
	}
	// Output:
	// PASS response_time.p99 all <= 100ms: 69.1ms
	// FAIL error_rate endpoint:sendAsync <= 0.50%: 1.00%
	// PASS rps all >= 50.0/s: 100/s
}

// The audit's run: 444 CHATs answered "0" and one tokenByAkSk call. The token call carries no
// resultCode, so it does not lower the share of "0": the threshold and the console all say 100%
// (report.html's bar: report/html). A timeout has no resultCode either, but it is not a "0": it lowers the share.
func TestResultCodeShareIgnoresAnswersWithoutACodeButCountsTimeouts(t *testing.T) {
	spec := []evaluate.ThresholdSpec{{Metric: "result_code_share", Code: "0", Min: 0.999, HasMin: true}}
	for _, c := range []struct {
		name                 string
		ok, tokens, timeouts int
		pass                 bool
		display, console     string
	}{
		{"token call", 444, 1, 0, true, "100.0%", `"0" 444 (100%)`},
		{"timeout", 444, 1, 1, false, "99.8%", `"0" 444 (99.8%)`},
	} {
		r := reporttest.CodeShareRun(c.ok, c.tokens, c.timeouts)
		got := evaluate.Thresholds(r, spec)[0]
		if got.Pass != c.pass || got.Display != c.display {
			t.Errorf("%s: threshold pass=%v display %q, want %v %q", c.name, got.Pass, got.Display, c.pass, c.display)
		}
		var sum bytes.Buffer
		if err := render.WriteSummary(&sum, r); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(sum.String(), c.console) {
			t.Errorf("%s: console lacks %s:\n%s", c.name, c.console, sum.String())
		}
		// compare's code:0 row reads the same share.
		cmp := compare.Compare(r, r, nil)
		for _, row := range cmp.Rows {
			if row.Group == "all" && row.Metric == "code:0" && row.NewText != c.display {
				t.Errorf("%s: compare's code:0 share %q, want %q", c.name, row.NewText, c.display)
			}
		}
	}
}

func TestThresholdsNotEvaluated(t *testing.T) {
	one := []gates.Threshold{{Metric: "error_rate", Max: 0.01, HasMax: true}}
	for _, c := range []struct {
		name     string
		gates    *gates.Set
		warnings []string
		want     bool
	}{
		{"judged by a threshold", &gates.Set{Thresholds: one}, nil, true},
		{"judged by none", &gates.Set{}, nil, false},
		{"written before gates were stored", nil, nil, false},
		{"a merge that could not evaluate", nil, []string{report.NotEvaluatedWarning + ": the shard reports carry ..."}, true},
		{"another warning", nil, []string{"report 1: something else"}, false},
	} {
		r := &report.Report{Gates: c.gates, Warnings: c.warnings}
		if got := report.ThresholdsNotEvaluated(r); got != c.want {
			t.Errorf("%s: ThresholdsNotEvaluated = %v, want %v", c.name, got, c.want)
		}
		r.Thresholds = []report.ThresholdResult{{Name: "x", Pass: true}}
		if report.ThresholdsNotEvaluated(r) {
			t.Errorf("%s: a report with threshold results counts as not evaluated", c.name)
		}
	}
}

func TestEvaluateThresholdsGatesOnSessionsEndedByThePlatform(t *testing.T) {
	r := &report.Report{Sessions: report.SessionCounts{Arrivals: 20, Started: 20, Completed: 14, Failed: 1, EndedByPlatform: 5}}
	for _, tc := range []struct {
		max     float64
		pass    bool
		display string
	}{
		{0.25, true, "25.0%"},
		{0.2, false, "25.0%"},
	} {
		got := evaluate.Thresholds(r, []evaluate.ThresholdSpec{{Metric: "ended_by_platform", Max: tc.max, HasMax: true}})
		if len(got) != 1 || got[0].Pass != tc.pass || got[0].Display != tc.display {
			t.Errorf("ended_by_platform <= %v: got %+v, want pass=%v display %q", tc.max, got, tc.pass, tc.display)
		}
	}
	if got := evaluate.Thresholds(&report.Report{}, []evaluate.ThresholdSpec{{Metric: "ended_by_platform", Max: 0.1, HasMax: true}}); got[0].Pass || got[0].Display != "no data" {
		t.Errorf("no sessions: got %+v, want a failing no data", got[0])
	}
}

// Requests never sent are in no error rate; not_sent gates on their share, per group too, and
// counts even when nothing reached the target.
func TestEvaluateThresholdsGatesOnRequestsNotSent(t *testing.T) {
	rec := record.New(record.Options{Start: reporttest.Start})
	connect, chat := rec.Group("sendAsync", "CONNECT"), rec.Group("sendAsync", "CHAT")
	for i := range gates.MinSamples { // enough requests that error_rate is judged
		rec.Record(&report.Sample{Group: chat, Step: report.NoGroup, Start: int64(i), End: int64(i) + 1000, Status: 200, ResultCode: "0"})
		rec.Record(&report.Sample{Group: connect, Step: report.NoGroup, Start: int64(i), End: int64(i), Class: report.ClassClient})
	}
	r := rec.Finish(reporttest.Start.Add(time.Second), record.Meta{})
	for _, tc := range []struct {
		group   string
		max     float64
		pass    bool
		display string
	}{
		{"all", 0.5, true, "50.0%"},
		{"all", 0.1, false, "50.0%"},
		{"endpoint:sendAsync CONNECT", 0.5, false, "100.0%"},
		{"control_type:CHAT", 0, true, "0%"},
	} {
		got := evaluate.Thresholds(r, []evaluate.ThresholdSpec{{Metric: "not_sent", Group: tc.group, Max: tc.max, HasMax: true}})
		if len(got) != 1 || got[0].Pass != tc.pass || got[0].Display != tc.display {
			t.Errorf("not_sent %s <= %v: got %+v, want pass=%v display %q", tc.group, tc.max, got, tc.pass, tc.display)
		}
	}
	if got := evaluate.Thresholds(r, []evaluate.ThresholdSpec{{Metric: "error_rate", Max: 0, HasMax: true}}); !got[0].Pass {
		t.Errorf("error_rate counts requests never sent: %+v", got[0])
	}
}
