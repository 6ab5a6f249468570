package report

import (
	"math/rand/v2"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

func TestEncodingDecodesToTheSameHistogram(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := map[string]*hdrhistogram.Histogram{}
	one := NewRequestHistogram()
	one.RecordValue(1)
	cases["one value"] = one
	top := NewRequestHistogram()
	top.RecordValue(HighestUS)
	top.RecordValue(LowestUS)
	cases["both ends"] = top
	huge := NewRequestHistogram()
	huge.RecordValues(1500, 1<<60) // a count needing all 9 bytes of the varint
	huge.RecordValues(7, 3)
	cases["huge count"] = huge
	spread := NewRequestHistogram()
	for range 100_000 {
		spread.RecordValue(int64(rng.ExpFloat64()*20_000) + 1)
	}
	cases["exponential"] = spread
	sess := NewSessionHistogram()
	sess.RecordValue(SessionHighestUS)
	sess.RecordValue(90_000_000)
	cases["session geometry"] = sess
	for name, h := range cases {
		got, err := DecodeHistogram(EncodeHistogram(h))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !got.Equals(h) || got.HighestTrackableValue() != h.HighestTrackableValue() {
			t.Errorf("%s: decoded histogram differs (count %d vs %d, max %d vs %d)", name, got.TotalCount(), h.TotalCount(), got.Max(), h.Max())
		}
		// And it agrees with hdrhistogram-go's own encoder.
		lib, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := hdrhistogram.Decode(lib)
		if err != nil {
			t.Fatal(err)
		}
		if !ref.Equals(got) {
			t.Errorf("%s: differs from hdrhistogram-go's encoding", name)
		}
	}
	if EncodeHistogram(NewRequestHistogram()) != "" {
		t.Errorf("an empty histogram does not encode as \"\"")
	}
}

func BenchmarkEncode(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := NewRequestHistogram()
	for range 50_000 {
		h.RecordValue(int64(rng.ExpFloat64()*20_000) + 1)
	}
	b.Run("ccload", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			EncodeHistogram(h)
		}
		b.ReportMetric(float64(len(EncodeHistogram(h))), "bytes")
	})
	b.Run("hdrhistogram-go", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		}
		enc, _ := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		b.ReportMetric(float64(len(enc)), "bytes")
	})
}

func TestSummarizeAgreesWithHistogram(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 2, 3, 1000} {
		h := NewRequestHistogram()
		for range n {
			h.RecordValue(rng.Int64N(HighestUS) + 1)
		}
		l := Summarize(h)
		if l.Min != h.Min() || l.Max != h.Max() || l.Mean != h.Mean() || l.P999 != h.ValueAtQuantile(99.9) || l.P50 != h.ValueAtQuantile(50) || l.Count != int64(n) {
			t.Errorf("n=%d: summary %+v; histogram min %d max %d mean %g p50 %d", n, l, h.Min(), h.Max(), h.Mean(), h.ValueAtQuantile(50))
		}
	}
}
