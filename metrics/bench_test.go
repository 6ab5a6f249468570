package metrics

import (
	"testing"

	"ccload/report"
)

// BenchmarkRecord is report.BenchmarkRecord's loop (one CHAT sample in a named step, 50k/s of
// simulated time) with no observer and with the Exporter: the difference is the collector's
// CPU per request that --metrics-addr adds.
func BenchmarkRecord(b *testing.B) {
	for _, c := range []struct {
		name string
		obs  report.Observer
	}{{"no-metrics", nil}, {"metrics", New("0/1")}} {
		b.Run(c.name, func(b *testing.B) {
			r := report.NewRecorder(report.RecorderOptions{Start: start, Observer: c.obs})
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
