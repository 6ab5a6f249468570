package merge

import (
	"ccload/report"
	"math"
	"time"
)

// cappedWidth doubles width until the merged series, from start to the last point of any report,
// fits in maxPoints: shards started a week or a year apart merge into a coarse series, never into
// millions of points.
func cappedWidth(reports []*report.Report, start time.Time, width float64, maxPoints int) float64 {
	var span float64 // seconds from start to the end of the latest point
	for _, r := range reports {
		off := r.StartedAt.Sub(start).Seconds()
		for _, p := range r.Timeseries {
			span = max(span, off+p.T+r.IntervalS)
		}
	}
	if math.IsNaN(span) || math.IsInf(span, 0) {
		return width
	}
	for span/width+1 > float64(maxPoints) {
		width *= 2
	}
	return width
}
