package evaluate_test

import (
	"bytes"
	"strings"
	"testing"

	"ccload/gates"
	"ccload/gates/evaluate"
	"ccload/render"
	"ccload/report"
	htmlreport "ccload/report/html"
	"ccload/report/merge"
	"ccload/report/reporttest"
)

// judgeRun is a 10 s run of requests CHATs at 20 ms (step ask) with errs app errors among them.
func judgeRun(t *testing.T, requests, errs int) *report.Report {
	b := reporttest.NewBuilder(t, 10)
	chat, ask := b.Endpoint("sendAsync", "CHAT"), b.Step("ask")
	for i := range requests {
		code, class := "0", report.ClassOK
		if i < errs {
			code, class = "12", report.ClassApp
		}
		b.Req(i*10/requests, 20_000, 20_000, code, class, chat, ask)
	}
	return b.Finish()
}

func judgeSpec(metric, group string, max float64) evaluate.ThresholdSpec {
	return evaluate.ThresholdSpec{Metric: metric, Group: group, Max: max, HasMax: true}
}

// A shard judges what its slice estimates (latencies, error rates) and records the rates and counts
// only the merge can judge as "judged by merge", neither passed nor failed; the whole run judges all.
func TestShardLeavesRatesAndCountsToTheMerge(t *testing.T) {
	specs := []evaluate.ThresholdSpec{
		{Metric: "rps", Min: 1000, HasMin: true},
		{Metric: "dropped_arrivals", Max: 0, HasMax: true, LimitText: "0"},
		judgeSpec("response_time.p99", "", 10_000), // 20 ms: fails
		judgeSpec("error_rate", "", 0.01),
	}
	r := judgeRun(t, 200, 0)
	r.Sessions.Dropped, r.Sessions.Arrivals = 3, 10
	r.Shard = &report.ShardID{I: 1, N: 2}
	evaluate.Judge(r, specs)
	for i, want := range []string{"NOT JUDGED", "NOT JUDGED", "FAIL", "PASS"} {
		if got := r.Thresholds[i].Verdict(); got != want {
			t.Errorf("shard 1/2: %s is %s (%+v); want %s", specs[i].Metric, got, r.Thresholds[i], want)
		}
	}
	if nj := r.Thresholds[0].NotJudged; nj != gates.JudgedByMerge || r.Thresholds[0].Failed() || r.Thresholds[0].Display == "" {
		t.Errorf("rps on a shard: %+v; want the measured value, not judged, by merge", r.Thresholds[0])
	}
	// A percentage of arrivals is a share: the shard judges it.
	if res := evaluate.Thresholds(r, []evaluate.ThresholdSpec{{Metric: "dropped_arrivals", Max: 0.5, HasMax: true, LimitText: "50%"}}); res[0].NotJudged != "" || !res[0].Pass {
		t.Errorf("dropped_arrivals 50%% on a shard: %+v; want judged and passed (30%%)", res[0])
	}
	r.Shard = nil // the merged report
	evaluate.Judge(r, specs)
	for i, want := range []string{"FAIL", "FAIL", "FAIL", "PASS"} {
		if got := r.Thresholds[i].Verdict(); got != want {
			t.Errorf("merged: %s is %s; want %s", specs[i].Metric, got, want)
		}
	}
}

// One sample-size rule: a threshold on a group with fewer than 100 requests is not judged (never
// failed, never passed), whatever the metric measures; rps, a count over a duration, is judged.
func TestThresholdOnATooSmallGroupIsNotJudged(t *testing.T) {
	specs := []evaluate.ThresholdSpec{judgeSpec("response_time.p95", "step:ask", 10_000), judgeSpec("error_rate", "step:ask", 0),
		{Metric: "rps", Group: "step:ask", Min: 1000, HasMin: true}}
	small := judgeRun(t, 61, 1)
	res := evaluate.Thresholds(small, specs)
	for _, i := range []int{0, 1} {
		if r := res[i]; r.Pass || r.Failed() || r.NotJudged != "not judged: 61 requests, fewer than 100" || r.Display == "" {
			t.Errorf("%s on 61 requests: %+v; want not judged, saying why, with the measured value", r.Name, r)
		}
	}
	if !res[2].Failed() {
		t.Errorf("rps on 61 requests: %+v; want judged (and failed)", res[2])
	}
	small.Thresholds = res[:2]
	var page, con bytes.Buffer
	if err := htmlreport.WriteHTML(&page, small); err != nil {
		t.Fatal(err)
	}
	if p := page.String(); !strings.Contains(p, ">NOT JUDGED<") || !strings.Contains(p, "2 not judged") || strings.Contains(p, `id="verdict">FAIL<`) {
		t.Error("report.html does not show the small group's thresholds as not judged (or calls the run FAIL)")
	}
	if err := render.WriteSummary(&con, small); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(con.String(), "NOT JUDGED  response_time.p95 step:ask") || strings.Contains(con.String(), "FAIL ") {
		t.Errorf("console summary:\n%s", con.String())
	}
	big := judgeRun(t, 100, 1)
	for _, r := range evaluate.Thresholds(big, specs) {
		if !r.Failed() {
			t.Errorf("%s on 100 requests: %+v; want judged and failed", r.Name, r)
		}
	}
	// A small group never aborts a run.
	if _, abort := evaluate.AbortCheck(small, []evaluate.ThresholdSpec{{Metric: "error_rate", Group: "step:ask", Max: 0, HasMax: true, AbortOnFail: true}}, 0); abort {
		t.Error("a 61-request group aborted the run")
	}
}

