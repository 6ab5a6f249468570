package runner

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"ccload/mock"
	"ccload/report"
	"ccload/scenario"
)

// failureRows returns rep's failure reasons of one session type.
func failureRows(rep *report.Report, session string) []report.FailureReason {
	var out []report.FailureReason
	for _, f := range rep.FailureReasons {
		if f.Session == session {
			out = append(out, f)
		}
	}
	return out
}

// A mock answers 30% of sends with resultCode 13: every failed session is listed under the
// step it failed at, every failed step of the on_failure: continue session too, and the rows
// add up to what the mock injected.
func TestFailureReasonsListEveryFailedSessionByStep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := bubbleMock(t, func(o *mock.Options) { o.ErrorRate, o.ErrorKind = 0.3, mock.ErrorKind13 })
		sc := parse(t, auth+`
load: {model: open, arrivals: uniform, rate: 60, duration: 1s}
sessions:
  - name: strict
    poll: false
    steps: [connect, {chat: hi, name: ask}, disconnect]
  - name: tolerant
    poll: false
    on_failure: continue
    steps: [connect, {chat: hi}, disconnect]
`)
		rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 3}))
		if rep.Sessions.Failed == 0 {
			t.Fatalf("no session failed (%+v): the fault did not bite", rep.Sessions)
		}
		var sessionsFailed, failures int64
		for _, f := range rep.FailureReasons {
			if f.Reason != "resultCode 13" {
				t.Errorf("%+v: want reason %q, the only fault injected", f, "resultCode 13")
			}
			sessionsFailed += f.SessionsFailed
			failures += f.Count
		}
		if sessionsFailed != rep.Sessions.Failed {
			t.Errorf("failure reasons count %d failed sessions, sessions.failed is %d:\n%+v", sessionsFailed, rep.Sessions.Failed, rep.FailureReasons)
		}
		// The referee: every resultCode 13 the mock wrote failed exactly one step, or was the answer
		// to the DISCONNECT a failed session sent on its way out (the abandon group: not a step).
		abandoned := group(t, rep, "abandon sendAsync DISCONNECT").AppErrors
		if n := srv.Stats().ResultCodes["13"]; failures+abandoned != n {
			t.Errorf("failure reasons count %d failed steps (and %d refused abandon DISCONNECTs), the mock answered resultCode 13 %d times", failures, abandoned, n)
		}
		steps := map[string]bool{"steps[0] connect": true, "step:ask": true, "steps[2] disconnect": true}
		for _, f := range failureRows(rep, "strict") {
			if !steps[f.Step] || f.SessionsFailed != f.Count {
				t.Errorf("strict %+v: want one of the steps %v, each failure ending its session", f, steps)
			}
			if f.Step == "step:ask" {
				if g := group(t, rep, "step:ask"); g.AppErrors != f.Count {
					t.Errorf("step:ask failed %d times in failure_reasons, its group counts %d app errors", f.Count, g.AppErrors)
				}
			}
		}
		tolerant := failureRows(rep, "tolerant")
		if len(tolerant) == 0 {
			t.Errorf("the tolerant session's failed steps are not listed: %+v", rep.FailureReasons)
		}
		for _, f := range tolerant {
			if f.SessionsFailed != 0 || !strings.HasPrefix(f.Step, "steps[") {
				t.Errorf("tolerant %+v: on_failure: continue fails steps, never the session", f)
			}
		}
		if err := report.Validate(rep); err != nil {
			t.Error(err)
		}
	})
}

// group returns rep's group called name.
func group(t *testing.T, rep *report.Report, name string) report.Group {
	t.Helper()
	for _, g := range rep.Groups {
		if g.Name == name {
			return g
		}
	}
	t.Fatalf("no group %q", name)
	return report.Group{}
}

// The mock refuses the scenario's AK/SK: every fetch is a tokenByAkSk sample, every session
// fails with reason "token fetch failed", and one warning says so without the credentials.
func TestFailedTokenFetchIsRecordedAndWarned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := bubbleMock(t, func(o *mock.Options) { o.AppKey, o.AppSecret = "ak-right-7731", "sk-right-7731" })
		sc := parse(t, `auth: {app_key: ak-right-7731, app_secret: sk-wrong-5519}
load: {model: open, arrivals: uniform, rate: 20, duration: 1s}
sessions:
  - name: s
    poll: false
    steps: [connect, disconnect]
`)
		rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 1}))
		s := rep.Sessions
		if s.Started == 0 || s.Failed != s.Started {
			t.Fatalf("sessions %+v: want every started session failed", s)
		}
		if len(rep.FailureReasons) != 1 {
			t.Fatalf("failure reasons %+v: want one row", rep.FailureReasons)
		}
		if f := rep.FailureReasons[0]; f.Step != "applyToken" || f.Reason != "token fetch failed" || f.SessionsFailed != s.Failed {
			t.Errorf("failure reason %+v: want step applyToken, reason token fetch failed, all %d failed sessions", f, s.Failed)
		}
		fetched := srv.Stats().Endpoints["tokenByAkSk"]
		if g := group(t, rep, "tokenByAkSk"); fetched == 0 || g.Count != fetched || g.OK != 0 {
			t.Errorf("tokenByAkSk group counts %d requests (%d ok), the mock received %d: want every failed fetch recorded", g.Count, g.OK, fetched)
		}
		var warned []string
		for _, w := range rep.Warnings {
			if strings.Contains(w, "tokenByAkSk") {
				warned = append(warned, w)
			}
			if strings.Contains(w, "sk-wrong-5519") || strings.Contains(w, "ak-right-7731") {
				t.Errorf("a warning carries a credential: %s", w)
			}
		}
		if len(warned) != 1 || !strings.Contains(warned[0], "token fetch failed") {
			t.Errorf("warnings %q: want one about tokenByAkSk naming the failure reason", rep.Warnings)
		}
	})
}

