package history

import (
	"fmt"
	"html/template"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"ccload/gates"
)

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// labelText renders labels as "k=v k=v", sorted.
func labelText(m map[string]string) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, " ")
}

// group returns e's group named name.
func (e *Entry) group(name string) (GroupRow, bool) {
	for _, g := range e.Groups {
		if g.Name == name {
			return g, true
		}
	}
	return GroupRow{}, false
}

func us(v int64) string { return gates.FormatUS(float64(v)) }

func pct(f float64) string { return strconv.FormatFloat(f*100, 'f', 2, 64) + "%" }

// WriteList writes runs as a table, one line each: what `ccload history list` prints.
func WriteList(w io.Writer, runs []*Entry) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTARTED (UTC)\tCOMMAND\tSCENARIO\tSHARD\tVERDICT\tREQUESTS\tERRORS\tP99 (all)\tLABELS")
	for _, e := range runs {
		all, _ := e.group("all")
		shard := e.Shard
		if shard == "" {
			shard = "-"
			if e.Shards > 1 {
				shard = fmt.Sprintf("%d merged", e.Shards)
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", e.ID, e.StartedAt.Format("2006-01-02 15:04:05"),
			e.Command, e.Scenario, shard, e.Verdict, e.Requests, pct(all.ErrorRate), us(all.P99), labelText(e.Labels))
	}
	return tw.Flush()
}

