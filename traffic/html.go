package traffic

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// WriteHTML writes the fit page: a self-contained HTML file (inline SVG, no scripts) with
// every fitted think time drawn over its observed histogram and the load stages over the
// arrival curve.
func (r *FitReport) WriteHTML(w io.Writer) {
	var b strings.Builder
	e := html.EscapeString
	fmt.Fprintf(&b, "<!doctype html><html><head><meta charset=\"utf-8\"><title>fit: %s</title>\n", e(r.Opt.Name))
	b.WriteString(`<style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:left}.fig{display:inline-block;margin:8px;vertical-align:top}svg{background:#fafafa;border:1px solid #ddd}.k span{margin-right:1em}</style></head><body>`)
	fmt.Fprintf(&b, "<h1>Fit of %s</h1><p>%d requests, %d sessions analysed (%d without CONNECT not analysed).</p>\n",
		e(r.Opt.Source), r.Stats.Requests, r.A.Sessions, r.A.NoConnect)
	b.WriteString("<h2>Session types</h2><table><tr><th>type</th><th>share</th><th>sessions</th><th>shape</th></tr>")
	for _, t := range r.Types {
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%.1f%%</td><td>%d</td><td>%s</td></tr>", e(t.Name), 100*t.Share, t.Type.Count, e(t.Type.Key))
	}
	b.WriteString("</table>\n<h2>Arrivals</h2>")
	b.WriteString(r.arrivalSVG())
	b.WriteString("<h2>Think times</h2><p class=\"k\"><span style=\"color:#888\">■ observed</span><span style=\"color:#d62728\">— lognormal</span><span style=\"color:#1f77b4\">— exponential</span><span style=\"color:#2ca02c\">— uniform</span> (thick: chosen)</p>\n")
	for _, f := range r.Fits() {
		b.WriteString(fitSVG(f))
	}
	b.WriteString("</body></html>\n")
	io.WriteString(w, b.String())
}

var famColor = map[Family]string{LogNormal: "#d62728", Exponential: "#1f77b4", Uniform: "#2ca02c"}

func fitSVG(f *Fitted) string {
	const W, H, pad = 360.0, 200.0, 20.0
	xs := f.Sample
	var b strings.Builder
	fmt.Fprintf(&b, "<div class=\"fig\"><div>%s</div><div>n=%d, chosen %s, KS %.3f</div>", html.EscapeString(f.Label), f.N, f.Chosen.Family, f.Chosen.KS)
	fmt.Fprintf(&b, `<svg width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f">`, W, H, W, H)
	if len(xs) < 2 || xs[len(xs)-1] <= xs[0] {
		b.WriteString("</svg></div>")
		return b.String()
	}
	hi := quantile(xs, 0.99)
	if hi <= xs[0] {
		hi = xs[len(xs)-1]
	}
	const bins = 40
	width := hi / bins
	counts := make([]float64, bins)
	for _, x := range xs {
		if k := int(x / width); k >= 0 && k < bins {
			counts[k]++
		}
	}
	dens := make([]float64, bins)
	ymax := 0.0
	for k, c := range counts {
		dens[k] = c / float64(len(xs)) / width
		ymax = math.Max(ymax, dens[k])
	}
	curves := map[Family][]float64{}
	for _, c := range f.Candidates {
		ys := make([]float64, 101)
		for i := range ys {
			ys[i] = c.PDF(hi * float64(i) / 100)
			if c.Family != Uniform {
				ymax = math.Max(ymax, math.Min(ys[i], 3*ymax))
			}
		}
		curves[c.Family] = ys
	}
	sx := func(x float64) float64 { return pad + (W-2*pad)*x/hi }
	sy := func(y float64) float64 { return H - pad - (H-2*pad)*math.Min(y, ymax*1.05)/(ymax*1.05) }
	for k, d := range dens {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#bbb"/>`, sx(float64(k)*width), sy(d), sx(width)-pad-0.5, H-pad-sy(d))
	}
	for _, c := range f.Candidates {
		var pts []string
		for i, y := range curves[c.Family] {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", sx(hi*float64(i)/100), sy(y)))
		}
		sw := 1.2
		if c.Family == f.Chosen.Family {
			sw = 3
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="%.1f" points="%s"/>`, famColor[c.Family], sw, strings.Join(pts, " "))
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="11">0</text><text x="%.0f" y="%.0f" font-size="11" text-anchor="end">%s</text>`, pad, H-4, W-pad, H-4, fmtDur(hi))
	b.WriteString("</svg></div>\n")
	return b.String()
}

func (r *FitReport) arrivalSVG() string {
	const W, H, pad = 720.0, 220.0, 24.0
	c := r.Curve
	n := len(c.Counts)
	ymax := 0.0
	for k := range c.Counts {
		ymax = math.Max(ymax, c.Rate(k))
	}
	for _, s := range r.Stages {
		ymax = math.Max(ymax, math.Max(s.From, s.To))
	}
	if n == 0 || ymax == 0 {
		return ""
	}
	span := c.Start(n-1) + c.Len(n-1)
	sx := func(t float64) float64 { return pad + (W-2*pad)*t/span }
	sy := func(y float64) float64 { return H - pad - (H-2*pad)*y/(ymax*1.05) }
	var b strings.Builder
	fmt.Fprintf(&b, "<p>sessions/s per %s bucket (grey; a partial last bucket over its own length) and the fitted stages (red), which play %s sessions (the log: %d)",
		c.Bucket, fmtNum(r.StageSessions()), c.Total())
	if c.Chosen {
		fmt.Fprintf(&b, "<br>the bucket was chosen from the log: %s", html.EscapeString(c.Why))
	}
	b.WriteString("</p>")
	fmt.Fprintf(&b, `<svg width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f">`, W, H, W, H)
	for k := range c.Counts {
		x0, x1 := sx(c.Start(k)), sx(c.Start(k)+c.Len(k))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#bbb"/>`, x0, sy(c.Rate(k)), math.Max(x1-x0-0.5, 0.5), H-pad-sy(c.Rate(k)))
	}
	for _, s := range r.Stages {
		t0 := c.Start(s.Start)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#d62728" stroke-width="2"/>`, sx(t0), sy(s.From), sx(t0+s.Secs), sy(s.To))
	}
	fmt.Fprintf(&b, `<text x="4" y="14" font-size="11">%s/s</text></svg>`, fmtNum(ymax))
	return b.String()
}
