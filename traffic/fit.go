package traffic

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"ccload/ccapi"
	"ccload/internal/durfmt"
)

// FitOptions says how a scenario is fitted.
type FitOptions struct {
	Name   string // the scenario's name
	Source string // the log's name, for comments
	// Coverage: session types are kept, most frequent first, until they cover this share of the
	// sessions (default 95%), but never more than MaxTypes (default 10).
	Coverage float64
	MaxTypes int
	// KSLimit is the KS distance a family must stay under to be chosen (0: 1.63/√n, the 1%
	// critical value); above it the empirical distribution is written.
	KSLimit float64
	// Resolution is the log's clock grain (1ms for epoch ms), see KS.
	Resolution time.Duration
	// Tolerance is the relative distance the load stages may keep from the arrival curve (default 5%).
	Tolerance float64
	// Poll is the poll interval written into each session ("" or "off": no polling); the log holds
	// sends only, so polling is not fitted. PollFrom says where it came from, for its comment.
	Poll, PollFrom string
	// NoAuth and NoChannel leave out the auth and channel sections (a --base supplies them).
	NoAuth, NoChannel bool
}

// Fitted is one fitted sample: what it was fitted from and the result.
type Fitted struct {
	Label  string // "CONNECT→CHAT"
	Sample []float64
	FitResult
}

// FittedType is one session type of the fitted mix.
type FittedType struct {
	Name  string
	Type  *Type
	Share float64
	Steps []FittedStep
}

// FittedStep is one element of a fitted session: the think before it and, for a folded run,
// its count and inner think.
type FittedStep struct {
	Elem       Elem
	Think      *Fitted // nil for the first element
	Runs       []float64
	Inner      *Fitted // nil when the run never repeats
	ContentLen int
}

// FitReport is a fitted scenario: its session mix, think times and load stages.
type FitReport struct {
	Opt      FitOptions
	Stats    Stats
	A        *Analysis
	Types    []FittedType
	Dropped  int64 // analysed sessions of types not kept
	Curve    Curve
	Stages   []Stage
	Poisson  bool
	Sessions int64
}

// FitScenario fits a scenario to an analysed log.
func FitScenario(a *Analysis, st Stats, o FitOptions) (*FitReport, error) {
	if o.Coverage <= 0 || o.Coverage > 1 {
		o.Coverage = 0.95
	}
	if o.MaxTypes <= 0 {
		o.MaxTypes = 10
	}
	if o.Tolerance <= 0 {
		o.Tolerance = 0.05
	}
	if o.Name == "" {
		o.Name = "fitted"
	}
	if a.Sessions == 0 {
		return nil, fmt.Errorf("no session starts with a CONNECT (%d sessions without one): nothing to fit", a.NoConnect)
	}
	r := &FitReport{Opt: o, Stats: st, A: a, Sessions: a.Sessions}
	h := o.Resolution.Seconds()
	var covered int64
	for i, t := range a.TypesByCount() {
		if len(r.Types) >= o.MaxTypes || float64(covered) >= o.Coverage*float64(a.Sessions) {
			r.Dropped += t.Count
			continue
		}
		covered += t.Count
		ft := FittedType{Name: typeName(i+1, t.Elems), Type: t, Share: float64(t.Count) / float64(a.Sessions)}
		for k, e := range t.Elems {
			s := FittedStep{Elem: e, ContentLen: int(math.Round(Median(t.ContentLen[k].Sorted())))}
			if k > 0 {
				s.Think = fitSample(t.Elems[k-1].Token()+"→"+e.Token(), t.Gaps[k-1], h, o.KSLimit)
			}
			if e.Folded {
				s.Runs = t.Runs[k].Sorted()
				if len(t.Inner[k].Vals) > 0 {
					s.Inner = fitSample(e.Token()+"→"+e.Token()+" (repeat)", t.Inner[k], h, o.KSLimit)
				}
			}
			ft.Steps = append(ft.Steps, s)
		}
		r.Types = append(r.Types, ft)
	}
	r.Curve = a.Curve()
	r.Poisson = r.Curve.CV >= 0.5
	r.Stages = Stages(r.Curve, o.Tolerance, r.Poisson)
	return r, nil
}

