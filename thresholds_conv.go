package main

import (
	"ccload/report"
	"ccload/scenario"
)

// scenarioThresholdSpecs converts a scenario's thresholds to report's specs, field for field,
// for commands that evaluate thresholds outside a run (ccload merge). It mirrors the runner's
// own (unexported) conversion.
func scenarioThresholdSpecs(ts []scenario.Threshold) []report.ThresholdSpec {
	out := make([]report.ThresholdSpec, 0, len(ts))
	for _, t := range ts {
		out = append(out, report.ThresholdSpec{
			Name: t.Name, Metric: t.Metric, Group: t.Group, Code: t.Code,
			Max: t.Max, Min: t.Min, HasMax: t.HasMax, HasMin: t.HasMin, LimitText: t.LimitText,
			Over: t.Over, AbortOnFail: t.AbortOnFail, After: t.After,
		})
	}
	return out
}
