package traffic

import (
	"ccload/internal/errw"
	"fmt"
	"io"
	"math"
	"sort"
	"text/tabwriter"
)

// DiffLimits are the limits of a log comparison; a zero limit is not checked. Each limit is a
// tolerance on top of the sampling noise of the two samples compared: a comparison fails only
// when its distance exceeds the tolerance by more than the noise could explain (DiffRow).
type DiffLimits struct {
	Share      float64 `json:"share"`       // session-type shares: at most this many points apart (0.05 = 5 points)
	KS         float64 `json:"ks"`          // two-sample KS distance of think times, messages per session and durations
	Median     float64 `json:"median"`      // relative distance of medians (think times, durations)
	Rate       float64 `json:"rate"`        // relative distance of each bucket's arrival rate, and of the whole log's
	MinSamples int     `json:"min_samples"` // distributions and shares with fewer samples in either log are not judged
	// MinArrivals: an arrival bucket expecting fewer sessions than this in either log is not
	// judged (its Poisson noise alone is over 30%).
	MinArrivals float64 `json:"min_arrivals"`
	// Alpha is the chance that two logs of one process fail the comparison, over all its checks
	// together, for their sampling noise alone: each check is held at Alpha / checks (Bonferroni).
	Alpha float64 `json:"alpha"`
}

// DefaultDiffLimits are logdiff's defaults.
var DefaultDiffLimits = DiffLimits{Share: 0.05, KS: 0.1, Median: 0.10, Rate: 0.05, MinSamples: 30, MinArrivals: 10, Alpha: 0.01}

// Verdicts of a DiffRow.
const (
	VerdictPass   = "ok"
	VerdictFail   = "FAIL"
	VerdictTooFew = "too little data" // not judged: the samples cannot tell
	VerdictShown  = "-"               // no limit: shown only
)

// DiffRow is one compared quantity. Distance, Tolerance and Noise read in Unit: the row fails
// when Distance > Tolerance + Noise, where Noise is the distance the two samples' sampling
// noise reaches with probability Alpha/checks at their sizes.
type DiffRow struct {
	Section   string  `json:"section"`
	Name      string  `json:"name"`
	A         string  `json:"a"`
	B         string  `json:"b"`
	NA        int64   `json:"n_a"`
	NB        int64   `json:"n_b"`
	Distance  float64 `json:"distance"`
	Tolerance float64 `json:"tolerance"`
	Noise     float64 `json:"noise"`
	Unit      string  `json:"unit"` // "pts", "KS", "%"
	Verdict   string  `json:"verdict"`
	Note      string  `json:"note,omitempty"`

	// How the noise is computed: sigma × z for normal approximations, or × the KS coefficient.
	sigma float64
	ks    bool
}

// Allowed is the distance past which the row fails: its tolerance plus its noise.
func (r DiffRow) Allowed() float64 { return r.Tolerance + r.Noise }

// Judged reports whether the row was checked against a limit.
func (r DiffRow) Judged() bool { return r.Verdict == VerdictPass || r.Verdict == VerdictFail }

// DiffSide describes one compared log.
type DiffSide struct {
	Label    string  `json:"label"`
	Sessions int64   `json:"sessions"`
	Requests int64   `json:"requests"`
	SpanS    float64 `json:"span_s"`
	Speed    float64 `json:"speed,omitempty"`
}

// DiffResult is a log comparison: what `ccload logdiff` prints and writes with --json.
type DiffResult struct {
	A         DiffSide   `json:"a"`
	B         DiffSide   `json:"b"`
	BucketS   float64    `json:"bucket_s"`
	BucketWhy string     `json:"bucket_chosen,omitempty"`
	Limits    DiffLimits `json:"limits"`
	// Checks is the number of judged rows (the Bonferroni divisor), Z and KSCoef the critical
	// values each was held to.
	Checks int       `json:"checks"`
	Z      float64   `json:"z"`
	KSCoef float64   `json:"ks_coefficient"`
	Failed int       `json:"failed"`
	TooFew int       `json:"too_little_data"`
	Rows   []DiffRow `json:"rows"`
	Pass   bool      `json:"pass"`
}

