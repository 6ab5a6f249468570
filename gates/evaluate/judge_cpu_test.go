package evaluate_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"ccload/gates/evaluate"
	"ccload/render"
	"ccload/report"
	htmlreport "ccload/report/html"
)

// The CPU rule of the inconclusive verdict: a run whose generator used nearly all its CPUs is
// inconclusive (report.json's generator_limit names the CPU share; JUnit marks an error, the HTML a
// banner), one whose generator had CPU to spare is judged, and so is one whose CPU was the embedded
// mock's too (the target shared the process).
func TestGeneratorCPUMakesARunInconclusive(t *testing.T) {
	specs := []evaluate.ThresholdSpec{judgeSpec("response_time.p99", "", 10_000), judgeSpec("error_rate", "", 0.5)}

	busy := judgeRun(t, 200, 0) // p99 20 ms over a 10 ms limit; no lag
	busy.Generator = &report.GeneratorUse{CPUS: 19.4, CPUs: 2, CPUShare: 0.97, MachineBusy: 0.99}
	evaluate.Judge(busy, specs)
	gl := busy.GeneratorLimit
	if gl == nil || gl.CPUShare != 0.97 || !strings.Contains(strings.Join(gl.Reasons, ";"), "the process used 97% of its 2 CPUs (over 90%)") {
		t.Fatalf("generator_limit %+v; want the CPU share named", gl)
	}
	if th := busy.Thresholds[0]; th.Verdict() != "INCONCLUSIVE" || !report.Inconclusive(busy) {
		t.Errorf("p99 on a run whose generator was CPU-bound: %+v (inconclusive %v)", th, report.Inconclusive(busy))
	}
	var j bytes.Buffer
	if err := render.WriteJUnit(&j, busy); err != nil {
		t.Fatal(err)
	}
	if s := j.String(); !strings.Contains(s, `type="inconclusive"`) || !strings.Contains(s, `failures="0"`) {
		t.Errorf("junit.xml does not mark the inconclusive gate as an error:\n%s", s)
	}
	var page bytes.Buffer
	if err := htmlreport.WriteHTML(&page, busy); err != nil {
		t.Fatal(err)
	}
	if p := page.String(); !strings.Contains(p, `id="inconclusive"`) || !strings.Contains(p, "97% of its 2 CPUs") {
		t.Error("report.html shows no generator banner naming the CPU")
	}
	var js bytes.Buffer
	if err := report.WriteJSON(&js, busy); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Generator struct {
			CPUShare float64 `json:"cpu_share"`
			CPUs     int     `json:"cpus"`
		} `json:"generator"`
		GeneratorLimit struct {
			CPUShare float64 `json:"cpu_share"`
		} `json:"generator_limit"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Generator.CPUShare != 0.97 || back.Generator.CPUs != 2 || back.GeneratorLimit.CPUShare != 0.97 {
		t.Errorf("report.json's generator %+v (%v), want the CPU share as data", back, err)
	}

	for _, tc := range []struct {
		name string
		use  report.GeneratorUse
	}{
		{"CPU to spare", report.GeneratorUse{CPUS: 6, CPUs: 2, CPUShare: 0.3, MachineBusy: 0.5}},
		{"the embedded mock shared the process", report.GeneratorUse{CPUS: 19.4, CPUs: 2, CPUShare: 0.97, MachineBusy: 0.99, SharedWithTarget: true}},
	} {
		r := judgeRun(t, 200, 0)
		r.Generator = &tc.use
		evaluate.Judge(r, specs)
		if r.GeneratorLimit != nil || !r.Thresholds[0].Failed() || report.Inconclusive(r) {
			t.Errorf("%s: generator_limit %+v, p99 %+v; want judged and failed", tc.name, r.GeneratorLimit, r.Thresholds[0])
		}
	}
}
