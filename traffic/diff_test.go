package traffic

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"ccload/ccapi"
)

// sessionsLog analyses sessions of CONNECT, CHAT, DISCONNECT starting as a Poisson process of
// rate r for secs, with lognormal gaps of median med (seconds), every time divided by speed
// (a replay at that speed) and read back with the given options.
func sessionsLog(seed uint64, secs, r, med, speed float64, o AnalyzeOptions) *Analysis {
	rng := rand.New(rand.NewPCG(seed, 2))
	a := NewAnalysis(o)
	t0 := int64(1e18)
	at := func(s float64) int64 { return t0 + int64(s/speed*1e9) }
	for _, s := range poissonStarts(seed, secs, r, r) {
		g1 := math.Exp(math.Log(med) + 0.5*rng.NormFloat64())
		g2 := math.Exp(math.Log(med) + 0.5*rng.NormFloat64())
		a.Add(&Session{Events: []Event{{T: at(s), Control: ccapi.Connect}, {T: at(s + g1), Control: ccapi.Chat, Media: ccapi.Text},
			{T: at(s + g1 + g2), Control: ccapi.Disconnect}}})
	}
	return a
}

// Two logs of one process pass whatever their noise: arrival buckets of about 100 sessions
// (whose Poisson noise alone is 10%) and KS at small n are judged against their noise, where
// fixed limits (5%, 0.1) failed most of them.
func TestDiffKnowsNoise(t *testing.T) {
	for seed := range uint64(20) {
		a := sessionsLog(2*seed+1, 120, 10, 0.8, 1, AnalyzeOptions{Bucket: 10 * time.Second})
		b := sessionsLog(2*seed+2, 120, 10, 0.8, 1, AnalyzeOptions{})
		res := Diff(a, b, DefaultDiffLimits)
		if !res.Pass || res.Checks < 15 {
			var buf bytes.Buffer
			WriteDiff(&buf, res)
			t.Fatalf("seed %d: two logs of one process: pass %v, %d checks\n%s", seed, res.Pass, res.Checks, buf.String())
		}
	}
	// The same process 30% faster fails, on the arrival count.
	a := sessionsLog(1, 120, 10, 0.8, 1, AnalyzeOptions{})
	b := sessionsLog(2, 120, 13, 0.8, 1, AnalyzeOptions{})
	res := Diff(a, b, DefaultDiffLimits)
	if res.Pass || !failed(res, "arrivals", "all") {
		t.Errorf("rate 10/s against 13/s passed: %+v", res.Rows)
	}
}

func failed(res DiffResult, section, name string) bool {
	for _, r := range res.Rows {
		if r.Section == section && r.Name == name && r.Verdict == VerdictFail {
			return true
		}
	}
	return false
}

// A comparison with too little data says so and is not failed, even when its samples look
// far apart.
func TestDiffTooLittleData(t *testing.T) {
	a := sessionsLog(1, 3, 4, 0.8, 1, AnalyzeOptions{})
	b := sessionsLog(2, 3, 4, 3, 1, AnalyzeOptions{}) // think times 4× as long
	res := Diff(a, b, DefaultDiffLimits)
	if !res.Pass || res.Failed != 0 || res.TooFew == 0 {
		t.Fatalf("pass %v, %d failed, %d not judged: %+v", res.Pass, res.Failed, res.TooFew, res.Rows)
	}
	for _, r := range res.Rows {
		if r.Section == "think time" && (r.Verdict != VerdictTooFew || r.Note == "") {
			t.Errorf("%s: %q (%s), want not judged with a reason", r.Name, r.Verdict, r.Note)
		}
	}
	var buf bytes.Buffer
	WriteDiff(&buf, res)
	if !strings.Contains(buf.String(), "not judged (too little data)") {
		t.Errorf("the summary does not say what was not judged:\n%s", buf.String())
	}
}

// A replay at speed 2 compares with its log once its times are multiplied by 2.
func TestDiffSpeed(t *testing.T) {
	a := sessionsLog(1, 120, 10, 0.8, 1, AnalyzeOptions{})
	fast := func(speed float64) DiffResult {
		b := sessionsLog(1, 120, 10, 0.8, 2, AnalyzeOptions{Speed: speed})
		return Diff(a, b, DefaultDiffLimits)
	}
	if res := fast(2); !res.Pass || res.B.Speed != 2 {
		t.Errorf("the replay at speed 2 with --speed 2: pass %v, speed %v", res.Pass, res.B.Speed)
	}
	if res := fast(1); res.Pass || !failed(res, "arrivals", "all") || !failed(res, "think time", "CONNECT→CHAT KS") {
		t.Errorf("the replay at speed 2 without --speed passed: %+v", res.Rows)
	}
}

// The JSON, JUnit and HTML outputs carry every check and the verdict.
func TestDiffOutputs(t *testing.T) {
	a := sessionsLog(1, 120, 10, 0.8, 1, AnalyzeOptions{})
	b := sessionsLog(2, 120, 10, 1.6, 1, AnalyzeOptions{}) // think times doubled
	res := Diff(a, b, DefaultDiffLimits)
	res.A.Label, res.B.Label = "prod.jsonl", "run.jsonl"
	if res.Pass {
		t.Fatal("doubled think times passed")
	}
	var js bytes.Buffer
	if err := WriteDiffJSON(&js, res); err != nil {
		t.Fatal(err)
	}
	var back DiffResult
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Pass || back.Failed != res.Failed || len(back.Rows) != len(res.Rows) ||
		back.Rows[0].Verdict == "" || back.A.Label != "prod.jsonl" {
		t.Fatalf("JSON: %v, %+v", err, back)
	}
	var ju bytes.Buffer
	if err := WriteDiffJUnit(&ju, res); err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suite    struct {
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(ju.Bytes(), &suites); err != nil {
		t.Fatal(err)
	}
	if suites.Tests != res.Checks+res.TooFew || suites.Failures != res.Failed || len(suites.Suite.Cases) != suites.Tests {
		t.Errorf("JUnit: %d tests, %d failures; want %d and %d", suites.Tests, suites.Failures, res.Checks+res.TooFew, res.Failed)
	}
	var h bytes.Buffer
	if err := WriteDiffHTML(&h, res, a, b); err != nil {
		t.Fatal(err)
	}
	page := h.String()
	for _, want := range []string{"FAIL: ", "<svg", "think time", "prod.jsonl"} {
		if !strings.Contains(page, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "src=", "http://", "https://"} {
		if strings.Contains(page, bad) {
			t.Errorf("HTML is not self-contained: %q", bad)
		}
	}
}
