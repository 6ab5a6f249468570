package main

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// archForbidden are import arrows the architecture forbids whatever docs/architecture.md's
// table lists: the engine renders nothing, scenario does not link the mock, a report is plain data.
var archForbidden = map[string][]string{
	"runner":         {"render", "report/html", "mock", "capacity", "replay"},
	"capacity":       {"render", "report/html", "mock"},
	"scenario":       {"mock", "runner", "report", "capacity", "render", "traffic"},
	"report":         {"runner", "scenario", "capacity", "mock", "traffic", "render", "replay", "report/compare", "report/html", "report/record", "report/merge"},
	"report/record":  {"runner", "scenario", "capacity", "mock", "traffic", "render", "replay", "report/compare", "report/html", "report/merge"},
	"report/merge":   {"runner", "scenario", "capacity", "mock", "traffic", "render", "replay", "report/compare", "report/html", "report/record"},
	"report/html":    {"runner", "scenario", "capacity", "mock", "traffic", "render", "replay"},
	"report/compare": {"runner", "scenario", "capacity", "mock", "traffic", "render", "replay", "report/html"},
	"gates/evaluate": {"runner", "scenario", "capacity", "mock", "traffic", "render", "replay", "report/html", "report/compare"},
	"render":         {"runner", "capacity"},
	"gates":          {"*"},
	"internal/junit": {"*"},
	"ccapi/h1":       {"*"},
}

// archUtilities are leaves every package may import, leaves included ("*" forbids every other
// ccload package): internal/durfmt is the one duration format, gates' threshold values included.
var archUtilities = []string{"internal/durfmt"}

// The drawing cannot drift: every ccload import arrow of the code (go list, test files aside)
// is in docs/architecture.md's table and every arrow of the table is in the code; none is one
// the architecture forbids.
func TestArchitecture(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} ->{{range .Imports}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	code := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, " ->")
		if pkg == "ccload/bench" || strings.HasPrefix(pkg, "ccload/bench/") {
			continue // the benchmark harness is a tool, not part of ccload
		}
		var own []string
		for _, d := range strings.Fields(deps) {
			if d == "ccload" || strings.HasPrefix(d, "ccload/") {
				own = append(own, short(d))
			}
		}
		code[short(pkg)] = own
	}
	doc, err := os.ReadFile("docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(doc), "<!-- imports -->\n```\n")
	if !ok {
		t.Fatal("docs/architecture.md has no imports table")
	}
	table, _, _ = strings.Cut(table, "```")
	drawn := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(table), "\n") {
		pkg, deps, _ := strings.Cut(line, "->")
		drawn[strings.TrimSpace(pkg)] = strings.Fields(deps)
	}
	for pkg, deps := range code {
		want, ok := drawn[pkg]
		if !ok {
			t.Errorf("package %s is not in docs/architecture.md's imports table: add it (%s -> %s) if the drawing allows it", pkg, pkg, strings.Join(deps, " "))
			continue
		}
		for _, d := range deps {
			if !slices.Contains(want, d) {
				t.Errorf("%s imports %s: an arrow docs/architecture.md does not draw (add it if the drawing allows it)", pkg, d)
			}
			if f := archForbidden[pkg]; slices.Contains(f, d) || (slices.Contains(f, "*") && !slices.Contains(archUtilities, d)) {
				t.Errorf("%s imports %s: the architecture forbids this arrow", pkg, d)
			}
		}
		for _, d := range want {
			if !slices.Contains(deps, d) {
				t.Errorf("docs/architecture.md draws %s -> %s, which the code no longer has: remove it", pkg, d)
			}
		}
	}
	for _, u := range archUtilities {
		if len(code[u]) > 0 {
			t.Errorf("%s imports %s: a utility every package may import must import no ccload package", u, strings.Join(code[u], " "))
		}
	}
	for pkg := range drawn {
		if _, ok := code[pkg]; !ok {
			t.Errorf("docs/architecture.md lists package %s, which does not exist", pkg)
		}
	}
}

// short drops the module prefix: ccload/runner is runner, ccload itself stays ccload.
func short(p string) string {
	if p == "ccload" {
		return p
	}
	return strings.TrimPrefix(p, "ccload/")
}
