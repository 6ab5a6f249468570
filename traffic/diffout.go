package traffic

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math"
	"strings"
	"time"

	"ccload/internal/errw"
	"ccload/internal/junit"
)

// WriteDiffJSON writes the comparison as JSON (ccload logdiff --json): every row with its
// distance, tolerance, noise and verdict.
func WriteDiffJSON(w io.Writer, res DiffResult) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

// WriteDiffJUnit writes the comparison's checks as junit.xml: one testcase per check (rows
// without a limit are left out), a failure carrying A, B, the distance and what was allowed.
func WriteDiffJUnit(w io.Writer, res DiffResult) error {
	s := junit.Suite{Name: "ccload logdiff", Time: "0", Properties: junit.Props("a", res.A.Label, "b", res.B.Label,
		"alpha", fmtNum(res.Limits.Alpha), "bucket", fmtDur(res.BucketS))}
	for _, r := range res.Rows {
		if r.Verdict == VerdictShown {
			continue
		}
		c := junit.Case{Name: r.Section + ": " + r.Name, Classname: "ccload.logdiff." + strings.ReplaceAll(r.Section, " ", "_"), Time: "0"}
		switch r.Verdict {
		case VerdictFail:
			msg := fmt.Sprintf("%s %s: A %s, B %s, distance %s over %s allowed (limit %s + noise %s)", r.Section, r.Name, r.A, r.B,
				fmtDist(r.Distance, r.Unit), fmtDist(r.Allowed(), r.Unit), fmtDist(r.Tolerance, r.Unit), fmtDist(r.Noise, r.Unit))
			c.Failure = &junit.Problem{Message: msg, Type: "logdiff", Text: msg}
		case VerdictTooFew:
			c.Skipped = &junit.Problem{Message: "not judged: " + r.Note}
		}
		s.Cases = append(s.Cases, c)
	}
	return junit.Write(w, "ccload logdiff", s)
}

// WriteDiffHTML writes the comparison as a self-contained page (inline SVG and CSS, no scripts,
// nothing fetched): both arrival curves overlaid, then every row with its verdict.
func WriteDiffHTML(w io.Writer, res DiffResult, a, b *Analysis) error {
	ew := errw.New(w)
	e := html.EscapeString
	verdict := "PASS: every check within its limit"
	if !res.Pass {
		verdict = fmt.Sprintf("FAIL: %d of %d checks over their limits", res.Failed, res.Checks)
	}
	fmt.Fprintf(ew, "<!doctype html><html><head><meta charset=\"utf-8\"><title>logdiff: %s vs %s</title>\n", e(res.A.Label), e(res.B.Label))
	io.WriteString(ew, `<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}tr.FAIL td{background:#fde0e0}tr.few td{color:#888}svg{background:#fafafa;border:1px solid #ddd}.pass{color:#2a7}.fail{color:#c22}</style></head><body>`)
	cls := "pass"
	if !res.Pass {
		cls = "fail"
	}
	fmt.Fprintf(ew, "<h1>logdiff</h1><p>A: %s (%d sessions over %s)<br>B: %s (%d sessions over %s)", e(res.A.Label), res.A.Sessions, fmtDur(res.A.SpanS),
		e(res.B.Label), res.B.Sessions, fmtDur(res.B.SpanS))
	if res.B.Speed != 0 {
		fmt.Fprintf(ew, ", a replay at speed %s", fmtNum(res.B.Speed))
	}
	fmt.Fprintf(ew, "</p><p class=\"%s\"><b>%s</b>", cls, e(verdict))
	if res.TooFew > 0 {
		fmt.Fprintf(ew, "; %d not judged (too little data)", res.TooFew)
	}
	fmt.Fprintf(ew, "</p><p>Each check allows its limit plus the sampling noise of its two samples (alpha %s over %d checks: z %.2f, KS coefficient %.2f).</p>\n",
		fmtNum(res.Limits.Alpha), res.Checks, res.Z, res.KSCoef)
	if a != nil && b != nil {
		io.WriteString(ew, "<h2>Arrivals</h2>"+curvesSVG(a.CurveAt(secDur(res.BucketS)), b.CurveAt(secDur(res.BucketS))))
	}
	io.WriteString(ew, "<h2>Checks</h2><table><tr><th>section</th><th>name</th><th>A</th><th>B</th><th>distance</th><th>allowed (limit + noise)</th><th>result</th></tr>\n")
	for _, r := range res.Rows {
		allowed := ""
		if r.Judged() {
			allowed = fmt.Sprintf("%s (%s + %s)", fmtDist(r.Allowed(), r.Unit), fmtDist(r.Tolerance, r.Unit), fmtDist(r.Noise, r.Unit))
		}
		c := r.Verdict
		if r.Verdict == VerdictTooFew {
			c = "few"
		}
		v := r.Verdict
		if r.Note != "" {
			v += " (" + r.Note + ")"
		}
		fmt.Fprintf(ew, "<tr class=\"%s\"><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n", e(c), e(r.Section), e(r.Name),
			e(r.A), e(r.B), e(fmtDist(r.Distance, r.Unit)), e(allowed), e(v))
	}
	io.WriteString(ew, "</table></body></html>\n")
	return ew.Err()
}

func secDur(s float64) time.Duration { return time.Duration(math.Round(s * 1e9)) }

// curvesSVG draws two arrival curves (sessions/s per bucket) as step lines: A grey, B red.
func curvesSVG(ca, cb Curve) string {
	const W, H, pad = 720.0, 220.0, 24.0
	span := math.Max(ca.Span.Seconds(), cb.Span.Seconds())
	ymax := 0.0
	for _, c := range []Curve{ca, cb} {
		for k := range c.Counts {
			ymax = math.Max(ymax, c.Rate(k))
		}
	}
	if span <= 0 || ymax <= 0 {
		return ""
	}
	sx := func(t float64) float64 { return pad + (W-2*pad)*t/span }
	sy := func(y float64) float64 { return H - pad - (H-2*pad)*y/(ymax*1.05) }
	var b strings.Builder
	fmt.Fprintf(&b, "<p>sessions/s per %s bucket: <span style=\"color:#777\">A</span>, <span style=\"color:#d62728\">B</span></p>", fmtDur(ca.Bucket.Seconds()))
	fmt.Fprintf(&b, `<svg width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f">`, W, H, W, H)
	for i, c := range []Curve{ca, cb} {
		var pts []string
		for k := range c.Counts {
			x0, x1, y := sx(c.Start(k)), sx(c.Start(k)+c.Len(k)), sy(c.Rate(k))
			pts = append(pts, fmt.Sprintf("%.1f,%.1f %.1f,%.1f", x0, y, x1, y))
		}
		color := []string{"#777", "#d62728"}[i]
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`, color, strings.Join(pts, " "))
	}
	fmt.Fprintf(&b, `<text x="4" y="14" font-size="11">%s/s</text><text x="%.0f" y="%.0f" font-size="11" text-anchor="end">%s</text></svg>`, fmtNum(ymax), W-pad, H-4, fmtDur(span))
	return b.String()
}