// Diff compares two analysed logs: session-type shares, think times per transition (pooled
// over session types, keyed by request kinds), messages per session, session durations and the
// arrival curve bucket by bucket (each from its own first arrival, in A's buckets: the
// bucket is chosen from A when its analysis has none) and over the whole compared span.
func Diff(a, b *Analysis, lim DiffLimits) DiffResult {
	if lim.Alpha <= 0 || lim.Alpha >= 1 {
		lim.Alpha = DefaultDiffLimits.Alpha
	}
	if lim.MinArrivals <= 0 {
		lim.MinArrivals = DefaultDiffLimits.MinArrivals
	}
	var rows []DiffRow
	// Shares: two proportions, the noise of their difference under equal shares.
	keys := map[string]bool{}
	for k := range a.Types {
		keys[k] = true
	}
	for k := range b.Types {
		keys[k] = true
	}
	count := func(x *Analysis, k string) int64 {
		if t := x.Types[k]; t != nil {
			return t.Count
		}
		return 0
	}
	na, nb := float64(a.Sessions), float64(b.Sessions)
	for _, k := range sortedKeys(keys) {
		ka, kb := count(a, k), count(b, k)
		r := DiffRow{Section: "session type", Name: k, NA: a.Sessions, NB: b.Sessions, Unit: "pts", Tolerance: 100 * lim.Share}
		var sa, sb float64
		if na > 0 {
			sa = float64(ka) / na
		}
		if nb > 0 {
			sb = float64(kb) / nb
		}
		r.A, r.B = fmt.Sprintf("%.1f%% (%d)", 100*sa, ka), fmt.Sprintf("%.1f%% (%d)", 100*sb, kb)
		r.Distance = 100 * math.Abs(sa-sb)
		switch {
		case lim.Share <= 0:
			r.Verdict = VerdictShown
		case a.Sessions < int64(lim.MinSamples) || b.Sessions < int64(lim.MinSamples):
			r.Verdict, r.Note = VerdictTooFew, fmt.Sprintf("fewer than %d sessions", lim.MinSamples)
		default:
			p := float64(ka+kb) / (na + nb)
			r.sigma = 100 * math.Sqrt(p*(1-p)*(1/na+1/nb))
		}
		rows = append(rows, r)
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
		rows = append(rows, distRows("think time", k, a.Transitions[k], b.Transitions[k], lim, true)...)
	}
	rows = append(rows, distRows("per session", "messages", a.Messages, b.Messages, lim, false)...)
	rows = append(rows, distRows("per session", "duration", a.Durations, b.Durations, lim, true)...)
	// Arrivals, in A's buckets.
	ca := a.Curve()
	cb := b.CurveAt(ca.Bucket)
	rows = append(rows, arrivalRows(ca, cb, lim)...)

	res := DiffResult{A: side(a, ca), B: side(b, cb), BucketS: ca.Bucket.Seconds(), Limits: lim}
	if ca.Chosen {
		res.BucketWhy = ca.Why
	}
	for _, r := range rows {
		if r.Verdict == "" {
			res.Checks++
		}
	}
	alpha := lim.Alpha / float64(max(res.Checks, 1))
	res.Z = zTwoSided(alpha)
	res.KSCoef = math.Sqrt(-math.Log(alpha/2) / 2)
	res.Pass = true
	for i := range rows {
		r := &rows[i]
		switch r.Verdict {
		case VerdictTooFew:
			res.TooFew++
			continue
		case VerdictShown:
			continue
		}
		if r.ks {
			r.Noise = res.KSCoef * r.sigma
		} else {
			r.Noise = res.Z * r.sigma
		}
		r.Verdict = VerdictPass
		if r.Distance > r.Tolerance+r.Noise {
			r.Verdict = VerdictFail
			res.Failed++
			res.Pass = false
		}
	}
	res.Rows = rows
	return res
}

func side(x *Analysis, c Curve) DiffSide {
	s := DiffSide{Sessions: x.Sessions, Requests: x.Requests, SpanS: c.Span.Seconds()}
	if x.Opt.Speed != 1 {
		s.Speed = x.Opt.Speed
	}
	return s
}