// playWhy is play that also returns the customer's last action, whose fail the caller checks.
func playWhy(t *testing.T, src string, token bool, script []turn) action {
	t.Helper()
	return playOn(t, newCustomer(t, src, 0, token), script)
}

// playOn runs the script against c, failing at the first wrong action or at a failure reported
// before the last turn, and returns the last action.
func playOn(t *testing.T, c *customer, script []turn) action {
	t.Helper()
	var a action
	for i, tu := range script {
		a = c.next(int64(tu.now), tu.res)
		if a.String() != tu.want {
			t.Fatalf("turn %d at %v: got %q, want %q", i, tu.now, a, tu.want)
		}
		if i < len(script)-1 && a.fail.kind != whyNone {
			t.Fatalf("turn %d at %v: %q reports a failure %+v before the last turn", i, tu.now, a, a.fail)
		}
	}
	return a
}

// The customer program says which op failed and why, for the session's failure and for a
// step that failed under continue, in every path that ends or goes on after a failure.
func TestProgramSaysWhyAStepFailed(t *testing.T) {
	refused13 := result{refused: true, start: ms(10), end: ms(20), why: why{kind: whyCall, class: report.ClassApp, code: "13"}}
	http503 := result{start: ms(0), end: ms(5), why: why{kind: whyCall, class: report.ClassHTTP, status: 503}}
	await := "    steps: [connect, transfer, {await_agent: {timeout: 2s, on_timeout: %s}}, disconnect]\n"
	awaitScript := func(last ...string) []turn {
		// await_agent asks queryQueueInfo as its wait begins (still queuing), then polls; the
		// turns after the deadline's (last[1:]) come 10ms apart.
		script := []turn{{0, result{}, "connect @0s"}, {0, ok(0, 0), "transfer @0s"}, {0, ok(0, 0), "queue @0s"}, {0, ok(0, 0), "wake 1s"},
			{time.Second, result{}, "poll @1s"}, {time.Second, ok(1000, 1000), "wake 2s"}, {2 * time.Second, result{}, last[0]}}
		for i, w := range last[1:] {
			at := 2000 + 10*float64(i+1)
			script = append(script, turn{time.Duration(ms(at)), ok(at-10, at), w})
		}
		return script
	}
	for _, tc := range []struct {
		name, src string
		token     bool
		script    []turn
		want      why
	}{
		{"token fetch fails the session before its first step", progHead + "    steps: [connect]\n", true,
			[]turn{{0, result{}, "token @0s"}, {0, result{why: why{kind: whyToken, class: report.ClassHTTP, status: 401}}, "done failed"}},
			why{kind: whyToken, class: report.ClassHTTP, status: 401, op: -1}},
		{"a refused chat aborts the session", progHead + "    poll: false\n    steps: [connect, {chat: hi}, disconnect]\n", false,
			[]turn{{0, result{}, "connect @0s"}, {0, ok(0, 10), "chat @0s"}, {20 * time.Millisecond, refused13, "abandon @20ms"}, {30 * time.Millisecond, ok(20, 30), "done failed"}},
			why{kind: whyCall, class: report.ClassApp, code: "13", op: 1}},
		{"a refused chat whose confirming poll sees no hang-up fails the session", progHead + "    steps: [connect, {chat: hi}, disconnect]\n", false,
			[]turn{{0, result{}, "connect @0s"}, {0, ok(0, 10), "chat @0s"}, {20 * time.Millisecond, refused13, "poll @20ms"},
				{30 * time.Millisecond, ok(20, 30), "abandon @30ms"}, {40 * time.Millisecond, ok(30, 40), "done failed"}},
			why{kind: whyCall, class: report.ClassApp, code: "13", op: 1}},
		{"a refused chat of a session the platform ended is a failed step, not a failed session", progHead + "    steps: [connect, {chat: hi}, disconnect]\n", false,
			[]turn{{0, result{}, "connect @0s"}, {0, ok(0, 10), "chat @0s"}, {20 * time.Millisecond, refused13, "poll @20ms"},
				{30 * time.Millisecond, result{ok: true, start: ms(20), end: ms(30), ended: true}, "done ended_by_platform"}},
			why{kind: whyCall, class: report.ClassApp, code: "13", op: 1}},
		{"under on_failure: continue the step fails and the session goes on", progHead + "    poll: false\n    on_failure: continue\n    steps: [connect, {chat: hi}]\n", false,
			[]turn{{0, result{}, "connect @0s"}, {5 * time.Millisecond, http503, "chat @0s"}},
			why{kind: whyCall, class: report.ClassHTTP, status: 503, op: 0}},
		{"a local check refused the chat", progHead + "    poll: false\n    steps: [connect, {chat: hi}]\n", false,
			[]turn{{0, result{}, "connect @0s"}, {0, ok(0, 0), "chat @0s"}, {0, result{notSent: true, why: why{kind: whyCheck, class: report.ClassClient}}, "abandon @0s"}, {0, ok(0, 0), "done failed"}},
			why{kind: whyCheck, class: report.ClassClient, op: 1}},
		{"an await_agent timeout with on_timeout: fail fails the session", progHead + fmt.Sprintf(await, "fail"), false,
			awaitScript("abandon @2s timeout", "done failed"), why{kind: whyAwait, op: 2}},
		{"an await_agent timeout with on_timeout: continue fails the step", progHead + fmt.Sprintf(await, "continue"), false,
			awaitScript("disconnect @2s timeout"), why{kind: whyAwait, op: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if a := playWhy(t, tc.src, tc.token, tc.script); a.fail != tc.want {
				t.Errorf("fail = %+v, want %+v", a.fail, tc.want)
			}
		})
	}
}

