package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// goalRun is one run of a goal scenario: ccload's report.json or vegeta's
// JSON report, GNU time's figures and the target's connection counts.
type goalRun struct {
	goal, tool, n                          string
	run                                    // requests, rps, CPU, RSS, conns...
	svcP50, svcP99, rspP50, rspP99, lagP99 float64
	arrivals, durationS, dropped           float64
	rss2, rss10                            float64 // soak: RSS at minute 2 and 10, KiB
	peakConc                               float64 // most sessions (virtual users) alive at once
	version                                string  // the peer's version, when the goal recorded it
	win                                    pollWindow
	mockTime                               timeFigures // ccload mock's own GNU time figures (1m)
	load                                   string      // `uptime` before and after (1m)
	ok                                     bool
}

// pollWindow is the steady-state window of the 1m goal (goals.sh writes it as
// "FROM TO CUSTOMERS INTERVAL_S") and the polls answered in it.
type pollWindow struct {
	from, to, customers, intervalS float64
	polls, span                    float64 // poll requests in [from, to) and the seconds of timeseries covered
}

// timeFigures is one GNU time line: "wall user sys maxrss_kb".
type timeFigures struct{ wall, user, sys, rssKB float64 }

func readTime(path string) (timeFigures, bool) {
	var t timeFigures
	b, err := os.ReadFile(path)
	if err != nil {
		return t, false
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	_, err = fmt.Sscan(lines[len(lines)-1], &t.wall, &t.user, &t.sys, &t.rssKB)
	return t, err == nil
}

// goals prints the goal runs found in dir (folders GOAL-TOOL.N) and, for
// each goal, the figure the issue sets a bound on.
func goals(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tabulate:", err)
		os.Exit(2)
	}
	var runs []goalRun
	for _, e := range entries {
		name, n, ok := strings.Cut(e.Name(), ".")
		goal, tool, ok2 := strings.Cut(name, "-")
		if !e.IsDir() || !ok || !ok2 {
			continue
		}
		runs = append(runs, readGoalRun(filepath.Join(dir, e.Name()), goal, tool, n))
	}
	sort.Slice(runs, func(i, j int) bool {
		a, b := runs[i], runs[j]
		if a.goal != b.goal {
			return goalRank(a.goal) < goalRank(b.goal)
		}
		if a.tool != b.tool {
			return a.tool < b.tool
		}
		return a.n < b.n
	})
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(w, "goal\ttool\trun\treq/s\tservice p50 ms\tservice p99 ms\tresponse p99 ms\tlag p99 ms\tdropped\tconns opened\tmax open\tpeak RSS MB\tCPU s\terrors\t")
	for _, r := range runs {
		if !r.ok {
			fmt.Fprintf(w, "%s\t%s\t%s\t(no result)\t\t\t\t\t\t\t\t\t\t\t\n", r.goal, r.tool, r.n)
			continue
		}
		own := r.tool != "vegeta" && r.tool != "artillery" // figures only ccload's report.json has
		fmt.Fprintf(w, "%s\t%s\t%s\t%.0f\t%.1f\t%.1f\t%s\t%s\t%s\t%.0f\t%.0f\t%.0f\t%.1f\t%.0f\t\n",
			r.goal, r.tool, r.n, r.rps, r.svcP50/1e3, r.svcP99/1e3, dash(r.rspP99/1e3, own),
			dash(r.lagP99/1e3, own), dash(r.dropped, own), r.conns, r.maxOpen, r.rssMB, r.cpuSec, r.errors)
	}
	w.Flush()
	fmt.Println()
	for _, r := range runs {
		if !r.ok {
			continue
		}
		switch {
		case r.goal == "20k" && r.tool == "ccload":
			fmt.Printf("20k run %s: %.0f req/s (goal 20000), %.0f connections opened, at most %.0f open (limit 512), service p99 %.1f ms\n",
				r.n, r.rps, r.conns, r.maxOpen, r.svcP99/1e3)
		case r.goal == "20k" && r.tool == "vegeta":
			fmt.Printf("20k run %s, vegeta: %.0f req/s, %.0f connections opened, p50 %.1f ms, %.0f MB RSS\n",
				r.n, r.rps, r.conns, r.svcP50/1e3, r.rssMB)
		case r.goal == "20k" && r.tool == "ccload-small-limit":
			fmt.Printf("20k, limit 200: %.0f req/s, at most %.0f open, %.0f arrivals dropped, lag p99 %.1f ms: the report says the limit is too small\n",
				r.rps, r.maxOpen, r.dropped, r.lagP99/1e3)
		case r.goal == "arrivals":
			rate := r.arrivals / r.durationS
			fmt.Printf("arrivals: %.1f sessions/s achieved (goal 2000 ± 1%%: %+.2f%%), scheduler lag p99 %.0f µs (goal < 1000)\n",
				rate, 100*(rate-2000)/2000, r.lagP99)
		case r.goal == "100k":
			fmt.Printf("100k: peak RSS %.0f MiB for 100,000 customers = %.1f KiB per customer (goal ≤ 256 MiB, issue 9)\n",
				r.rssMB, r.rssMB*1024/100000)
		case r.goal == "overload":
			fmt.Printf("overload: %.0f arrivals, %.0f dropped, ended after %.1f s (goal ≤ 10 + 5 grace + 2 s), peak RSS %.0f MiB (goal ≤ 1024)\n",
				r.arrivals, r.dropped, r.durationS, r.rssMB)
		case r.goal == "artillery":
			label := r.tool
			if r.version != "" {
				label += " " + r.version
			}
			fmt.Printf("artillery, %s: %.0f requests (bench/target answered %.0f), %.0f errors, %.1f µs CPU per request, peak RSS %.1f MiB, %.0f concurrent sessions at peak = %.1f KiB per concurrent virtual user\n",
				label, r.requests, r.targetReqs, r.errors, 1e6*r.cpuSec/math.Max(r.requests, 1), r.rssMB,
				r.peakConc, r.rssMB*1024/math.Max(r.peakConc, 1))
			if r.load != "" {
				fmt.Printf("artillery, %s: load %s\n", label, r.load)
			}
		case r.goal == "1m" && r.win.span > 0:
			plan := r.win.customers / r.win.intervalS
			got := r.win.polls / r.win.span
			fmt.Printf("1m: %.0f customers polling every %.0f s; polls/s in [%.0f s, %.0f s): %.0f achieved vs %.0f planned (%+.2f%%; goal within 2%%)\n",
				r.win.customers, r.win.intervalS, r.win.from, r.win.to, got, plan, 100*(got-plan)/plan)
			fmt.Printf("1m: generator peak RSS %.0f MiB = %.2f KiB per customer (goal ≤ 1024 MiB), %.1f s CPU; mock peak RSS %.0f MiB (goal ≤ 1024), %.1f s CPU; lag p99 %.0f ms, response p99 %.0f ms, %.0f errors, %.0f cut at end\n",
				r.rssMB, r.rssMB*1024/math.Max(r.win.customers, 1), r.cpuSec, r.mockTime.rssKB/1024, r.mockTime.user+r.mockTime.sys,
				r.lagP99/1e3, r.rspP99/1e3, r.errors, r.cut)
			if r.load != "" {
				fmt.Printf("1m: load %s\n", r.load)
			}
		case r.goal == "soak" && r.rss2 > 0:
			fmt.Printf("soak: RSS %.0f MiB at minute 2, %.0f MiB at minute 10: %+.1f%% (goal < 5%%)\n",
				r.rss2/1024, r.rss10/1024, 100*(r.rss10-r.rss2)/r.rss2)
		}
	}
}

