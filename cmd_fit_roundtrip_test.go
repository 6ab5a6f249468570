package main

// The round trip of `ccload fit` (issue "Reproduce production, judged fairly"): a production
// log (generated, with known session types, lognormal think times and a ramping or flat
// Poisson arrival curve) is fitted; the fitted scenario is run, and `ccload logdiff` at the
// README's limits must pass the run's log and fail deliberately wrong ones. The 40 s logs are
// run for real against `ccload mock --record`; the 2 min and 30 min ones are played from the
// fitted scenario's compiled distributions in-process (simRun), so the suite stays short.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"ccload/report"
	"ccload/scenario"
	"ccload/traffic"
)

// recordingMock starts `ccload mock --record path` on a free loopback port and returns its URL
// and a stop function that ends it with SIGINT (which flushes the record) and waits.
func recordingMock(t *testing.T, path string) (string, func()) {
	t.Helper()
	m := startMockCommand(t, "--record", path)
	return m.url, func() { m.stop(t) }
}

// A generated production log: three session types (40/30/30) with lognormal think times of
// medians 0.6-1.2 s, arriving as a Poisson process whose rate goes linearly from `from` to
// `to` sessions/s over secs seconds (flat when equal).
type genLog struct {
	secs, from, to float64
	seed           uint64
}

// genGap is a lognormal think time of median med and 90th percentile p90 (seconds).
type genGap struct{ med, p90 float64 }

func (g genGap) draw(rng *rand.Rand) float64 {
	return math.Exp(math.Log(g.med) + rng.NormFloat64()*math.Log(g.p90/g.med)/1.2815515655446004)
}

// logLine is one logged send, as `ccload mock --record` writes it.
type logLine struct {
	T                          int64 // ms
	From, Control, Media, Text string
}

func (l logLine) json() string {
	return fmt.Sprintf(`{"channel":"WEB","content":%q,"controlType":%q,"from":%q,"mediaType":%q,"sourceType":"CUSTOMER","to":"1011577355744904195","received_ms":%d}`+"\n",
		l.Text, l.Control, l.From, l.Media, l.T)
}

const genT0 = int64(1_796_000_000_000)

// lines generates the log's requests, in time order.
func (g genLog) lines() []logLine {
	rng := rand.New(rand.NewPCG(g.seed, 77))
	var out []logLine
	rmax := math.Max(g.from, g.to)
	for t, n := 0.0, 0; ; {
		t += rng.ExpFloat64() / rmax
		if t >= g.secs {
			break
		}
		if rng.Float64()*rmax > g.from+(g.to-g.from)*t/g.secs {
			continue // thinning: a Poisson process of the ramp's rate
		}
		n++
		from := fmt.Sprintf("p%dx%d", n, rng.IntN(100))
		at := t
		add := func(ct, media, text string, gap genGap) {
			if gap.med > 0 {
				at += gap.draw(rng)
			}
			out = append(out, logLine{T: genT0 + int64(math.Round(at*1000)), From: from, Control: ct, Media: media, Text: text})
		}
		add("CONNECT", "TEXT", "", genGap{})
		switch u := rng.Float64(); {
		case u < 0.4: // faq: 1-3 CHATs
			add("CHAT", "TEXT", "hello there", genGap{0.8, 1.8})
			for range rng.IntN(3) {
				add("CHAT", "TEXT", "one more question", genGap{0.6, 1.4})
			}
			add("DISCONNECT", "TEXT", "", genGap{1, 2})
		case u < 0.7: // browse
			add("INPUT", "TEXT", "typing", genGap{1.2, 2.4})
			add("READ", "TEXT", "read", genGap{0.8, 1.6})
			add("DISCONNECT", "TEXT", "", genGap{0.6, 1.2})
		default: // card
			add("CHAT", "WEBCARD", `{"title":"Spring sale"}`, genGap{1, 2.2})
			add("DISCONNECT", "TEXT", "", genGap{0.8, 1.8})
		}
	}
	return out
}

