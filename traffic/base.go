package traffic

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Base is ccload fit's --base scenario: its environment sections (where requests go, who sends
// them, what must hold) to append to a fitted scenario, and its first session's poll.
type Base struct {
	path string
	m    *yaml.Node      // the document's mapping
	Has  map[string]bool // the sections it has, of BaseKeys
	Kept []string        // the same, in the file's order
	Poll string          // its first session's poll: "", "off" or an interval
}

// BaseKeys are the sections --base contributes.
var BaseKeys = []string{"target", "auth", "channel", "data", "thresholds", "compare", "mock"}

// ReadBase reads a --base scenario file: its environment sections and first session's poll.
func ReadBase(path string) (*Base, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("not a scenario (a YAML mapping)")
	}
	b := &Base{path: path, m: doc.Content[0], Has: map[string]bool{}}
	m := b.m
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i].Value
		if slices.Contains(BaseKeys, k) {
			b.Has[k] = true
			b.Kept = append(b.Kept, k)
		}
		if k == "sessions" && m.Content[i+1].Kind == yaml.SequenceNode && len(m.Content[i+1].Content) > 0 {
			b.Poll = basePoll(m.Content[i+1].Content[0])
		}
	}
	if len(b.Kept) == 0 {
		return nil, fmt.Errorf("it has none of the sections %s", strings.Join(BaseKeys, ", "))
	}
	return b, nil
}

// basePoll reads a session's poll: false is off, true the default 1s, {interval: D} is D.
func basePoll(sess *yaml.Node) string {
	if sess.Kind != yaml.MappingNode {
		return ""
	}
	for i := 0; i+1 < len(sess.Content); i += 2 {
		if sess.Content[i].Value != "poll" {
			continue
		}
		v := sess.Content[i+1]
		switch v.Kind {
		case yaml.ScalarNode:
			switch strings.ToLower(v.Value) {
			case "false", "off", "no":
				return "off"
			case "true", "on", "yes":
				return "1s"
			}
		case yaml.MappingNode:
			for j := 0; j+1 < len(v.Content); j += 2 {
				if v.Content[j].Value == "interval" {
					return v.Content[j+1].Value
				}
			}
			return "1s"
		}
	}
	return ""
}

// Sections are the base's sections as YAML. A channel section without `to` or `channel` gets
// the log's most frequent values (the fitted scenario leaves its own channel out when the
// base has one). ${ENV} references stay unexpanded.
func (b *Base) Sections(st Stats) ([]byte, error) {
	out := &yaml.Node{Kind: yaml.MappingNode}
	m := b.m
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if !b.Has[k.Value] {
			continue
		}
		if k.Value == "channel" && v.Kind == yaml.MappingNode {
			v.Style &^= yaml.FlowStyle
			for _, f := range []struct {
				key string
				t   Tally
			}{{"channel", st.Channel}, {"to", st.To}} {
				val, n, all := f.t.Top()
				if n == 0 || mapHas(v, f.key) {
					continue
				}
				v.Content = append(v.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: f.key},
					&yaml.Node{Kind: yaml.ScalarNode, Value: val, Style: yaml.DoubleQuotedStyle,
						LineComment: fmt.Sprintf("from the log (in %d of %d requests with a %s); %s has none", n, all, f.key, b.path)})
			}
		}
		out.Content = append(out.Content, k, v)
	}
	return yaml.Marshal(out)
}

func mapHas(m *yaml.Node, key string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return true
		}
	}
	return false
}

// BaseSections are the environment sections of a scenario file (where requests go, who sends
// them, what must hold), as YAML to append to a generated scenario (replay's --scenario).
// ${ENV} references stay unexpanded.
func BaseSections(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: not a scenario (a YAML mapping)", path)
	}
	out := &yaml.Node{Kind: yaml.MappingNode}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if slices.Contains(BaseKeys, m.Content[i].Value) {
			out.Content = append(out.Content, m.Content[i], m.Content[i+1])
		}
	}
	if len(out.Content) == 0 {
		return nil, nil
	}
	return yaml.Marshal(out)
}