// A session that finds its unique feeder empty fails before its first step, and says so.
func TestFailureReasonOfAnExhaustedFeeder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := bubbleMock(t, nil)
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "users.txt"), []byte("ann\nbob\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		sc, err := scenario.Parse("f.yaml", []byte(auth+`
data:
  users: {lines: users.txt, order: unique}
load: {model: open, arrivals: uniform, rate: 20, duration: 5s}
sessions:
  - name: s
    poll: false
    steps: [connect, {chat: "I am {{data.users.line}}"}]
`), dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Seed: 1}))
		want := report.FailureReason{Session: "s", Step: "-", Reason: "data exhausted", Count: rep.Sessions.Failed, SessionsFailed: rep.Sessions.Failed}
		if rep.Sessions.Failed == 0 || len(rep.FailureReasons) != 1 || rep.FailureReasons[0] != want {
			t.Errorf("sessions %+v, failure reasons %+v: want every failed session under %+v", rep.Sessions, rep.FailureReasons, want)
		}
	})
}

// The collector words each kind of failure the way docs/report-json.md lists them.
func TestFailureWording(t *testing.T) {
	sc := parse(t, progHead+`    steps:
      - connect
      - repeat: {count: 2, steps: [{chat: hi}, {chat: again, name: ask}]}
`)
	r := &run{sc: sc, seed: 1}
	r.index()
	for _, tc := range []struct {
		w            why
		step, reason string
	}{
		{why{kind: whyCall, class: report.ClassApp, code: "13", op: 0}, "steps[0] connect", "resultCode 13"},
		{why{kind: whyCall, class: report.ClassHTTP, status: 503, op: 2}, "steps[1].repeat.steps[0] chat", "http 503"},
		{why{kind: whyCall, class: report.ClassTimeout, op: 3}, "step:ask", "timeout"},
		{why{kind: whyCall, class: report.ClassReset, op: 3}, "step:ask", "reset"},
		{why{kind: whyToken, class: report.ClassHTTP, status: 401, op: -1}, "applyToken", "token fetch failed"},
		{why{kind: whyUpload, class: report.ClassHTTP, status: 500, op: 2}, "steps[1].repeat.steps[0] chat", "not sent (upload failed: http 500)"},
		{why{kind: whyCheck, class: report.ClassClient, op: 2}, "steps[1].repeat.steps[0] chat", "not sent (local check)"},
		{why{kind: whyAwait, op: 0}, "steps[0] connect", "await timeout"},
		{why{kind: whyData, op: -1}, "-", "data exhausted"},
	} {
		session, step := r.sessions.siteNames(r.sessions.site(r.sessions.progs[0], tc.w))
		if reason := failureReason(tc.w); session != "s" || step != tc.step || reason != tc.reason {
			t.Errorf("%+v: worded %q / %q / %q, want s / %q / %q", tc.w, session, step, reason, tc.step, tc.reason)
		}
	}
}
