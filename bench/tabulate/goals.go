package main

import (
	"encoding/json"
	"fmt"
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
	ok                                     bool
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
		fmt.Fprintf(w, "%s\t%s\t%s\t%.0f\t%.1f\t%.1f\t%s\t%s\t%s\t%.0f\t%.0f\t%.0f\t%.1f\t%.0f\t\n",
			r.goal, r.tool, r.n, r.rps, r.svcP50/1e3, r.svcP99/1e3, dash(r.rspP99/1e3, r.tool != "vegeta"),
			dash(r.lagP99/1e3, r.tool != "vegeta"), dash(r.dropped, r.tool != "vegeta"), r.conns, r.maxOpen, r.rssMB, r.cpuSec, r.errors)
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
			fmt.Printf("100k: peak RSS %.0f MiB for 100,000 customers = %.1f KiB per customer (goal ≤ 1024 MiB, < 10 KiB)\n",
				r.rssMB, r.rssMB*1024/100000)
		case r.goal == "overload":
			fmt.Printf("overload: %.0f arrivals, %.0f dropped, ended after %.1f s (goal ≤ 10 + 5 grace + 2 s), peak RSS %.0f MiB (goal ≤ 1024)\n",
				r.arrivals, r.dropped, r.durationS, r.rssMB)
		case r.goal == "soak" && r.rss2 > 0:
			fmt.Printf("soak: RSS %.0f MiB at minute 2, %.0f MiB at minute 10: %+.1f%% (goal < 5%%)\n",
				r.rss2/1024, r.rss10/1024, 100*(r.rss10-r.rss2)/r.rss2)
		}
	}
}

func goalRank(g string) int {
	for i, x := range []string{"20k", "arrivals", "100k", "overload", "soak"} {
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
	r, err := parseRun(dir, map[bool]string{true: "vegeta", false: "ccload"}[tool == "vegeta"])
	if err != nil {
		return g
	}
	g.run, g.ok = r, true
	g.svcP50, g.svcP99 = r.p50us, r.p99us
	if b, err := os.ReadFile(filepath.Join(dir, "rss")); err == nil {
		fmt.Sscan(string(b), &g.rss2, &g.rss10)
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
		Lag map[string]any `json:"scheduler_lag_us"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "out"))
	if json.Unmarshal(b, &rep) == nil {
		g.durationS, g.arrivals, g.dropped = rep.DurationS, rep.Sessions.Arrivals, rep.Sessions.Dropped
		g.svcP50, g.svcP99 = rep.Overall.Service["p50"], rep.Overall.Service["p99"]
		g.rspP50, g.rspP99 = rep.Overall.Response["p50"], rep.Overall.Response["p99"]
		if v, ok := rep.Lag["p99"].(float64); ok {
			g.lagP99 = v
		}
	}
	return g
}