// writeGenLog writes lines, sorted by time, to path.
func writeGenLog(t *testing.T, path string, ls []logLine) {
	t.Helper()
	sort.SliceStable(ls, func(i, j int) bool { return ls[i].T < ls[j].T })
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l.json())
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// readLogLines reads a log written by writeGenLog or by `ccload mock --record`.
func readLogLines(t *testing.T, path string) []logLine {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []logLine
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var v struct {
			From, ControlType, MediaType, Content string
			ReceivedMS                            int64 `json:"received_ms"`
		}
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("%s: %v: %s", path, err, line)
		}
		if v.MediaType == "" {
			v.MediaType = "TEXT"
		}
		out = append(out, logLine{T: v.ReceivedMS, From: v.From, Control: v.ControlType, Media: v.MediaType, Text: v.Content})
	}
	return out
}

// bySession groups lines by customer, in order of first appearance.
func bySession(ls []logLine) [][]logLine {
	idx := map[string]int{}
	var out [][]logLine
	for _, l := range ls {
		i, ok := idx[l.From]
		if !ok {
			i = len(out)
			idx[l.From] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], l)
	}
	return out
}

// The deliberately wrong runs, made from a right one.

// thinned keeps each session with probability keep: the same process at keep × the rate.
func thinned(ls []logLine, keep float64) []logLine {
	rng := rand.New(rand.NewPCG(5, 5))
	var out []logLine
	for _, s := range bySession(ls) {
		if rng.Float64() < keep {
			out = append(out, s...)
		}
	}
	return out
}

// withoutCards leaves out every session that sent a WEBCARD: one session type missing.
func withoutCards(ls []logLine) []logLine {
	var out []logLine
	for _, s := range bySession(ls) {
		if !slices.ContainsFunc(s, func(l logLine) bool { return l.Media == "WEBCARD" }) {
			out = append(out, s...)
		}
	}
	return out
}

// slowed doubles every gap within each session: think times doubled, arrivals unchanged.
func slowed(ls []logLine) []logLine {
	var out []logLine
	for _, s := range bySession(ls) {
		for _, l := range s {
			l.T = s[0].T + 2*(l.T-s[0].T)
			out = append(out, l)
		}
	}
	return out
}

// simRun plays a fitted scenario from its compiled distributions, as `ccload run` would against
// a target answering in 1 ms: Poisson arrivals at the stages' rate, sessions drawn by weight,
// their steps with the think times and repeat counts drawn from the scenario's own
// distributions. It stands in for a real run of the 2 min and 30 min logs.
func simRun(t *testing.T, sc *scenario.Scenario, seed uint64) []logLine {
	t.Helper()
	if sc.Load.Model != scenario.Open {
		t.Fatalf("fitted load model %v, want open", sc.Load.Model)
	}
	rng := rand.New(rand.NewPCG(seed, 3))
	var total float64
	for _, s := range sc.Sessions {
		total += s.Weight
	}
	T, rmax := sc.Load.Duration().Seconds(), sc.Load.Peak()
	var out []logLine
	n := 0
	for at := 0.0; ; {
		at += rng.ExpFloat64() / rmax
		if at >= T {
			break
		}
		rate, _ := sc.Load.At(time.Duration(at * 1e9))
		if rng.Float64()*rmax > rate {
			continue
		}
		n++
		u := rng.Float64() * total
		ss := sc.Sessions[len(sc.Sessions)-1]
		for _, s := range sc.Sessions {
			if u < s.Weight {
				ss = s
				break
			}
			u -= s.Weight
		}
		from := fmt.Sprintf("s%d", n)
		now := at
		var play func(steps []*scenario.Step)
		play = func(steps []*scenario.Step) {
			for _, st := range steps {
				switch {
				case st.Kind.Sends():
					media := string(st.Send.MediaType)
					if media == "" {
						media = "TEXT"
					}
					out = append(out, logLine{T: genT0 + int64(math.Round(now*1000)), From: from, Control: string(st.Send.ControlType), Media: media})
					now += 0.001
				case st.Kind == scenario.StepThink:
					now += st.Think.Sample(rng)
				case st.Kind == scenario.StepRepeat:
					for range int(math.Round(st.Count.Sample(rng))) {
						play(st.Steps)
					}
				}
			}
		}
		play(ss.Steps)
	}
	return out
}

// logdiffJSON runs `ccload logdiff A B --json` and returns its exit code, output
// and result.
func logdiffJSON(t *testing.T, a, b string, args ...string) (int, string, traffic.DiffResult) {
	t.Helper()
	js := b + ".diff.json"
	var so, se bytes.Buffer
	code := ccloadTo(t, append([]string{"logdiff", a, b, "--json", js}, args...), &so, &se)
	var res traffic.DiffResult
	if code == exitOK || code == exitFailed {
		data, err := os.ReadFile(js)
		if err != nil {
			t.Fatalf("logdiff --json: %v", err)
		}
		if err := json.Unmarshal(data, &res); err != nil {
			t.Fatalf("logdiff --json: %v", err)
		}
	}
	return code, so.String() + se.String(), res
}

