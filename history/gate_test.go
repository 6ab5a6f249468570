package history

import (
	"context"
	"math"
	mrand "math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ccload/gates"
	"ccload/report"
	"ccload/report/compare"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// gateTrial is one release gate: ten earlier runs of one target, then a new run of the same
// target (same) and one where every request is 20% slower (regressed). Each run's latency is
// scaled by a run-to-run factor (lognormal, σ runNoise: the platform's day-to-day variation), on
// top of the sampling noise of its 2,000 requests.
type gateTrial struct {
	bases          []*report.Report // newest first, as the history returns them
	same, regessed *report.Report
}

const runNoise = 0.02

func newTrial(t testing.TB, seed uint64) gateTrial {
	rng := mrand.New(mrand.NewPCG(seed, 2026))
	run := func(i int, drift float64) *report.Report {
		scale := drift * math.Exp(rng.NormFloat64()*runNoise)
		return gateRun(t, seed*1000+uint64(i), 2000, scale, day0.Add(time.Duration(i)*24*time.Hour))
	}
	var tr gateTrial
	for i := 9; i >= 0; i-- {
		tr.bases = append(tr.bases, run(i, 1))
	}
	tr.same = run(10, 1)
	tr.regessed = run(11, 1.2)
	return tr
}

// gateRun is a one-second run of n requests, lognormal response times (median 20 ms × scale,
// σ 0.3), one in 500 a resultCode 12: its one histogram recorded and encoded as a run does, the
// rest of the report kept to what compare and the history read (the gate trials build hundreds).
func gateRun(t testing.TB, seed uint64, n int, scale float64, start time.Time) *report.Report {
	t.Helper()
	rng := mrand.New(mrand.NewPCG(seed, 99))
	h := hdrhistogram.New(1, 60_000_000, 3)
	var errs int64
	for range n {
		if err := h.RecordValue(int64(20_000 * scale * math.Exp(rng.NormFloat64()*0.3))); err != nil {
			t.Fatal(err)
		}
		if rng.Float64() < 0.002 {
			errs++
		}
	}
	enc, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		t.Fatal(err)
	}
	total := int64(n)
	lat := report.Summarize(h)
	g := report.Group{Name: "all", Kind: "all", Count: total, RPS: float64(total),
		RequestCounts: report.RequestCounts{Total: total, OK: total - errs, AppErrors: errs},
		ResultCodes:   map[string]int64{"0": total - errs, "12": errs}, HTTPStatus: map[string]int64{"200": total}, Errors: map[string]int64{},
		ServiceTimeUS: lat, ResponseTimeUS: lat, ServiceHistogram: string(enc), ResponseHistogram: string(enc)}
	if errs > 0 {
		g.Errors["app"] = errs
	}
	return &report.Report{Schema: report.Schema, Scenario: "ci-gate", ScenarioText: "name: ci-gate\n",
		ScenarioSHA256: "sha256:5ca1ab1e00000000000000000000000000000000000000000000000000000000",
		StartedAt:      start, EndedAt: start.Add(time.Second), DurationS: 1, StopReason: "completed", Shards: 1,
		Requests: g.RequestCounts, Overall: g, IntervalS: 1}
}

