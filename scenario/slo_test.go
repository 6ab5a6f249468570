package scenario

import (
	"strings"
	"testing"
)

const sloScenario = `
name: slo
load: {rate: 1, duration: 1s}
sessions:
  - name: s
    poll: false
    steps:
      - connect
      - {name: ask, chat: hi}
      - disconnect
`

func TestParseSLOUsesTheThresholdLanguage(t *testing.T) {
	sc, err := Parse("slo.yaml", []byte(sloScenario), ".", nil)
	if err != nil {
		t.Fatal(err)
	}
	ths, err := ParseSLO(sc, "response_time.p99<300ms, error_rate<1%,step:ask service_time.p95<=200ms,rps>5")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		metric, group string
		max, min      float64
		hasMin        bool
	}{
		{"response_time.p99", "all", 300_000, 0, false},
		{"error_rate", "all", 0.01, 0, false},
		{"service_time.p95", "step:ask", 200_000, 0, false},
		{"rps", "all", 0, 5, true},
	}
	if len(ths) != len(want) {
		t.Fatalf("got %d thresholds, want %d: %+v", len(ths), len(want), ths)
	}
	for i, w := range want {
		th := ths[i]
		if th.Metric != w.metric || th.Group != w.group || th.Max != w.max || th.Min != w.min || th.HasMin != w.hasMin || th.HasMax == w.hasMin {
			t.Errorf("item %d: got %+v, want %+v", i+1, th, w)
		}
	}
}

func TestParseSLOErrorsNameTheItem(t *testing.T) {
	sc, err := Parse("slo.yaml", []byte(sloScenario), ".", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ slo, want string }{
		{"response_time.p99<300", `item 1 "response_time.p99<300": max: "300" has no unit`},
		{"error_rate<1%,step:nope error_rate<1%", `item 2 "step:nope error_rate<1%": group: group "step:nope" does not exist`},
		{"respons_time.p99<1s", `did you mean ` + "`" + `response_time.p99`},
		{"p99 300ms", `item 1 "p99 300ms": want [GROUP ]METRIC<LIMIT`},
		{"", `empty`},
	} {
		_, err := ParseSLO(sc, tc.slo)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseSLO(%q) = %v, want an error containing %q", tc.slo, err, tc.want)
		}
	}
}

// not_sent is a share, per group, whole run only.
func TestNotSentThresholdIsAShare(t *testing.T) {
	sc, err := Parse("slo.yaml", []byte(sloScenario), ".", nil)
	if err != nil {
		t.Fatal(err)
	}
	ths, err := ParseSLO(sc, "not_sent<=1%,step:ask not_sent<=0%")
	if err != nil || len(ths) != 2 || ths[0].Max != 0.01 || ths[1].Group != "step:ask" {
		t.Fatalf("not_sent thresholds: %+v, %v", ths, err)
	}
	if _, err := Parse("t.yaml", []byte(sloScenario+"thresholds:\n  - {metric: not_sent, max: 1%, over: 10s}\n"), ".", nil); err == nil || !strings.Contains(err.Error(), "cannot be windowed") {
		t.Errorf("a windowed not_sent threshold: err %v, want cannot be windowed", err)
	}
}
