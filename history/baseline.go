package history

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"

	"ccload/report"
)

// BaselinePrefix starts a compare --baseline value that takes the baselines from the history.
const BaselinePrefix = "history:"

// DefaultLast is how many runs a history baseline takes when the spec does not say (last=N).
const DefaultLast = 10

// Baseline is a parsed `history:last=10,label=env=staging` spec: which recorded runs NEW is judged against.
type Baseline struct {
	// Last is how many of the most recent comparable runs to take.
	Last int
	// Labels must all match (label=KEY=VALUE, repeatable).
	Labels map[string]string
	// Verdicts the baselines may have: pass by default; verdict=any takes every verdict.
	Verdicts []string
	// Scenario, when set (scenario=NAME|HASH), replaces "the same scenario hash as NEW".
	Scenario string
}

// ParseBaseline parses the part of a --baseline value after "history:": comma-separated
// last=N, label=KEY=VALUE (repeatable), verdict=pass|fail|incomplete|any, scenario=NAME|HASH.
func ParseBaseline(spec string) (Baseline, error) {
	b := Baseline{Last: DefaultLast, Labels: map[string]string{}, Verdicts: []string{VerdictPass}}
	spec = strings.TrimPrefix(spec, BaselinePrefix)
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			return b, fmt.Errorf("history baseline %q: %q: want KEY=VALUE (last=10, label=env=staging, verdict=any, scenario=NAME)", spec, item)
		}
		switch k {
		case "last":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				return b, fmt.Errorf("history baseline: last=%s: want a count from 1 to 1000", v)
			}
			b.Last = n
		case "label":
			lk, lv, ok := strings.Cut(v, "=")
			if !ok {
				return b, fmt.Errorf("history baseline: label=%s: want label=KEY=VALUE, e.g. label=env=staging", v)
			}
			if err := CheckLabel(lk, lv); err != nil {
				return b, err
			}
			b.Labels[lk] = lv
		case "verdict":
			switch v {
			case "any":
				b.Verdicts = nil
			case VerdictPass, VerdictFail, VerdictIncomplete:
				b.Verdicts = []string{v}
			default:
				return b, fmt.Errorf("history baseline: verdict=%s: want pass, fail, incomplete or any", v)
			}
		case "scenario":
			b.Scenario = v
		default:
			return b, fmt.Errorf("history baseline: unknown key %q (want last, label, verdict or scenario)", k)
		}
	}
	return b, nil
}

// Filter returns the store filter selecting the runs comparable with next: the same scenario
// (its hash, unless the spec names one), the same kind of run (run or merge, replay, capacity),
// the same shard shape, the spec's labels and verdicts, next itself left out.
func (b Baseline) Filter(next *report.Report) Filter {
	f := Filter{Labels: b.Labels, Verdicts: b.Verdicts, Last: b.Last, Scenario: b.Scenario}
	if f.Scenario == "" {
		f.ScenarioSHA256 = next.ScenarioSHA256
		if f.ScenarioSHA256 == "" {
			f.ScenarioSHA256 = "name:" + next.Scenario
		}
	}
	f.Shards = max(next.Shards, 1)
	if next.Shard != nil && next.Shard.N > 1 {
		f.Shard = fmt.Sprintf("%d/%d", next.Shard.I, next.Shard.N)
	}
	if e, err := PrepareReport("", next, nil); err == nil {
		f.Exclude = e.ReportSHA256
	}
	return f
}

// Kind is how a report's runs are grouped for comparison: "capacity", "replay" or "run".
func Kind(r *report.Report) string {
	switch {
	case r.Capacity != nil:
		return "capacity"
	case r.Replay != nil:
		return "replay"
	}
	return "run"
}

// Describe says which runs the spec selects for next, for messages.
func (b Baseline) Describe(next *report.Report) string {
	var parts []string
	if b.Scenario != "" {
		parts = append(parts, "scenario "+b.Scenario)
	} else {
		parts = append(parts, fmt.Sprintf("scenario %q (%s)", next.Scenario, short(next.ScenarioSHA256)))
	}
	for _, k := range sortedKeys(b.Labels) {
		parts = append(parts, "label "+k+"="+b.Labels[k])
	}
	if b.Verdicts == nil {
		parts = append(parts, "any verdict")
	} else {
		parts = append(parts, "verdict "+strings.Join(b.Verdicts, "|"))
	}
	return strings.Join(parts, ", ")
}

func short(h string) string {
	h = strings.TrimPrefix(h, "sha256:")
	if len(h) > 12 {
		return h[:12]
	}
	if h == "" {
		return "no hash"
	}
	return h
}

// Baselines loads the runs b selects for next, most recent first, as reports (their histograms
// whole): what CompareHistory judges next against.
func (s *Store) Baselines(ctx context.Context, b Baseline, next *report.Report) ([]*Entry, []*report.Report, error) {
	f := b.Filter(next)
	kind := Kind(next)
	// The kind of run is read from each candidate's report below; ask for more and keep Last.
	f.Last = 0
	entries, err := s.List(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	var keep []*Entry
	var reps []*report.Report
	for _, e := range entries {
		if len(keep) == b.Last {
			break
		}
		full, err := s.Get(ctx, e.ID)
		if err != nil {
			return nil, nil, err
		}
		r, err := report.ReadJSON(bytes.NewReader(full.Report))
		if err != nil {
			return nil, nil, fmt.Errorf("history: %s: run #%d: %w", s.where, e.ID, err)
		}
		if Kind(r) != kind {
			continue
		}
		keep = append(keep, full)
		reps = append(reps, r)
	}
	return keep, reps, nil
}