// gateLimits is a tight limit, as a team that wants to catch small regressions writes it: inside
// the run-to-run noise of these runs (a p99 varies by about 3% between runs of one target).
func gateLimits(t testing.TB) []compare.Limit {
	l, err := gates.ParseCompareLimits([]string{"p99=3%"})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestGateTenNoisyBaselines is the acceptance test: against ten noisy baseline runs the
// history gate passes a run drawn from the same target and fails one with a real 20% p99
// regression, where compare against a single baseline (the last release's run) misjudges one of
// the two: its p99=3% limit is inside the run-to-run noise, so it fails the unchanged run.
func TestGateTenNoisyBaselines(t *testing.T) {
	tr := newTrial(t, 6)
	limits := gateLimits(t)
	same := compare.History(tr.bases, tr.same, limits)
	reg := compare.History(tr.bases, tr.regessed, limits)
	p99 := func(r *report.Report) int64 { return r.Overall.ResponseTimeUS.P99 }
	var base []int64
	for _, b := range tr.bases {
		base = append(base, p99(b))
	}
	t.Logf("baselines' p99 (newest first): %v; same %d; regressed %d", base, p99(tr.same), p99(tr.regessed))
	if !same.Pass {
		t.Errorf("the history gate failed a run of the same target: %+v", same.Checks)
	}
	if reg.Pass {
		t.Errorf("the history gate passed a 20%% p99 regression: %+v", reg.Checks)
	}
	single := []compare.Result{compare.Compare(tr.bases[0], tr.same, limits), compare.Compare(tr.bases[0], tr.regessed, limits)}
	if single[0].Pass && !single[1].Pass {
		t.Errorf("compare against the single last baseline judged both right (%+v, %+v): this trial shows nothing", single[0].Checks, single[1].Checks)
	}
	t.Logf("single baseline: same %v (%s), regressed %v (%s)", single[0].Pass, single[0].Checks[0].Change, single[1].Pass, single[1].Checks[0].Change)
	t.Logf("history: same %v (%s %s), regressed %v (%s %s)", same.Pass, same.Checks[0].Change, same.Checks[0].Reason,
		reg.Pass, reg.Checks[0].Change, reg.Checks[0].Reason)

	// The row's baseline is the mean of the baselines' own p99s (each from its histogram).
	var sum float64
	for _, b := range tr.bases {
		sum += float64(p99(b))
	}
	for _, r := range same.Rows {
		if r.Group == "all" && r.Metric == "p99" && math.Abs(r.Base-sum/10) > 1e-6 {
			t.Errorf("row p99 base %.1f, want the baselines' mean %.1f", r.Base, sum/10)
		}
	}

	// With one baseline, CompareHistory is Compare.
	one := compare.History(tr.bases[:1], tr.same, limits)
	if one.Pass != single[0].Pass || one.Checks[0].Base != single[0].Checks[0].Base {
		t.Errorf("CompareHistory with one baseline %+v differs from Compare %+v", one.Checks, single[0].Checks)
	}
}

// TestGateErrorRates plays many release gates (deterministic seeds) and counts misjudgements:
// the history gate must be right nearly always, where the single-baseline compare with the same
// limit fails a sizeable share of unchanged releases.
func TestGateErrorRates(t *testing.T) {
	const trials = 16
	limits := gateLimits(t)
	var histWrong, singleWrong int
	for seed := uint64(100); seed < 100+trials; seed++ {
		tr := newTrial(t, seed)
		if !compare.History(tr.bases, tr.same, limits).Pass {
			histWrong++
		}
		if compare.History(tr.bases, tr.regessed, limits).Pass {
			histWrong++
		}
		if !compare.Compare(tr.bases[0], tr.same, limits).Pass {
			singleWrong++
		}
		if compare.Compare(tr.bases[0], tr.regessed, limits).Pass {
			singleWrong++
		}
	}
	t.Logf("misjudged of %d gates: history %d, single baseline %d", 2*trials, histWrong, singleWrong)
	if histWrong > 1 {
		t.Errorf("the history gate misjudged %d of %d gates, want at most 1", histWrong, 2*trials)
	}
	if singleWrong < 3 || singleWrong < 3*histWrong {
		t.Errorf("the single-baseline compare misjudged %d of %d gates (history %d): the trials do not show the noise they are built with", singleWrong, 2*trials, histWrong)
	}
}

// TestGateThroughStore runs the gate as compare --baseline does: the baselines recorded in a
// store with labels, selected by Baseline (label, last, passing only, NEW left out).
func TestGateThroughStore(t *testing.T) {
	ctx := context.Background()
	s := open(t, filepath.Join(t.TempDir(), "runs.db"))
	tr := newTrial(t, 6)
	for i := len(tr.bases) - 1; i >= 0; i-- {
		if _, err := s.Record(ctx, mustPrepare(t, tr.bases[i], map[string]string{"env": "staging"})); err != nil {
			t.Fatal(err)
		}
	}
	// Noise the spec must leave out: another env, a failed run, and NEW itself recorded.
	odd := synth(t, 77, 3000, 3, 0.002, day0.Add(30*24*time.Hour))
	s.Record(ctx, mustPrepare(t, odd, map[string]string{"env": "prod"}))
	failed := synth(t, 78, 3000, 3, 0.002, day0.Add(31*24*time.Hour))
	failed.Thresholds = []report.ThresholdResult{{Name: "p99<10ms", Pass: false}}
	s.Record(ctx, mustPrepare(t, failed, map[string]string{"env": "staging"}))
	s.Record(ctx, mustPrepare(t, tr.regessed, map[string]string{"env": "staging"}))

	spec, err := ParseBaseline("history:last=10,label=env=staging")
	if err != nil {
		t.Fatal(err)
	}
	entries, bases, err := s.Baselines(ctx, spec, tr.regessed)
	if err != nil {
		t.Fatal(err)
	}
	if len(bases) != 10 {
		t.Fatalf("%d baselines, want the 10 passing staging runs", len(bases))
	}
	for i, e := range entries {
		if want := int64(10 - i); e.ID != want {
			t.Errorf("baseline %d is run #%d, want #%d (newest first)", i, e.ID, want)
		}
	}
	if compare.History(bases, tr.regessed, gateLimits(t)).Pass {
		t.Error("the regressed run passed against its baselines from the store")
	}
	if !compare.History(bases, tr.same, gateLimits(t)).Pass {
		t.Error("the unchanged run failed against its baselines from the store")
	}
	spec3, _ := ParseBaseline("history:last=3,label=env=staging,verdict=any")
	entries, _, _ = s.Baselines(ctx, spec3, tr.same)
	if len(entries) != 3 || entries[0].ID != 12 || entries[1].ID != 13 || entries[2].ID != 10 {
		t.Errorf("last=3,verdict=any took %d runs starting #%d; want #12 (failed), #13 (regressed), #10, by start time", len(entries), entries[0].ID)
	}
}

func TestParseBaseline(t *testing.T) {
	for _, c := range []struct {
		in, err string
	}{
		{"history:", ""},
		{"history:last=3,label=env=staging,label=version=1.4,verdict=any,scenario=ci-gate", ""},
		{"history:last=0", "last=0"},
		{"history:label=env", "label=KEY=VALUE"},
		{"history:verdict=great", "verdict=great"},
		{"history:color=blue", "unknown key"},
		{"history:last", "KEY=VALUE"},
		{"history:label=b@d=x", "label \"b@d\""},
	} {
		_, err := ParseBaseline(c.in)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%q: %v", c.in, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: %v, want an error saying %q", c.in, err, c.err)
		}
	}
	b, _ := ParseBaseline("history:")
	if b.Last != DefaultLast || len(b.Verdicts) != 1 || b.Verdicts[0] != VerdictPass {
		t.Errorf("defaults %+v", b)
	}
}

