package main

import (
	"fmt"
	"io"
	"strings"

	"ccload/dashboard"
	"ccload/report"
	"ccload/report/record"
	"ccload/runner"
	"ccload/scenario"
)

// startDashboardOnly starts --dashboard when no metrics flag is set.
func startDashboardOnly(m *metricsFlags, cmd string, stderr io.Writer) (*liveMetrics, error) {
	lm := &liveMetrics{stderr: stderr}
	if err := lm.startDashboard(*m.dashboard, cmd); err != nil {
		return nil, err
	}
	return lm, nil
}

// startDashboard starts the live dashboard on addr ("" starts none); an error is bad usage.
func (lm *liveMetrics) startDashboard(addr, cmd string) error {
	if addr == "" {
		return nil
	}
	srv, err := dashboard.Start(addr, dashboard.Options{Command: strings.TrimPrefix(cmd, "ccload ")})
	if err != nil {
		return fmt.Errorf("%s: %v", cmd, err)
	}
	lm.dash = srv
	fmt.Fprintf(lm.stderr, "ccload: live dashboard on %s\n", srv.URL())
	return nil
}

// dashObserver is the dashboard as an Observer (nil without one).
func (lm *liveMetrics) dashObserver() record.Observer {
	if lm == nil || lm.dash == nil {
		return nil
	}
	return lm.dash
}

// describe tells the dashboard which scenario runs and the thresholds it judges live (the
// scenario's, or capacity's SLO).
func (lm *liveMetrics) describe(name string, ts []scenario.Threshold) {
	if lm == nil || lm.dash == nil {
		return
	}
	lm.dash.Describe(dashboard.Options{Scenario: name, Thresholds: runner.ThresholdSpecs(ts)})
}

// finish shows the finished report on the dashboard (nil: the run produced none).
func (lm *liveMetrics) finish(rep *report.Report) {
	if lm == nil || lm.dash == nil || rep == nil {
		return
	}
	lm.dash.Finish(rep)
}

// stepLog tees a capacity search's step lines to the dashboard (w itself without one).
func (lm *liveMetrics) stepLog(w io.Writer) io.Writer {
	if lm == nil || lm.dash == nil {
		return w
	}
	return lm.dash.StepLog(w)
}

// stopDashboard closes the dashboard without waiting for any browser.
func (lm *liveMetrics) stopDashboard() {
	if lm.dash != nil {
		_ = lm.dash.Close()
	}
}