// failedIn reports whether a row of section (and, when name is not "", of that name) failed.
func failedIn(res traffic.DiffResult, section, name string) bool {
	for _, r := range res.Rows {
		if r.Section == section && (name == "" || r.Name == name) && r.Verdict == traffic.VerdictFail {
			return true
		}
	}
	return false
}

// stagedSessions is the number of sessions a scenario's open-model stages play.
func stagedSessions(sc *scenario.Scenario) float64 {
	var n float64
	for _, s := range sc.Load.Stages {
		n += (s.From + s.To) / 2 * s.Duration.Seconds()
	}
	return n
}

// The 40 s logs are run for real, each its own top-level test so that it takes a parallel slot
// when the suite's parallel tests start, not after all of them as a subtest would.
func TestFitRoundTripRamp40s(t *testing.T) {
	realTime(t)
	fitRoundTrip(t, genLog{secs: 40, from: 25, to: 50, seed: 1}, true)
}

func TestFitRoundTripFlat40s(t *testing.T) {
	realTime(t)
	fitRoundTrip(t, genLog{secs: 40, from: 37, to: 37, seed: 2}, true)
}

// TestFitRoundTrip: the 2 min and 30 min logs, played from the fitted scenario (simRun). The
// cases take CPU, not real time: one after the other in this test's parallel slot (as parallel
// subtests they queued behind every other test and ended the suite).
func TestFitRoundTrip(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		g    genLog
	}{
		{"2m-ramp", genLog{secs: 120, from: 10, to: 30, seed: 3}},
		{"2m-flat", genLog{secs: 120, from: 20, to: 20, seed: 4}},
		{"30m-ramp", genLog{secs: 1800, from: 2, to: 6, seed: 5}},
		{"30m-flat", genLog{secs: 1800, from: 4, to: 4, seed: 6}},
	} {
		t.Run(c.name, func(t *testing.T) { fitRoundTrip(t, c.g, false) })
	}
}

// fitRoundTrip fits the log g generates, runs the fitted scenario (for real against a recording
// mock, else simRun) and checks that logdiff at the README's limits passes the run's log and
// fails deliberately wrong ones.
func fitRoundTrip(t *testing.T, g genLog, real bool) {
	dir := t.TempDir()
	prod, run := filepath.Join(dir, "prod.jsonl"), filepath.Join(dir, "run.jsonl")
	pl := g.lines()
	writeGenLog(t, prod, pl)
	sessions := len(bySession(pl))

	fitted := filepath.Join(dir, "fitted.yaml")
	var so, se bytes.Buffer
	if code := ccloadTo(t, []string{"fit", prod, "-o", fitted}, &so, &se); code != 0 {
		t.Fatalf("fit: exit %d\n%s%s", code, so.String(), se.String())
	}
	if !strings.Contains(so.String(), "chosen from the log") {
		t.Errorf("fit does not say how it chose its bucket:\n%s", so.String())
	}
	if page, err := os.ReadFile(strings.TrimSuffix(fitted, ".yaml") + ".fit.html"); err != nil || !bytes.Contains(page, []byte("<svg")) ||
		!bytes.Contains(page, []byte("chosen from the log")) {
		t.Errorf("fit page: %v, %d bytes without its arrival chart or bucket choice", err, len(page))
	}
	text, _ := os.ReadFile(fitted)
	sc, err := scenario.Parse(fitted, text, dir, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	// The stages play the log's sessions over its span.
	if got := stagedSessions(sc); math.Abs(got-float64(sessions)) > 0.01*float64(sessions)+1 {
		t.Errorf("the fitted stages play %.1f sessions, the log holds %d", got, sessions)
	}
	if span := sc.Load.Duration().Seconds(); math.Abs(span-g.secs) > 0.05*g.secs {
		t.Errorf("the fitted stages last %.1fs, the log's arrivals %.0fs", span, g.secs)
	}

	if real {
		url, stop := recordingMock(t, run)
		// No --base: the fitted scenario carries its auth (CC_APP_KEY, default demo) and channel.
		res := e2eRun(t, nil, fitted, "--target", url)
		if res.code != 0 {
			t.Fatalf("run of the fitted scenario: exit %d\n%s", res.code, res.stderr)
		}
		starved(t, res)
		stop()
	} else {
		writeGenLog(t, run, simRun(t, sc, g.seed))
	}
	code, out, res := logdiffJSON(t, prod, run, "--max-share", "5%", "--max-ks", "0.1", "--max-rate", "5%")
	if code != exitOK {
		t.Fatalf("logdiff of the fitted scenario's run: exit %d, want 0\n%s", code, out)
	}
	if res.Checks < 20 || !slices.ContainsFunc(res.Rows, func(r traffic.DiffRow) bool { return r.Section == "arrivals" && r.Name == "all" && r.Judged() }) {
		t.Errorf("logdiff judged %d checks (want 20 or more, the whole arrival count among them)\n%s", res.Checks, out)
	}
	t.Logf("logdiff:\n%s", out)

	// The same logdiff fails deliberately wrong runs, naming what is wrong.
	rl := readLogLines(t, run)
	for _, w := range []struct {
		name          string
		lines         []logLine
		section, what string
	}{
		{"rate 30% off", thinned(rl, 0.7), "arrivals", "all"},
		{"card sessions missing", withoutCards(rl), "session type", "CONNECT CHAT/WEBCARD+ DISCONNECT"},
		{"think times doubled", slowed(rl), "think time", ""},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(w.name, " ", "-")+".jsonl")
		writeGenLog(t, p, w.lines)
		code, out, res := logdiffJSON(t, prod, p)
		if code != exitFailed || !failedIn(res, w.section, w.what) {
			t.Errorf("%s: exit %d, want 1 with a failed %s %q row\n%s", w.name, code, w.section, w.what, out)
		}
	}
}