// loadAverages turns `uptime` lines (before and after a run) into
// "1.00 2.00 3.00 before, 4.00 5.00 6.00 after" (1, 5 and 15 minutes).
func loadAverages(uptime string) string {
	var parts []string
	for _, line := range strings.Split(strings.TrimSpace(uptime), "\n") {
		if _, avg, ok := strings.Cut(line, "load average:"); ok {
			parts = append(parts, strings.Join(strings.Fields(strings.ReplaceAll(avg, ",", " ")), " "))
		}
	}
	switch len(parts) {
	case 0:
		return ""
	case 2:
		return "average (1, 5, 15 min) " + parts[0] + " before, " + parts[1] + " after"
	}
	return "average (1, 5, 15 min) " + strings.Join(parts, "; ")
}

func goalRank(g string) int {
	for i, x := range []string{"20k", "arrivals", "100k", "overload", "soak", "artillery", "1m"} {
		if g == x {
			return i
		}
	}
	return 9
}

func dash(v float64, show bool) string {
	if !show {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func readGoalRun(dir, goal, tool, n string) goalRun {
	g := goalRun{goal: goal, tool: tool, n: n}
	parser := "ccload"
	if tool == "vegeta" || tool == "artillery" {
		parser = tool
	}
	r, err := parseRun(dir, parser)
	if err != nil {
		return g
	}
	g.run, g.ok = r, true
	g.svcP50, g.svcP99 = r.p50us, r.p99us
	if b, err := os.ReadFile(filepath.Join(dir, "rss")); err == nil {
		fmt.Sscan(string(b), &g.rss2, &g.rss10)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "version")); err == nil {
		g.version = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile(filepath.Join(dir, "load")); err == nil {
		g.load = loadAverages(string(b))
	}
	g.mockTime, _ = readTime(filepath.Join(dir, "mock.time"))
	if tool == "artillery" {
		// A Node tool may fork: the summed RSS of its process tree, when larger.
		var tree float64
		if b, err := os.ReadFile(filepath.Join(dir, "tree_rss")); err == nil {
			fmt.Sscan(string(b), &tree)
		}
		g.rssMB = math.Max(g.rssMB, tree/1024)
		out, _ := os.ReadFile(filepath.Join(dir, "out"))
		g.peakConc = artilleryPeakVUs(out)
		return g
	}
	if tool == "vegeta" {
		return g
	}
	var rep struct {
		DurationS float64 `json:"duration_s"`
		Sessions  struct {
			Arrivals float64 `json:"arrivals"`
			Dropped  float64 `json:"dropped"`
		} `json:"sessions"`
		Overall struct {
			Service  map[string]float64 `json:"service_time_us"`
			Response map[string]float64 `json:"response_time_us"`
		} `json:"overall"`
		Lag        map[string]any `json:"scheduler_lag_us"`
		IntervalS  float64        `json:"interval_s"`
		Timeseries []struct {
			T      float64 `json:"t"`
			Active float64 `json:"active"`
			Groups []struct {
				Name     string  `json:"name"`
				Requests float64 `json:"requests"`
			} `json:"groups"`
		} `json:"timeseries"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "out"))
	if json.Unmarshal(b, &rep) == nil {
		g.durationS, g.arrivals, g.dropped = rep.DurationS, rep.Sessions.Arrivals, rep.Sessions.Dropped
		g.svcP50, g.svcP99 = rep.Overall.Service["p50"], rep.Overall.Service["p99"]
		g.rspP50, g.rspP99 = rep.Overall.Response["p50"], rep.Overall.Response["p99"]
		if v, ok := rep.Lag["p99"].(float64); ok {
			g.lagP99 = v
		}
		if b, err := os.ReadFile(filepath.Join(dir, "window")); err == nil {
			fmt.Sscan(string(b), &g.win.from, &g.win.to, &g.win.customers, &g.win.intervalS)
		}
		for _, p := range rep.Timeseries {
			g.peakConc = math.Max(g.peakConc, p.Active)
			if g.win.intervalS > 0 && p.T >= g.win.from && p.T+rep.IntervalS <= g.win.to {
				g.win.span += rep.IntervalS
				for _, gr := range p.Groups {
					if gr.Name == "poll" {
						g.win.polls += gr.Requests
					}
				}
			}
		}
	}
	return g
}
