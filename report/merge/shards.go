package merge

import (
	"ccload/report"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrShardSet is returned by CheckShards for reports that are not shards of one run.
var ErrShardSet = errors.New("not the shards of one run")

// ShardCheck tunes CheckShards.
type ShardCheck struct {
	// Partial accepts a set with shards missing (the merge then says which).
	Partial bool
	// Force accepts shards of different scenarios or seeds (ccload merge --force).
	Force bool
}

// ShardSet is what CheckShards found out about a set of reports.
type ShardSet struct {
	// N is the shard count the reports share (0 when none carries its shard: reports of an older
	// ccload, or merged ones, which are merged without these checks).
	N int
	// Missing lists the indexes 0..N-1 no report holds (only with ShardCheck.Partial).
	Missing []int
}

// CheckShards refuses reports that cannot be merged into one run: the same shard twice, shards of
// different N, of different scenario texts or seeds (unless Force), reports with and without a
// shard mixed, or an incomplete set (unless Partial). names[i] is the file reports[i] came from;
// the error names the files involved.
func CheckShards(names []string, reports []*report.Report, opts ShardCheck) (ShardSet, error) {
	name := func(i int) string {
		if i < len(names) {
			return names[i]
		}
		return fmt.Sprintf("report %d", i+1)
	}
	if err := refuseCapacity(reports, name); err != nil {
		return ShardSet{}, err
	}
	with, without := -1, -1
	for i, r := range reports {
		if r.Shard != nil {
			with = max(with, i)
		} else {
			without = max(without, i)
		}
	}
	if with < 0 {
		return ShardSet{}, nil
	}
	if without >= 0 {
		return ShardSet{}, fmt.Errorf("%w: %s says it is shard %s but %s carries no shard (a merged report, or one from an older ccload); merge the shard reports of one run",
			ErrShardSet, name(with), reports[with].Shard, name(without))
	}
	first := reports[0]
	n := first.Shard.N
	if n < 1 {
		return ShardSet{}, fmt.Errorf("%w: %s has shard %s: want I/N with 0 <= I < N", ErrShardSet, name(0), first.Shard)
	}
	seen := make([]int, n) // index -> 1 + the report holding it
	for i, r := range reports {
		s := *r.Shard
		switch {
		case s.N != n:
			return ShardSet{}, fmt.Errorf("%w: %s is shard %s but %s is shard %s: shards of one run share N", ErrShardSet, name(0), first.Shard, name(i), s)
		case s.I < 0 || s.I >= n:
			return ShardSet{}, fmt.Errorf("%w: %s has shard %s: want I/N with 0 <= I < N", ErrShardSet, name(i), s)
		case seen[s.I] > 0:
			return ShardSet{}, fmt.Errorf("%w: %s and %s are both shard %s: merging a shard twice would count its load twice", ErrShardSet, name(seen[s.I]-1), name(i), s)
		}
		seen[s.I] = i + 1
		if opts.Force {
			continue
		}
		if a, b := first.ScenarioSHA256, r.ScenarioSHA256; a != b {
			return ShardSet{}, fmt.Errorf("%w: %s and %s ran different scenario texts (%s, %s); use --force to merge them anyway", ErrShardSet, name(0), name(i), short(a), short(b))
		}
		if r.Seed != first.Seed {
			return ShardSet{}, fmt.Errorf("%w: %s has seed %d but %s has seed %d: shards of one run share a seed (set seed: in the scenario, or the same --seed on every shard); use --force to merge them anyway",
				ErrShardSet, name(0), first.Seed, name(i), r.Seed)
		}
	}
	set := ShardSet{N: n}
	for i, holder := range seen {
		if holder == 0 {
			set.Missing = append(set.Missing, i)
		}
	}
	if len(set.Missing) > 0 && !opts.Partial {
		return ShardSet{}, fmt.Errorf("%w: %s of %d missing (given: %s); pass --partial to merge an incomplete set", ErrShardSet, shardList(set.Missing), n, givenList(names, reports))
	}
	return set, nil
}

// ApplyShards records on a merged report what CheckShards found: the shards missing from a partial
// merge (also as a warning), the scenario hash the shards share, and their start_at when they share one.
func ApplyShards(merged *report.Report, reports []*report.Report, set ShardSet) {
	if len(reports) == 0 {
		return
	}
	merged.Shard = nil
	merged.ScenarioSHA256 = report.ScenarioHash(merged.ScenarioText)
	var at time.Time
	for i, r := range reports {
		if i == 0 {
			at = r.StartAt
		} else if !r.StartAt.Equal(at) {
			at = time.Time{}
			merged.Warnings = append(merged.Warnings, "the shards were asked to start at different instants (start_at): their schedules are not aligned")
			break
		}
	}
	merged.StartAt = at
	merged.MissingShards = slices.Clone(set.Missing)
	if len(set.Missing) > 0 {
		merged.Warnings = append(merged.Warnings, fmt.Sprintf("partial merge: %s of %d missing; the counts are only part of the run's load", shardList(set.Missing), set.N))
	}
}

// shardList says "shard 2" or "shards 2, 3".
func shardList(idx []int) string {
	s := make([]string, len(idx))
	for i, v := range idx {
		s[i] = strconv.Itoa(v)
	}
	if len(s) == 1 {
		return "shard " + s[0]
	}
	return "shards " + strings.Join(s, ", ")
}

// givenList says which file holds which shard: "a.json=0/4, b.json=1/4".
func givenList(names []string, reports []*report.Report) string {
	var b strings.Builder
	for i, r := range reports {
		if i > 0 {
			b.WriteString(", ")
		}
		if i < len(names) {
			b.WriteString(names[i] + "=")
		}
		b.WriteString(r.Shard.String())
	}
	return b.String()
}

// short abbreviates a scenario hash for an error message.
func short(h string) string {
	if h == "" {
		return "no scenario text"
	}
	if len(h) > len("sha256:")+12 {
		return h[:len("sha256:")+12]
	}
	return h
}