func fitSample(label string, res *Reservoir, h, limit float64) *Fitted {
	xs := res.Sorted()
	return &Fitted{Label: label, Sample: xs, FitResult: FitDurations(xs, h, limit)}
}

// typeName is a session name from its number and shape, e.g. "t1_connect-chat-disconnect".
func typeName(i int, elems []Elem) string {
	var parts []string
	for _, e := range elems {
		p := strings.ToLower(strings.ReplaceAll(e.Token(), "/", "."))
		parts = append(parts, p)
	}
	s := strings.Join(parts, "-")
	if len(s) > 48 {
		s = s[:48]
	}
	return fmt.Sprintf("t%d_%s", i, s)
}

// fmtDur shows seconds to people (the fit summary, logdiff) in the one duration format.
func fmtDur(s float64) string { return durfmt.Seconds(s) }

// yamlDur writes seconds into the fitted scenario as a Go duration with 4 significant digits:
// scenario text the loader reads back, not a figure for people, so it keeps the precision of
// the fit and the syntax of the YAML it sits in (its comments included).
func yamlDur(s float64) string {
	d := time.Duration(math.Round(s * 1e9))
	if d <= 0 {
		return "0s"
	}
	mag := int(math.Floor(math.Log10(float64(d))))
	if mag > 3 {
		p := time.Duration(math.Pow10(mag - 3))
		d = d.Round(p)
	}
	return d.String()
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// distYAML is the scenario text of a fitted distribution, or "" when it cannot be written
// (a lognormal whose p90 rounds onto its median is written as its median, a constant).
func distYAML(f Fit) string {
	switch f.Family {
	case LogNormal:
		med, p90 := yamlDur(math.Exp(f.A)), yamlDur(math.Exp(f.A+z90*f.B))
		if med != p90 {
			return fmt.Sprintf("{lognormal: {median: %s, p90: %s}}", med, p90)
		}
		return med
	case Exponential:
		return fmt.Sprintf("{exponential: {mean: %s}}", yamlDur(f.A))
	case Uniform:
		return fmt.Sprintf("{uniform: {min: %s, max: %s}}", yamlDur(f.A), yamlDur(f.B))
	case Empirical:
		vs := make([]string, len(f.Quantiles))
		for i, q := range f.Quantiles {
			vs[i] = yamlDur(q)
		}
		return "{empirical: [" + strings.Join(vs, ", ") + "]}"
	}
	return yamlDur(f.A)
}

const z90 = 1.2815515655446004

// fitComment says what a think time was fitted from and how well each candidate fits.
func fitComment(f *Fitted) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d gaps, median %s", f.Label, f.N, yamlDur(Median(f.Sample)))
	if len(f.Candidates) == 0 {
		b.WriteString("; all equal")
		return b.String()
	}
	b.WriteString("; KS")
	for _, c := range f.Candidates {
		fmt.Fprintf(&b, " %s %.3f", c.Family, c.KS)
	}
	if f.Chosen.Family == Empirical {
		fmt.Fprintf(&b, "; none under %.3f: empirical (%d quantiles, KS %.3f)", f.Limit, len(f.Chosen.Quantiles), f.Chosen.KS)
	} else {
		fmt.Fprintf(&b, "; chosen %s (limit %.3f)", f.Chosen.Family, f.Limit)
	}
	return b.String()
}

