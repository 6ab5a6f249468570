package scenario

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"ccload/ccapi"
	"ccload/gates"
)

// thresholds compiles `thresholds`.
func (l *loader) thresholds(n *yaml.Node) {
	items, ok := l.seq(n, "thresholds")
	if !ok {
		return
	}
	groups := l.groups()
	for i, it := range items {
		path := fmt.Sprintf("thresholds[%d]", i)
		f := l.mapping(it, path, "name", "metric", "group", "code", "max", "min", "over", "abort_on_fail", "after")
		if f == nil {
			continue
		}
		th := Threshold{Threshold: gates.Threshold{Group: "all"}, Pos: Pos{it.Line, it.Column}}
		good := true
		if v := f.get("name"); v != nil {
			th.Name, _ = l.str(v, f.p("name"))
		}
		family := ""
		if v := f.get("metric"); v != nil {
			if s, ok := l.str(v, f.p("metric")); ok {
				fam, st, hasStat := strings.Cut(s, ".")
				switch {
				case gates.IsPlain(s):
					family = s
				case gates.IsLatency(fam) && hasStat && validStat(st):
					family = fam
				case gates.IsLatency(fam):
					l.errAt(v, f.p("metric"), "%s needs a statistic: %s.p99 (any pNN, p999, min, max or mean)", fam, fam)
				default:
					l.errAt(v, f.p("metric"), "unknown metric %s%s; metrics: response_time.*, service_time.*, reply_latency.*, time_to_agent.*, session_duration.*, scheduler_lag.* (with .p50 .p90 .p95 .p99 .p999 .min .max .mean), %s", shown(v), suggest(s, gates.MetricNames()), strings.Join(gates.PlainMetrics, ", "))
				}
				th.Metric = s
			}
		} else {
			l.errAt(it, f.p("metric"), "missing: what to gate on, e.g. metric: response_time.p99")
		}
		good = good && family != ""
		perGroup := gates.PerGroup(family)
		if v := f.get("group"); v != nil {
			if s, ok := l.str(v, f.p("group")); ok {
				g, msg := groups.resolve(s)
				switch {
				case msg != "":
					l.errAt(v, f.p("group"), "%s", msg)
					good = false
				case g != "all" && family != "" && !perGroup:
					l.errAt(v, f.p("group"), "%s is measured for the whole run only; remove group (or write all)", th.Metric)
					good = false
				default:
					th.Group = g
				}
			}
		}
		if v := f.get("code"); v != nil {
			if s, ok := l.str(v, f.p("code")); ok {
				th.Code = s
				if family != "" && family != "result_code_share" {
					l.errAt(f.key["code"], f.p("code"), "applies to result_code_share only")
				}
			}
		} else if family == "result_code_share" {
			l.errAt(it, f.p("code"), "missing: which resultCode's share, e.g. code: \"0\"")
			good = false
		}
		for _, k := range []string{"max", "min"} {
			v := f.get(k)
			if v == nil || family == "" {
				continue
			}
			x, text, ok := l.limit(v, f.p(k), family)
			if !ok {
				good = false
				continue
			}
			if k == "max" {
				th.Max, th.HasMax = x, true
			} else {
				th.Min, th.HasMin = x, true
			}
			if th.LimitText == "" {
				th.LimitText = text
			} else {
				th.LimitText = text + ".." + th.LimitText
			}
		}
		if !f.has("max") && !f.has("min") {
			l.errAt(it, path, "needs a limit: max, min, or both")
			good = false
		}
		if th.HasMax && th.HasMin && th.Min > th.Max {
			l.errAt(f.get("min"), f.p("min"), "min is above max: no value could pass")
			good = false
		}
		if v := f.get("over"); v != nil {
			if d, ok := l.posDur(v, f.p("over")); ok {
				th.Over = d
				if family != "" {
					if msg := gates.WindowRule(family, th.Group, th.Code); msg != "" {
						if !strings.HasPrefix(msg, "per-group") && !strings.HasPrefix(msg, "the time series") {
							msg = th.Metric + " " + msg
						}
						l.errAt(f.key["over"], f.p("over"), "%s", msg)
					}
				}
			}
		}
		if v := f.get("abort_on_fail"); v != nil {
			th.AbortOnFail, _ = l.bool(v, f.p("abort_on_fail"))
		}
		if v := f.get("after"); v != nil {
			if d, ok := l.dur(v, f.p("after")); ok {
				if d < 0 {
					l.errAt(v, f.p("after"), "must not be negative")
				}
				th.After = d
			}
			if !th.AbortOnFail {
				l.errAt(f.key["after"], f.p("after"), "applies with abort_on_fail: true only")
			}
		}
		if !good {
			continue
		}
		if th.Name == "" {
			th.Name = gates.DefaultName(th.Threshold)
		}
		l.sc.Thresholds = append(l.sc.Thresholds, th)
	}
}