// arrivalRows compares two arrival curves bucket by bucket and in total. Counts are Poisson:
// under equal rates, the relative difference of the two rates has the standard deviation
// √(1/ea + 1/eb), ea and eb the counts each bucket would expect at the pooled rate.
func arrivalRows(ca, cb Curve, lim DiffLimits) []DiffRow {
	var rows []DiffRow
	n := min(len(ca.Counts), len(cb.Counts))
	row := func(name string, ka, kb int64, la, lb float64) DiffRow {
		r := DiffRow{Section: "arrivals", Name: name, NA: ka, NB: kb, Unit: "%", Tolerance: 100 * lim.Rate}
		x, y := float64(ka)/la, float64(kb)/lb
		r.A, r.B = fmtNum(x)+"/s", fmtNum(y)+"/s"
		if x > 0 {
			r.Distance = 100 * math.Abs(y-x) / x
		} else if y > 0 {
			r.Distance = 100
		}
		p := float64(ka+kb) / (la + lb)
		ea, eb := p*la, p*lb
		switch {
		case lim.Rate <= 0:
			r.Verdict = VerdictShown
		case math.Min(ea, eb) < lim.MinArrivals:
			r.Verdict, r.Note = VerdictTooFew, fmt.Sprintf("fewer than %s arrivals expected", fmtNum(lim.MinArrivals))
		default:
			r.sigma = 100 * math.Sqrt(1/ea+1/eb)
		}
		return r
	}
	var ta, tb int64
	var la, lb float64
	for i := range n {
		r := row(fmt.Sprintf("+%s", fmtDur(ca.Start(i))), ca.Counts[i], cb.Counts[i], ca.Len(i), cb.Len(i))
		if l := ca.Len(i); l < ca.Bucket.Seconds() {
			r.Note = joinNote(r.Note, fmt.Sprintf("partial bucket of %s in A", fmtDur(l)))
		}
		if l := cb.Len(i); l < cb.Bucket.Seconds() {
			r.Note = joinNote(r.Note, fmt.Sprintf("partial bucket of %s in B", fmtDur(l)))
		}
		rows = append(rows, r)
		ta, tb = ta+ca.Counts[i], tb+cb.Counts[i]
		la, lb = la+ca.Len(i), lb+cb.Len(i)
	}
	if n > 0 {
		r := row("all", ta, tb, la, lb)
		r.Note = joinNote(r.Note, fmt.Sprintf("%d sessions over %s against %d over %s", ta, fmtDur(la), tb, fmtDur(lb)))
		rows = append(rows, r)
	}
	if len(ca.Counts) != len(cb.Counts) {
		rows = append(rows, DiffRow{Section: "arrivals", Name: "buckets", A: fmt.Sprint(len(ca.Counts)), B: fmt.Sprint(len(cb.Counts)),
			Verdict: VerdictShown, Note: fmt.Sprintf("only the first %d buckets of both are compared", n)})
	}
	return rows
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// distRows compares two samples: the two-sample KS distance against its critical value at the
// samples' sizes (√((n+m)/(n·m)) × the coefficient), and, for durations, the medians, each
// with its confidence interval (order statistics), relative to A's.
func distRows(section, name string, ra, rb *Reservoir, lim DiffLimits, dur bool) []DiffRow {
	var xa, xb []float64
	var sa, sb int64
	if ra != nil {
		xa, sa = ra.Sorted(), ra.Seen
	}
	if rb != nil {
		xb, sb = rb.Sorted(), rb.Seen
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
	verdict, note := "", ""
	if !enough {
		verdict, note = VerdictTooFew, fmt.Sprintf("fewer than %d samples", lim.MinSamples)
	}
	ks := DiffRow{Section: section, Name: name + " KS", A: show(xa), B: show(xb), NA: sa, NB: sb, Distance: KS2(xa, xb),
		Tolerance: lim.KS, Unit: "KS", Verdict: verdict, Note: note, ks: true}
	if lim.KS <= 0 {
		ks.Verdict = VerdictShown
	}
	if enough {
		n, m := float64(len(xa)), float64(len(xb))
		ks.sigma = math.Sqrt((n + m) / (n * m))
	}
	out := []DiffRow{ks}
	if dur {
		ma, mb := Median(xa), Median(xb)
		r := DiffRow{Section: section, Name: name + " median", A: fmtDur(ma), B: fmtDur(mb), NA: sa, NB: sb,
			Tolerance: 100 * lim.Median, Unit: "%", Verdict: verdict, Note: note}
		if enough {
			la, ua := medianCI(xa)
			lb, ub := medianCI(xb)
			r.A += fmt.Sprintf(" [%s, %s]", fmtDur(la), fmtDur(ua))
			r.B += fmt.Sprintf(" [%s, %s]", fmtDur(lb), fmtDur(ub))
			if ma > 0 {
				r.Distance = 100 * math.Abs(mb-ma) / ma
				// The 95% intervals' half-widths are 1.96 standard errors.
				se := math.Hypot(ua-la, ub-lb) / (2 * 1.96)
				r.sigma = 100 * se / ma
			} else if r.Verdict == "" {
				r.Verdict, r.Note = VerdictShown, "A's median is 0: no relative distance"
			}
		}
		if lim.Median <= 0 {
			r.Verdict = VerdictShown
		}
		out = append(out, r)
	}
	return out
}

// medianCI is the 95% confidence interval of a sorted sample's median from its order
// statistics: the ranks n/2 ± 1.96·√n/2 (the binomial's normal approximation).
func medianCI(xs []float64) (float64, float64) {
	n := float64(len(xs))
	h := 1.96 * math.Sqrt(n) / 2
	lo := max(int(math.Floor(n/2-h)), 0)
	hi := min(int(math.Ceil(n/2+h)), len(xs)-1)
	return xs[lo], xs[hi]
}

// zTwoSided is the standard normal's two-sided critical value at level alpha.
func zTwoSided(alpha float64) float64 {
	// Bisection on the normal tail: erfc(z/√2) = alpha.
	lo, hi := 0.0, 40.0
	for range 200 {
		mid := (lo + hi) / 2
		if math.Erfc(mid/math.Sqrt2) > alpha {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

func sortedKeys(m map[string]bool) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// WriteDiff writes the comparison side by side, then its verdict.
func WriteDiff(w io.Writer, res DiffResult) error {
	ew := errw.New(w)
	fmt.Fprintf(ew, "A: %s: %d sessions over %s", res.A.Label, res.A.Sessions, fmtDur(res.A.SpanS))
	fmt.Fprintf(ew, "\nB: %s: %d sessions over %s", res.B.Label, res.B.Sessions, fmtDur(res.B.SpanS))
	if res.B.Speed != 0 {
		fmt.Fprintf(ew, " (a replay at speed %s: its times are multiplied by %s)", fmtNum(res.B.Speed), fmtNum(res.B.Speed))
	}
	fmt.Fprintf(ew, "\narrival buckets of %s", fmtDur(res.BucketS))
	if res.BucketWhy != "" {
		fmt.Fprintf(ew, ", chosen from A: %s", res.BucketWhy)
	}
	fmt.Fprintf(ew, "\neach check allows its limit plus the sampling noise of its two samples (alpha %s over %d checks: z %.2f, KS coefficient %.2f)\n\n",
		fmtNum(res.Limits.Alpha), res.Checks, res.Z, res.KSCoef)
	tw := tabwriter.NewWriter(ew, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "SECTION\tNAME\tA\tB\tDISTANCE\tALLOWED (LIMIT + NOISE)\tRESULT\n")
	for _, r := range res.Rows {
		dist, allowed := fmtDist(r.Distance, r.Unit), ""
		if r.Judged() {
			allowed = fmt.Sprintf("%s (%s + %s)", fmtDist(r.Allowed(), r.Unit), fmtDist(r.Tolerance, r.Unit), fmtDist(r.Noise, r.Unit))
		}
		if r.Unit == "" {
			dist = ""
		}
		verdict := r.Verdict
		if r.Note != "" {
			verdict += " (" + r.Note + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Section, r.Name, r.A, r.B, dist, allowed, verdict)
	}
	tw.Flush()
	if res.Pass {
		fmt.Fprintf(ew, "\nall %d checks within their limits", res.Checks)
	} else {
		fmt.Fprintf(ew, "\n%d of %d checks over their limits", res.Failed, res.Checks)
	}
	if res.TooFew > 0 {
		fmt.Fprintf(ew, "; %d not judged (too little data)", res.TooFew)
	}
	fmt.Fprintln(ew)
	return ew.Err()
}

func fmtDist(v float64, unit string) string {
	switch unit {
	case "KS":
		return fmt.Sprintf("%.3f", v)
	case "":
		return ""
	}
	return fmt.Sprintf("%.3g %s", v, unit)
}
