package compare_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"ccload/gates"
	"ccload/render"
	"ccload/report"
	"ccload/report/compare"
	"ccload/report/record"
	"ccload/report/reporttest"
)

func gatesCheck(t *testing.T, c compare.Result, name string) compare.Check {
	t.Helper()
	for _, k := range c.Checks {
		if k.Name == name {
			return k
		}
	}
	t.Fatalf("no check %q in %+v", name, c.Checks)
	return compare.Check{}
}

func TestCompareFlagsRegressionsBeyondLimitsOnly(t *testing.T) {
	base := reporttest.CompareRun(t, 1, 5, 1000)   // 5 of 1000 fail: 0.5%
	next := reporttest.CompareRun(t, 1.25, 8, 900) // 25% slower, 8 of 900 fail: 0.89%, 10% fewer requests
	limits := reporttest.Limits(t, "p99=10%,p50@step:ask=30%", "error_rate=0.1pp", "code:0@*=1pp", "rps=-5%", "max=+50ms")
	c := compare.Compare(base, next, limits)
	for _, tc := range []struct {
		name   string
		pass   bool
		change string
	}{
		{"p99=10%", false, "+25.0%"},
		{"p50@step:ask=30%", true, "+14.4%"},
		{"error_rate=0.1pp", false, "+0.39pp"},
		{"code:0@all=1pp", true, "-0.39pp"},
		{"code:0@sendAsync CHAT=1pp", true, "-0.78pp"},
		{"rps=-5%", false, "-10.0%"},
		{"max=+50ms", true, "+25.0%"}, // 109ms → 136ms: +27ms
	} {
		k := gatesCheck(t, c, tc.name)
		if k.Pass != tc.pass || k.Change != tc.change {
			t.Errorf("%s: pass=%v change=%q, want pass=%v change=%q (%+v)", tc.name, k.Pass, k.Change, tc.pass, tc.change, k)
		}
	}
	if c.Pass {
		t.Error("the comparison passed with limits exceeded")
	}
	if len(c.Checks) != 3+1+3+1+1 { // code:0@* applies to all, sendAsync CHAT, poll and step:ask
		t.Errorf("%d checks", len(c.Checks))
	}
	var text bytes.Buffer
	if err := render.WriteCompareText(&text, c); err != nil {
		t.Fatal(err)
	}
	reporttest.Golden(t, "gates_compare.txt", text.Bytes())
	// --all prints every row, as compare printed before it hid the unchanged ones.
	var all bytes.Buffer
	if err := render.WriteCompareTextWith(&all, c, render.CompareTextOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	reporttest.Golden(t, "gates_compare_all.txt", all.Bytes())
	out := text.String()
	for _, hidden := range []string{"  error_rate    0%      0%      0pp", "  p50           5.00ms  5.00ms  0%"} {
		if strings.Contains(out, hidden) || !strings.Contains(all.String(), hidden) {
			t.Errorf("%q: printed by default or missing from --all", hidden)
		}
	}
	for _, want := range []string{"REGRESSION (limit p99=10%)", "FAIL: 3 of 9 limits exceeded", "step:ask", "code:12", "limit +10%", "limit -5%"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
}

// A group with fewer than compare.MinSamples requests in either report is never called worse (its
// p99 is its slowest request or two), and no limit fails it, whether on every group (@*) or naming
// it (one rule, as for thresholds): it is reported not judged. The default text hides its rows;
// --all shows them marked "not judged". rps is a count over a duration, judged at any size.
func TestCompareNeverJudgesGroupsWithTooFewSamples(t *testing.T) {
	base := reporttest.CompareRun(t, 1, 0, 2*(compare.MinSamples-1))  // 99 CHATs and 99 polls
	next := reporttest.CompareRun(t, 3, 20, 2*(compare.MinSamples-1)) // three times slower, 20 errors
	c := compare.Compare(base, next, reporttest.Limits(t, "p99@*=10%", "max@step:ask=10%"))
	for _, r := range c.Rows {
		if r.Group != "all" && r.Metric != "rps" && (!r.FewSamples || r.Worse || r.Better) {
			t.Errorf("row %s %s of a 99-request group: few=%v worse=%v better=%v", r.Group, r.Metric, r.FewSamples, r.Worse, r.Better)
		}
		if r.Group == "all" && r.Metric == "p99" && (!r.Worse || r.FewSamples) {
			t.Errorf("all (198 requests) p99 tripled but is not worse: %+v", r)
		}
	}
	if k := gatesCheck(t, c, "p99@sendAsync CHAT=10%"); k.Pass || k.Failed() || !strings.Contains(k.NotJudged, "not judged: 99 requests in base, 99 in new") {
		t.Errorf("p99@* on a 99-request group: %+v, want neither pass nor fail, saying it was not judged", k)
	}
	if k := gatesCheck(t, c, "p99@all=10%"); k.Pass {
		t.Errorf("p99@* on all (198 requests, tripled): %+v, want a failure", k)
	}
	if k := gatesCheck(t, c, "max@step:ask=10%"); k.Failed() || k.NotJudged == "" {
		t.Errorf("a limit naming the 99-request group judged it (its max tripled on 99 requests): %+v", k)
	}
	if c.Pass != false {
		t.Errorf("the comparison passed although p99 of all (198 requests) tripled")
	}
	var text, all bytes.Buffer
	if err := render.WriteCompareText(&text, c); err != nil {
		t.Fatal(err)
	}
	if err := render.WriteCompareTextWith(&all, c, render.CompareTextOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "sendAsync CHAT  ") || !strings.Contains(text.String(), "not judged, fewer than 100 requests in a report: sendAsync CHAT, poll, step:ask") {
		t.Errorf("default text shows the small groups' rows or does not name them:\n%s", text.String())
	}
	if !strings.Contains(all.String(), "not judged (few requests)") {
		t.Errorf("--all does not mark the small groups' rows:\n%s", all.String())
	}

	same := compare.Compare(reporttest.CompareRun(t, 1, 5, 1000), reporttest.CompareRun(t, 1, 5, 1000), nil)
	text.Reset()
	if err := render.WriteCompareText(&text, same); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "no differences beyond noise in") || strings.Contains(text.String(), "  p99 ") {
		t.Errorf("two equal runs:\n%s", text.String())
	}
}

func TestCompareWithinLimitsPasses(t *testing.T) {
	base := reporttest.CompareRun(t, 1, 5, 1000)
	next := reporttest.CompareRun(t, 1.05, 5, 1000)
	c := compare.Compare(base, next, reporttest.Limits(t, "p99=10%", "p50=10%", "error_rate=0.1pp", "rps=-5%"))
	if !c.Pass {
		t.Fatalf("5%% slower failed limits of 10%%: %+v", c.Checks)
	}
	for _, r := range c.Rows {
		if r.Group == "all" && r.Metric == "p99" && (!r.Worse || r.Fail || r.Limit != "p99=10%") {
			t.Errorf("p99 row: %+v, want worse, within its limit", r)
		}
	}
}

func TestCompareNeverCallsPrecisionNoiseARegression(t *testing.T) {
	run := func(us int64) *report.Report {
		b := reporttest.NewBuilder(t, 1)
		for range 200 {
			b.Req(0, us, us, "0", report.ClassOK)
		}
		return b.Finish()
	}
	for _, tc := range []struct{ base, next int64 }{
		{500_000, 500_200}, // one HdrHistogram bucket [499968, 500223]: the histograms cannot tell them apart
		{2047, 2048},       // different buckets, 0.05% apart: within 3 significant digits
	} {
		c := compare.Compare(run(tc.base), run(tc.next), reporttest.Limits(t, "p99=0%", "p50=+0ms", "max=0%"))
		if !c.Pass {
			t.Errorf("%d → %d µs flagged: %+v", tc.base, tc.next, c.Checks)
		}
		for _, r := range c.Rows {
			if r.Worse {
				t.Errorf("%d → %d µs: row %s marked worse", tc.base, tc.next, r.Metric)
			}
		}
	}
	c := compare.Compare(run(500_000), run(501_000), reporttest.Limits(t, "p99=0.1%"))
	if c.Pass {
		t.Errorf("a 0.2%% increase in another bucket passed a 0.1%% limit: %+v", c.Checks)
	}
}

func TestCompareReportsGroupsInOneReportOnly(t *testing.T) {
	base := reporttest.CompareRun(t, 1, 0, 100)
	next := reporttest.CompareRun(t, 1, 0, 100)
	next.Groups[1].Name = "poll2"
	c := compare.Compare(base, next, reporttest.Limits(t, "p99@poll=10%"))
	if len(c.OnlyInBase) != 1 || c.OnlyInBase[0] != "poll" || len(c.OnlyInNew) != 1 || c.OnlyInNew[0] != "poll2" {
		t.Errorf("only in base %q, only in new %q", c.OnlyInBase, c.OnlyInNew)
	}
	if k := gatesCheck(t, c, "p99@poll=10%"); k.Pass || k.Reason == "" {
		t.Errorf("a limit on a missing group must fail and say why: %+v", k)
	}
}

func TestParseCompareLimits(t *testing.T) {
	got := reporttest.Limits(t, "p99=10%, error_rate=0.1pp", "rps=-5%", "p95@step:ask=+20ms", "service_time.p50=5%")
	want := []compare.Limit{
		{Metric: "p99", Group: "all", Kind: "%", Value: 0.1, Text: "p99=10%"},
		{Metric: "error_rate", Group: "all", Kind: "pp", Value: 0.001, Text: "error_rate=0.1pp"},
		{Metric: "rps", Group: "all", Kind: "%", Value: 0.05, Text: "rps=-5%"},
		{Metric: "p95", Group: "step:ask", Kind: "us", Value: 20_000, Text: "p95@step:ask=+20ms"},
		{Metric: "service_time.p50", Group: "all", Kind: "%", Value: 0.05, Text: "service_time.p50=5%"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if g := got[i]; g.Metric != want[i].Metric || g.Group != want[i].Group || g.Kind != want[i].Kind ||
			g.Text != want[i].Text || g.Value < want[i].Value*0.9999 || g.Value > want[i].Value*1.0001 {
			t.Errorf("limit %d = %+v, want %+v", i, g, want[i])
		}
	}
	for _, bad := range []string{"p99", "p99=fast", "rps=1pp", "error_rate=5ms", "latency=1%", "p99=1pp", "code:=1pp"} {
		if _, err := gates.ParseCompareLimits([]string{bad}); !errors.Is(err, gates.ErrCompareLimit) {
			t.Errorf("%q: err = %v, want gates.ErrCompareLimit", bad, err)
		}
	}
	m, err := gates.CompareLimitsFromMap(map[string]string{"rps": "-5%", "p99": "10%"})
	if err != nil || len(m) != 2 || m[0].Metric != "p99" {
		t.Fatalf("from map: %+v %v", m, err)
	}
	merged := gates.OverrideCompareLimits(m, reporttest.Limits(t, "p99=20%"))
	if len(merged) != 2 || merged[0].Metric != "rps" || merged[1].Text != "p99=20%" {
		t.Errorf("flags must override the scenario's limit on the same metric: %+v", merged)
	}
}

// Two runs compared with regression limits: NEW answers 30% slower than BASE.
func ExampleCompare() {
	run := func(ms int64) *report.Report {
		start := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
		rec := record.New(record.Options{Start: start})
		chat := rec.Group("sendAsync", "CHAT")
		for i := range 1000 {
			at := int64(i) * int64(10*time.Millisecond)
			lat := (ms + int64(i%10)) * int64(time.Millisecond)
			rec.Record(&report.Sample{Group: chat, Step: report.NoGroup, Intended: at, Start: at, End: at + lat, Status: 200, ResultCode: "0"})
		}
		return rec.Finish(start.Add(10*time.Second), record.Meta{Scenario: "example"})
	}
	limits, err := gates.ParseCompareLimits([]string{"p99=10%,error_rate=0.1pp", "rps=-5%"})
	if err != nil {
		panic(err)
	}
	res := compare.Compare(run(100), run(130), limits)
	for _, c := range res.Checks {
		fmt.Printf("%v %s: %s → %s (%s), limit %s\n", c.Pass, c.Name, c.Base, c.New, c.Change, c.Limit)
	}
	fmt.Println("pass:", res.Pass)
	// Output:
	// false p99=10%: 109ms → 139ms (+27.5%), limit +10%
	// true error_rate=0.1pp: 0% → 0% (0pp), limit +0.1pp
	// true rps=-5%: 100/s → 100/s (0%), limit -5%
	// pass: false
}

func TestCompareWarnsAboutIncomparableReports(t *testing.T) {
	base := reporttest.CompareRun(t, 1, 5, 1000)
	clean := compare.Compare(base, reporttest.CompareRun(t, 1, 5, 1000), reporttest.Limits(t, "p99=10%"))
	if len(clean.Warnings) != 0 {
		t.Errorf("two complete runs of one scenario: warnings %q", clean.Warnings)
	}
	next := reporttest.CompareRun(t, 1, 5, 700)
	next.StopReason, next.Interrupted = "interrupted", true
	next.Shards = 2
	next.Scenario = "other"
	c := compare.Compare(base, next, reporttest.Limits(t, "p99=10%"))
	if len(c.Warnings) != 3 {
		t.Fatalf("warnings %q, want 3", c.Warnings)
	}
	for i, want := range []string{`new did not complete (stop reason "interrupted")`, "base merges 1 shard, new 2 shards", "different scenarios"} {
		if !strings.Contains(c.Warnings[i], want) {
			t.Errorf("warning %d %q lacks %q", i, c.Warnings[i], want)
		}
	}
	if !c.Pass {
		t.Error("warnings failed the comparison")
	}
	var text bytes.Buffer
	if err := render.WriteCompareText(&text, c); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text.String(), "WARNING: new did not complete") {
		t.Errorf("the text output does not start with the warnings:\n%s", text.String())
	}
	var js bytes.Buffer
	if err := compare.WriteJSON(&js, c); err != nil {
		t.Fatal(err)
	}
	var back compare.Result
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Warnings) != 3 {
		t.Errorf("--json does not carry the warnings: %v %q", err, back.Warnings)
	}
	// A grace cut is a whole schedule with sessions cut short: said as such, not "did not complete".
	cut := reporttest.CompareRun(t, 1, 5, 1000)
	cut.StopReason, cut.Sessions.CutByGrace = "grace cut", 4
	if w := compare.Compare(reporttest.CompareRun(t, 1, 5, 1000), cut, nil).Warnings; len(w) != 1 || w[0] != "new had 4 sessions cut by its grace period: their remaining steps were never sent" {
		t.Errorf("grace-cut new: warnings %q", w)
	}
	// An aborted base warns too.
	base.StopReason = "aborted: error_rate all <= 1.00%"
	if w := compare.Compare(base, reporttest.CompareRun(t, 1, 5, 1000), nil).Warnings; len(w) != 1 || !strings.HasPrefix(w[0], "base did not complete") {
		t.Errorf("aborted base: warnings %q", w)
	}
}

