package report

import (
	"fmt"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry. Every histogram of a kind has the same geometry, so shard reports merge without loss.
const (
	// LowestUS is the smallest latency a request histogram distinguishes; shorter values record as 1 µs.
	LowestUS = 1
	// HighestUS is the largest request latency recorded (60 s); longer values are clamped to it and counted in a warning.
	HighestUS = 60_000_000
	// SessionHighestUS bounds session metrics (24 h): sessions, agent queues and reply waits outlast any request.
	SessionHighestUS = 86_400_000_000
	// SigFigs is the histograms' precision: values are exact to 3 significant digits (0.1%).
	SigFigs = 3
)

// Defaults of the time series (record.Options): the recorder applies them, the merge caps its series at DefaultMaxPoints.
const (
	// DefaultInterval is the width of one time-series point.
	DefaultInterval = time.Second
	// DefaultMaxPoints bounds the time series (30 min at 1 s); past it, adjacent points merge and the interval doubles.
	DefaultMaxPoints = 1800
)

// NewRequestHistogram is an empty histogram of request latencies (µs): the recorder records into
// it and DecodeHistogram returns it for "", so every request histogram has one geometry.
func NewRequestHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(LowestUS, HighestUS, SigFigs)
}

// NewSessionHistogram is an empty histogram of session metrics (µs, up to 24 h), the recorder's
// geometry for replies, times to agent, session durations and queue figures.
func NewSessionHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(LowestUS, SessionHighestUS, SigFigs)
}

// summaryQuantiles are the percentiles every Latency carries, in field order; 0 and 100 are
// min and max (the same values as Histogram.Min and Max, found in the same single scan).
var summaryQuantiles = []float64{0, 50, 90, 95, 99, 99.9, 100}

// Summarize returns h's Latency summary (without the encoding). An empty histogram gives all zeros.
func Summarize(h *hdrhistogram.Histogram) Latency {
	n := h.TotalCount()
	if n == 0 {
		return Latency{}
	}
	q := h.ValueAtPercentilesSlice(summaryQuantiles)
	return Latency{
		Count: n,
		Min:   q[0],
		Mean:  h.Mean(),
		P50:   q[1],
		P90:   q[2],
		P95:   q[3],
		P99:   q[4],
		P999:  q[5],
		Max:   q[6],
	}
}

// WithHistogram is h's Latency summary with its encoding: the recorder and the merge both write
// report.json's latencies so.
func WithHistogram(h *hdrhistogram.Histogram) Latency {
	l := Summarize(h)
	l.Histogram = EncodeHistogram(h)
	return l
}

// DecodeHistogram decodes a histogram field of report.json; "" decodes to an empty request histogram.
func DecodeHistogram(s string) (*hdrhistogram.Histogram, error) {
	if s == "" {
		return NewRequestHistogram(), nil
	}
	h, err := hdrhistogram.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("decoding histogram: %w", err)
	}
	return h, nil
}
