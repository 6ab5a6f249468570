package scenario

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:generate go test -run TestSchemaIsCurrent -update-schema .

// SchemaFile is where the repository publishes Schema's output, relative to its root.
const SchemaFile = "docs/scenario.schema.json"

// SchemaModeline is the first line of a scenario file that points editors running the YAML
// language server (VS Code's YAML extension, Neovim, Helix...) at the schema, given its path or URL
// relative to the scenario: every shipped scenario starts with it, and so should the files
// `ccload fit` writes.
func SchemaModeline(schema string) string { return "# yaml-language-server: $schema=" + schema }

//go:embed schema_corpus.yaml
var schemaCorpus []byte

// schemaProbe is a key no scenario holds: planting it in a mapping makes the loader name the keys
// that mapping allows (its "unknown key ...; allowed: ..." error).
const schemaProbe = "zz_schema_probe"

var schemaAllowedRe = regexp.MustCompile("unknown key `" + schemaProbe + "`[^;]*; allowed: (.*)$")

// SchemaMapping is what the loader allows in one kind of mapping of the scenario language.
type SchemaMapping struct {
	// Loc names the mapping by its place: key names joined by ".", "[]" for a list item, "*" for
	// any key of an open mapping (data's feeder names, compare's limits); a repeat's nested steps
	// are the same place as the session's steps. "" is the top level.
	Loc string
	// Keys are the keys the loader allows there; nil for an open mapping.
	Keys []string
}

// SchemaMappings asks the loader itself, one mapping of each scenario document at a time, which
// keys each mapping allows (see SchemaMapping): the one source of the schema and of its tests. A
// mapping whose probe the loader met without naming allowed keys (data's feeder names, compare's
// limits) is open; a mapping the loader did not reach is an error, so that no place is guessed.
// Mappings found at one place more than once are merged.
func SchemaMappings(docs ...[]byte) ([]SchemaMapping, error) {
	byLoc := map[string]*SchemaMapping{}
	for _, doc := range docs {
		if err := schemaProbeDoc(doc, byLoc); err != nil {
			return nil, err
		}
	}
	order := make([]string, 0, len(byLoc))
	for loc := range byLoc {
		order = append(order, loc)
	}
	slices.Sort(order)
	out := make([]SchemaMapping, 0, len(order))
	for _, loc := range order {
		m := *byLoc[loc]
		slices.Sort(m.Keys)
		out = append(out, m)
	}
	return out, nil
}

// schemaCorpusDocs are the corpus's documents (separated by "---" lines).
func schemaCorpusDocs() [][]byte {
	return bytes.Split(schemaCorpus, []byte("\n---\n"))
}