// compare refuses to call a regression against or from a generator-limited report unless forced.
func TestCompareRefusesARegressionOfAGeneratorLimitedReport(t *testing.T) {
	base := reporttest.CompareRun(t, 1, 0, 1000)
	next := reporttest.CompareRun(t, 3, 0, 1000)
	limits := reporttest.Limits(t, "p99=10%")
	if c := compare.Compare(base, next, limits); c.Pass || c.Inconclusive != "" {
		t.Fatalf("a tripled p99 between sound reports: pass %v, inconclusive %q", c.Pass, c.Inconclusive)
	}
	next.GeneratorLimit = &report.GeneratorLimit{Reasons: []string{"scheduler lag p99 150ms over 50ms"}}
	c := compare.Compare(base, next, limits)
	k := gatesCheck(t, c, "p99=10%")
	if !c.Pass || k.Failed() || !strings.HasPrefix(k.NotJudged, report.InconclusivePrefix) || !strings.Contains(c.Inconclusive, "new's generator") {
		t.Errorf("against a generator-limited new: pass %v, check %+v, inconclusive %q", c.Pass, k, c.Inconclusive)
	}
	var text bytes.Buffer
	if err := render.WriteCompareText(&text, c); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "INCONCLUSIVE: 1 of 1 limits exceeded") {
		t.Errorf("text:\n%s", text.String())
	}
	if f := compare.CompareWith(base, next, limits, compare.Options{Force: true}); f.Pass || f.Inconclusive != "" {
		t.Errorf("--force: pass %v, inconclusive %q; want the regression called", f.Pass, f.Inconclusive)
	}
}
