// Command tabulate turns the raw outputs that bench/run.sh collected into the
// side-by-side table: per configuration and tool, the median over runs of
// requests/s, generator CPU per request, peak RSS, p50/p99 as the tool
// reported them, and connections the target accepted; then the goal ratios
// (ccload against vegeta and wrk) computed within this one run.
//
//	go run ./bench/tabulate DIR
//	go run ./bench/tabulate --goals DIR   (bench/run.sh --goals: goals.go)
//
// DIR holds one folder per run, named CONFIG.TOOL.N, each with:
// out (the tool's stdout, or its report.json for ccload), time (GNU time:
// "wall user sys maxrss_kb"), and stats0/stats1 (the target's /reset answer
// before the run and /stats answer after it).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// run is one tool's figures from one run.
type run struct {
	requests    float64
	rps         float64
	cpuSec      float64 // user+sys of the generator process
	wallSec     float64
	rssMB       float64
	p50us       float64
	p99us       float64
	conns       float64 // connections the target accepted during the run
	maxOpen     float64 // most connections open at once at the target
	bodyBytes   float64 // mean request body size the target received
	errors      float64 // failed requests, less those the run cut (below)
	cut         float64 // requests cut off by the end of the run (ccload: class "canceled", or report.json's cut)
	targetReqs  float64 // sendAsync requests bench/target answered during the run (the referee)
	errorDetail string
}

// targetStats is bench/target's GET /stats answer.
type targetStats struct {
	Accepted float64 `json:"conns_accepted"`
	Max      float64 `json:"conns_max"`
	Requests float64 `json:"requests"`
	Bodies   float64 `json:"body_bytes"`
}

func readStats(path string) (targetStats, error) {
	var s targetStats
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	// The file holds the raw HTTP answer: the JSON is its last line.
	if i := strings.LastIndexByte(strings.TrimSpace(string(b)), '\n'); i >= 0 {
		b = b[i+1:]
	}
	return s, json.Unmarshal(b, &s)
}

// row is the median of a tool's runs in one configuration.
type row struct {
	config, tool string
	runs         int
	rps          float64
	cpuUsPerReq  float64
	cpuShare     float64 // of one core
	rssMB        float64
	p50us, p99us float64
	conns        float64
	maxOpen      float64
	bodyBytes    float64
	errors       float64
	cut          float64
	note         string
}

// Tool order in the table: ccload first, then its peers, then the bare client loops.
var toolOrder = []string{"ccload", "vegeta", "wrk", "loop-h1", "loop-nethttp"}

var toolLabel = map[string]string{
	"ccload":         "ccload (runner, h1 transport)",
	"ccload-nethttp": "ccload (runner, net/http transport)",
	"vegeta":         "vegeta v12.13.0",
	"wrk":            "wrk 4.1",
	"loop-h1":        "bare loop, ccapi/h1",
	"loop-nethttp":   "bare loop, net/http",
	"artillery":      "Artillery 2.0",
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "--goals" {
		goals(os.Args[2])
		return
	}
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: tabulate DIR | tabulate --goals DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	entries, err := os.ReadDir(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tabulate:", err)
		os.Exit(2)
	}
	byKey := map[[2]string][]run{}
	var notes []string
	for _, e := range entries {
		parts := strings.Split(e.Name(), ".")
		if !e.IsDir() || len(parts) != 3 {
			continue
		}
		r, err := parseRun(filepath.Join(dir, e.Name()), parts[1])
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s: %v", e.Name(), err))
			continue
		}
		k := [2]string{parts[0], parts[1]}
		byKey[k] = append(byKey[k], r)
	}
	var rows []row
	for k, rs := range byKey {
		rows = append(rows, summarize(k[0], k[1], rs))
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].config != rows[j].config {
			return rows[i].config > rows[j].config // "shared" before "pinned"
		}
		return rank(rows[i].tool) < rank(rows[j].tool)
	})

	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(w, "config\ttool\truns\treq/s\tCPU µs/req\tCPU % core\tpeak RSS MB\tp50 µs\tp99 µs\tconns opened\tmax open\tbody B\terrors\tcut at end\t")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%d\t%.0f\t%.2f\t%.0f\t%.1f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t\n",
			r.config, label(r.tool), r.runs, r.rps, r.cpuUsPerReq, 100*r.cpuShare, r.rssMB, r.p50us, r.p99us,
			r.conns, r.maxOpen, r.bodyBytes, r.errors, r.cut)
	}
	w.Flush()
	fmt.Println()
	for _, cfg := range []string{"shared", "pinned"} {
		ratios(os.Stdout, cfg, rows)
	}
	for _, r := range rows {
		if r.note != "" {
			fmt.Printf("note: %s %s: %s\n", r.config, r.tool, r.note)
		}
	}
	for _, n := range notes {
		fmt.Println("note:", n)
	}
}