// starved skips the round trip when the run's own report says the generator, not the target, was
// the limit (report.GeneratorLimitOf: a scheduler-lag p99 over 50 ms, or arrivals it dropped): the
// logged gaps and arrivals then carry the machine's stalls, and comparing them would test this
// machine's load, not the fit. One stall does not count, as it does not in the report: a 400 ms
// pause delays a dozen of the ~1,500 sessions, which moves no KS statistic near the 0.1 limit.
func starved(t *testing.T, res e2eResult) {
	t.Helper()
	if res.rep == nil {
		t.Fatal("no report")
	}
	t.Logf("scheduler lag p99 %s, max %s", report.FormatUS(res.rep.SchedulerLagUS.P99), report.FormatUS(res.rep.SchedulerLagUS.Max))
	if gl := res.rep.GeneratorLimit; gl != nil {
		t.Skipf("the run's report says the generator was the limit (%s): its log would measure this machine's load, not the fit", strings.Join(gl.Reasons, "; "))
	}
}

// `logdiff --speed X` compares a replay at speed X with its log: a 20 s log replayed at speed 2
// against a recording mock passes with --speed 2 and fails without it (its gaps and arrivals
// are half as long).
func TestLogdiffReplaySpeed(t *testing.T) {
	realTime(t)
	dir := t.TempDir()
	prod, rec := filepath.Join(dir, "prod.jsonl"), filepath.Join(dir, "replay.jsonl")
	writeGenLog(t, prod, genLog{secs: 20, from: 30, to: 30, seed: 9}.lines())
	base := filepath.Join(dir, "base.yaml")
	os.WriteFile(base, []byte("auth: {app_key: rp-key, app_secret: rp-secret}\n"), 0o644)
	url, stop := recordingMock(t, rec)
	res := e2eReplay(t, prod, "--scenario", base, "--target", url, "--speed", "2")
	if res.code != 0 {
		t.Fatalf("replay: exit %d\n%s", res.code, res.stderr)
	}
	starved(t, res)
	stop()
	code, out, _ := logdiffJSON(t, prod, rec, "--speed", "2")
	if code != exitOK {
		t.Fatalf("logdiff --speed 2 of a replay at speed 2: exit %d\n%s", code, out)
	}
	code, out, diff := logdiffJSON(t, prod, rec)
	if code != exitFailed || !failedIn(diff, "arrivals", "all") || !failedIn(diff, "per session", "duration KS") {
		t.Errorf("logdiff without --speed of a replay at speed 2: exit %d, want 1 on arrivals and durations\n%s", code, out)
	}
}
