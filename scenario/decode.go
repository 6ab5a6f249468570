package scenario

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// loader walks the YAML node tree, collecting every error with its position and key path.
// The tree is walked by hand (not decoded into structs) so that every key and value keeps
// its line and column, unknown keys are caught, and nothing is ever silently defaulted.
type loader struct {
	file string
	dir  string
	env  func(string) (string, bool)
	errs Errors
	// budget bounds the nodes visited, so alias bombs cannot make a load run forever.
	budget int
	sc     *Scenario
	scope  tmplScope
	// root is the top-level mapping, where errors about missing sections point.
	root *yaml.Node
}

// maxNodes is the most YAML nodes one scenario may expand to (aliases included).
const maxNodes = 200_000

func (l *loader) errAt(n *yaml.Node, path, format string, args ...any) {
	e := Error{File: l.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	l.errs = append(l.errs, e)
}

// resolve follows aliases and charges the node budget; nil when over budget.
func (l *loader) resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	l.budget++
	if l.budget == maxNodes {
		l.errAt(n, "", "the scenario expands to more than %d YAML nodes (aliases included); it is too large to be a scenario", maxNodes)
	}
	if l.budget >= maxNodes {
		return nil
	}
	return n
}

// kindName names a node's kind for "expected X, got Y" messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing (null)"
		}
		return fmt.Sprintf("%q", clip(n.Value))
	}
	return "an unexpected node"
}

// isNull reports whether n is absent or an explicit null (`key:` with no value).
func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// fields is a YAML mapping checked against the keys it may hold.
type fields struct {
	l    *loader
	node *yaml.Node
	path string
	keys []string
	key  map[string]*yaml.Node
	val  map[string]*yaml.Node
}

// join extends a key path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// mapping checks that n is a mapping whose keys are all in allowed (reporting unknown and
// duplicate keys); it returns nil, after reporting, when n is not a mapping.
func (l *loader) mapping(n *yaml.Node, path string, allowed ...string) *fields {
	n = l.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		l.errAt(n, path, "expected a mapping (key: value), got %s", kindName(n))
		return nil
	}
	f := &fields{l: l, node: n, path: path, key: map[string]*yaml.Node{}, val: map[string]*yaml.Node{}}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := l.resolve(n.Content[i]), n.Content[i+1]
		if k == nil {
			return nil
		}
		if k.Kind != yaml.ScalarNode {
			l.errAt(k, path, "keys must be plain words, got %s", kindName(k))
			continue
		}
		name := k.Value
		if !contains(allowed, name) {
			if name == "<<" {
				l.errAt(k, join(path, name), "merge keys (<<) are not supported; repeat the keys or use an alias for the whole value")
				continue
			}
			l.errAt(k, join(path, name), "unknown key `%s`%s; allowed: %s", name, suggest(name, allowed), strings.Join(allowed, ", "))
			continue
		}
		if _, dup := f.key[name]; dup {
			l.errAt(k, join(path, name), "duplicate key `%s`", name)
			continue
		}
		f.keys = append(f.keys, name)
		f.key[name], f.val[name] = k, v
	}
	return f
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// get returns the value of key, nil when absent.
func (f *fields) get(key string) *yaml.Node {
	if f == nil {
		return nil
	}
	return f.val[key]
}

// has reports whether key is present (even with a null value).
func (f *fields) has(key string) bool { return f != nil && f.val[key] != nil }

// p returns the key path of key.
func (f *fields) p(key string) string { return join(f.path, key) }

// seq checks that n is a list and returns its items.
func (l *loader) seq(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	n = l.resolve(n)
	if n == nil {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		l.errAt(n, path, "expected a list, got %s", kindName(n))
		return nil, false
	}
	return n.Content, true
}

var envRef = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// expand substitutes ${NAME} and ${NAME:-default}; $${ is a literal ${. It reports a missing
// variable by name, never a value.
func (l *loader) expand(n *yaml.Node, path, s string) (string, bool) {
	if !strings.Contains(s, "${") {
		return s, true
	}
	var b strings.Builder
	ok := true
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		if i > 0 && s[i-1] == '$' {
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			l.errAt(n, path, "unclosed ${ in an environment reference; write ${NAME} or ${NAME:-default} ($${ for a literal ${)")
			return "", false
		}
		ref := s[i+2 : i+j]
		s = s[i+j+1:]
		name, def, hasDef := strings.Cut(ref, ":-")
		if !envRef.MatchString(name) {
			l.errAt(n, path, "bad environment reference ${%s}: write ${NAME} or ${NAME:-default}", clip(ref))
			ok = false
			continue
		}
		v, set := "", false
		if l.env != nil {
			v, set = l.env(name)
		}
		switch {
		case set && (v != "" || !hasDef):
			b.WriteString(v)
		case hasDef:
			b.WriteString(def)
		default:
			l.errAt(n, path, "environment variable %s is not set and ${%s} has no default; set it or write ${%s:-default}", name, name, name)
			ok = false
		}
	}
	return b.String(), ok
}

