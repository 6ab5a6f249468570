package merge

import (
	"ccload/report"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// shardRep is a minimal report of shard i of n, of one scenario text and seed.
func shardRep(i, n int, text string, seed int64) *report.Report {
	return &report.Report{Shard: &report.ShardID{I: i, N: n}, ScenarioText: text, ScenarioSHA256: report.ScenarioHash(text), Seed: seed}
}

func TestCheckShardsRefusesWhatIsNotOneRun(t *testing.T) {
	const sc = "name: x\n"
	for _, c := range []struct {
		name    string
		reports []*report.Report
		opts    ShardCheck
		says    []string // "" means accepted
	}{
		{"complete set", []*report.Report{shardRep(1, 2, sc, 1), shardRep(0, 2, sc, 1)}, ShardCheck{}, nil},
		{"whole run alone", []*report.Report{shardRep(0, 1, sc, 1)}, ShardCheck{}, nil},
		{"same shard twice", []*report.Report{shardRep(0, 2, sc, 1), shardRep(0, 2, sc, 1)}, ShardCheck{Partial: true, Force: true}, []string{"a.json and b.json are both shard 0/2"}},
		{"whole run twice", []*report.Report{shardRep(0, 1, sc, 1), shardRep(0, 1, sc, 1)}, ShardCheck{}, []string{"both shard 0/1"}},
		{"different N", []*report.Report{shardRep(0, 2, sc, 1), shardRep(1, 3, sc, 1)}, ShardCheck{Force: true}, []string{"a.json is shard 0/2 but b.json is shard 1/3"}},
		{"different scenario", []*report.Report{shardRep(0, 2, sc, 1), shardRep(1, 2, "name: y\n", 1)}, ShardCheck{}, []string{"a.json and b.json ran different scenario texts", "--force"}},
		{"different scenario, forced", []*report.Report{shardRep(0, 2, sc, 1), shardRep(1, 2, "name: y\n", 1)}, ShardCheck{Force: true}, nil},
		{"different seed", []*report.Report{shardRep(0, 2, sc, 1), shardRep(1, 2, sc, 2)}, ShardCheck{}, []string{"a.json has seed 1 but b.json has seed 2"}},
		{"incomplete", []*report.Report{shardRep(0, 4, sc, 1), shardRep(2, 4, sc, 1)}, ShardCheck{}, []string{"shards 1, 3 of 4 missing", "a.json=0/4, b.json=2/4", "--partial"}},
		{"incomplete, partial", []*report.Report{shardRep(0, 4, sc, 1), shardRep(2, 4, sc, 1)}, ShardCheck{Partial: true}, nil},
		{"mixed with a report without shard", []*report.Report{shardRep(0, 2, sc, 1), {Seed: 1}}, ShardCheck{Partial: true}, []string{"a.json says it is shard 0/2 but b.json carries no shard"}},
		{"index out of range", []*report.Report{shardRep(0, 2, sc, 1), shardRep(2, 2, sc, 1)}, ShardCheck{}, []string{"b.json has shard 2/2"}},
	} {
		_, err := CheckShards([]string{"a.json", "b.json"}, c.reports, c.opts)
		if c.says == nil {
			if err != nil {
				t.Errorf("%s: refused: %v", c.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrShardSet) {
			t.Errorf("%s: err %v; want ErrShardSet", c.name, err)
			continue
		}
		for _, s := range c.says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q lacks %q", c.name, err, s)
			}
		}
	}
}

func TestCheckShardsLetsReportsWithoutShardsThrough(t *testing.T) {
	set, err := CheckShards(nil, []*report.Report{{Seed: 1}, {Seed: 2}}, ShardCheck{})
	if err != nil || set.N != 0 || set.Missing != nil {
		t.Errorf("reports without shards: %+v, %v; want no checks", set, err)
	}
}

func TestApplyShardsSaysWhatAPartialMergeLacks(t *testing.T) {
	at := time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)
	a, b := shardRep(0, 4, "name: x\n", 1), shardRep(2, 4, "name: x\n", 1)
	a.StartAt, b.StartAt = at, at
	set, err := CheckShards([]string{"a", "b"}, []*report.Report{a, b}, ShardCheck{Partial: true})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Reports(a, b)
	if err != nil {
		t.Fatal(err)
	}
	ApplyShards(m, []*report.Report{a, b}, set)
	if !slices.Equal(m.MissingShards, []int{1, 3}) || m.Shard != nil || !m.StartAt.Equal(at) || m.ScenarioSHA256 != a.ScenarioSHA256 {
		t.Errorf("missing %v, shard %v, start_at %v, hash %q", m.MissingShards, m.Shard, m.StartAt, m.ScenarioSHA256)
	}
	if !slices.ContainsFunc(m.Warnings, func(w string) bool { return strings.Contains(w, "partial merge: shards 1, 3 of 4 missing") }) {
		t.Errorf("warnings %q lack the partial merge", m.Warnings)
	}
}