func label(tool string) string {
	if l, ok := toolLabel[tool]; ok {
		return l
	}
	return tool
}

func rank(tool string) int {
	if i := slices.Index(toolOrder, tool); i >= 0 {
		return i
	}
	return len(toolOrder)
}

// ratios prints the goals as ratios measured within this run.
func ratios(w io.Writer, cfg string, rows []row) {
	get := func(tool string) *row {
		for i := range rows {
			if rows[i].config == cfg && rows[i].tool == tool {
				return &rows[i]
			}
		}
		return nil
	}
	cc, vg, wk := get("ccload"), get("vegeta"), get("wrk")
	if cc == nil {
		cc = get("loop-h1")
		if cc == nil {
			return
		}
	}
	fmt.Fprintf(w, "%s: %s CPU/req", cfg, label(cc.tool))
	// The goals are issue 24's (issue 6 asked 0.7× vegeta's and 1.4× wrk's).
	if vg != nil && vg.cpuUsPerReq > 0 {
		fmt.Fprintf(w, " = %.2f× vegeta's (goal ≤ 0.3)", cc.cpuUsPerReq/vg.cpuUsPerReq)
	}
	if wk != nil && wk.cpuUsPerReq > 0 {
		fmt.Fprintf(w, ", %.2f× wrk's (goal ≤ 1.2)", cc.cpuUsPerReq/wk.cpuUsPerReq)
	}
	if lp := get("loop-h1"); lp != nil && cc.tool == "ccload" && lp.cpuUsPerReq > 0 {
		fmt.Fprintf(w, ", %.2f× the bare h1 loop's (goal ≤ 1.05)", cc.cpuUsPerReq/lp.cpuUsPerReq)
	}
	if cc.cpuUsPerReq > 0 {
		fmt.Fprintf(w, "; %.0f req/s per generator core (goal ≥ 50000)", 1e6/cc.cpuUsPerReq)
	}
	fmt.Fprintln(w)
	if nh := get("ccload-nethttp"); nh != nil && cc.tool == "ccload" && cc.cpuUsPerReq > 0 {
		fmt.Fprintf(w, "%s: the h1 transport uses %.2f× less CPU per request than net/http in the whole generator\n",
			cfg, nh.cpuUsPerReq/cc.cpuUsPerReq)
	}
}

