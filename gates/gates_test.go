package gates

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseMetric(t *testing.T) {
	for m, want := range map[string]Metric{
		"response_time.p99":   {Family: "response_time", Stat: "p99", Q: 99, Unit: US},
		"service_time.p999":   {Family: "service_time", Stat: "p999", Q: 99.9, Unit: US},
		"reply_latency.p99.9": {Family: "reply_latency", Stat: "p99.9", Q: 99.9, Unit: US},
		"time_to_agent.mean":  {Family: "time_to_agent", Stat: "mean", Q: -1, Unit: US},
		"error_rate":          {Family: "error_rate", Unit: Frac},
		"rps":                 {Family: "rps", Unit: Rate},
		"dropped_arrivals":    {Family: "dropped_arrivals", Unit: Count},
	} {
		got, err := ParseMetric(m)
		if err != nil || got != want {
			t.Errorf("ParseMetric(%q) = %+v, %v; want %+v", m, got, err, want)
		}
	}
	for _, bad := range []string{"latency.p99", "response_time", "response_time.p9x", "error_rate.p99"} {
		if _, err := ParseMetric(bad); !errors.Is(err, ErrThreshold) {
			t.Errorf("ParseMetric(%q) = %v, want ErrThreshold", bad, err)
		}
	}
}

// Check holds the per-group and windowing rules the loader and the evaluator share.
func TestCheck(t *testing.T) {
	lim := Threshold{Max: 1, HasMax: true}
	with := func(metric, group, code string, over time.Duration) Threshold {
		th := lim
		th.Metric, th.Group, th.Code, th.Over = metric, group, code, over
		return th
	}
	for _, c := range []struct {
		th   Threshold
		want string // "" passes
	}{
		{with("response_time.p99", "step:ask", "", 30*time.Second), ""},
		{with("error_rate", "endpoint:sendAsync", "", 0), ""},
		{with("reply_latency.p95", "step:ask", "", 0), "measured for the whole run only"},
		{with("result_code_share", "step:ask", "12", 30*time.Second), "per-group windows carry no resultCodes"},
		{with("result_code_share", "all", "0", 30*time.Second), "counts only non-\"0\" codes"},
		{with("service_time.p99", "all", "", 30*time.Second), "cannot be windowed"},
		{with("result_code_share", "all", "", 0), "needs a code"},
		{with("error_rate", "users", "", 0), "unknown group"},
		{Threshold{Metric: "error_rate"}, "no limit"},
	} {
		err := Check(c.th)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v: %v", c.th, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%+v: err %v, want %q", c.th, err, c.want)
		}
	}
}

// A Set survives report.json: what a merge or compare reads is what the run compiled.
func TestSetRoundTripsThroughJSON(t *testing.T) {
	limits, err := ParseCompareLimits([]string{"p99@step:ask=+20ms,error_rate=0.1pp"})
	if err != nil {
		t.Fatal(err)
	}
	in := &Set{Thresholds: []Threshold{{Name: "p99", Metric: "response_time.p99", Group: "all", Max: 250_000, HasMax: true,
		LimitText: "250ms", Over: 30 * time.Second, AbortOnFail: true, After: time.Minute}}, Compare: limits}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Set
	if err := json.Unmarshal(b, &out); err != nil || !reflect.DeepEqual(in, &out) {
		t.Errorf("round trip: %v\n in  %+v\n out %+v\n%s", err, in, out, b)
	}
}

// Histogram values pass when the histogram cannot tell them from the limit; exact values do not.
func TestPassAtHistogramPrecision(t *testing.T) {
	th := Threshold{Max: 100_000, HasMax: true}
	if !Pass(100_010, th, false) || Pass(100_010, th, true) || Pass(101_000, th, false) {
		t.Error("Pass does not apply the histogram's precision only to histogram values")
	}
}