// limit reads a threshold limit in the metric's unit: latencies are durations (stored in
// microseconds), rates and shares percentages or fractions, rps and counts numbers.
func (l *loader) limit(n *yaml.Node, path, family string) (float64, string, bool) {
	s, ok := l.scalar(n, path)
	if !ok {
		return 0, "", false
	}
	switch {
	case gates.IsLatency(family):
		d, ok := l.dur(n, path)
		if !ok {
			return 0, "", false
		}
		if d < 0 {
			l.errAt(n, path, "must not be negative")
			return 0, "", false
		}
		return float64(d.Microseconds()), s, true
	case family == "error_rate" || family == "result_code_share" || family == "failed_sessions" || family == "ended_by_platform" || family == "cut_by_grace" || family == "not_sent":
		v, ok := l.share(n, path)
		return v, s, ok
	case family == "dropped_arrivals" && strings.HasSuffix(s, "%"):
		v, ok := l.share(n, path)
		return v, s, ok
	default:
		v, ok := l.nonNeg(n, path)
		if ok && family == "dropped_arrivals" && v != float64(int64(v)) {
			l.errAt(n, path, "a count is whole; write a percentage like 1%% for a share of arrivals")
			return 0, "", false
		}
		return v, s, ok
	}
}

// groupSet is what thresholds may group by: the scenario's named steps, the endpoints it
// calls and the controlTypes it sends.
type groupSet struct {
	steps, endpoints, controls []string
	// silent maps the named steps that send no request of their own (await_agent, think,
	// repeat, ...) to their kind: their step group never records a sample.
	silent map[string]string
}

// groups collects the groups the compiled sessions produce.
func (l *loader) groups() groupSet {
	var g groupSet
	sends := map[string]bool{} // named steps that send, in any session
	add := func(list *[]string, s string) {
		if !contains(*list, s) {
			*list = append(*list, s)
		}
	}
	for _, s := range l.sc.Sessions {
		var walk func([]*Step)
		walk = func(steps []*Step) {
			for _, st := range steps {
				if st.Name != "" {
					add(&g.steps, st.Name)
					if st.Send == nil && !sends[st.Name] {
						if g.silent == nil {
							g.silent = map[string]string{}
						}
						g.silent[st.Name] = st.Kind.String()
					} else if st.Send != nil {
						sends[st.Name] = true
						delete(g.silent, st.Name)
					}
				}
				if st.Send != nil {
					add(&g.controls, string(st.Send.ControlType))
				}
				walk(st.Steps)
			}
		}
		walk(s.Steps)
	}
	for _, e := range l.sc.usedEndpoints() {
		add(&g.endpoints, e.String())
	}
	return g
}

