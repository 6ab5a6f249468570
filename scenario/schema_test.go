package scenario

import (
	"bytes"
	"encoding/json"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var updateSchema = flag.Bool("update-schema", false, "rewrite ../"+SchemaFile+" from the loader")

const schemaPath = "../" + SchemaFile

// TestSchemaIsCurrent fails when docs/scenario.schema.json is not what the loader says today
// (regenerate it with `go generate ./scenario`).
func TestSchemaIsCurrent(t *testing.T) {
	got, err := Schema()
	if err != nil {
		t.Fatal(err)
	}
	if *updateSchema {
		if err := os.WriteFile(schemaPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatalf("%v: generate it with `go generate ./scenario`", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: the loader's keys changed; run `go generate ./scenario` and commit it", SchemaFile)
	}
}

// schemaDoc is the published schema, read back.
type schemaDoc struct {
	Properties  map[string]json.RawMessage `json:"properties"`
	Definitions map[string]struct {
		Properties           map[string]json.RawMessage `json:"properties"`
		AdditionalProperties json.RawMessage            `json:"additionalProperties"`
	} `json:"definitions"`
}

// publishedKeys reads the committed schema: the keys each place allows (nil: open or unknown).
func publishedKeys(t *testing.T) (keys map[string][]string, open map[string]bool) {
	t.Helper()
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var d schemaDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", SchemaFile, err)
	}
	keys, open = map[string][]string{}, map[string]bool{}
	add := func(name string, props map[string]json.RawMessage, additional json.RawMessage) {
		if props != nil {
			for k := range props {
				keys[name] = append(keys[name], k)
			}
		} else if len(additional) > 0 && string(additional) != "false" {
			open[name] = true
		}
	}
	add("", d.Properties, nil)
	for name, def := range d.Definitions {
		add(name, def.Properties, def.AdditionalProperties)
	}
	return keys, open
}

// The schema's side: every key the published schema allows at a place, planted in the corpus's
// mapping at that place, is one the loader accepts there.
func TestSchemaKeysAreAcceptedByTheLoader(t *testing.T) {
	keys, open := publishedKeys(t)
	env := func(string) (string, bool) { return "x", true }
	checked := map[string]bool{}
	for _, doc := range schemaCorpusDocs() {
		var root yaml.Node
		if err := yaml.Unmarshal(doc, &root); err != nil {
			t.Fatal(err)
		}
		var walk func(n *yaml.Node, loc string)
		walk = func(n *yaml.Node, loc string) {
			switch n.Kind {
			case yaml.DocumentNode:
				for _, c := range n.Content {
					walk(c, loc)
				}
			case yaml.SequenceNode:
				for _, c := range n.Content {
					walk(c, schemaJoin(loc, "[]"))
				}
			case yaml.MappingNode:
				loc = schemaVariant(n, loc)
				name := schemaDefName(loc)
				if loc == "" {
					name = ""
				}
				if !checked[name] {
					checked[name] = true
					for _, k := range keys[name] {
						if slices.ContainsFunc(n.Content, func(c *yaml.Node) bool { return c.Value == k }) {
							continue
						}
						n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, &yaml.Node{Kind: yaml.ScalarNode, Value: "1"})
						out, err := yaml.Marshal(&root)
						n.Content = n.Content[:len(n.Content)-2]
						if err != nil {
							t.Fatal(err)
						}
						_, err = Parse("corpus.yaml", out, ".", env)
						if err != nil && strings.Contains(err.Error(), "unknown key `"+k+"`") {
							t.Errorf("the schema allows `%s` in %q, the loader refuses it: %v", k, loc, err)
						}
					}
				}
				for i := 0; i+1 < len(n.Content); i += 2 {
					child := n.Content[i].Value
					if open[name] {
						child = "*"
					}
					walk(n.Content[i+1], schemaJoin(loc, child))
				}
			}
		}
		walk(&root, "")
	}
	for name := range keys {
		if !checked[name] {
			t.Errorf("the schema's place %q has no instance in the corpus to check its keys against", name)
		}
	}
}

// The loader's side: every mapping of every shipped scenario allows, by the loader's own account,
// only keys the published schema has at that place; and every key string the loader's mapping
// checks name in its source is a key of the schema somewhere (so a new key the corpus does not
// reach is caught).
func TestLoaderKeysAreInTheSchema(t *testing.T) {
	keys, open := publishedKeys(t)
	files, err := filepath.Glob("../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped scenarios: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := SchemaMappings(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, m := range ms {
			name := schemaDefName(m.Loc)
			if m.Loc == "" {
				name = ""
			}
			if m.Keys == nil {
				if !open[name] {
					t.Errorf("%s: %q takes any key for the loader, not in the schema", f, m.Loc)
				}
				continue
			}
			for _, k := range m.Keys {
				if !slices.Contains(keys[name], k) {
					t.Errorf("%s: the loader allows `%s` in %q; the schema does not (add it to scenario/schema_corpus.yaml and run go generate ./scenario)", f, k, m.Loc)
				}
			}
		}
	}

	all := map[string]bool{}
	for _, ks := range keys {
		for _, k := range ks {
			all[k] = true
		}
	}
	for _, lit := range mappingKeyLiterals(t) {
		if !all[lit.key] {
			t.Errorf("%s: the loader checks key `%s`, which the schema never names (add it to scenario/schema_corpus.yaml)", lit.pos, lit.key)
		}
	}
}

type keyLit struct{ key, pos string }

