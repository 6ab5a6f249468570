package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"ccload/metrics"
	"ccload/report"
	"ccload/runner"
	"ccload/scenario"
)

// dropScenario holds one customer for a second while 40 arrive in 2 s: max_customers 2 drops most.
const dropScenario = `name: drops
seed: 3
auth: {app_key: k, app_secret: s}
channel: {to: "1011577355744904195"}
load:
  model: open
  arrivals: uniform
  max_customers: 2
  stages: [{duration: 2s, rate: 20}]
sessions:
  - name: hold
    poll: false
    steps: [connect, {think: 1s}, disconnect]
`

// scrapeCounters reads every sample of /metrics, summing the series of each metric name.
func scrapeCounters(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 8<<20))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		labels := ""
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name, labels = name[:i], name[i:]
		}
		v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
		if err != nil {
			continue
		}
		out[name] += v
		if name == "ccload_requests_total" && !strings.Contains(labels, `outcome="not_sent"`) {
			out["sent"] += v
		}
	}
	return out
}

// Live metrics agree with report.json, driven through the runner: arrivals dropped at
// max_customers are counted in ccload_arrivals_total and ccload_arrivals_dropped_total (they were
// not: the drop path never told the exporter), and the requests and ended sessions match. The mock
// counts what it received, the referee of the request total.
func TestLiveMetricsAgreeWithTheReportThroughTheRunner(t *testing.T) {
	realTime(t)
	srv := e2eMock(t, nil)
	sc, err := scenario.Parse("drops.yaml", []byte(dropScenario), ".", nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, addr := runServingMetrics(t, runner.Config{Scenario: sc, BaseURL: srv.URL(), Grace: 3 * time.Second})
	if rep.Sessions.Dropped == 0 || rep.Sessions.Arrivals != 40 {
		t.Fatalf("report: %d arrivals, %d dropped; want 40 arrivals, some dropped at max_customers 2", rep.Sessions.Arrivals, rep.Sessions.Dropped)
	}
	got := scrapeCounters(t, addr) // the last scrape: the run is over
	for _, c := range []struct {
		metric string
		want   int64
	}{
		{"ccload_arrivals_total", rep.Sessions.Arrivals},
		{"ccload_arrivals_dropped_total", rep.Sessions.Dropped},
		{"ccload_sessions_total", rep.Sessions.Started},
		{"sent", rep.Requests.Total},
	} {
		if got[c.metric] != float64(c.want) {
			t.Errorf("/metrics %s = %v; report.json %d", c.metric, got[c.metric], c.want)
		}
	}
	if n := srv.Stats().Total(); n != rep.Requests.Total {
		t.Errorf("the mock received %d requests; the report counts %d", n, rep.Requests.Total)
	}
}

// runServingMetrics runs cfg (bounded at 30 s) with a live /metrics exporter as its observer,
// served on a loopback port until the test ends, and returns the report and that address, so
// a test scrapes what the run exported and compares it with report.json.
func runServingMetrics(t *testing.T, cfg runner.Config) (*report.Report, string) {
	t.Helper()
	exp := metrics.New("0/1")
	ms, err := metrics.Serve("127.0.0.1:0", exp)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, _ = ms.Close(ctx)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg.Observer, cfg.Stderr = exp, io.Discard
	rep, err := runner.Run(ctx, cfg)
	if err != nil || rep == nil {
		t.Fatalf("run: %v", err)
	}
	return rep, ms.Addr()
}
