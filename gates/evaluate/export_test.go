package evaluate

import "ccload/report"

// PushGateValue is pushGateValue's value and whether it has one, for the callbacks_* tests.
func PushGateValue(r *report.Report, family string) (v float64, ok bool) {
	x := pushGateValue(r, family)
	return x.v, x.ok
}
