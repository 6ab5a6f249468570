package report

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// The arithmetic of time-series points and encoded histograms: exported because the recorder
// (report/record) downsamples its series with it and the merge (report/merge) adds shards' series
// with it, so both compute a point the same way.

// AddCounts adds b's counts into p (Active becomes b's, the later interval's): the part of merging
// two points that needs no histogram. Exported for report/html, which sums its chart columns so.
func (p *Point) AddCounts(b Point) {
	p.Requests += b.Requests
	p.Errors += b.Errors
	p.Active = b.Active
	p.Arrivals += b.Arrivals
	p.Dropped += b.Dropped
	p.SessionsFailed += b.SessionsFailed
}

// MergePoints adds b into a copy of a, exactly; T stays a's and Active is b's (for adjacent
// intervals of one run, the value at the end of the merged one). The merge adds shards' points
// with it and then sums Active, since shards' customers add up.
func MergePoints(a, b Point) (Point, error) {
	out := a
	out.AddCounts(b)
	out.QueueLength = max(a.QueueLength, b.QueueLength)
	out.TimeToAgentMaxUS = max(a.TimeToAgentMaxUS, b.TimeToAgentMaxUS)
	out.ResultCodes = addCodes(a.ResultCodes, b.ResultCodes)
	if err := mergePointHistograms(&out, a.Histogram, b.Histogram); err != nil {
		return Point{}, err
	}
	var err error
	if out.Groups, err = mergeGroupPoints(a.Groups, b.Groups); err != nil {
		return Point{}, err
	}
	return out, nil
}

// mergeGroupPoints adds two intervals' per-group points by group name, exactly (histograms are
// merged, not summarized); the result is sorted by name and shares no slice with a or b.
func mergeGroupPoints(a, b []GroupPoint) ([]GroupPoint, error) {
	if len(b) == 0 {
		return slices.Clone(a), nil
	}
	out := make([]GroupPoint, 0, len(a)+len(b))
	out = append(out, a...)
	for _, gb := range b {
		i := slices.IndexFunc(out, func(g GroupPoint) bool { return g.Name == gb.Name })
		if i < 0 {
			out = append(out, gb)
			continue
		}
		g := &out[i]
		g.Requests += gb.Requests
		g.Errors += gb.Errors
		if gb.Histogram != "" {
			if g.Histogram == "" {
				g.Histogram = gb.Histogram
			} else {
				h, err := MergeHistograms(g.Histogram, gb.Histogram)
				if err != nil {
					return nil, fmt.Errorf("group %s: %w", g.Name, err)
				}
				g.Histogram = EncodeHistogram(h)
			}
		}
	}
	slices.SortFunc(out, func(x, y GroupPoint) int { return cmp.Compare(x.Name, y.Name) })
	return out, nil
}

// mergePointHistograms sets p's histogram and percentiles to the merge of ha and hb.
func mergePointHistograms(p *Point, ha, hb string) error {
	if hb == "" {
		p.Histogram = ha
		return nil
	}
	h, err := MergeHistograms(ha, hb)
	if err != nil {
		return err
	}
	p.Histogram = EncodeHistogram(h)
	p.P50US, p.P99US = 0, 0
	if h.TotalCount() > 0 {
		p.P50US = h.ValueAtQuantile(50)
		p.P99US = h.ValueAtQuantile(99)
	}
	return nil
}

// MergeHistograms decodes and merges encoded histograms ("" is empty); the result has the first
// non-empty one's geometry. The merge's latencies and groups are computed from it.
func MergeHistograms(enc ...string) (*hdrhistogram.Histogram, error) {
	var out *hdrhistogram.Histogram
	for _, e := range enc {
		if e == "" {
			continue
		}
		h, err := DecodeHistogram(e)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = h
			continue
		}
		if dropped := out.Merge(h); dropped > 0 {
			return nil, fmt.Errorf("merging histograms: %d values outside the target's range", dropped)
		}
	}
	if out == nil {
		out = NewRequestHistogram()
	}
	return out, nil
}

// addCodes returns a new map with the sums of a and b (nil when both are empty).
func addCodes(a, b map[string]int64) map[string]int64 {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	out := maps.Clone(a)
	if out == nil {
		out = make(map[string]int64, len(b))
	}
	for k, n := range b {
		out[k] += n
	}
	return out
}

// Downsample merges adjacent points pairwise (an odd last point stays alone): counts add,
// histograms merge exactly. The recorder bounds its series with it; the merge brings a finer
// series to the coarsest interval. It fails only on a histogram that does not decode.
func Downsample(pts []Point) ([]Point, error) {
	out := make([]Point, 0, (len(pts)+1)/2)
	for i := 0; i < len(pts); i += 2 {
		if i+1 == len(pts) {
			out = append(out, pts[i])
			break
		}
		p, err := MergePoints(pts[i], pts[i+1])
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
