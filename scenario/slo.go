package scenario

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ParseSLO compiles a command-line SLO such as
// `response_time.p99<300ms,error_rate<1%,step:ask service_time.p95<200ms` into thresholds of sc,
// so `ccload capacity --slo` speaks the thresholds' own language: each comma-separated item is
// `[GROUP ]METRIC<LIMIT` (a max) or `METRIC>LIMIT` (a min; `<=`, `>=` read the same), optionally
// `METRIC[CODE]` for result_code_share. The item becomes a `thresholds:` entry and goes through
// the scenario's own threshold compiler, so metrics, groups, units and the error messages are
// exactly those of a scenario file. Errors name the item (`--slo item 2 "..."`) and say how to fix it.
func ParseSLO(sc *Scenario, text string) ([]Threshold, error) {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	var items []string
	var errs Errors
	for i, raw := range strings.Split(text, ",") {
		item := strings.TrimSpace(raw)
		if item == "" {
			continue
		}
		items = append(items, item)
		m, ok := sloItem(item, len(items))
		if !ok {
			errs = append(errs, Error{File: "--slo", Msg: fmt.Sprintf("item %d %q: want [GROUP ]METRIC<LIMIT or METRIC>LIMIT, e.g. response_time.p99<300ms or step:ask error_rate<1%%", i+1, item)})
			continue
		}
		seq.Content = append(seq.Content, m)
	}
	if len(errs) == 0 && len(items) == 0 {
		errs = append(errs, Error{File: "--slo", Msg: "empty: give at least one threshold, e.g. --slo 'response_time.p99<300ms,error_rate<1%'"})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	l := &loader{file: "--slo", sc: &Scenario{Sessions: sc.Sessions, Auth: sc.Auth, Target: sc.Target}}
	l.thresholds(seq)
	if len(l.errs) > 0 {
		// The synthetic node's line is the item's number: say which item, not a line of a file.
		for i := range l.errs {
			e := &l.errs[i]
			if e.Line >= 1 && e.Line <= len(items) {
				e.Msg = fmt.Sprintf("item %d %q: %s: %s", e.Line, items[e.Line-1], strings.TrimPrefix(e.Path, fmt.Sprintf("thresholds[%d].", e.Line-1)), e.Msg)
			}
			e.Line, e.Col, e.Path = 0, 0, ""
		}
		return nil, l.errs
	}
	return l.sc.Thresholds, nil
}

// sloItem turns one `[GROUP ]METRIC<LIMIT` into the mapping node a scenario file would hold.
// Every node's line is the item's number, so errors can say which item they are about.
func sloItem(item string, line int) (*yaml.Node, bool) {
	i := strings.IndexAny(item, "<>")
	if i <= 0 {
		return nil, false
	}
	lhs, rhs := strings.TrimSpace(item[:i]), item[i+1:]
	key := "max"
	if item[i] == '>' {
		key = "min"
	}
	rhs = strings.TrimSpace(strings.TrimPrefix(rhs, "="))
	if rhs == "" || strings.ContainsAny(rhs, "<>") {
		return nil, false
	}
	group, metric := "", lhs
	if g, m, ok := strings.Cut(lhs, " "); ok {
		group, metric = strings.TrimSpace(g), strings.TrimSpace(m)
	}
	code := ""
	if a, b, ok := strings.Cut(metric, "["); ok && strings.HasSuffix(b, "]") {
		metric, code = a, strings.TrimSuffix(b, "]")
	}
	if metric == "" || strings.Contains(metric, " ") {
		return nil, false
	}
	m := &yaml.Node{Kind: yaml.MappingNode, Line: line, Column: 1}
	add := func(k, v string) {
		m.Content = append(m.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k, Line: line, Column: 1},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v, Line: line, Column: 1})
	}
	add("metric", metric)
	if group != "" {
		add("group", group)
	}
	if code != "" {
		add("code", code)
	}
	add(key, rhs)
	return m, true
}
