package metrics

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"ccload/webhook"
)

var seriesRe = regexp.MustCompile(`ccload_[a-z_]+`)

// exporterSeries is every ccload_ series the exporter has after the test fixture.
func exporterSeries(t *testing.T) map[string]bool {
	t.Helper()
	e := New("0/1")
	feed(e)
	e.RegisterPush("0/1", func() webhook.Counts { return webhook.Counts{} }) // push mode's series (a push run registers them)
	mfs, err := e.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), "ccload_") {
			out[mf.GetName()] = true
		}
	}
	return out
}

// TestDocsListEverySeries: docs/metrics.md's table names every series the exporter has, and no other.
func TestDocsListEverySeries(t *testing.T) {
	raw, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "| `ccload_") {
			continue
		}
		first := strings.Split(line, "|")[1]
		for _, s := range seriesRe.FindAllString(first, -1) {
			documented[s] = true
		}
	}
	have := exporterSeries(t)
	for s := range have {
		if !documented[s] {
			t.Errorf("the exporter has %s; docs/metrics.md's table does not list it", s)
		}
	}
	for s := range documented {
		if !have[s] {
			t.Errorf("docs/metrics.md lists %s; the exporter has no such series", s)
		}
	}
}

// TestDocsPromQLExamples: every query in docs/metrics.md's promql blocks parses (as a recording rule,
// by promtool check rules) and names only series the exporter has.
func TestDocsPromQLExamples(t *testing.T) {
	raw, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	var exprs []string
	for _, m := range regexp.MustCompile("(?s)```promql\n(.*?)```").FindAllStringSubmatch(string(raw), -1) {
		for _, line := range strings.Split(m[1], "\n") {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
				exprs = append(exprs, line)
			}
		}
	}
	if len(exprs) < 15 {
		t.Fatalf("%d PromQL examples in docs/metrics.md, want the three jobs' (at least 15)", len(exprs))
	}
	have := exporterSeries(t)
	for _, q := range exprs {
		for _, s := range seriesRe.FindAllString(q, -1) {
			base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(s, "_bucket"), "_count"), "_sum")
			if !have[s] && !have[base] {
				t.Errorf("%s: no series %s", q, s)
			}
		}
	}
	promtool := promtoolPath(t, "the PromQL examples were not parsed")
	var b strings.Builder
	b.WriteString("groups:\n  - name: docs\n    rules:\n")
	for i, q := range exprs {
		b.WriteString("      - record: ccload:docs_example:" + strconv.Itoa(i) + "\n        expr: " + strconv.Quote(q) + "\n")
	}
	rules := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(rules, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", rules).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules on docs/metrics.md's queries: %v\n%s", err, out)
	}
	if !slices.ContainsFunc(exprs, func(q string) bool { return strings.Contains(q, "ccload_reply_latency_seconds") }) {
		t.Error("no example queries reply latency")
	}
}
