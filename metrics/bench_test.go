package metrics

import (
	"context"
	"syscall"
	"testing"
	"time"

	"ccload/mock"
	"ccload/report"
	"ccload/report/record"
	"ccload/runner"
	"ccload/scenario"
)

// BenchmarkRecord is report.BenchmarkRecord's loop (one CHAT sample in a named step, 50k/s of
// simulated time) with no observer and with the Exporter: the difference is the collector's
// CPU per request that --metrics-addr adds.
func BenchmarkRecord(b *testing.B) {
	for _, c := range []struct {
		name string
		obs  record.Observer
	}{{"no-metrics", nil}, {"metrics", New("0/1")}} {
		b.Run(c.name, func(b *testing.B) {
			r := record.New(record.Options{Start: start, Observer: c.obs})
			g := r.Group("sendAsync", "CHAT")
			st := r.StepGroup("greet")
			s := report.Sample{Group: g, Step: st, Status: 200, ResultCode: "0", BytesSent: 366, BytesRecv: 120}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				at := int64(i) * 20_000
				s.Intended, s.Start, s.End = at, at+50_000, at+50_000+int64(i%4096)*1000
				r.Record(&s)
			}
		})
	}
}

// BenchmarkRunChatLoop is runner.BenchmarkRunChatLoop (32 customers sending CHAT back to back to the
// in-process mock for 2 s) without and with the Exporter as the run's Observer. It reports
// requests per second and the process CPU time (user+system, mock included) per request.
func BenchmarkRunChatLoop(b *testing.B) {
	srv, err := mock.NewServer(mock.DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	sc, err := scenario.Parse("bench.yaml", []byte(`auth: {app_key: k, app_secret: s}
load: {model: closed, customers: 32, duration: 2s}
sessions:
  - name: loop
    poll: false
    steps:
      - connect
      - repeat: {count: 100000, steps: [{chat: "benchmark message {{seq}} from {{customer}}"}]}
`), ".", nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, withMetrics := range []bool{false, true} {
		name := "no-metrics"
		if withMetrics {
			name = "metrics"
		}
		b.Run(name, func(b *testing.B) {
			var reqs int64
			var took, cpu time.Duration
			for b.Loop() {
				cfg := runner.Config{Scenario: sc, BaseURL: srv.URL(), Seed: 1, Grace: -1}
				if withMetrics {
					cfg.Observer = New("0/1")
				}
				c0, began := cpuTime(), time.Now()
				rep, err := runner.Run(context.Background(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				took += time.Since(began)
				cpu += cpuTime() - c0
				reqs += rep.Requests.Total
			}
			b.ReportMetric(float64(reqs)/took.Seconds(), "req/s")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(reqs), "cpu-ns/req")
		})
	}
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
