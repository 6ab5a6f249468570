package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"time"

	"ccload/dashboard"
	"ccload/metrics"
	"ccload/report"
)

// metricsFlags are the live-metrics flags shared by every command that sends load.
type metricsFlags struct {
	addr        *string
	remoteWrite *string
	interval    *time.Duration
	dashboard   *string
}

// addMetricsFlags registers --metrics-addr, --metrics-remote-write and --metrics-push-interval on fs.
func addMetricsFlags(fs *flag.FlagSet) *metricsFlags {
	return &metricsFlags{
		addr:        fs.String("metrics-addr", "", "serve live Prometheus metrics on `host:port`/metrics during the run, e.g. 127.0.0.1:9464"),
		remoteWrite: fs.String("metrics-remote-write", "", "push the live metrics to this Prometheus remote-write `URL` periodically and once more at exit"),
		interval:    fs.Duration("metrics-push-interval", metrics.DefaultPushInterval, "how often --metrics-remote-write pushes"),
		dashboard:   fs.String("dashboard", "", "serve a live dashboard of the run on http://`host:port`/ (charts updated every second), e.g. 127.0.0.1:8089"),
	}
}

// liveMetrics is a started exporter: its Observer goes into runner.Config, stop runs after the run.
type liveMetrics struct {
	obs    report.Observer
	srv    *metrics.Server
	rw     *metrics.RemoteWriter
	dash   *dashboard.Server // --dashboard (dashboard_flags.go)
	stderr io.Writer
}

// start validates the flags and starts what they ask for; an error is bad usage (exit 2, nothing sent).
// It returns nil when no metrics flag is set.
func (m *metricsFlags) start(cmd, shard string, stderr io.Writer) (*liveMetrics, error) {
	if *m.addr == "" && *m.remoteWrite == "" && *m.dashboard == "" {
		return nil, nil
	}
	if *m.addr == "" && *m.remoteWrite == "" {
		return startDashboardOnly(m, cmd, stderr)
	}
	if *m.interval <= 0 {
		return nil, fmt.Errorf("%s: --metrics-push-interval must be positive", cmd)
	}
	exp := metrics.New(shard)
	lm := &liveMetrics{obs: exp, stderr: stderr}
	if *m.remoteWrite != "" {
		rw, err := metrics.NewRemoteWriter(*m.remoteWrite, *m.interval, exp.Gatherer(), func(f string, a ...any) {
			fmt.Fprintf(stderr, f+"\n", a...)
		})
		if err != nil {
			return nil, fmt.Errorf("%s: --metrics-remote-write: %v", cmd, err)
		}
		lm.rw = rw
	}
	if *m.addr != "" {
		if _, _, err := net.SplitHostPort(*m.addr); err != nil {
			return nil, fmt.Errorf("%s: --metrics-addr %q: want host:port, e.g. 127.0.0.1:9464", cmd, *m.addr)
		}
		srv, err := metrics.Serve(*m.addr, exp)
		if err != nil {
			return nil, fmt.Errorf("%s: --metrics-addr: %v (pick a free port)", cmd, err)
		}
		lm.srv = srv
		fmt.Fprintf(stderr, "ccload: serving live metrics on http://%s/metrics\n", srv.Addr())
	}
	if err := lm.startDashboard(*m.dashboard, cmd); err != nil {
		if lm.srv != nil {
			_, _ = lm.srv.Close(context.Background())
		}
		return nil, err
	}
	if lm.rw != nil {
		lm.rw.Start()
	}
	return lm, nil
}

// observer is nil-safe: a command without metrics flags passes a nil Observer.
func (lm *liveMetrics) observer() report.Observer {
	if lm == nil {
		return nil
	}
	return dashboard.Join(lm.obs, lm.dashObserver())
}

// stop flushes the last values: one final remote-write push, and a wait for a last scrape of
// --metrics-addr (bounded by metrics.MaxFinalWait) so Prometheus sees the final counts.
func (lm *liveMetrics) stop() {
	if lm == nil {
		return
	}
	lm.stopDashboard()
	if lm.rw != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := lm.rw.Stop(ctx); err == nil {
			fmt.Fprintln(lm.stderr, "ccload: final metrics pushed")
		}
		cancel()
	}
	if lm.srv != nil {
		if w := lm.srv.FinalWait(); w > 0 {
			fmt.Fprintf(lm.stderr, "ccload: waiting up to %s for a last scrape of /metrics\n", w.Round(time.Second))
		}
		ctx, cancel := context.WithTimeout(context.Background(), metrics.MaxFinalWait)
		_, _ = lm.srv.Close(ctx)
		cancel()
	}
}
