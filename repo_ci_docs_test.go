package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// ciSteps returns the shell scripts of a CI file: every `run:` of a GitHub Actions step and every
// `script:` entry of a GitLab job.
func ciSteps(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s is not YAML: %v", file, err)
	}
	var out []string
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i].Value, n.Content[i+1]
				switch {
				case k == "run" && v.Kind == yaml.ScalarNode:
					out = append(out, v.Value)
				case k == "script" && v.Kind == yaml.SequenceNode:
					for _, s := range v.Content {
						out = append(out, s.Value)
					}
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	if len(out) == 0 {
		t.Fatalf("%s: no run: or script: steps found", file)
	}
	return out
}

// readmeGate is the README's CI step (the sh block that starts with status=0).
func readmeGate(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```sh\n(status=0\n.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("README.md has no CI step (an sh block starting with status=0)")
	}
	return string(m[1])
}

// gateOf is the gate step in scripts: the one that starts with status=0.
func gateOf(t *testing.T, file string, scripts []string) string {
	t.Helper()
	for _, s := range scripts {
		if strings.HasPrefix(s, "status=0\n") {
			return s
		}
	}
	t.Fatalf("%s: no gate step (a script starting with status=0)", file)
	return ""
}

// TestCIExamplesUseRealCommands: the README's CI step and the example pipelines parse, hold the
// same gate step, and every ccload command they run is a subcommand whose --help lists each flag used.
func TestCIExamplesUseRealCommands(t *testing.T) {
	t.Parallel()
	gate := readmeGate(t)
	var scripts []string
	scripts = append(scripts, gate)
	for _, f := range []string{"docs/ci/github-actions.yml", "docs/ci/gitlab-ci.yml"} {
		steps := ciSteps(t, f)
		g := gateOf(t, f, steps)
		if !strings.HasPrefix(g, strings.TrimSuffix(strings.SplitAfter(gate, "exit \"$status\"")[0], "exit \"$status\"")) {
			t.Errorf("%s: its gate step is not the README's:\n%s", f, g)
		}
		scripts = append(scripts, steps...)
	}
	helps := map[string]string{}
	calls := 0
	for _, s := range scripts {
		for _, line := range strings.Split(s, "\n") {
			words := strings.Fields(line)
			for i, w := range words {
				if w != "ccload" || i+1 >= len(words) {
					continue
				}
				calls++
				sub := words[i+1]
				help, ok := helps[sub]
				if !ok {
					var out, errb bytes.Buffer
					if code := ccloadTo(t, []string{sub, "--help"}, &out, &errb); code != exitOK {
						t.Errorf("%q: `ccload %s --help` exits %d: not a ccload command", line, sub, code)
					}
					help = out.String() + errb.String()
					helps[sub] = help
				}
				for _, f := range words[i+2:] {
					if f == "||" || f == "&&" || f == "|" {
						break
					}
					if name, ok := strings.CutPrefix(f, "--"); ok {
						name, _, _ = strings.Cut(name, "=")
						if !regexp.MustCompile(`(?m)^\s+-` + regexp.QuoteMeta(name) + `\b`).MatchString(help) {
							t.Errorf("%q: `ccload %s` has no flag --%s", line, sub, name)
						}
					}
				}
			}
		}
	}
	if calls < 9 {
		t.Errorf("found %d ccload calls in the README step and the two pipelines, want at least 9", calls)
	}
}

// TestCIGateComparesWhateverTheRunsExitCode runs the README's gate step with a stand-in ccload that
// exits as told: compare runs after a failed run, and the step fails when either failed, with the
// first non-zero code.
func TestCIGateComparesWhateverTheRunsExitCode(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	gate := readmeGate(t)
	bin := t.TempDir()
	stub := "#!/bin/sh\necho \"$1\" >> \"$CALLS\"\ncase \"$1\" in run) exit \"$RUN\";; compare) exit \"$COMPARE\";; esac\nexit 0\n"
	if err := os.WriteFile(filepath.Join(bin, "ccload"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ run, compare, want int }{{0, 0, 0}, {1, 0, 1}, {0, 1, 1}, {1, 1, 1}, {3, 2, 3}, {2, 0, 2}} {
		calls := filepath.Join(t.TempDir(), "calls")
		cmd := exec.Command("bash", "-e", "-c", gate)
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "CALLS="+calls,
			"RUN="+strconv.Itoa(c.run), "COMPARE="+strconv.Itoa(c.compare))
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(calls)
		if code != c.want || string(got) != "run\nreport\ncompare\n" {
			t.Errorf("run exits %d, compare %d: the step exits %d and called %q; want exit %d after run, report and compare",
				c.run, c.compare, code, got, c.want)
		}
	}
}