// scalar returns the ${ENV}-expanded text of a scalar value; it reports lists, mappings and nulls.
func (l *loader) scalar(n *yaml.Node, path string) (string, bool) {
	n = l.resolve(n)
	if n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		l.errAt(n, path, "expected a value, got %s", kindName(n))
		return "", false
	}
	return l.expand(n, path, n.Value)
}

// shown is how a value appears in messages: as written in the file (never an expanded ${ENV}).
func shown(n *yaml.Node) string { return strconv.Quote(clip(n.Value)) }

// str reads a string (any scalar: `to: 1011577355744904195` is the string of those digits).
func (l *loader) str(n *yaml.Node, path string) (string, bool) { return l.scalar(n, path) }

// tmpl reads a string and compiles it as a template.
func (l *loader) tmpl(n *yaml.Node, path string, esc bool) *Template {
	s, ok := l.str(n, path)
	if !ok {
		return nil
	}
	t, err := compileTemplate(s, &l.scope, esc)
	if err != nil {
		if raw := l.resolve(n); raw != nil && raw.Value != s {
			// The bad text came from the environment: name the variables, never their values.
			l.errAt(n, path, "%s", envTemplateError(raw.Value))
			return nil
		}
		l.errAt(n, path, "%v", err)
		return nil
	}
	return t
}

// dur reads a Go duration such as 250ms, 2s or 1m30s; a bare 0 is allowed.
func (l *loader) dur(n *yaml.Node, path string) (time.Duration, bool) {
	s, ok := l.scalar(n, path)
	if !ok {
		return 0, false
	}
	if s == "0" {
		return 0, true
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
			l.errAt(n, path, "%s has no unit; write a duration such as %ss or %sms", shown(n), s, s)
		} else {
			l.errAt(n, path, "%s is not a duration; write e.g. 500ms, 2s, 1m30s", shown(n))
		}
		return 0, false
	}
	return d, true
}

// posDur reads a duration that must be > 0.
func (l *loader) posDur(n *yaml.Node, path string) (time.Duration, bool) {
	d, ok := l.dur(n, path)
	if ok && d <= 0 {
		l.errAt(n, path, "must be greater than 0, got %s", shown(n))
		return 0, false
	}
	return d, ok
}

// float reads a finite number.
func (l *loader) float(n *yaml.Node, path string) (float64, bool) {
	s, ok := l.scalar(n, path)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		l.errAt(n, path, "%s is not a number", shown(n))
		return 0, false
	}
	return v, true
}

// nonNeg reads a number >= 0.
func (l *loader) nonNeg(n *yaml.Node, path string) (float64, bool) {
	v, ok := l.float(n, path)
	if ok && v < 0 {
		l.errAt(n, path, "must not be negative, got %s", shown(n))
		return 0, false
	}
	return v, ok
}

// int reads an integer.
func (l *loader) int(n *yaml.Node, path string) (int64, bool) {
	s, ok := l.scalar(n, path)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		l.errAt(n, path, "%s is not an integer", shown(n))
		return 0, false
	}
	return v, true
}

// bool reads true or false (yes/no/on/off are refused: they are typos as often as not).
func (l *loader) bool(n *yaml.Node, path string) (bool, bool) {
	s, ok := l.scalar(n, path)
	if !ok {
		return false, false
	}
	switch s {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	l.errAt(n, path, "%s is not a boolean; write true or false", shown(n))
	return false, false
}

// enum reads one of allowed (compared case-insensitively; the allowed spelling is returned).
func (l *loader) enum(n *yaml.Node, path string, allowed ...string) (string, bool) {
	s, ok := l.scalar(n, path)
	if !ok {
		return "", false
	}
	for _, a := range allowed {
		if strings.EqualFold(a, s) {
			return a, true
		}
	}
	l.errAt(n, path, "%s is not allowed%s; write one of: %s", shown(n), suggest(s, allowed), strings.Join(allowed, ", "))
	return "", false
}

// share reads a fraction: 0.05 or 5%. It must lie in [0, 1].
func (l *loader) share(n *yaml.Node, path string) (float64, bool) {
	s, ok := l.scalar(n, path)
	if !ok {
		return 0, false
	}
	pct := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(s, "%")), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		l.errAt(n, path, "%s is not a share; write a percentage like 1%% or a fraction like 0.01", shown(n))
		return 0, false
	}
	if pct {
		v /= 100
	}
	if v < 0 || v > 1 {
		l.errAt(n, path, "%s is not a share between 0 and 100%%", shown(n))
		return 0, false
	}
	return v, true
}