// resolve turns a written group into its canonical form, or explains why it does not exist.
// A bare name is accepted when it is exactly one step name, endpoint or controlType.
func (g groupSet) resolve(s string) (string, string) {
	if s == "all" {
		return "all", ""
	}
	check := func(kind, name string, list []string, what string) (string, string) {
		if contains(list, name) {
			return kind + ":" + name, ""
		}
		if len(list) == 0 {
			return "", fmt.Sprintf("group %q does not exist: the scenario has no %s", s, what)
		}
		return "", fmt.Sprintf("group %q does not exist%s; %s: %s", s, suggest(name, list), what, strings.Join(list, ", "))
	}
	if kind, name, ok := strings.Cut(s, ":"); ok {
		switch kind {
		case "step":
			if k, ok := g.silent[name]; ok {
				return "", g.silentMsg(name, k)
			}
			return check(kind, name, g.steps, "named steps")
		case "endpoint":
			if !contains(allEndpoints(), name) {
				return "", fmt.Sprintf("unknown endpoint %q%s; endpoints: %s", name, suggest(name, allEndpoints()), strings.Join(allEndpoints(), ", "))
			}
			return check(kind, name, g.endpoints, "endpoints this scenario calls")
		case "control_type":
			return check(kind, strings.ToUpper(name), g.controls, "controlTypes this scenario sends")
		}
		return "", fmt.Sprintf("unknown group kind %q; write all, step:NAME, endpoint:NAME or control_type:TYPE", kind)
	}
	var hits []string
	if contains(g.steps, s) {
		hits = append(hits, "step:"+s)
	}
	if contains(g.endpoints, s) {
		hits = append(hits, "endpoint:"+s)
	}
	if contains(g.controls, s) {
		hits = append(hits, "control_type:"+s)
	}
	switch len(hits) {
	case 1:
		if k, ok := g.silent[s]; ok && hits[0] == "step:"+s {
			return "", g.silentMsg(s, k)
		}
		return hits[0], ""
	case 0:
		all := append(append(append([]string{"all"}, g.steps...), g.endpoints...), g.controls...)
		return "", fmt.Sprintf("group %q does not exist%s; groups: all, step:NAME (%s), endpoint:NAME (%s), control_type:TYPE (%s)",
			s, suggest(s, all), strings.Join(g.steps, ", "), strings.Join(g.endpoints, ", "), strings.Join(g.controls, ", "))
	}
	return "", fmt.Sprintf("group %q is ambiguous: write one of %s", s, strings.Join(hits, ", "))
}

// silentMsg refuses a threshold on a named step that makes no request: it would fail with "no data".
func (g groupSet) silentMsg(name, kind string) string {
	hint := "name a step that sends (connect, chat, card, transfer, ...) instead"
	switch kind {
	case "await_agent":
		hint = "gate on time_to_agent.p95 (the whole run's wait for an agent) instead"
	case "await_reply":
		hint = "gate on reply_latency.p95 (the whole run's wait for a reply) instead"
	}
	return fmt.Sprintf("step %q (%s) sends no request of its own, so step:%s never has data; %s", name, kind, name, hint)
}

func allEndpoints() []string {
	var out []string
	for e := range ccapi.NumEndpoints {
		out = append(out, e.String())
	}
	return out
}

// usedEndpoints lists the endpoints a run of the scenario calls.
func (sc *Scenario) usedEndpoints() []ccapi.Endpoint {
	used := map[ccapi.Endpoint]bool{}
	if sc.Auth.AccessToken == "" && sc.Auth.AppSecret != "" || sc.Target.URL == "" && sc.Auth.AccessToken == "" {
		used[ccapi.EpTokenByAkSk] = true
	}
	if sc.Auth.CCMessagingToken == "" {
		used[ccapi.EpApplyToken] = true
	}
	send := ccapi.EpSendAsync
	if sc.Target.UseSend {
		send = ccapi.EpSend
	}
	for _, s := range sc.Sessions {
		var walk func([]*Step)
		walk = func(steps []*Step) {
			for _, st := range steps {
				if st.Send != nil {
					used[send] = true
					if st.Send.Upload != nil {
						used[ccapi.EpUploadFileStream] = true
					}
				}
				if st.Kind == StepAwaitAgent {
					used[ccapi.EpQueryQueueInfo] = true
				}
				if st.Kind == StepConnect && s.Poll {
					used[ccapi.EpPoll] = true
				}
				walk(st.Steps)
			}
		}
		walk(s.Steps)
	}
	var out []ccapi.Endpoint
	for e := range ccapi.NumEndpoints {
		if used[e] {
			out = append(out, e)
		}
	}
	return out
}

// validStat reports whether st is a statistic gates can evaluate.
func validStat(st string) bool {
	_, err := gates.ParseStat(st)
	return err == nil
}

// Gates are the scenario's thresholds and compare limits compiled, as report.json stores them so
// that merge, compare and report judge a run without parsing the scenario again.
func (sc *Scenario) Gates() *gates.Set {
	set := &gates.Set{Thresholds: make([]gates.Threshold, 0, len(sc.Thresholds))}
	for _, t := range sc.Thresholds {
		set.Thresholds = append(set.Thresholds, t.Threshold)
	}
	// The loader refused every compare limit gates cannot parse, so this cannot fail.
	set.Compare, _ = gates.CompareLimitsFromMap(sc.Compare)
	return set
}