// countYAML is the repeat count of a run (length - 1) and its comment: constant when every
// run had the same length, else the empirical distribution of the lengths.
func countYAML(runs []float64) (string, string) {
	freq := map[int]int{}
	for _, r := range runs {
		freq[int(r)]++
	}
	ks := make([]int, 0, len(freq))
	for k := range freq {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	var parts []string
	for i, k := range ks {
		if i == 8 {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, fmt.Sprintf("%d×%d", k, freq[k]))
	}
	comment := fmt.Sprintf("run of %d..%d requests in %d sessions (length×sessions: %s); count = length - 1",
		ks[0], ks[len(ks)-1], len(runs), strings.Join(parts, " "))
	if len(ks) == 1 {
		return strconv.Itoa(ks[0] - 1), comment
	}
	q := empiricalQuantiles(runs, EmpiricalPoints)
	vs := make([]string, len(q))
	for i, v := range q {
		vs[i] = strconv.Itoa(int(math.Round(v)) - 1)
	}
	return "{empirical: [" + strings.Join(vs, ", ") + "]}", comment + "; empirical, 100 quantiles"
}

// stepYAML is the scenario step sending one request of e.
func stepYAML(e Elem, contentLen int) string {
	text := ""
	if n := min(contentLen, 1024); n > 0 {
		text = fmt.Sprintf(`"{{rand_str %d}}"`, n)
	}
	switch e.Control {
	case ccapi.Connect:
		if text != "" {
			return "connect: " + text
		}
		return "connect"
	case ccapi.Disconnect:
		if text != "" {
			return "disconnect: " + text
		}
		return "disconnect"
	case ccapi.Trans2Agent:
		return "transfer"
	case ccapi.Input:
		return "input"
	case ccapi.Read:
		return "read"
	}
	switch e.Media {
	case ccapi.WebCardMedia:
		return `card: {title: "fitted card", redirect_url: "https://example.com/"}`
	case ccapi.Text, "":
		if text == "" {
			text = `"x"`
		}
		return "chat: " + text
	}
	return fmt.Sprintf(`chat: {media: %s, text: "objectKey0,jpg"}`, e.Media)
}

// WriteScenario writes the fitted scenario, every number commented with what it was fitted from.
func (r *FitReport) WriteScenario(w io.Writer) error {
	var b strings.Builder
	o := r.Opt
	a := r.A
	fmt.Fprintf(&b, "# Fitted by `ccload fit` from %s: %d requests in %d lines, %d sessions.\n", o.Source, r.Stats.Requests, r.Stats.Lines, r.Stats.Sessions)
	fmt.Fprintf(&b, "# %d sessions start with CONNECT and were analysed; %d without CONNECT (their start is not in\n", a.Sessions, a.NoConnect)
	fmt.Fprintf(&b, "# the log) were not; %d of the analysed sessions are of types not kept (--coverage %.0f%%, --types %d).\n", r.Dropped+a.Other, 100*o.Coverage, o.MaxTypes)
	b.WriteString("# KS is the Kolmogorov-Smirnov distance between a fitted distribution and the observed\n")
	b.WriteString("# sample (0: identical, 1: disjoint). Think times are the gaps between requests as logged:\n")
	b.WriteString("# they include the target's latency and any wait for replies.\n")
	fmt.Fprintf(&b, "name: %s\n", o.Name)
	b.WriteString("seed: 1  # a fixed seed: reruns of the fitted scenario draw the same schedule\n")
	b.WriteString("# target: {url: ...}  # none: the embedded mock; set it or use `ccload run --target`\n")
	if !o.NoAuth {
		b.WriteString("auth:  # from the environment, like the shipped scenarios; the embedded mock takes the defaults\n")
		b.WriteString("  app_key: ${CC_APP_KEY:-demo}\n  app_secret: ${CC_APP_SECRET:-demo}\n")
	}
	if !o.NoChannel {
		b.WriteString(r.channelYAML())
	}
	b.WriteString("load:\n  model: open\n")
	if r.Poisson {
		fmt.Fprintf(&b, "  arrivals: poisson  # arrival gaps scaled by the local rate have CV %.2f (Poisson: 1, even spacing: 0)\n", r.Curve.CV)
	} else {
		fmt.Fprintf(&b, "  arrivals: uniform  # arrival gaps scaled by the local rate have CV %.2f (Poisson: 1, even spacing: 0)\n", r.Curve.CV)
	}
	c := r.Curve
	fmt.Fprintf(&b, "  # the arrival curve: %d sessions over %s in %d buckets of %s from %s", a.Sessions, c.Span.Round(time.Millisecond), len(c.Counts), c.Bucket, c.Origin.Format(time.RFC3339))
	if l := c.Len(len(c.Counts) - 1); l < c.Bucket.Seconds() {
		fmt.Fprintf(&b, " (the last %s long)", yamlDur(l))
	}
	b.WriteString(";\n")
	if c.Chosen {
		fmt.Fprintf(&b, "  # the bucket was chosen from the log: %s\n", c.Why)
	}
	fmt.Fprintf(&b, "  # each stage is the least-squares line within %.0f%% (plus counting grain%s) of every bucket it spans;\n", 100*o.Tolerance, map[bool]string{true: " and 2x Poisson noise", false: ""}[r.Poisson])
	fmt.Fprintf(&b, "  # together they play %s sessions over %s (the log: %d)\n", fmtNum(r.StageSessions()), yamlDur(r.StageSecs()), c.Total())
	b.WriteString("  stages:\n")
	for _, s := range r.Stages {
		lo, hi := math.Inf(1), math.Inf(-1)
		for k := s.Start; k < s.Start+s.Len; k++ {
			lo, hi = math.Min(lo, c.Rate(k)), math.Max(hi, c.Rate(k))
		}
		fmt.Fprintf(&b, "    # buckets %d-%d (+%s..+%s): observed %s..%s sessions/s; the line is within %s/s of each\n",
			s.Start, s.Start+s.Len-1, yamlDur(c.Start(s.Start)), yamlDur(c.Start(s.Start)+s.Secs), fmtNum(lo), fmtNum(hi), fmtNum(s.MaxDev))
		d := yamlDur(s.Secs)
		if math.Abs(s.From-s.To) <= o.Tolerance*math.Max(s.From, s.To) {
			fmt.Fprintf(&b, "    - {duration: %s, rate: %s}  # from %s to %s: within the tolerance of a hold\n", d, fmtNum((s.From+s.To)/2), fmtNum(s.From), fmtNum(s.To))
		} else {
			fmt.Fprintf(&b, "    - {duration: %s, from: %s, to: %s}\n", d, fmtNum(s.From), fmtNum(s.To))
		}
	}
	b.WriteString("sessions:\n")
	for _, t := range r.Types {
		fmt.Fprintf(&b, "  # %d of %d analysed sessions (%.1f%%) have the shape %s;\n", t.Type.Count, a.Sessions, 100*t.Share, t.Type.Key)
		ds := t.Type.Durations.Sorted()
		fmt.Fprintf(&b, "  # their median duration is %s\n", yamlDur(Median(ds)))
		fmt.Fprintf(&b, "  - name: %s\n    weight: %d\n", t.Name, t.Type.Count)
		if o.Poll == "" || o.Poll == "off" {
			b.WriteString("    poll: false  # the log holds sends only; polling was not fitted\n")
		} else {
			from := o.PollFrom
			if from == "" {
				from = "--poll"
			}
			fmt.Fprintf(&b, "    poll: {interval: %s}  # not in the log (sends only): %s\n", o.Poll, from)
		}
		b.WriteString("    on_failure: continue\n    steps:\n")
		for _, s := range t.Steps {
			if s.Think != nil {
				fmt.Fprintf(&b, "      # %s\n      - think: %s\n", fitComment(s.Think), distYAML(s.Think.Chosen))
			}
			step := stepYAML(s.Elem, s.ContentLen)
			if s.ContentLen > 0 {
				fmt.Fprintf(&b, "      - %s  # median content %d bytes\n", step, s.ContentLen)
			} else {
				fmt.Fprintf(&b, "      - %s\n", step)
			}
			if s.Elem.Folded && s.Inner != nil {
				cnt, cc := countYAML(s.Runs)
				fmt.Fprintf(&b, "      # %s\n      - repeat:\n          count: %s\n          steps:\n", cc, cnt)
				fmt.Fprintf(&b, "            # %s\n            - think: %s\n            - %s\n", fitComment(s.Inner), distYAML(s.Inner.Chosen), step)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteSummary writes the fit summary for the console.
func (r *FitReport) WriteSummary(w io.Writer) {
	a := r.A
	fmt.Fprintf(w, "%s: %d lines, %d requests, %d sessions (%d with CONNECT analysed, %d without)\n",
		r.Opt.Source, r.Stats.Lines, r.Stats.Requests, r.Stats.Sessions, a.Sessions, a.NoConnect)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SESSION TYPE\tSHARE\tSESSIONS\tSHAPE")
	for _, t := range r.Types {
		fmt.Fprintf(tw, "%s\t%.1f%%\t%d\t%s\n", t.Name, 100*t.Share, t.Type.Count, t.Type.Key)
	}
	if r.Dropped+a.Other > 0 {
		fmt.Fprintf(tw, "(not kept)\t%.1f%%\t%d\t\n", 100*float64(r.Dropped+a.Other)/float64(a.Sessions), r.Dropped+a.Other)
	}
	tw.Flush()
	fmt.Fprintln(tw, "\nTHINK TIME\tN\tMEDIAN\tLOGNORMAL\tEXPONENTIAL\tUNIFORM\tCHOSEN\tKS")
	for _, f := range r.Fits() {
		fmt.Fprintf(tw, "%s\t%d\t%s", f.Label, f.N, fmtDur(Median(f.Sample)))
		for i := range 3 {
			if i < len(f.Candidates) {
				fmt.Fprintf(tw, "\t%.3f", f.Candidates[i].KS)
			} else {
				fmt.Fprint(tw, "\t-")
			}
		}
		fmt.Fprintf(tw, "\t%s\t%.3f\n", f.Chosen.Family, f.Chosen.KS)
	}
	tw.Flush()
	c := r.Curve
	fmt.Fprintf(w, "\narrivals: %d buckets of %s over %s, %d stages playing %s sessions (the log: %d), %s (CV %.2f)\n", len(c.Counts), c.Bucket,
		c.Span.Round(time.Millisecond), len(r.Stages), fmtNum(r.StageSessions()), c.Total(), map[bool]string{true: "poisson", false: "uniform"}[r.Poisson], c.CV)
	if c.Chosen {
		fmt.Fprintf(w, "bucket %s chosen from the log: %s\n", c.Bucket, c.Why)
	}
}

// StageSessions is the number of sessions the fitted stages play.
func (r *FitReport) StageSessions() float64 {
	var n float64
	for _, s := range r.Stages {
		n += s.Sessions()
	}
	return n
}

// StageSecs is the fitted stages' total duration in seconds.
func (r *FitReport) StageSecs() float64 {
	var n float64
	for _, s := range r.Stages {
		n += s.Secs
	}
	return n
}

// channelYAML is the channel section from the values the log carries: its most frequent `to`
// and `channel`, each overridable from the environment like the shipped scenarios'.
func (r *FitReport) channelYAML() string {
	var b strings.Builder
	to, nTo, allTo := r.Stats.To.Top()
	ch, nCh, allCh := r.Stats.Channel.Top()
	if nTo == 0 && nCh == 0 {
		return ""
	}
	b.WriteString("channel:  # the channel configuration the log carries\n")
	if nCh > 0 {
		fmt.Fprintf(&b, "  channel: %s  # in %d of %d requests with a channel\n", yamlQuote(ch), nCh, allCh)
	}
	if nTo > 0 {
		fmt.Fprintf(&b, "  to: ${CC_CHANNEL_TO:-%s}  # in %d of %d requests with a to\n", envDefault(to), nTo, allTo)
	}
	return b.String()
}

// yamlQuote writes s as a YAML double-quoted string (JSON's escapes are YAML's).
func yamlQuote(s string) string { return strconv.Quote(s) }

// envDefault is s made safe as the default of a ${VAR:-default} reference in a plain scalar:
// characters that would end the reference or start a comment are left out.
func envDefault(s string) string {
	return strings.Map(func(c rune) rune {
		if c == '}' || c == '#' || c == '"' || c == '\'' || c == '\n' || c == ' ' || c == ':' || c == '$' {
			return -1
		}
		return c
	}, s)
}

// Fits lists every fitted think time, labelled with its session type.
func (r *FitReport) Fits() []*Fitted {
	var out []*Fitted
	for _, t := range r.Types {
		for _, s := range t.Steps {
			for _, f := range []*Fitted{s.Think, s.Inner} {
				if f != nil {
					g := *f
					g.Label = t.Name + ": " + f.Label
					out = append(out, &g)
				}
			}
		}
	}
	return out
}