// WriteShow writes one run: its identity, labels, counts and every group's figures.
func WriteShow(w io.Writer, e *Entry) error {
	fmt.Fprintf(w, "run #%d: %s (%s), %s\n", e.ID, e.Scenario, short(e.ScenarioSHA256), e.Verdict)
	fmt.Fprintf(w, "  started   %s, %.1fs, stop reason %q\n", e.StartedAt.Format("2006-01-02 15:04:05 UTC"), e.DurationS, e.StopReason)
	fmt.Fprintf(w, "  recorded  %s by ccload %s (%s)\n", e.RecordedAt.Format("2006-01-02 15:04:05 UTC"), orDash(e.Version), e.Command)
	if e.Shard != "" {
		fmt.Fprintf(w, "  shard     %s\n", e.Shard)
	} else if e.Shards > 1 {
		fmt.Fprintf(w, "  shards    %d merged\n", e.Shards)
	}
	fmt.Fprintf(w, "  labels    %s\n", orDash(labelText(e.Labels)))
	fmt.Fprintf(w, "  requests  %d (ok %d, errors %d), not sent %d; sessions started %d, failed %d\n\n",
		e.Requests, e.OK, e.Errors, e.NotSent, e.SessionsStarted, e.SessionsFailed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tREQUESTS\tERROR RATE\tRPS\tP50\tP90\tP95\tP99\tP99.9\tMAX")
	for _, g := range e.Groups {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\n", g.Name, g.Requests, pct(g.ErrorRate), g.RPS,
			us(g.P50), us(g.P90), us(g.P95), us(g.P99), us(g.P999), us(g.MaxUS))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// WriteTrendText writes each group's figures across runs, oldest first: `ccload history trend`.
// groups nil means every group the runs have.
func WriteTrendText(w io.Writer, runs []*Entry, groups []string) error {
	runs = oldestFirst(runs)
	if groups == nil {
		groups = groupNames(runs)
	}
	for i, name := range groups {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s\n", name)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  ID\tSTARTED (UTC)\tVERDICT\tREQUESTS\tERROR RATE\tP50\tP95\tP99\tMAX\tLABELS")
		for _, e := range runs {
			g, ok := e.group(name)
			if !ok {
				fmt.Fprintf(tw, "  %d\t%s\t%s\t-\t-\t-\t-\t-\t-\t%s\n", e.ID, e.StartedAt.Format("2006-01-02 15:04"), e.Verdict, labelText(e.Labels))
				continue
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.StartedAt.Format("2006-01-02 15:04"), e.Verdict,
				g.Requests, pct(g.ErrorRate), us(g.P50), us(g.P95), us(g.P99), us(g.MaxUS), labelText(e.Labels))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func oldestFirst(runs []*Entry) []*Entry {
	out := slices.Clone(runs)
	slices.SortStableFunc(out, func(a, b *Entry) int {
		if c := a.StartedAt.Compare(b.StartedAt); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	return out
}

// groupNames lists the groups of runs, "all" first, then by name.
func groupNames(runs []*Entry) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range runs {
		for _, g := range e.Groups {
			if !seen[g.Name] {
				seen[g.Name] = true
				out = append(out, g.Name)
			}
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		if (a == "all") != (b == "all") {
			if a == "all" {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	return out
}

// trendChart is one SVG chart of the page: lines over the runs, oldest on the left.
type trendChart struct {
	Title  string
	Unit   string
	Lines  []trendLine
	Width  int
	Height int
	YTicks []trendTick
	XTicks []trendTick
}

type trendLine struct {
	Name   string
	Class  string
	Points string // SVG polyline points
	Dots   []trendDot
}

type trendDot struct {
	X, Y  float64
	Title string
	Class string
}

type trendTick struct {
	Pos   float64
	Label string
}

type trendGroup struct {
	Name   string
	Charts []trendChart
	Rows   []trendRow
}

type trendRow struct {
	ID                       int64
	Started, Verdict, Labels string
	Requests                 int64
	ErrorRate, P50, P95, P99 string
	Max, VerdictClass        string
}

// WriteTrendHTML writes a self-contained page (no script, no external resource) with, per group,
// the percentiles (p50, p95, p99) and the error rate across runs as SVG charts, each run's verdict
// as a coloured dot, and a table of the values: `ccload history trend --html FILE`.
func WriteTrendHTML(w io.Writer, title string, runs []*Entry, groups []string) error {
	runs = oldestFirst(runs)
	if groups == nil {
		groups = groupNames(runs)
	}
	var data struct {
		Title  string
		Runs   int
		Groups []trendGroup
	}
	data.Title, data.Runs = title, len(runs)
	for _, name := range groups {
		tg := trendGroup{Name: name}
		lat := trendChart{Title: "response time", Unit: "µs"}
		errc := trendChart{Title: "error rate", Unit: "%"}
		type series struct {
			name, class string
			v           func(GroupRow) float64
		}
		for _, s := range []series{{"p50", "p50", func(g GroupRow) float64 { return float64(g.P50) }},
			{"p95", "p95", func(g GroupRow) float64 { return float64(g.P95) }},
			{"p99", "p99", func(g GroupRow) float64 { return float64(g.P99) }}} {
			lat.Lines = append(lat.Lines, trendSeries(runs, name, s.name, s.class, s.v, func(v float64) string { return gates.FormatUS(v) }))
		}
		errc.Lines = append(errc.Lines, trendSeries(runs, name, "error rate", "err", func(g GroupRow) float64 { return g.ErrorRate * 100 },
			func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) + "%" }))
		tg.Charts = []trendChart{layout(lat, runs, func(v float64) string { return gates.FormatUS(v) }),
			layout(errc, runs, func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) + "%" })}
		for _, e := range runs {
			row := trendRow{ID: e.ID, Started: e.StartedAt.Format("2006-01-02 15:04"), Verdict: e.Verdict, VerdictClass: "v-" + e.Verdict,
				Labels: labelText(e.Labels), ErrorRate: "–", P50: "–", P95: "–", P99: "–", Max: "–"}
			if g, ok := e.group(name); ok {
				row.Requests, row.ErrorRate = g.Requests, pct(g.ErrorRate)
				row.P50, row.P95, row.P99, row.Max = us(g.P50), us(g.P95), us(g.P99), us(g.MaxUS)
			}
			tg.Rows = append(tg.Rows, row)
		}
		data.Groups = append(data.Groups, tg)
	}
	return trendPage.Execute(w, data)
}

// trendSeries is one metric of one group across runs; runs without the group leave a gap.
func trendSeries(runs []*Entry, group, name, class string, v func(GroupRow) float64, format func(float64) string) trendLine {
	l := trendLine{Name: name, Class: class}
	for i, e := range runs {
		g, ok := e.group(group)
		if !ok || g.Requests == 0 {
			continue
		}
		val := v(g)
		l.Dots = append(l.Dots, trendDot{X: float64(i), Y: val, Class: "v-" + e.Verdict,
			Title: fmt.Sprintf("run #%d %s (%s): %s %s", e.ID, e.StartedAt.Format("2006-01-02 15:04"), e.Verdict, name, format(val))})
	}
	return l
}

// layout scales a chart's dots into its SVG box and sets its ticks.
func layout(c trendChart, runs []*Entry, format func(float64) string) trendChart {
	const left, right, top, bottom = 70.0, 20.0, 16.0, 40.0
	c.Width, c.Height = 720, 240
	hi := 0.0
	for _, l := range c.Lines {
		for _, d := range l.Dots {
			hi = math.Max(hi, d.Y)
		}
	}
	if hi <= 0 {
		hi = 1
	}
	hi *= 1.1
	n := max(len(runs)-1, 1)
	x := func(i float64) float64 { return left + i*(float64(c.Width)-left-right)/float64(n) }
	y := func(v float64) float64 { return top + (1-v/hi)*(float64(c.Height)-top-bottom) }
	for li := range c.Lines {
		var pts []string
		for di := range c.Lines[li].Dots {
			d := &c.Lines[li].Dots[di]
			d.X, d.Y = x(d.X), y(d.Y)
			pts = append(pts, strconv.FormatFloat(d.X, 'f', 1, 64)+","+strconv.FormatFloat(d.Y, 'f', 1, 64))
		}
		c.Lines[li].Points = strings.Join(pts, " ")
	}
	for i := 0; i <= 4; i++ {
		v := hi * float64(i) / 4
		c.YTicks = append(c.YTicks, trendTick{Pos: y(v), Label: format(v)})
	}
	step := max(1, len(runs)/10)
	for i := 0; i < len(runs); i += step {
		c.XTicks = append(c.XTicks, trendTick{Pos: x(float64(i)), Label: "#" + strconv.FormatInt(runs[i].ID, 10)})
	}
	return c
}

var trendPage = template.Must(template.New("trend").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{{.Title}}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:20px} h2{font-size:16px;margin-top:32px;border-bottom:1px solid #ddd}
svg{background:#fafafa;border:1px solid #eee;margin:4px 8px 4px 0}
.axis{stroke:#999;stroke-width:1} .grid{stroke:#e4e4e4;stroke-width:1} text{font-size:11px;fill:#555}
polyline{fill:none;stroke-width:2} .p50{stroke:#4c78a8} .p95{stroke:#f58518} .p99{stroke:#e45756} .err{stroke:#b279a2}
circle{stroke:#fff;stroke-width:1} .v-pass{fill:#2ca02c;color:#2ca02c} .v-fail{fill:#d62728;color:#d62728} .v-incomplete{fill:#999;color:#999}
table{border-collapse:collapse;margin-top:8px} td,th{padding:2px 10px;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left} .legend span{margin-right:14px}
.sw{display:inline-block;width:18px;height:3px;vertical-align:middle;margin-right:4px}
</style></head><body>
<h1>{{.Title}}</h1>
<p>{{.Runs}} runs, oldest on the left. Each dot is one run, coloured by its verdict
(<span class="v-pass">●</span> pass, <span class="v-fail">●</span> fail, <span class="v-incomplete">●</span> incomplete);
the values are each run's own, from its histograms (hover a dot for the run).</p>
{{range .Groups}}<section class="group" data-group="{{.Name}}">
<h2>{{.Name}}</h2>
{{range .Charts}}<svg class="chart" width="{{.Width}}" height="{{.Height}}" viewBox="0 0 {{.Width}} {{.Height}}" role="img" aria-label="{{.Title}}">
<text x="70" y="12">{{.Title}}</text>
{{range .YTicks}}<line class="grid" x1="70" x2="700" y1="{{.Pos}}" y2="{{.Pos}}"/><text x="64" y="{{.Pos}}" text-anchor="end" dominant-baseline="middle">{{.Label}}</text>
{{end}}{{range .XTicks}}<text x="{{.Pos}}" y="218" text-anchor="middle">{{.Label}}</text>
{{end}}<line class="axis" x1="70" x2="700" y1="200" y2="200"/>
{{range .Lines}}<polyline class="{{.Class}}" points="{{.Points}}"><title>{{.Name}}</title></polyline>
{{range .Dots}}<circle class="{{.Class}}" cx="{{printf "%.1f" .X}}" cy="{{printf "%.1f" .Y}}" r="3.5"><title>{{.Title}}</title></circle>
{{end}}{{end}}</svg>
{{end}}<div class="legend"><span><i class="sw" style="background:#4c78a8"></i>p50</span><span><i class="sw" style="background:#f58518"></i>p95</span><span><i class="sw" style="background:#e45756"></i>p99</span><span><i class="sw" style="background:#b279a2"></i>error rate</span></div>
<table><thead><tr><th>run</th><th>started (UTC)</th><th>verdict</th><th>requests</th><th>error rate</th><th>p50</th><th>p95</th><th>p99</th><th>max</th><th>labels</th></tr></thead><tbody>
{{range .Rows}}<tr><td>#{{.ID}}</td><td>{{.Started}}</td><td class="{{.VerdictClass}}">{{.Verdict}}</td><td>{{.Requests}}</td><td>{{.ErrorRate}}</td><td>{{.P50}}</td><td>{{.P95}}</td><td>{{.P99}}</td><td>{{.Max}}</td><td>{{.Labels}}</td></tr>
{{end}}</tbody></table>
</section>
{{end}}</body></html>
`))
