package capacity

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"ccload/ccapi"
	"ccload/report"
	"ccload/scenario"
)

// windowAction is what a step's monitor does with its window so far.
type windowAction uint8

const (
	windowGoOn    windowAction = iota // keep measuring
	windowDone                        // the plan is met: its length and its fewest requests
	windowCertain                     // the verdict is already certain (the SLO broke beyond doubt)
	windowShort                       // the longest window passed short of requests, or of a verdict beyond the noise: judge what it holds
)

// windowState is a step's measured window so far, as the monitor sees it.
type windowState struct {
	elapsed, planned, longest time.Duration
	requests, minRequests     int64
	// certain says why the window's verdict can no longer change ("" when it can).
	certain string
	// unproven: the window's point estimates hold the SLO, but its sample does not show it beyond
	// its noise (unproven); more requests may.
	unproven bool
}

// decide is the window policy, a pure function: a window ends early when its verdict is certain;
// else when it has lasted its plan, holds its fewest requests and shows its verdict beyond the
// sample's noise; a window short of requests, or whose holding is not shown yet, is measured
// longer, up to the longest window, then judged on what it holds (never left unjudged).
func (w windowState) decide() windowAction {
	switch {
	case w.certain != "":
		return windowCertain
	case w.elapsed >= w.planned && w.requests >= w.minRequests && !w.unproven:
		return windowDone
	case w.elapsed >= w.longest:
		return windowShort
	}
	return windowGoOn
}

// certainMin is the fewest requests a window holds before its failure can be called certain.
func certainMin(minRequests int64) int64 { return max(min(minRequests/3, 100), 20) }

// certainFailure says why a window's failure is certain however long it is measured: its error
// rate is past the surge bound, or an upper-bounded latency threshold measured twice its limit
// (a queue past the knee only grows). A threshold the window cannot judge yet (too few
// requests in its group) is never a certain failure: the step would end early on a limit its
// own verdict then calls not judged. "" when it is not.
func certainFailure(results []report.ThresholdResult, slo []scenario.Threshold, win *report.Report, surge float64) string {
	if n := win.Overall.Count; n > 0 {
		if er := float64(n-win.Overall.OK) / float64(n); er > surge {
			return fmt.Sprintf("error rate %.1f%% over the surge bound %.0f%%", 100*er, 100*surge)
		}
	}
	for i, r := range results {
		if i >= len(slo) || !r.Failed() || !slo[i].HasMax || slo[i].Max <= 0 || slo[i].Over > 0 {
			continue
		}
		if strings.Contains(slo[i].Metric, ".p") && r.Value >= 2*slo[i].Max {
			return fmt.Sprintf("%s measured %s, twice its limit or more", r.Name, r.Display)
		}
	}
	return ""
}

// wholesaleFailure names the first request kind (endpoint × control type) of which at least 99%
// of at least 20 failed so far, with its commonest cause: "sendAsync CONNECT: 100% of 64 failed
// (HTTP 401)". "" when none did.
func wholesaleFailure(r *report.Report) string {
	for _, g := range r.Groups {
		if strings.HasPrefix(g.Name, "step:") {
			continue
		}
		failed := g.AppErrors + g.HTTPErrors + g.TransportErrors
		n := failed + g.OK
		if n < wholesaleMin || float64(failed) < wholesaleShare*float64(n) {
			continue
		}
		return fmt.Sprintf("%s: %.0f%% of %d requests failed (%s)", g.Name, 100*float64(failed)/float64(n), n, commonestCause(g))
	}
	return ""
}

// commonestCause is a group's most frequent failure: "HTTP 401", "resultCode 12" or an error class.
func commonestCause(g report.Group) string {
	type kv struct {
		k string
		n int64
	}
	var all []kv
	for s, n := range g.HTTPStatus {
		if code, _ := strconv.Atoi(s); code >= 300 || code == 0 {
			all = append(all, kv{"HTTP " + s, n})
		}
	}
	for c, n := range g.ResultCodes {
		if c != "0" && c != "" {
			all = append(all, kv{"resultCode " + c, n})
		}
	}
	for c, n := range g.Errors {
		all = append(all, kv{c, n})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].n > all[j].n || all[i].n == all[j].n && all[i].k < all[j].k })
	if len(all) == 0 {
		return "unknown cause"
	}
	return all[0].k
}

// explain adds the target's own message to a wholesale failure answered with an HTTP error: one
// request of the failing kind, sent as a customer would, and its answer's message (redacted).
func (c *searchRun) explain(why string, snap *report.Report) string {
	_, cause, _ := strings.Cut(why, "(")
	if !strings.HasPrefix(cause, "HTTP ") {
		return why
	}
	name, _, _ := strings.Cut(why, ":")
	ep, _, _ := strings.Cut(name, " ")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if msg := probe(ctx, c.o.BaseURL, c.o.Scenario, ep); msg != "" {
		return why + ": the target answered " + msg
	}
	return why
}

// probe sends one request to endpoint ep with the scenario's credentials and returns the answer's
// status and message ("401 unauthorized: unknown AccessToken"), every credential redacted; "" when
// none came.
func probe(ctx context.Context, baseURL string, sc *scenario.Scenario, ep string) string {
	var e ccapi.Endpoint
	for e = 0; e < ccapi.NumEndpoints; e++ {
		if e.String() == ep {
			break
		}
	}
	if e == ccapi.NumEndpoints {
		return ""
	}
	paths := sc.Target.Paths
	path := paths.Path(e)
	if path == "" {
		path = ccapi.DefaultPaths.Path(e)
	}
	a := sc.Auth
	access := a.AccessToken
	if access == "" && a.AppKey != "" && e != ccapi.EpTokenByAkSk {
		if cl, err := ccapi.NewClient(ccapi.Config{BaseURL: baseURL, Paths: paths, AppKey: a.AppKey, AppSecret: a.AppSecret, Timeout: 2 * time.Second}); err == nil {
			access, _ = cl.AccessToken(ctx)
		}
	}
	method := http.MethodPost
	if e == ccapi.EpPoll {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(baseURL, "/")+path, strings.NewReader("{}"))
	if err != nil {
		return ""
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-app-key", a.AppKey)
	if access != "" {
		req.Header.Set("Authorization", "Bearer "+access)
	}
	if a.CCMessagingToken != "" {
		req.Header.Set("ccmessaging-token", a.CCMessagingToken)
	}
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ""
	}
	defer rsp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(rsp.Body, 4096))
	msg := targetMessage(body)
	for _, secret := range []string{a.AppKey, a.AppSecret, a.AccessToken, a.CCMessagingToken, access} {
		if len(secret) >= 4 {
			msg = strings.ReplaceAll(msg, secret, "REDACTED")
		}
	}
	return strings.TrimSpace(strconv.Itoa(rsp.StatusCode) + " " + msg)
}

// targetMessage is the human part of an error answer: its exceptionInfo, resultDesc, message or
// error field, else the body itself, on one line and at most 200 characters.
func targetMessage(body []byte) string {
	var fields map[string]any
	msg := string(body)
	if json.Unmarshal(body, &fields) == nil {
		for _, k := range []string{"exceptionInfo", "resultDesc", "message", "error", "errorMsg"} {
			if v, ok := fields[k].(string); ok && v != "" {
				msg = v
				break
			}
		}
	}
	msg = strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if r < ' ' {
			return ' '
		}
		return r
	}, msg)), " ")
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	return msg
}
