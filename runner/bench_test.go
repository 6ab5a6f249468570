package runner

import (
	"context"
	"testing"
	"time"

	"ccload/mock"
)

// BenchmarkRunChatLoop measures the whole runner (customers, collector, recorder) sending
// CHAT back to back from 32 customers against the in-process mock for 2 s per iteration;
// the mock shares the CPU, so the figure is a floor. It reports requests per second.
func BenchmarkRunChatLoop(b *testing.B) {
	o := mock.DefaultOptions()
	srv, err := mock.NewServer(o)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	sc := parse(b, auth+`
load: {model: closed, customers: 32, duration: 2s}
sessions:
  - name: loop
    poll: false
    steps:
      - connect
      - repeat: {count: 100000, steps: [{chat: "benchmark message {{seq}} from {{customer}}"}]}
`)
	var reqs int64
	var took time.Duration
	for b.Loop() {
		began := time.Now()
		rep, err := Run(context.Background(), Config{Scenario: sc, BaseURL: srv.URL(), Seed: 1, Grace: -1})
		if err != nil {
			b.Fatal(err)
		}
		took += time.Since(began)
		reqs += rep.Requests.Total
	}
	b.ReportMetric(float64(reqs)/took.Seconds(), "req/s")
}
