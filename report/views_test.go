package report_test

import (
	"testing"

	"ccload/report/merge"
	"ccload/report/reporttest"
)

// A merge keeps what report.html needs to shade the grace period: grace_s and each stage's length.
func TestMergeKeepsTheGracePeriodAndStageLengths(t *testing.T) {
	m, err := merge.Reports(reporttest.Realistic(t, 1), reporttest.Realistic(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	if m.GraceS != 10 || len(m.Stages) != 4 || m.Stages[3].DurationS != 5 {
		t.Errorf("merged grace_s %v, stages %+v; want 10 and the last stage 5 s long", m.GraceS, m.Stages)
	}
}
