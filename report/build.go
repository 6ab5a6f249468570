package report

import (
	"ccload/internal/durfmt"
	"cmp"
	"fmt"
	"slices"
)

// CheckInvariants returns one warning per broken accounting invariant of r (none for a sound report).
func CheckInvariants(r *Report) []string {
	var w []string
	s := r.Sessions
	if s.Arrivals != s.Started+s.Dropped {
		w = append(w, fmt.Sprintf("accounting: arrivals %d != started %d + dropped %d", s.Arrivals, s.Started, s.Dropped))
	}
	if s.Started != s.Ended() {
		w = append(w, fmt.Sprintf("accounting: started %d != %s", s.Started, s.endedFormula()))
	}
	if fw := failureInvariant(r); fw != "" {
		w = append(w, fw)
	}
	for _, g := range append([]Group{r.Overall}, r.Groups...) {
		c := g.RequestCounts
		if sum := c.OK + c.AppErrors + c.HTTPErrors + c.TransportErrors + c.ClientErrors; g.Count != sum || c.Total != g.Count+c.Cut {
			w = append(w, fmt.Sprintf("accounting: group %s count %d != ok+app+http+transport+client %d, or total %d != count + cut %d", g.Name, g.Count, sum, c.Total, c.Cut))
		}
	}
	return w
}

// groupOrder ranks kinds: endpoint groups, then step groups, then anything else.
func groupOrder(kind string) int {
	switch kind {
	case "endpoint":
		return 0
	case "step":
		return 1
	case "teardown":
		return 2
	}
	return 3
}

// SortGroups puts groups in report order: endpoint groups by endpoint then control type, then step groups by name.
func SortGroups(gs []Group) {
	slices.SortStableFunc(gs, func(a, b Group) int {
		return cmp.Or(
			cmp.Compare(groupOrder(a.Kind), groupOrder(b.Kind)),
			cmp.Compare(a.Endpoint, b.Endpoint),
			cmp.Compare(a.ControlType, b.ControlType),
			cmp.Compare(a.Step, b.Step),
			cmp.Compare(a.Name, b.Name),
		)
	})
}

// FormatUS is durfmt.US (the one duration format) for report.json's integer microseconds:
// "850µs", "12.3ms", "159ms", "1.52s", "2m03s".
func FormatUS(us int64) string { return durfmt.US(float64(us)) }