func summarize(config, tool string, rs []run) row {
	med := func(f func(run) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		return median(v)
	}
	r := row{config: config, tool: tool, runs: len(rs)}
	r.rps = med(func(x run) float64 { return x.rps })
	r.cpuUsPerReq = med(func(x run) float64 { return 1e6 * x.cpuSec / math.Max(x.requests, 1) })
	r.cpuShare = med(func(x run) float64 { return x.cpuSec / math.Max(x.wallSec, 1e-9) })
	r.rssMB = med(func(x run) float64 { return x.rssMB })
	r.p50us = med(func(x run) float64 { return x.p50us })
	r.p99us = med(func(x run) float64 { return x.p99us })
	r.conns = med(func(x run) float64 { return x.conns })
	r.maxOpen = med(func(x run) float64 { return x.maxOpen })
	r.bodyBytes = med(func(x run) float64 { return x.bodyBytes })
	r.errors = med(func(x run) float64 { return x.errors })
	r.cut = med(func(x run) float64 { return x.cut })
	for _, x := range rs {
		if x.errorDetail != "" {
			r.note = x.errorDetail
		}
	}
	return r
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func parseRun(dir, tool string) (run, error) {
	var r run
	tb, err := os.ReadFile(filepath.Join(dir, "time"))
	if err != nil {
		return r, err
	}
	// GNU time may print the tool's exit status before our format line: take the last line.
	lines := strings.Split(strings.TrimSpace(string(tb)), "\n")
	f := strings.Fields(lines[len(lines)-1])
	if len(f) != 4 {
		return r, fmt.Errorf("time file %q: want 'wall user sys maxrss_kb'", lines[len(lines)-1])
	}
	wall, _ := strconv.ParseFloat(f[0], 64)
	user, _ := strconv.ParseFloat(f[1], 64)
	sys, _ := strconv.ParseFloat(f[2], 64)
	rss, _ := strconv.ParseFloat(f[3], 64)
	r.wallSec, r.cpuSec, r.rssMB = wall, user+sys, rss/1024
	s0, err0 := readStats(filepath.Join(dir, "stats0"))
	s1, err1 := readStats(filepath.Join(dir, "stats1"))
	if err0 == nil && err1 == nil {
		r.conns = s1.Accepted - s0.Accepted - 1 // less the probe that read stats1
		r.maxOpen = s1.Max
		r.targetReqs = s1.Requests - s0.Requests
		if n := s1.Requests - s0.Requests; n > 0 {
			r.bodyBytes = (s1.Bodies - s0.Bodies) / n
		}
	}
	out, err := os.ReadFile(filepath.Join(dir, "out"))
	if err != nil {
		return r, err
	}
	switch {
	case tool == "wrk":
		err = parseWrk(out, &r)
	case tool == "vegeta":
		err = parseVegeta(out, &r)
	case strings.HasPrefix(tool, "ccload"):
		err = parseCcload(out, &r)
	case strings.HasPrefix(tool, "loop"):
		err = parseLoop(out, &r)
	case tool == "artillery":
		err = parseArtillery(out, &r)
	default:
		err = fmt.Errorf("unknown tool %q", tool)
	}
	if err == nil && r.requests == 0 {
		err = fmt.Errorf("no requests")
	}
	return r, err
}

var (
	wrkReqs    = regexp.MustCompile(`(\d+) requests in ([\d.]+)(us|ms|s|m)`)
	wrkRPS     = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrkPct     = regexp.MustCompile(`^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s|m)\s*$`)
	wrkErrors  = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	wrkNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	durToMicro = map[string]float64{"us": 1, "ms": 1e3, "s": 1e6, "m": 60e6}
)

func parseWrk(out []byte, r *run) error {
	s := string(out)
	m := wrkReqs.FindStringSubmatch(s)
	if m == nil {
		return fmt.Errorf("wrk: no request count in output")
	}
	r.requests, _ = strconv.ParseFloat(m[1], 64)
	if m := wrkRPS.FindStringSubmatch(s); m != nil {
		r.rps, _ = strconv.ParseFloat(m[1], 64)
	}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if m := wrkPct.FindStringSubmatch(sc.Text()); m != nil {
			v, _ := strconv.ParseFloat(m[2], 64)
			v *= durToMicro[m[3]]
			if m[1] == "50" {
				r.p50us = v
			} else {
				r.p99us = v
			}
		}
	}
	if m := wrkErrors.FindStringSubmatch(s); m != nil {
		for _, x := range m[1:] {
			n, _ := strconv.ParseFloat(x, 64)
			r.errors += n
		}
	}
	if m := wrkNon2xx.FindStringSubmatch(s); m != nil {
		n, _ := strconv.ParseFloat(m[1], 64)
		r.errors += n
	}
	return nil
}

func parseVegeta(out []byte, r *run) error {
	var v struct {
		Latencies struct {
			P50 float64 `json:"50th"`
			P99 float64 `json:"99th"`
		} `json:"latencies"`
		Requests   float64  `json:"requests"`
		Throughput float64  `json:"throughput"`
		Success    float64  `json:"success"`
		Errors     []string `json:"errors"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return fmt.Errorf("vegeta report: %w", err)
	}
	r.requests, r.rps = v.Requests, v.Throughput
	r.p50us, r.p99us = v.Latencies.P50/1e3, v.Latencies.P99/1e3
	r.errors = math.Round(v.Requests * (1 - v.Success))
	if len(v.Errors) > 0 {
		r.errorDetail = v.Errors[0]
	}
	return nil
}

func parseLoop(out []byte, r *run) error {
	var v struct {
		Requests float64 `json:"requests"`
		Errors   float64 `json:"errors"`
		RPS      float64 `json:"rps"`
		P50      float64 `json:"p50_us"`
		P99      float64 `json:"p99_us"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return fmt.Errorf("loop: %w", err)
	}
	r.requests, r.errors, r.rps, r.p50us, r.p99us = v.Requests, v.Errors, v.RPS, v.P50, v.P99
	return nil
}

