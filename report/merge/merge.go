// Package merge joins reports into one, exactly (ccload merge): shards of one run, checked to be
// one run (CheckShards), and groups of one report (Groups, for threshold groups). Histograms are
// merged and percentiles recomputed, never averaged.
package merge

import (
	"ccload/report"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// ErrScenarioMismatch is returned by Reports for reports of different scenarios (Options.Force merges them anyway).
var ErrScenarioMismatch = errors.New("reports are of different scenarios")

// ErrCapacity refuses to merge reports of ccload capacity. A search is adaptive — each step's
// rate follows from the verdicts of the steps before it — and ccload capacity has no shards, so
// two capacity reports are two searches: no merge of them is a search that happened, and adding
// their steps would judge an SLO on a load no target saw. Run one search from a generator big
// enough instead (its answer says when the generator was the limit), or compare two searches.
var ErrCapacity = errors.New("capacity reports cannot be merged")

// refuseCapacity returns ErrCapacity, naming the first capacity report, when reports hold one.
func refuseCapacity(reports []*report.Report, name func(int) string) error {
	for i, r := range reports {
		if r != nil && r.Capacity != nil {
			return fmt.Errorf("%w: %s is the report of a capacity search (it has a capacity section); a search's steps follow from its own verdicts, so two searches do not add up to one: run one search (ccload capacity says when the generator was the limit), or compare two with ccload compare", ErrCapacity, name(i))
		}
	}
	return nil
}

// Options tunes With.
type Options struct {
	// Force merges reports of different scenarios (the result is named after the first).
	Force bool
}

// Reports combines shard reports into one, exactly: histograms are decoded and merged and every
// percentile is recomputed from them (never averaged); counts, maps and session figures add up.
// It refuses reports of different scenarios.
func Reports(reports ...*report.Report) (*report.Report, error) {
	return With(Options{}, reports...)
}

// With is Reports with options.
//
// Groups are matched by name (the union is kept). started_at is the earliest start, ended_at the latest
// end, and rates are over that span. Time series are aligned on each shard's offset from the earliest
// start, rounded to whole intervals; a finer series is downsampled to the coarsest interval first.
// Threshold results are not carried over: they judged one shard, so evaluate Gates again on the merge.
func With(opts Options, reports ...*report.Report) (*report.Report, error) {
	if len(reports) == 0 {
		return nil, errors.New("nothing to merge")
	}
	if err := refuseCapacity(reports, func(i int) string { return fmt.Sprintf("report %d", i+1) }); err != nil {
		return nil, err
	}
	for i, r := range reports {
		if r == nil {
			return nil, fmt.Errorf("merge: report %d is nil", i+1)
		}
	}
	replay, err := mergeReplay(reports)
	if err != nil {
		return nil, err
	}
	first := reports[0]
	out := &report.Report{
		Replay:       replay,
		Push:         mergePush(reports),
		Schema:       report.Schema,
		Scenario:     first.Scenario,
		File:         first.File,
		Target:       first.Target,
		StartedAt:    first.StartedAt,
		EndedAt:      first.EndedAt,
		Seed:         first.Seed,
		StopReason:   first.StopReason,
		Stages:       slices.Clone(first.Stages),
		ScenarioText: first.ScenarioText,
		Gates:        first.Gates,
	}
	out.GraceS = first.GraceS // the shards ran one scenario, so one grace period
	for i, r := range reports {
		if r == nil {
			return nil, fmt.Errorf("merge: report %d is nil", i+1)
		}
		if r.Scenario != first.Scenario {
			if !opts.Force {
				return nil, fmt.Errorf("%w: %q (report 1) and %q (report %d); use --force to merge them anyway", ErrScenarioMismatch, first.Scenario, r.Scenario, i+1)
			}
			out.Warnings = append(out.Warnings, fmt.Sprintf("merged reports of different scenarios: %q and %q", first.Scenario, r.Scenario))
		}
		if !reflect.DeepEqual(r.Gates, first.Gates) {
			out.Warnings = append(out.Warnings, fmt.Sprintf("report %d is judged by other thresholds or compare limits than report 1; the merge keeps report 1's", i+1))
		}
		if r.Target != first.Target {
			out.Warnings = append(out.Warnings, fmt.Sprintf("merged reports of different targets: %q and %q", first.Target, r.Target))
		}
		if r.StartedAt.Before(out.StartedAt) {
			out.StartedAt = r.StartedAt
		}
		if r.EndedAt.After(out.EndedAt) {
			out.EndedAt = r.EndedAt
		}
		out.Interrupted = out.Interrupted || r.Interrupted
		if out.StopReason == "completed" && r.StopReason != "completed" && r.StopReason != "" {
			out.StopReason = r.StopReason
		}
		out.Shards += max(r.Shards, 1)
		out.GraceS = max(out.GraceS, r.GraceS) // shards of one run share it; the longest marks the latest end
		out.Sessions.Add(r.Sessions)
		out.SessionMetrics.ReplyTimeouts += r.SessionMetrics.ReplyTimeouts
		out.SessionMetrics.QueueAnswers.Add(r.SessionMetrics.QueueAnswers)
		for _, w := range r.Warnings {
			if report.IsShardWarning(w) {
				continue // the merge is what the warning asked for
			}
			out.Warnings = append(out.Warnings, fmt.Sprintf("report %d: %s", i+1, w))
		}
	}
	out.DurationS = out.EndedAt.Sub(out.StartedAt).Seconds()

	pick := func(f func(*report.Report) report.Latency) []report.Latency {
		ls := make([]report.Latency, len(reports))
		for i, r := range reports {
			ls[i] = f(r)
		}
		return ls
	}
	lat := []struct {
		dst  *report.Latency
		name string
		get  func(*report.Report) report.Latency
	}{
		{&out.SchedulerLagUS, "scheduler_lag_us", func(r *report.Report) report.Latency { return r.SchedulerLagUS }},
		{&out.ThrottleWaitUS, "throttle_wait_us", func(r *report.Report) report.Latency { return r.ThrottleWaitUS }},
		{&out.SessionMetrics.ReplyLatencyUS, "reply_latency_us", func(r *report.Report) report.Latency { return r.SessionMetrics.ReplyLatencyUS }},
		{&out.SessionMetrics.TimeToAgentUS, "time_to_agent_us", func(r *report.Report) report.Latency { return r.SessionMetrics.TimeToAgentUS }},
		{&out.SessionMetrics.SessionDurationUS, "session_duration_us", func(r *report.Report) report.Latency { return r.SessionMetrics.SessionDurationUS }},
		{&out.SessionMetrics.QueuePosition, "queue_position", func(r *report.Report) report.Latency { return r.SessionMetrics.QueuePosition }},
		{&out.SessionMetrics.QueueWaitEstimateUS, "queue_wait_estimate_us", func(r *report.Report) report.Latency { return r.SessionMetrics.QueueWaitEstimateUS }},
	}
	for _, l := range lat {
		if *l.dst, err = mergeLatency(l.name, pick(l.get)); err != nil {
			return nil, err
		}
	}

	overall := make([]*report.Group, len(reports))
	for i, r := range reports {
		overall[i] = &r.Overall
	}
	if out.Overall, err = Groups(overall, out.DurationS); err != nil {
		return nil, err
	}
	// Every request, ccload's own included (a report before they left overall counts them once there).
	out.Requests = report.RequestCounts{}
	for _, r := range reports {
		out.Requests.Add(r.Requests)
	}

	byName := map[string][]*report.Group{}
	var names []string
	for _, r := range reports {
		for j := range r.Groups {
			g := &r.Groups[j]
			if _, ok := byName[g.Name]; !ok {
				names = append(names, g.Name)
			}
			byName[g.Name] = append(byName[g.Name], g)
		}
	}
	for _, n := range names {
		g, err := Groups(byName[n], out.DurationS)
		if err != nil {
			return nil, err
		}
		out.Groups = append(out.Groups, g)
	}
	report.SortGroups(out.Groups)
	out.FailedWholesale = mergeWholesale(out.Groups, reports)

	var fw []string
	out.FailureReasons, fw = mergeFailureReasons(reports)
	out.Warnings = append(out.Warnings, fw...)
	if out.IntervalS, out.Timeseries, err = mergeSeries(reports, out.StartedAt); err != nil {
		return nil, err
	}
	out.Warnings = append(out.Warnings, report.CheckInvariants(out)...)
	return out, nil
}

// mergeLatency merges the encoded histograms of ls and summarizes the result.
func mergeLatency(name string, ls []report.Latency) (report.Latency, error) {
	enc := make([]string, len(ls))
	var want int64
	for i, l := range ls {
		if l.Count > 0 && l.Histogram == "" {
			return report.Latency{}, fmt.Errorf("merge: report %d has %s without its histogram; it cannot be merged exactly", i+1, name)
		}
		enc[i] = l.Histogram
		want += l.Count
	}
	h, err := mergeChecked(name, want, enc)
	if err != nil {
		return report.Latency{}, err
	}
	return report.WithHistogram(h), nil
}

// mergeChecked merges encoded histograms and checks the result holds the want values the summaries promised.
func mergeChecked(name string, want int64, enc []string) (*hdrhistogram.Histogram, error) {
	h, err := report.MergeHistograms(enc...)
	if err != nil {
		return nil, fmt.Errorf("merge: %s: %w", name, err)
	}
	if h.TotalCount() != want {
		return nil, fmt.Errorf("merge: %s: histograms hold %d values but the summaries count %d", name, h.TotalCount(), want)
	}
	return h, nil
}

// Groups merges the same group of several reports exactly; rps is over durationS. Exported
// for threshold groups (endpoint:, control_type:), which merge their members as ccload merge does.
func Groups(gs []*report.Group, durationS float64) (report.Group, error) {
	out := *gs[0]
	out.RequestCounts = report.RequestCounts{}
	out.Count, out.BytesSent, out.BytesRecv = 0, 0, 0
	out.ResultCodes, out.HTTPStatus, out.Errors = map[string]int64{}, map[string]int64{}, map[string]int64{}
	var svcWant, respWant int64
	svc := make([]string, len(gs))
	resp := make([]string, len(gs))
	for i, g := range gs {
		if (g.ServiceTimeUS.Count > 0 && g.ServiceHistogram == "") || (g.ResponseTimeUS.Count > 0 && g.ResponseHistogram == "") {
			return report.Group{}, fmt.Errorf("merge: group %s of a report has latencies without histograms; it cannot be merged exactly", g.Name)
		}
		out.RequestCounts.Add(g.RequestCounts)
		out.Count += g.Count
		out.BytesSent += g.BytesSent
		out.BytesRecv += g.BytesRecv
		for k, n := range g.ResultCodes {
			out.ResultCodes[k] += n
		}
		for k, n := range g.HTTPStatus {
			out.HTTPStatus[k] += n
		}
		for k, n := range g.Errors {
			out.Errors[k] += n
		}
		svc[i], resp[i] = g.ServiceHistogram, g.ResponseHistogram
		svcWant += g.ServiceTimeUS.Count
		respWant += g.ResponseTimeUS.Count
	}
	out.RPS = 0
	if durationS > 0 {
		out.RPS = float64(out.Count) / durationS
	}
	sh, err := mergeChecked("group "+out.Name+" service time", svcWant, svc)
	if err != nil {
		return report.Group{}, err
	}
	rh, err := mergeChecked("group "+out.Name+" response time", respWant, resp)
	if err != nil {
		return report.Group{}, err
	}
	out.ServiceTimeUS, out.ServiceHistogram = report.Summarize(sh), report.EncodeHistogram(sh)
	out.ResponseTimeUS, out.ResponseHistogram = report.Summarize(rh), report.EncodeHistogram(rh)
	return out, nil
}

// mergeSeries aligns every report's time series on the coarsest interval and adds them point by point.
func mergeSeries(reports []*report.Report, start time.Time) (float64, []report.Point, error) {
	var width float64
	for _, r := range reports {
		width = max(width, r.IntervalS)
	}
	if width <= 0 {
		return 0, nil, nil
	}
	width = cappedWidth(reports, start, width, report.DefaultMaxPoints)
	var out []report.Point
	for i, r := range reports {
		pts := r.Timeseries
		if len(pts) > 0 && r.IntervalS <= 0 {
			return 0, nil, fmt.Errorf("merge: report %d has a time series but no interval_s", i+1)
		}
		for w := r.IntervalS; w < width && len(pts) > 0; w *= 2 {
			if ratio := width / w; math.Abs(ratio-math.Round(ratio)) > 1e-9 || math.Round(ratio) < 2 {
				return 0, nil, fmt.Errorf("merge: report %d's interval %gs does not divide %gs by a power of two", i+1, r.IntervalS, width)
			}
			var err error
			if pts, err = report.Downsample(pts); err != nil {
				return 0, nil, fmt.Errorf("merge: report %d: %w", i+1, err)
			}
		}
		shift := int(math.Round(r.StartedAt.Sub(start).Seconds() / width))
		for _, p := range pts {
			k := shift + int(math.Round(p.T/width))
			if k < 0 || k >= report.DefaultMaxPoints {
				return 0, nil, fmt.Errorf("merge: report %d point t=%g lies outside the merged run", i+1, p.T)
			}
			for len(out) <= k {
				out = append(out, report.Point{T: float64(len(out)) * width})
			}
			q := &out[k]
			// The point arithmetic of a downsample, but for Active: shards' customers add up.
			merged, err := report.MergePoints(*q, p)
			if err != nil {
				return 0, nil, fmt.Errorf("merge: report %d point t=%g: %w", i+1, p.T, err)
			}
			merged.Active = q.Active + p.Active
			*q = merged
		}
	}
	return width, out, nil
}

// mergeWholesale is failed_wholesale of the merged groups: a group whose every request failed on
// every shard, in the target's words the shards kept. The shards' own warnings are carried
// (report N: ...), so none is added.
func mergeWholesale(groups []report.Group, reports []*report.Report) []report.Wholesale {
	msgs := map[string]string{}
	for _, r := range reports {
		for _, w := range r.FailedWholesale {
			st, ok := strings.CutPrefix(w.Cause, "HTTP ")
			if !ok || w.Message == "" {
				continue
			}
			for i := range r.Groups {
				if g := &r.Groups[i]; g.Name == w.Group {
					if k := g.Endpoint + " " + st; msgs[k] == "" {
						msgs[k] = w.Message
					}
				}
			}
		}
	}
	tmp := report.Report{Groups: groups}
	report.DiagnoseWholesale(&tmp, msgs)
	return tmp.FailedWholesale
}