// A run whose generator was the limit says so as data; a latency failure on it is inconclusive
// (an error in JUnit, a banner-worthy verdict), while what the target answered keeps its verdict.
func TestGeneratorLimitedRunIsInconclusive(t *testing.T) {
	specs := []evaluate.ThresholdSpec{judgeSpec("response_time.p99", "", 10_000), judgeSpec("error_rate", "", 0.5)}
	r := judgeRun(t, 200, 0)
	r.SchedulerLagUS.P99 = 158_600 // the run of the issue: 158.6 ms of lag at a 20 ms target
	evaluate.Judge(r, specs)
	if r.GeneratorLimit == nil || !strings.Contains(strings.Join(r.GeneratorLimit.Reasons, ";"), "scheduler lag p99 159ms over 50.0ms") {
		t.Fatalf("generator_limit %+v; want the lag named", r.GeneratorLimit)
	}
	if th := r.Thresholds[0]; th.Failed() || th.Verdict() != "INCONCLUSIVE" || !report.Inconclusive(r) {
		t.Errorf("p99 on a generator-limited run: %+v (inconclusive %v)", th, report.Inconclusive(r))
	}
	var j bytes.Buffer
	if err := render.WriteJUnit(&j, r); err != nil {
		t.Fatal(err)
	}
	if s := j.String(); !strings.Contains(s, `errors="1"`) || !strings.Contains(s, `type="inconclusive"`) || !strings.Contains(s, `failures="0"`) {
		t.Errorf("junit.xml does not mark the inconclusive gate as an error apart from failures:\n%s", s)
	}
	var con bytes.Buffer
	if err := render.WriteSummary(&con, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(con.String(), "INCONCLUSIVE  response_time.p99") || !strings.Contains(con.String(), "GENERATOR LIMIT") {
		t.Errorf("console summary:\n%s", con.String())
	}

	var page bytes.Buffer
	if err := htmlreport.WriteHTML(&page, r); err != nil {
		t.Fatal(err)
	}
	if p := page.String(); !strings.Contains(p, `id="verdict">INCONCLUSIVE<`) || !strings.Contains(p, `id="inconclusive"`) || !strings.Contains(p, "scheduler lag p99 159ms") {
		t.Error("report.html shows no INCONCLUSIVE verdict and generator banner")
	}

	// The target's own errors fail the run even then.
	bad := judgeRun(t, 200, 150)
	bad.SchedulerLagUS.P99 = 158_600
	evaluate.Judge(bad, specs)
	if !bad.Thresholds[1].Failed() || report.Inconclusive(bad) {
		t.Errorf("error_rate 75%% on a generator-limited run: %+v; want a failure", bad.Thresholds[1])
	}
	// Lag that is a small part of a slow target's response time limits nothing.
	slow := judgeRun(t, 200, 0)
	slow.SchedulerLagUS.P99, slow.Overall.ResponseTimeUS.P99 = 60_000, 2_000_000
	if report.GeneratorLimitOf(slow) != nil {
		t.Error("60 ms of lag behind a 2 s target called a generator limit")
	}
	// Arrivals the generator dropped on its own limit it; drops at max_customers are the scenario's cap.
	dropped := judgeRun(t, 200, 0)
	dropped.Sessions.DroppedBy = map[string]int64{"max_customers": 5}
	if report.GeneratorLimitOf(dropped) != nil {
		t.Error("drops at max_customers called a generator limit")
	}
	dropped.Sessions.DroppedBy["late"] = 2
	if gl := report.GeneratorLimitOf(dropped); gl == nil || gl.Dropped != 2 {
		t.Errorf("2 late arrivals: %+v", gl)
	}
}

// A group whose every request failed on every shard failed wholesale in the merged run too:
// merge keeps failed_wholesale (and the target's words), recomputed on the merged groups, so the
// merged junit.xml and html flag it as each shard's did.
func TestMergeKeepsFailedWholesale(t *testing.T) {
	shard := func() *report.Report {
		b := reporttest.NewBuilder(t, 2)
		ok := b.Endpoint("sendAsync", "CHAT")
		bad := b.Endpoint("sendAsync", "CONNECT")
		for i := range 20 {
			b.Req(i%2, 20_000, 19_000, "0", report.ClassOK, ok)
			b.Req(i%2, 5_000, 4_000, "", report.ClassHTTP, bad)
		}
		r := b.Finish()
		report.DiagnoseWholesale(r, map[string]string{"sendAsync 500": "upstream down"})
		return r
	}
	a, b := shard(), shard()
	if len(a.FailedWholesale) != 1 {
		t.Fatalf("the shard's failed_wholesale: %+v, want the CONNECT group", a.FailedWholesale)
	}
	m, err := merge.Reports(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.FailedWholesale) != 1 || m.FailedWholesale[0].Group != "sendAsync CONNECT" || m.FailedWholesale[0].Requests != 40 ||
		m.FailedWholesale[0].Message != "upstream down" {
		t.Errorf("merged failed_wholesale: %+v, want sendAsync CONNECT, 40 requests, the target's words", m.FailedWholesale)
	}
}
