package gates

import "testing"

// TestCompareStatIsTheThresholdsParser: a compare limit takes every latency statistic a
// threshold takes (one parser), p98 included, and refuses what a threshold refuses.
func TestCompareStatIsTheThresholdsParser(t *testing.T) {
	for stat, want := range map[string]float64{"p98": 98, "p99.5": 99.5, "p9999": 99.99, "p999": 99.9, "p50": 50, "max": 100, "min": 0, "mean": -1} {
		q, ok := CompareStat(stat)
		tq, err := ParseStat(stat)
		if !ok || q != want || err != nil || tq != q {
			t.Errorf("CompareStat(%q) = %v, %v; ParseStat = %v, %v; want %v for both", stat, q, ok, tq, err, want)
		}
		ls, err := ParseCompareLimits([]string{stat + "=10%"})
		if err != nil || len(ls) != 1 || ls[0].Metric != stat {
			t.Errorf("compare limit %s=10%%: %v, %v", stat, ls, err)
		}
	}
	for _, stat := range []string{"p", "p9x", "p101.5", "pct99", "median"} {
		if _, ok := CompareStat(stat); ok {
			t.Errorf("CompareStat(%q) accepted", stat)
		}
		if _, err := ParseCompareLimits([]string{stat + "=10%"}); err == nil {
			t.Errorf("compare limit %s=10%% accepted", stat)
		}
	}
}