func TestHistoryT(t *testing.T) {
	for df, want := range map[int]float64{1: 12.706, 2: 4.303, 9: 2.262, 30: 2.042, 31: 1.96, 500: 1.96} {
		if got := compare.HistoryT(df); got != want {
			t.Errorf("HistoryT(%d) = %v, want %v", df, got, want)
		}
	}
	if !math.IsInf(compare.HistoryT(0), 1) {
		t.Error("HistoryT(0) is not +Inf: one baseline has no spread to judge by")
	}
}

// TestGateJudgesAsCompareDoes: against several baselines the history gate keeps compare's rules
// that say what ccload cannot judge. A limit on a group under 100 requests (named, not only @*)
// is not judged, whatever the change; a regression where a run's generator was the limit is
// inconclusive (no failure, CompareResult.Inconclusive set: compare exits 3) unless --force.
func TestGateJudgesAsCompareDoes(t *testing.T) {
	limits := gateLimits(t) // p99=3%, on "all"
	var small []*report.Report
	for i := range 3 {
		small = append(small, gateRun(t, uint64(50+i), 60, 1, day0.Add(time.Duration(i)*time.Hour)))
	}
	res := compare.History(small, gateRun(t, 60, 60, 3, day0.Add(5*time.Hour)), limits)
	if !res.Pass || len(res.Checks) != 1 || res.Checks[0].Failed() || !strings.HasPrefix(res.Checks[0].NotJudged, "not judged") {
		t.Fatalf("a 3x slower run of 60 requests against three of 60: pass %v, checks %+v; want not judged, no failure", res.Pass, res.Checks)
	}

	tr := newTrial(t, 6)
	limited := *tr.regessed
	limited.GeneratorLimit = &report.GeneratorLimit{Reasons: []string{"scheduler lag p99 40ms"}}
	res = compare.History(tr.bases, &limited, limits)
	if !res.Pass || res.Inconclusive == "" || !strings.HasPrefix(res.Checks[0].NotJudged, report.InconclusivePrefix) {
		t.Fatalf("a 20%% regression from a generator-limited run: pass %v, inconclusive %q, checks %+v; want inconclusive", res.Pass, res.Inconclusive, res.Checks)
	}
	if res = compare.HistoryWith(tr.bases, &limited, limits, compare.Options{Force: true}); res.Pass {
		t.Fatalf("--force on a generator-limited 20%% regression passed: %+v", res.Checks)
	}
}
