package traffic

import (
	"fmt"
	"io"
	"math"
	"sort"
	"text/tabwriter"
	"time"
)

// DiffLimits are the limits of a log comparison; a zero limit is not checked.
type DiffLimits struct {
	Share      float64 // session-type shares: at most this many points apart (0.05 = 5 points)
	KS         float64 // two-sample KS distance of think times, messages per session and durations
	Median     float64 // relative distance of medians (think times, durations)
	Rate       float64 // relative distance of each bucket's arrival rate
	MinSamples int     // distributions with fewer samples in either log are shown, not checked
}

// DefaultDiffLimits are logdiff's defaults.
var DefaultDiffLimits = DiffLimits{Share: 0.05, KS: 0.1, Median: 0.10, Rate: 0.05, MinSamples: 30}

// DiffRow is one compared quantity.
type DiffRow struct {
	Section, Name string
	A, B          string  // the two logs' values, as shown
	Dist          float64 // the distance checked against Limit
	Limit         float64
	Unit          string // how Dist and Limit read: "pts", "KS", "%"
	Checked       bool   // false: shown only (too few samples, or no limit)
	Fail          bool
	Note          string
}

// Diff compares two analysed logs: session-type shares, think times per transition (pooled
// over session types, keyed by request kinds), messages per session, session durations and
// the arrival curve bucket by bucket (from each log's first arrival).
func Diff(a, b *Analysis, lim DiffLimits) []DiffRow {
	var rows []DiffRow
	add := func(r DiffRow) {
		r.Fail = r.Checked && r.Limit > 0 && r.Dist > r.Limit
		rows = append(rows, r)
	}
	// Shares.
	keys := map[string]bool{}
	for k := range a.Types {
		keys[k] = true
	}
	for k := range b.Types {
		keys[k] = true
	}
	ks := sortedKeys(keys)
	share := func(x *Analysis, k string) (float64, int64) {
		if t := x.Types[k]; t != nil && x.Sessions > 0 {
			return float64(t.Count) / float64(x.Sessions), t.Count
		}
		return 0, 0
	}
	for _, k := range ks {
		sa, na := share(a, k)
		sb, nb := share(b, k)
		add(DiffRow{Section: "session type", Name: k, A: fmt.Sprintf("%.1f%% (%d)", 100*sa, na), B: fmt.Sprintf("%.1f%% (%d)", 100*sb, nb),
			Dist: 100 * math.Abs(sa-sb), Limit: 100 * lim.Share, Unit: "pts", Checked: lim.Share > 0})
	}
	// Think times.
	tk := map[string]bool{}
	for k := range a.Transitions {
		tk[k] = true
	}
	for k := range b.Transitions {
		tk[k] = true
	}
	for _, k := range sortedKeys(tk) {
		ra, rb := a.Transitions[k], b.Transitions[k]
		rows = append(rows, distRows("think time", k, ra, rb, lim, true)...)
	}
	rows = append(rows, distRows("per session", "messages", a.Messages, b.Messages, lim, false)...)
	rows = append(rows, distRows("per session", "duration", a.Durations, b.Durations, lim, true)...)
	// Arrivals.
	ca, cb := a.Curve(), b.Curve()
	n := min(len(ca.Counts), len(cb.Counts))
	for i := range n {
		x, y := ca.Rate(i), cb.Rate(i)
		d := math.Abs(x-y) / math.Max(x, 1e-9)
		add(DiffRow{Section: "arrivals", Name: fmt.Sprintf("+%s", ca.Bucket*time.Duration(i)), A: fmtNum(x) + "/s", B: fmtNum(y) + "/s",
			Dist: 100 * d, Limit: 100 * lim.Rate, Unit: "%", Checked: lim.Rate > 0})
	}
	if len(ca.Counts) != len(cb.Counts) {
		rows = append(rows, DiffRow{Section: "arrivals", Name: "buckets", A: fmt.Sprint(len(ca.Counts)), B: fmt.Sprint(len(cb.Counts)),
			Note: "only the first buckets of both are compared"})
	}
	for i := range rows {
		rows[i].Fail = rows[i].Checked && rows[i].Limit > 0 && rows[i].Dist > rows[i].Limit
	}
	return rows
}

func distRows(section, name string, ra, rb *Reservoir, lim DiffLimits, dur bool) []DiffRow {
	var xa, xb []float64
	if ra != nil {
		xa = ra.Sorted()
	}
	if rb != nil {
		xb = rb.Sorted()
	}
	show := func(xs []float64) string {
		if len(xs) == 0 {
			return "-"
		}
		if dur {
			return fmt.Sprintf("median %s (n=%d)", fmtDur(Median(xs)), len(xs))
		}
		return fmt.Sprintf("median %s (n=%d)", fmtNum(Median(xs)), len(xs))
	}
	enough := len(xa) >= lim.MinSamples && len(xb) >= lim.MinSamples
	note := ""
	if !enough {
		note = fmt.Sprintf("fewer than %d samples: not checked", lim.MinSamples)
	}
	ks := DiffRow{Section: section, Name: name + " KS", A: show(xa), B: show(xb), Dist: KS2(xa, xb), Limit: lim.KS, Unit: "KS",
		Checked: enough && lim.KS > 0, Note: note}
	out := []DiffRow{ks}
	if dur {
		ma, mb := Median(xa), Median(xb)
		d := 1.0
		if ma > 0 {
			d = math.Abs(ma-mb) / ma
		}
		out = append(out, DiffRow{Section: section, Name: name + " median", A: fmtDur(ma), B: fmtDur(mb), Dist: 100 * d,
			Limit: 100 * lim.Median, Unit: "%", Checked: enough && lim.Median > 0, Note: note})
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// WriteDiff writes the comparison side by side; it returns the number of failed rows.
func WriteDiff(w io.Writer, nameA, nameB string, rows []DiffRow) int {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "SECTION\tNAME\tA: %s\tB: %s\tDISTANCE\tLIMIT\tRESULT\n", nameA, nameB)
	fails := 0
	for _, r := range rows {
		res, dist, limit := "-", "", ""
		if r.Unit != "" {
			dist = fmt.Sprintf("%.3g %s", r.Dist, r.Unit)
			if r.Unit == "KS" {
				dist = fmt.Sprintf("%.3f", r.Dist)
			}
		}
		if r.Limit > 0 {
			limit = fmt.Sprintf("%.3g", r.Limit)
		}
		if r.Checked && r.Limit > 0 {
			res = "ok"
			if r.Fail {
				res = "FAIL"
				fails++
			}
		}
		if r.Note != "" {
			res += " (" + r.Note + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Section, r.Name, r.A, r.B, dist, limit, res)
	}
	tw.Flush()
	return fails
}