// parseCcload reads ccload's report.json: totals, and the service time of the sendAsync group.
//
// Requests the run itself cut off are not the target's errors: with
// `--duration` and `--grace 0s` the exchanges in flight when the run stops are
// cancelled (error class "canceled" in a group's errors map, counted in
// transport_errors), at most one per customer. They are counted in `cut`,
// not in `errors`, and left out of `requests` (so CPU per request is over
// answered requests, as wrk counts them). A report that carries the runner's
// own `requests.cut` and `requests.not_sent` counts is read from those instead.
func parseCcload(out []byte, r *run) error {
	var v struct {
		DurationS float64 `json:"duration_s"`
		Requests  struct {
			Total float64  `json:"total"`
			OK    float64  `json:"ok"`
			Cut   *float64 `json:"cut"` // in total, but no error: the run's end cut their answers off (not_sent is outside total)
		} `json:"requests"`
		Groups []struct {
			Endpoint    string             `json:"endpoint"`
			Count       float64            `json:"count"`
			Errors      map[string]float64 `json:"errors"`
			ServiceTime map[string]float64 `json:"service_time_us"`
		} `json:"groups"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return fmt.Errorf("ccload report.json: %w", err)
	}
	if v.Requests.Cut != nil {
		r.cut = *v.Requests.Cut
	} else {
		// Reports of a ccload before the cut class: the in-flight requests were "canceled" errors.
		for _, g := range v.Groups {
			r.cut += g.Errors["canceled"]
		}
	}
	r.requests = v.Requests.Total - r.cut
	r.errors = math.Max(v.Requests.Total-v.Requests.OK-r.cut, 0)
	if v.DurationS > 0 {
		r.rps = r.requests / v.DurationS
	}
	best := -1.0
	for _, g := range v.Groups {
		if g.Count > best && g.ServiceTime != nil {
			best = g.Count
			r.p50us, r.p99us = g.ServiceTime["p50"], g.ServiceTime["p99"]
		}
	}
	return nil
}

// artilleryReport is the part of `artillery run --output FILE` that the goal reads.
type artilleryReport struct {
	Aggregate struct {
		Counters       map[string]float64            `json:"counters"`
		Summaries      map[string]map[string]float64 `json:"summaries"`
		FirstCounterAt float64                       `json:"firstCounterAt"` // epoch ms
		LastCounterAt  float64                       `json:"lastCounterAt"`
	} `json:"aggregate"`
	Intermediate []struct {
		Counters       map[string]float64 `json:"counters"`
		FirstCounterAt float64            `json:"firstCounterAt"`
	} `json:"intermediate"`
}

// parseArtillery reads Artillery's JSON report: requests, errors (errors.*
// counters and non-2xx codes), and the response time summary (ms).
func parseArtillery(out []byte, r *run) error {
	var v artilleryReport
	if err := json.Unmarshal(out, &v); err != nil {
		return fmt.Errorf("artillery report: %w", err)
	}
	c := v.Aggregate.Counters
	r.requests = c["http.requests"]
	for k, n := range c {
		if strings.HasPrefix(k, "errors.") ||
			(strings.HasPrefix(k, "http.codes.") && !strings.HasPrefix(k, "http.codes.2")) {
			r.errors += n
		}
	}
	if span := (v.Aggregate.LastCounterAt - v.Aggregate.FirstCounterAt) / 1e3; span > 0 {
		r.rps = r.requests / span
	}
	if s := v.Aggregate.Summaries["http.response_time"]; s != nil {
		r.p50us, r.p99us = s["p50"]*1e3, s["p99"]*1e3
	}
	return nil
}

// artilleryPeakVUs is the most virtual users alive at the end of any of
// Artillery's reporting periods (10 s): created less completed and failed, summed.
func artilleryPeakVUs(out []byte) float64 {
	var v artilleryReport
	if json.Unmarshal(out, &v) != nil {
		return 0
	}
	sort.Slice(v.Intermediate, func(i, j int) bool {
		return v.Intermediate[i].FirstCounterAt < v.Intermediate[j].FirstCounterAt
	})
	alive, peak := 0.0, 0.0
	for _, p := range v.Intermediate {
		alive += p.Counters["vusers.created"] - p.Counters["vusers.completed"] - p.Counters["vusers.failed"]
		peak = math.Max(peak, alive)
	}
	return peak
}
