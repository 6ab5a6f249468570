package scenario

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// probeKey is a key no scenario may hold: planting it in a mapping makes the loader list the
// keys that mapping allows.
const probeKey = "zz_docs_probe"

// allowedKeys asks the loader itself which keys each mapping of the shipped scenarios may hold,
// by planting probeKey in one mapping at a time and reading the "allowed:" list of the error.
func allowedKeys(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped scenarios found: %v", err)
	}
	keys := map[string]bool{}
	allowedRe := regexp.MustCompile("unknown key `" + probeKey + "`[^;]*; allowed: (.*)$")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		var maps []*yaml.Node
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			if n.Kind == yaml.MappingNode {
				maps = append(maps, n)
			}
			for _, c := range n.Content {
				walk(c)
			}
		}
		walk(&doc)
		for _, m := range maps {
			probe := []*yaml.Node{{Kind: yaml.ScalarNode, Value: probeKey}, {Kind: yaml.ScalarNode, Value: "1"}}
			m.Content = append(m.Content, probe...)
			out, err := yaml.Marshal(&doc)
			m.Content = m.Content[:len(m.Content)-2]
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(file, out, filepath.Dir(file), func(string) (string, bool) { return "x", true })
			es, ok := err.(Errors)
			if !ok {
				continue // the probe sat in a mapping the loader does not check key by key (e.g. a value)
			}
			for _, e := range es {
				if m := allowedRe.FindStringSubmatch(e.Msg); m != nil {
					for _, k := range strings.Split(m[1], ", ") {
						keys[k] = true
					}
				}
			}
		}
	}
	if len(keys) < 50 {
		t.Fatalf("only %d keys found by probing the shipped scenarios; the probe no longer works", len(keys))
	}
	return keys
}

// TestDocsNameEveryKey keeps docs/scenario.md honest in both directions: every key the loader
// accepts in the shipped scenarios is documented, and every key a docs table documents is one
// the loader accepts.
func TestDocsNameEveryKey(t *testing.T) {
	raw, err := os.ReadFile("../docs/scenario.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	keys := allowedKeys(t)

	var missing []string
	for k := range keys {
		if !strings.Contains(doc, "`"+k+"`") && !regexp.MustCompile(`(^|[^a-z_])`+k+`:`).MatchString(doc) {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("keys the loader accepts that docs/scenario.md never names (as `key`): %s", strings.Join(missing, ", "))
	}

	// Every row of a table whose first column is "key" or "step" names keys in backticks.
	var unknown []string
	inKeyTable := false
	cell := regexp.MustCompile("`([a-z_][a-z0-9_]*)`")
	for i, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(line, "|") {
			inKeyTable = false
			continue
		}
		cols := strings.Split(line, "|")
		if len(cols) < 3 {
			continue
		}
		first := strings.TrimSpace(cols[1])
		if first == "key" || first == "step" {
			inKeyTable = true
			continue
		}
		if !inKeyTable || strings.HasPrefix(first, "---") {
			continue
		}
		for _, m := range cell.FindAllStringSubmatch(first, -1) {
			if !keys[m[1]] && !compareKey(t, m[1]) {
				unknown = append(unknown, m[1]+" (docs/scenario.md:"+strconv.Itoa(i+1)+")")
			}
		}
	}
	if len(unknown) > 0 {
		t.Errorf("keys docs/scenario.md documents that the loader refuses: %s", strings.Join(unknown, ", "))
	}
}

// compareKey reports whether the loader accepts k as a key of `compare` (whose keys are metric
// names rather than a fixed set).
func compareKey(t *testing.T, k string) bool {
	t.Helper()
	data, err := os.ReadFile("../scenarios/quickstart.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data = append(data, []byte("\ncompare:\n  "+k+": 10%\n")...)
	_, err = Parse("quickstart.yaml", data, "../scenarios", func(string) (string, bool) { return "x", true })
	return err == nil || !strings.Contains(err.Error(), "compare."+k)
}