func schemaProbeDoc(doc []byte, byLoc map[string]*SchemaMapping) error {
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return err
	}
	env := func(string) (string, bool) { return "x", true }
	var walk func(n *yaml.Node, loc string) error
	walk = func(n *yaml.Node, loc string) error {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				if err := walk(c, loc); err != nil {
					return err
				}
			}
		case yaml.SequenceNode:
			for _, c := range n.Content {
				if err := walk(c, schemaJoin(loc, "[]")); err != nil {
					return err
				}
			}
		case yaml.MappingNode:
			loc = schemaVariant(n, loc)
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: schemaProbe}, &yaml.Node{Kind: yaml.ScalarNode, Value: "1"})
			out, err := yaml.Marshal(&root)
			n.Content = n.Content[:len(n.Content)-2]
			if err != nil {
				return err
			}
			var keys []string
			open, reached := true, false
			_, perr := Parse("schema.yaml", out, ".", env)
			if es, ok := perr.(Errors); ok {
				for _, e := range es {
					if m := schemaAllowedRe.FindStringSubmatch(e.Msg); m != nil {
						keys, open = strings.Split(m[1], ", "), false
					}
					if strings.Contains(e.Path, schemaProbe) || strings.Contains(e.Msg, schemaProbe) {
						reached = true
					}
				}
			}
			if !reached {
				return fmt.Errorf("scenario: schema: the loader did not look at the keys of the mapping at line %d (%s): put that construct where the loader reads it", n.Line, loc)
			}
			m := byLoc[loc]
			if m == nil {
				m = &SchemaMapping{Loc: loc}
				byLoc[loc] = m
			}
			if !open {
				for _, k := range keys {
					if !slices.Contains(m.Keys, k) {
						m.Keys = append(m.Keys, k)
					}
				}
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				child := n.Content[i].Value
				if open {
					child = "*"
				}
				if err := walk(n.Content[i+1], schemaJoin(loc, child)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(&root, "")
}

// schemaVariants are the mappings whose allowed keys depend on one of their own keys: their place
// is qualified by its value when it is not the default ("load(model=closed)").
var schemaVariants = map[string]struct{ key, def string }{"load": {"model", "open"}}

// schemaVariant qualifies loc by its variant key's value in mapping n.
func schemaVariant(n *yaml.Node, loc string) string {
	v, ok := schemaVariants[loc]
	if !ok {
		return loc
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == v.key && n.Content[i+1].Value != v.def {
			return loc + "(" + v.key + "=" + n.Content[i+1].Value + ")"
		}
	}
	return loc
}

// schemaJoin extends a place; a repeat's steps fold back onto the steps they are nested in.
func schemaJoin(loc, key string) string {
	switch {
	case loc == "":
		return key
	case key == "[]":
		loc += "[]"
	default:
		loc += "." + key
	}
	return strings.ReplaceAll(loc, ".repeat.steps[]", "")
}

// Schema returns the JSON Schema (draft-07) of the scenario language: for every mapping the
// loader checks key by key, its keys and nothing else, derived from the loader by
// SchemaMappings over an embedded corpus of every construct. It checks keys and structure; values
// (durations, enums, templates) stay the loader's to check: run `ccload validate` for those.
func Schema() ([]byte, error) {
	ms, err := SchemaMappings(schemaCorpusDocs()...)
	if err != nil {
		return nil, err
	}
	known := map[string]SchemaMapping{}
	for _, m := range ms {
		known[m.Loc] = m
	}
	// A place is a list when its items' place (a repeat's steps fold onto the steps) is known; a list
	// of scalars (empirical values) has no mapping to know it by and is left open.
	isList := func(loc string) bool { _, ok := known[schemaJoin(loc, "[]")]; return ok }
	place := func(loc string) map[string]any {
		return map[string]any{"$ref": "#/definitions/" + schemaDefName(loc)}
	}
	ref := func(loc string) any {
		if _, ok := known[loc]; ok || isList(loc) {
			r := place(loc)
			for _, v := range []string{"model=closed"} { // the variants of schemaVariants
				if alt := loc + "(" + v + ")"; known[alt].Loc != "" {
					key, val, _ := strings.Cut(v, "=")
					return map[string]any{
						"if":   map[string]any{"type": "object", "required": []string{key}, "properties": map[string]any{key: map[string]any{"const": val}}},
						"then": place(alt), "else": r,
					}
				}
			}
			return r
		}
		return map[string]any{}
	}
	object := func(m SchemaMapping) map[string]any {
		if m.Keys == nil {
			return map[string]any{"additionalProperties": ref(schemaJoin(m.Loc, "*"))}
		}
		props := map[string]any{}
		for _, k := range m.Keys {
			props[k] = ref(schemaJoin(m.Loc, k))
		}
		return map[string]any{"properties": props, "additionalProperties": false}
	}
	defs := map[string]any{}
	places := map[string]bool{}
	for loc := range known {
		places[loc] = true
		if base, ok := strings.CutSuffix(loc, "[]"); ok {
			places[base] = true
		}
	}
	for _, m := range ms { // lists folded onto another place (a repeat's steps)
		if m.Keys != nil {
			for _, k := range m.Keys {
				if l := schemaJoin(m.Loc, k); isList(l) {
					places[l] = true
				}
			}
		}
	}
	// "properties" and "additionalProperties" constrain only mappings and "items" only lists, so
	// a place that also takes a scalar (`poll: false`, `think: 2s`, `chat: hello`) needs no more.
	for loc := range places {
		if loc == "" {
			continue
		}
		def := map[string]any{}
		if m, ok := known[loc]; ok {
			def = object(m)
		}
		if isList(loc) {
			def["items"] = ref(schemaJoin(loc, "[]"))
		}
		defs[schemaDefName(loc)] = def
	}
	top := object(known[""])
	s := map[string]any{
		"$schema":     "http://json-schema.org/draft-07/schema#",
		"title":       "ccload scenario",
		"description": "Keys of a ccload scenario file, generated from the loader (scenario.Schema; docs/scenario.md explains each). Values are checked by `ccload validate`.",
		"type":        "object",
		"properties":  top["properties"], "additionalProperties": false,
		"definitions": defs,
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("scenario: schema: %w", err)
	}
	return b.Bytes(), nil
}

// schemaDefName turns a place into a definitions key usable in a URI fragment.
func schemaDefName(loc string) string {
	r := strings.NewReplacer("[]", "-item", ".", ":", "*", "-any", "(", "~", ")", "", "=", "-")
	return r.Replace(loc)
}