// mappingKeyLiterals reads the loader's source: the string literals of every function that calls
// l.mapping (its arguments and the []string lists it builds), and of the package-level []string
// lists spread into such a call.
func mappingKeyLiterals(t *testing.T) []keyLit {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	globals := map[string]*ast.CompositeLit{}
	var funcs []*ast.FuncDecl
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				switch d := d.(type) {
				case *ast.FuncDecl:
					funcs = append(funcs, d)
				case *ast.GenDecl:
					for _, s := range d.Specs {
						if vs, ok := s.(*ast.ValueSpec); ok {
							for i, v := range vs.Values {
								if cl, ok := v.(*ast.CompositeLit); ok {
									globals[vs.Names[i].Name] = cl
								}
							}
						}
					}
				}
			}
		}
	}
	var out []keyLit
	lits := func(n ast.Node) {
		ast.Inspect(n, func(n ast.Node) bool {
			if c, ok := n.(*ast.CallExpr); ok {
				if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Get" {
					return false // Tag.Get("yaml"): keys read from struct tags, checked through the corpus
				}
			}
			if b, ok := n.(*ast.BasicLit); ok && b.Kind == token.STRING {
				if s, err := strconv.Unquote(b.Value); err == nil && s != "" && !strings.ContainsAny(s, " %:`.") {
					out = append(out, keyLit{s, fset.Position(b.Pos()).String()})
				}
			}
			return true
		})
	}
	for _, fn := range funcs {
		names := map[string]bool{} // local variables spread into a mapping call
		ast.Inspect(fn, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if sel, ok := c.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "mapping" && len(c.Args) > 2 {
				for _, a := range c.Args[2:] {
					lits(a)
					ast.Inspect(a, func(n ast.Node) bool {
						if id, ok := n.(*ast.Ident); ok {
							if globals[id.Name] != nil {
								lits(globals[id.Name])
							}
							names[id.Name] = true
						}
						return true
					})
				}
			}
			return true
		})
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			if as, ok := n.(*ast.AssignStmt); ok {
				for i, lhs := range as.Lhs {
					if id, ok := lhs.(*ast.Ident); ok && names[id.Name] && i < len(as.Rhs) {
						lits(as.Rhs[i])
					}
				}
			}
			return true
		})
	}
	if len(out) < 30 {
		t.Fatalf("found only %d key literals in the loader's source; the source scan no longer works", len(out))
	}
	return out
}

// TestSchemaModelineInEveryShippedScenario: every scenario the repository ships starts with the
// line that points the YAML language server at the schema, by a path that exists.
func TestSchemaModelineInEveryShippedScenario(t *testing.T) {
	files, _ := filepath.Glob("../scenarios/*.yaml")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(data), "\n")
		want := SchemaModeline("../" + SchemaFile)
		if first != want {
			t.Errorf("%s: first line %q, want %q", f, first, want)
		}
	}
}

// TestSchemaWithAnIndependentValidator checks the published schema with python3-jsonschema (Debian's
// package; .ci/run installs it): every shipped scenario is valid, and each invalid one in
// testdata/schema-invalid is refused for the key it names. It does not skip in CI.
func TestSchemaWithAnIndependentValidator(t *testing.T) {
	if exec.Command("python3", "-c", "import jsonschema").Run() != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 with jsonschema is missing in CI (.ci/run installs python3-jsonschema)")
		}
		t.Skip("python3 -c 'import jsonschema' failed (apt-get install python3-jsonschema): the schema was not checked by an independent validator")
	}
	type instance struct {
		file, wantKey string // wantKey: "" for a valid file, else the key the validator must name
	}
	var cases []instance
	good, _ := filepath.Glob("../scenarios/*.yaml")
	for _, f := range good {
		cases = append(cases, instance{f, ""})
	}
	bad, _ := filepath.Glob("testdata/schema-invalid/*.yaml")
	if len(bad) < 4 {
		t.Fatalf("want at least 4 invalid scenarios in testdata/schema-invalid, got %d", len(bad))
	}
	for _, f := range bad {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(string(data), "\n")
		key, ok := strings.CutPrefix(first, "# invalid: ")
		if !ok {
			t.Fatalf("%s: first line must be `# invalid: KEY` (the key the validator must refuse)", f)
		}
		cases = append(cases, instance{f, strings.TrimSpace(key)})
	}
	dir := t.TempDir()
	var list []string
	for i, c := range cases {
		data, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		js, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: as JSON: %v", c.file, err)
		}
		p := filepath.Join(dir, strconv.Itoa(i)+".json")
		if err := os.WriteFile(p, js, 0o644); err != nil {
			t.Fatal(err)
		}
		list = append(list, p)
	}
	// One line per instance: "ok" or the messages of its errors.
	script := `import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
v = jsonschema.Draft7Validator(schema)
for p in sys.argv[2:]:
    errs = sorted(e.message for e in v.iter_errors(json.load(open(p))))
    print(json.dumps(errs))
`
	out, err := exec.Command("python3", append([]string{"-c", script, schemaPath}, list...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("python3 jsonschema: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(cases) {
		t.Fatalf("validator printed %d lines for %d files:\n%s", len(lines), len(cases), out)
	}
	for i, c := range cases {
		var errs []string
		if err := json.Unmarshal([]byte(lines[i]), &errs); err != nil {
			t.Fatalf("%s: %q: %v", c.file, lines[i], err)
		}
		switch {
		case c.wantKey == "" && len(errs) > 0:
			t.Errorf("%s: a shipped scenario the schema refuses: %q", c.file, errs)
		case c.wantKey != "" && !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, "'"+c.wantKey+"'") }):
			t.Errorf("%s: the validator did not refuse `%s`: %q", c.file, c.wantKey, errs)
		}
		if c.wantKey != "" {
			// The loader refuses it too: the schema and the loader agree on this file.
			if _, err := LoadFile(c.file); err == nil || !strings.Contains(err.Error(), "`"+c.wantKey+"`") {
				t.Errorf("%s: the loader does not refuse `%s`: %v", c.file, c.wantKey, err)
			}
		}
	}
}
