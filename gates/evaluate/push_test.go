package evaluate_test

import (
	"testing"

	"ccload/gates/evaluate"
	"ccload/report/reporttest"
)

// callbacks_* thresholds read the push section, and say "no data" without one.
func TestCallbackThresholds(t *testing.T) {
	r := reporttest.SmallRun(t)
	if _, ok := evaluate.PushGateValue(r, "callbacks_unknown"); ok {
		t.Error("callbacks_unknown has a value on a run without push")
	}
	r.Push = reporttest.Push(2)
	for fam, want := range map[string]float64{"callbacks_unknown": 2, "callbacks_late": 2, "callbacks_duplicated": 2, "callbacks_overflowed": 6, "callbacks_malformed": 4, "callbacks_bad_auth": 4} {
		if v, ok := evaluate.PushGateValue(r, fam); !ok || v != want {
			t.Errorf("%s = %v (%v), want %g", fam, v, ok, want)
		}
	}
}
