package runner

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"ccload/ccapi"
	"ccload/report"
)

// turn is one call of customer.next in a clock-free script: at time now, with the result of
// the exchange the previous action asked for, the customer must answer want.
type turn struct {
	now  time.Duration
	res  result
	want string
}

func ms(d float64) int64 { return int64(d * float64(time.Millisecond)) }

// ok is a successful exchange from start to end (ms since the run's start).
func ok(start, end float64) result { return result{ok: true, start: ms(start), end: ms(end)} }

func fail(start, end float64) result { return result{start: ms(start), end: ms(end)} }

func (a action) String() string {
	var s string
	switch a.kind {
	case actWake:
		s = "wake " + time.Duration(a.at).String()
	case actToken:
		s = "token @" + time.Duration(a.intended).String()
	case actSend:
		s = a.op.step.Kind.String() + " @" + time.Duration(a.intended).String()
	case actPoll:
		s = "poll @" + time.Duration(a.intended).String()
	case actQueue:
		s = "queue @" + time.Duration(a.intended).String()
	case actAbandon:
		s = "abandon @" + time.Duration(a.intended).String()
	case actDone:
		s = map[flow]string{flowOK: "done ok", flowFailed: "done failed", flowCancel: "done cancel", flowEnded: "done ended_by_platform"}[a.outcome]
	}
	if a.reply >= 0 {
		s += " reply=" + time.Duration(a.reply).String()
	}
	if a.agent >= 0 {
		s += " agent=" + time.Duration(a.agent).String()
	}
	if a.timeout {
		s += " timeout"
	}
	return s
}

// play compiles the first session of src and runs the script against a fresh customer that
// arrives at 0 (token: it fetches its token first), failing at the first wrong action.
func play(t *testing.T, src string, token bool, script []turn) {
	t.Helper()
	c := newCustomer(t, src, 0, token)
	var got []string
	for i, tu := range script {
		a := c.next(int64(tu.now), tu.res)
		got = append(got, fmt.Sprintf("%v: %v", tu.now, a))
		if a.String() != tu.want {
			t.Fatalf("turn %d at %v: got %q, want %q\nso far:\n  %s", i, tu.now, a, tu.want, strings.Join(got, "\n  "))
		}
	}
}

// newCustomer compiles the first session of src and returns a customer in it, arriving at
// arrival (token: it fetches its token first), for a clock-free script of turns.
func newCustomer(t testing.TB, src string, arrival int64, token bool) *customer {
	t.Helper()
	sc := parse(t, src)
	r := &run{sc: sc, seed: 1}
	r.index()
	c := &customer{}
	c.reset(r.sessions.progs[0], rand.New(rand.NewPCG(1, 2)), arrival, token)
	return c
}

const progHead = "load: {rate: 1, duration: 1s}\nsessions:\n  - name: s\n"

func TestProgramThinksFromTheIntendedTimeWithPollsInterleaved(t *testing.T) {
	src := progHead + "    steps: [connect, {think: 2500ms}, {chat: hi}, disconnect]\n"
	play(t, src, false, []turn{
		{0, result{}, "connect @0s"},
		// Connected at 10ms: the first poll tick is a poll interval (1s) after that.
		{10 * time.Millisecond, ok(0, 10), "wake 1.01s"},
		{1010 * time.Millisecond, result{}, "poll @1.01s"},
		{1020 * time.Millisecond, ok(1010, 1020), "wake 2.01s"},
		{2010 * time.Millisecond, result{}, "poll @2.01s"},
		// The next tick (3.01s) falls after the think's end (2.5s): wake for the chat.
		{2020 * time.Millisecond, ok(2010, 2020), "wake 2.5s"},
		// Woken late, the chat's intended time is still 2.5s: lateness does not pile up.
		{2600 * time.Millisecond, result{}, "chat @2.5s"},
		{2610 * time.Millisecond, ok(2600, 2610), "disconnect @2.5s"},
		{2620 * time.Millisecond, ok(2610, 2620), "done ok"},
	})
}

func TestProgramSkipsPollTicksMissedByASlowPoll(t *testing.T) {
	src := progHead + "    poll: {interval: 1s}\n    steps: [connect, {think: 10s}, disconnect]\n"
	play(t, src, false, []turn{
		{0, result{}, "connect @0s"},
		{0, ok(0, 0), "wake 1s"},
		{time.Second, result{}, "poll @1s"},
		// That poll took until 3.5s: ticks 2s and 3s are skipped, not burst.
		{3500 * time.Millisecond, ok(1000, 3500), "wake 4s"},
		{4 * time.Second, result{}, "poll @4s"},
		{4 * time.Second, ok(4000, 4000), "wake 5s"},
	})
}

func TestProgramNoBackgroundPollWithPollFalse(t *testing.T) {
	src := progHead + "    poll: false\n    steps: [connect, {think: 3s}, disconnect]\n"
	play(t, src, false, []turn{
		{0, result{}, "connect @0s"},
		{0, ok(0, 0), "wake 3s"},
		{3 * time.Second, result{}, "disconnect @3s"},
		{3 * time.Second, ok(3000, 3000), "done ok"},
	})
}

func TestProgramRepeatsAndAwaitsReplies(t *testing.T) {
	src := progHead + `    steps:
      - connect
      - repeat:
          count: 2
          steps: [{chat: hi}, {await_reply: {timeout: 5s, from: robot}}]
      - repeat: {count: 0, steps: [{chat: hi}]}
      - disconnect
`
	play(t, src, false, []turn{
		{0, result{}, "connect @0s"},
		{10 * time.Millisecond, ok(0, 10), "chat @0s"},
		// Round 1: the await polls at the tick; the robot's answer there is the reply.
		{30 * time.Millisecond, ok(20, 30), "wake 1.01s"},
		{1010 * time.Millisecond, result{}, "poll @1.01s"},
		// The answer re-anchors the schedule: round 2's chat is intended at 1.02s.
		{1020 * time.Millisecond, result{ok: true, start: ms(1010), end: ms(1020), robot: true}, "chat @1.02s reply=1s"},
		{1040 * time.Millisecond, ok(1030, 1040), "wake 2.01s"},
		{2010 * time.Millisecond, result{}, "poll @2.01s"},
		// An AGENT answer does not satisfy from: robot; the await goes on.
		{2020 * time.Millisecond, result{ok: true, start: ms(2010), end: ms(2020), agent: true}, "wake 3.01s reply=990ms"},
		{3010 * time.Millisecond, result{}, "poll @3.01s"},
		// Two rounds done, the zero-count repeat is skipped.
		{3020 * time.Millisecond, result{ok: true, start: ms(3010), end: ms(3020), robot: true}, "disconnect @3.02s"},
		{3030 * time.Millisecond, ok(3020, 3030), "done ok"},
	})
}

func TestProgramNestedRepeats(t *testing.T) {
	src := progHead + `    poll: false
    steps:
      - connect
      - repeat:
          count: 2
          steps:
            - repeat: {count: 2, steps: [{think: 1s}, input]}
            - read
      - disconnect
`
	play(t, src, false, []turn{
		{0, result{}, "connect @0s"},
		{0, ok(0, 0), "wake 1s"},
		{time.Second, result{}, "input @1s"},
		{time.Second, ok(1000, 1000), "wake 2s"},
		{2 * time.Second, result{}, "input @2s"},
		{2 * time.Second, ok(2000, 2000), "read @2s"},
		{2 * time.Second, ok(2000, 2000), "wake 3s"},
		{3 * time.Second, result{}, "input @3s"},
		{3 * time.Second, ok(3000, 3000), "wake 4s"},
		{4 * time.Second, result{}, "input @4s"},
		{4 * time.Second, ok(4000, 4000), "read @4s"},
		{4 * time.Second, ok(4000, 4000), "disconnect @4s"},
		{4 * time.Second, ok(4000, 4000), "done ok"},
	})
}

func TestProgramAwaitAgentTimesOut(t *testing.T) {
	steps := "    steps: [connect, transfer, {await_agent: {timeout: 2s, on_timeout: %s}}, disconnect]\n"
	for _, tc := range []struct {
		policy, last string
	}{
		{"continue", "disconnect @2s timeout"},
		// The customer is still queued on the platform: it is disconnected before it fails.
		{"fail", "abandon @2s timeout"},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			play(t, progHead+fmt.Sprintf(steps, tc.policy), false, []turn{
				{0, result{}, "connect @0s"},
				{0, ok(0, 0), "transfer @0s"},
				// The await asks queryQueueInfo at once; the deadline counts from max(intended, now) = 0.
				{0, ok(0, 0), "queue @0s"},
				{0, ok(0, 0), "wake 1s"},
				{time.Second, result{}, "poll @1s"},
				// The deadline comes before the tick due at the same time.
				{time.Second, ok(1000, 1000), "wake 2s"},
				{2 * time.Second, result{}, tc.last},
				{2010 * time.Millisecond, ok(2000, 2010), map[string]string{"continue": "done ok", "fail": "done failed"}[tc.policy]},
			})
		})
	}
}

func TestProgramRecordsTimeToAgent(t *testing.T) {
	src := progHead + "    steps: [connect, transfer, {await_agent: {timeout: 60s}}, disconnect]\n"
	play(t, src, false, []turn{
		{0, result{}, "connect @0s"},
		{0, ok(0, 0), "transfer @0s"},
		{200 * time.Millisecond, ok(100, 200), "queue @200ms"},
		{210 * time.Millisecond, ok(200, 210), "wake 1s"},
		{time.Second, result{}, "poll @1s"},
		// The SYSTEM "connected to an agent" message ends the wait.
		{1100 * time.Millisecond, result{ok: true, start: ms(1000), end: ms(1100), joined: true}, "disconnect @1.1s agent=1s"},
		{1100 * time.Millisecond, ok(1100, 1100), "done ok"},
	})
}

func TestProgramFailurePolicies(t *testing.T) {
	steps := "    on_failure: %s\n    poll: false\n    steps: [connect, {chat: hi}, {think: 1s}, disconnect]\n"
	play(t, progHead+fmt.Sprintf(steps, "abort"), false, []turn{
		{0, result{}, "connect @0s"},
		{0, ok(0, 0), "chat @0s"},
		{0, fail(0, 0), "abandon @0s"},
		{0, ok(0, 0), "done failed"},
	})
	play(t, progHead+fmt.Sprintf(steps, "continue"), false, []turn{
		{0, result{}, "connect @0s"},
		{0, ok(0, 0), "chat @0s"},
		{0, fail(0, 0), "wake 1s"},
		{time.Second, result{}, "disconnect @1s"},
		{time.Second, ok(1000, 1000), "done ok"},
	})
}

func TestProgramTokenFirstAndEarlyStart(t *testing.T) {
	src := progHead + "    poll: false\n    steps: [connect]\n"
	c := newCustomer(t, src, ms(500), true)
	for _, tu := range []turn{
		// Started before its arrival (a closed-model pause), the session waits for it.
		{100 * time.Millisecond, result{}, "wake 500ms"},
		{500 * time.Millisecond, result{}, "token @500ms"},
		{600 * time.Millisecond, ok(500, 600), "connect @500ms"},
		{700 * time.Millisecond, ok(600, 700), "done ok"},
	} {
		if a := c.next(int64(tu.now), tu.res); a.String() != tu.want {
			t.Fatalf("at %v: got %q, want %q", tu.now, a, tu.want)
		}
	}
	c = newCustomer(t, src, 0, true)
	if a := c.next(0, result{}); a.String() != "token @0s" {
		t.Fatalf("got %q, want a token fetch", a)
	}
	if a := c.next(ms(5), fail(0, 5)); a.String() != "done failed" {
		t.Fatalf("after a failed token fetch: got %q, want done failed", a)
	}
}

func TestProgramDisconnectNotSentStaysConnected(t *testing.T) {
	src := progHead + "    on_failure: continue\n    steps: [connect, disconnect, {think: 1500ms}]\n"
	play(t, src, false, []turn{
		{0, result{}, "connect @0s"},
		{0, ok(0, 0), "disconnect @0s"},
		// Refused locally, the DISCONNECT never went out: the customer still polls.
		{0, result{notSent: true}, "wake 1s"},
		{time.Second, result{}, "poll @1s"},
		{time.Second, ok(1000, 1000), "wake 1.5s"},
		{1500 * time.Millisecond, result{}, "done ok"},
	})
}

func TestProgramPlatformEndsTheSession(t *testing.T) {
	src := progHead + `    on_failure: continue
    steps:
      - connect
      - transfer
      - {await_agent: {timeout: 60s}}
      - repeat: {count: 3, steps: [{chat: hi}, {think: 2s}]}
      - disconnect
`
	polled := func(start, end float64, msgs ...ccapi.DownlinkMessage) result {
		res := ok(start, end)
		digest(msgs, &res)
		return res
	}
	joined := ccapi.DownlinkMessage{SourceType: ccapi.SourceSystem, ControlType: ccapi.Chat, Content: "You are connected to an agent"}
	for _, tc := range []struct {
		name string
		bye  ccapi.DownlinkMessage
		want string
	}{
		// The agent's handling time is over: it hangs up mid-chat.
		{"agent hangs up", ccapi.DownlinkMessage{SourceType: ccapi.SourceAgent, ControlType: ccapi.Disconnect, Content: "bye"}, "done ended_by_platform"},
		// The platform times the session out.
		{"system timeout", ccapi.DownlinkMessage{SourceType: ccapi.SourceSystem, ControlType: ccapi.Disconnect, Content: "timed out"}, "done ended_by_platform"},
		// A robot's DISCONNECT is not the platform ending the session: the chat goes on.
		{"robot disconnect ignored", ccapi.DownlinkMessage{SourceType: ccapi.SourceRobot, ControlType: ccapi.Disconnect}, "wake 3s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			play(t, src, false, []turn{
				{0, result{}, "connect @0s"},
				{0, ok(0, 0), "transfer @0s"},
				{0, ok(0, 0), "queue @0s"},
				{0, ok(0, 0), "wake 1s"},
				{time.Second, result{}, "poll @1s"},
				{1100 * time.Millisecond, polled(1000, 1100, joined), "chat @1.1s agent=1.1s"},
				{1100 * time.Millisecond, ok(1100, 1100), "wake 2s"},
				{2 * time.Second, result{}, "poll @2s"},
				// Seen mid-think: the session ends at once, no CHAT, no DISCONNECT sent.
				{2 * time.Second, polled(2000, 2000, tc.bye), tc.want},
			})
		})
	}
	// A failed poll says nothing about the session: the customer goes on.
	play(t, src, false, []turn{
		{0, result{}, "connect @0s"},
		{0, ok(0, 0), "transfer @0s"},
		{0, ok(0, 0), "queue @0s"},
		{0, ok(0, 0), "wake 1s"},
		{time.Second, result{}, "poll @1s"},
		{time.Second, result{ended: true, start: ms(1000), end: ms(1000)}, "wake 2s"},
	})
}

func TestProgramRefusedSendLooksForThePlatformsHangUp(t *testing.T) {
	src := progHead + "    steps: [connect, {think: 500ms}, {chat: hi}, {think: 1s}, disconnect]\n"
	refused := result{refused: true, start: ms(500), end: ms(510)}
	bye := result{ok: true, start: ms(510), end: ms(520)}
	digest([]ccapi.DownlinkMessage{{SourceType: ccapi.SourceAgent, ControlType: ccapi.Disconnect}}, &bye)
	for _, tc := range []struct {
		name string
		poll result
		want string
	}{
		// The agent hung up between two polls: the CHAT's resultCode 13 was the platform's end.
		{"hang-up waiting in the downlink", bye, "done ended_by_platform"},
		// Nothing there: the refusal stands and aborts the session.
		{"no hang-up", ok(510, 520), "abandon @520ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			play(t, src, false, []turn{
				{0, result{}, "connect @0s"},
				{0, ok(0, 0), "wake 500ms"},
				{500 * time.Millisecond, result{}, "chat @500ms"},
				{510 * time.Millisecond, refused, "poll @510ms"},
				{520 * time.Millisecond, tc.poll, tc.want},
			})
		})
	}
	// A transport failure is not a refusal: no extra poll, the session fails at once.
	play(t, src, false, []turn{
		{0, result{}, "connect @0s"},
		{0, ok(0, 0), "wake 500ms"},
		{500 * time.Millisecond, result{}, "chat @500ms"},
		{510 * time.Millisecond, fail(500, 510), "abandon @510ms"},
		{520 * time.Millisecond, ok(510, 520), "done failed"},
	})
}

// queued is a queryQueueInfo answer with resultCode code from start to end (ms).
func queued(start, end float64, code string) result {
	res := ok(start, end)
	digestQueue(code, &res)
	return res
}

func TestProgramPollsAfterAFailedConnectRunOnTheSessionsTimeline(t *testing.T) {
	src := progHead + "    on_failure: continue\n    steps: [connect, {think: 5s}, {chat: hi}, {await_reply: 3s}]\n"
	play(t, src, false, []turn{
		{0, result{}, "connect @0s"},
		// The CONNECT failed: nothing polls while the customer is not connected.
		{10 * time.Millisecond, fail(0, 10), "wake 5s"},
		{5 * time.Second, result{}, "chat @5s"},
		// The await polls anyway; its first tick is one interval after it began, not the run's start.
		{5010 * time.Millisecond, fail(5000, 5010), "wake 6.01s"},
		{6010 * time.Millisecond, result{}, "poll @6.01s"},
		{6020 * time.Millisecond, ok(6010, 6020), "wake 7.01s"},
		{7010 * time.Millisecond, result{}, "poll @7.01s"},
	})
}

func TestProgramAwaitAgentAsksQueryQueueInfo(t *testing.T) {
	src := progHead + "    queue_interval: 2s\n    steps: [connect, transfer, {await_agent: 10s}, disconnect]\n"
	// With polls on, the queue ticks (every 2s from the await's start) interleave with the poll's (1s).
	play(t, src, false, []turn{
		{0, result{}, "connect @0s"},
		{0, ok(0, 0), "transfer @0s"},
		{10 * time.Millisecond, ok(0, 10), "queue @10ms"},
		{20 * time.Millisecond, queued(10, 20, ccapi.QueueQueuing), "wake 1s"},
		{time.Second, result{}, "poll @1s"},
		{time.Second, ok(1000, 1000), "wake 2s"},
		{2 * time.Second, result{}, "poll @2s"},
		{2 * time.Second, ok(2000, 2000), "wake 2.01s"},
		{2010 * time.Millisecond, result{}, "queue @2.01s"},
		// "Already with an agent": the agent joined, seen before the poll showed it.
		{2050 * time.Millisecond, queued(2010, 2050, ccapi.QueueWithAgent), "disconnect @2.05s agent=2.05s"},
		{2060 * time.Millisecond, ok(2050, 2060), "done ok"},
	})
	// poll: false: await_agent works from queryQueueInfo alone.
	src = progHead + "    poll: false\n    queue_interval: 2s\n    steps: [connect, transfer, {await_agent: 10s}, disconnect]\n"
	play(t, src, false, []turn{
		{0, result{}, "connect @0s"},
		{0, ok(0, 0), "transfer @0s"},
		{0, ok(0, 0), "queue @0s"},
		{0, queued(0, 0, ccapi.QueueQueuing), "wake 2s"},
		{2 * time.Second, result{}, "queue @2s"},
		// A failed answer changes nothing; the grid goes on.
		{2 * time.Second, fail(2000, 2000), "wake 4s"},
		{4 * time.Second, result{}, "queue @4s"},
		{4 * time.Second, queued(4000, 4000, ccapi.QueueWithAgent), "disconnect @4s agent=4s"},
	})
	// A failed TRANS2AGENT is not waited for in the queue: no queryQueueInfo, no poll, the await times out.
	src = progHead + "    poll: false\n    on_failure: continue\n    steps: [connect, transfer, {await_agent: {timeout: 3s, on_timeout: continue}}, disconnect]\n"
	play(t, src, false, []turn{
		{0, result{}, "connect @0s"},
		{0, ok(0, 0), "transfer @0s"},
		{0, fail(0, 0), "wake 3s"},
		{3 * time.Second, result{}, "disconnect @3s timeout"},
	})
}

func TestProgramQueryQueueInfoSaysThePlatformEndedTheSession(t *testing.T) {
	src := progHead + "    steps: [connect, transfer, {await_agent: 60s}, disconnect]\n"
	for _, code := range []string{ccapi.QueueSessionEnded, ccapi.QueueSessionExpired, ccapi.QueueSessionMissing} {
		t.Run(code, func(t *testing.T) {
			play(t, src, false, []turn{
				{0, result{}, "connect @0s"},
				{0, ok(0, 0), "transfer @0s"},
				{0, ok(0, 0), "queue @0s"},
				{0, queued(0, 0, code), "done ended_by_platform"},
			})
		})
	}
}

func TestProgramReconnectsWhenThePlatformEndsTheSession(t *testing.T) {
	src := progHead + `    on_platform_end: reconnect
    steps:
      - connect
      - transfer
      - {await_agent: 60s}
      - repeat: {count: 2, steps: [{chat: hi}, {think: 2s}]}
      - disconnect
`
	bye := ok(1000, 1000)
	digest([]ccapi.DownlinkMessage{{SourceType: ccapi.SourceAgent, ControlType: ccapi.Disconnect}}, &bye)
	play(t, src, false, []turn{
		{0, result{}, "connect @0s"},
		{0, ok(0, 0), "transfer @0s"},
		{0, ok(0, 0), "queue @0s"},
		{0, queued(0, 0, ccapi.QueueWithAgent), "chat @0s agent=0s"},
		{0, ok(0, 0), "wake 1s"},
		{time.Second, result{}, "poll @1s"},
		// The agent hung up mid-think: a new CONNECT at once; the think in progress is cut short.
		{time.Second, bye, "connect @1s"},
		// Reconnected at 1.01s: the program goes on with the next round's chat, and the poll
		// grid restarts from the new CONNECT (1.01s + 1s), not from the old one.
		{1010 * time.Millisecond, ok(1000, 1010), "chat @1s"},
		{1020 * time.Millisecond, ok(1010, 1020), "wake 2.01s"},
		{2010 * time.Millisecond, result{}, "poll @2.01s"},
		{2020 * time.Millisecond, ok(2010, 2020), "wake 3s"},
		{3 * time.Second, result{}, "disconnect @3s"},
		{3 * time.Second, ok(3000, 3000), "done ok"},
	})
	// A reconnect refused (on_failure: abort) fails the session; an await in progress is given up.
	play(t, src, false, []turn{
		{0, result{}, "connect @0s"},
		{0, ok(0, 0), "transfer @0s"},
		{0, ok(0, 0), "queue @0s"},
		{0, queued(0, 0, ccapi.QueueSessionEnded), "connect @0s"},
		{0, fail(0, 0), "done failed"},
	})
	src = progHead + "    on_platform_end: reconnect\n    steps: [connect, transfer, {await_agent: 60s}, {chat: hi}, disconnect]\n"
	play(t, src, false, []turn{
		{0, result{}, "connect @0s"},
		{0, ok(0, 0), "transfer @0s"},
		{0, ok(0, 0), "queue @0s"},
		{0, queued(0, 0, ccapi.QueueSessionEnded), "connect @0s"},
		// The await was abandoned (neither met nor timed out): the next step is the chat.
		{10 * time.Millisecond, ok(0, 10), "chat @0s"},
		{20 * time.Millisecond, ok(10, 20), "disconnect @0s"},
	})
}

func TestProgramAsksQueryQueueInfoBeforeAPollDueTogether(t *testing.T) {
	src := progHead + "    steps: [connect, {think: 1s}, transfer, {await_agent: 10s}]\n"
	play(t, src, false, []turn{
		{0, result{}, "connect @0s"},
		{0, ok(0, 0), "wake 1s"},
		{time.Second, result{}, "transfer @1s"},
		// The TRANS2AGENT took until 2s: the poll tick (1s) and the first query are both due.
		{2 * time.Second, ok(1000, 2000), "queue @2s"},
		{2 * time.Second, queued(2000, 2000, ccapi.QueueQueuing), "poll @1s"},
	})
}

// TestProgramDisconnectsAFailedSession: a session that fails while the platform holds it open
// asks for its DISCONNECT (abandon) before it ends, and still ends failed with its own failure;
// a session that is not connected when it fails, or that goes on, or that ends on its own,
// asks for none. After the last turn the platform holds nothing for the teardown to close.
func TestProgramDisconnectsAFailedSession(t *testing.T) {
	refused13 := result{refused: true, start: ms(10), end: ms(20), why: why{kind: whyCall, class: report.ClassApp, code: "13"}}
	timeout := result{start: ms(10), end: ms(20), why: why{kind: whyCall, class: report.ClassTimeout}}
	chat := progHead + "    poll: false\n    steps: [connect, {chat: hi}, disconnect]\n"
	chatPolled := progHead + "    steps: [connect, {chat: hi}, disconnect]\n"
	queued := progHead + "    steps: [connect, transfer, {await_agent: {timeout: 2s, on_timeout: fail}}, disconnect]\n"
	waitQueued := []turn{{0, result{}, "connect @0s"}, {0, ok(0, 0), "transfer @0s"}, {0, ok(0, 0), "queue @0s"},
		{0, ok(0, 0), "wake 1s"}, {time.Second, result{}, "poll @1s"}, {time.Second, ok(1000, 1000), "wake 2s"}}
	for _, tc := range []struct {
		name, src string
		script    []turn
		want      why // the failure the last turn reports (kind none: the session did not fail)
	}{
		{"a refused chat (no poll) disconnects, then fails with resultCode 13", chat,
			[]turn{{0, result{}, "connect @0s"}, {10 * time.Millisecond, ok(0, 10), "chat @0s"},
				{20 * time.Millisecond, refused13, "abandon @20ms"}, {30 * time.Millisecond, ok(20, 30), "done failed"}},
			why{kind: whyCall, class: report.ClassApp, code: "13", op: 1}},
		{"a refused chat whose confirming poll shows no hang-up disconnects after the poll", chatPolled,
			[]turn{{0, result{}, "connect @0s"}, {10 * time.Millisecond, ok(0, 10), "chat @0s"},
				{20 * time.Millisecond, refused13, "poll @20ms"}, {30 * time.Millisecond, ok(20, 30), "abandon @30ms"},
				{40 * time.Millisecond, ok(30, 40), "done failed"}},
			why{kind: whyCall, class: report.ClassApp, code: "13", op: 1}},
		{"a failed DISCONNECT leaves the failure as it was", chat,
			[]turn{{0, result{}, "connect @0s"}, {10 * time.Millisecond, ok(0, 10), "chat @0s"},
				{20 * time.Millisecond, timeout, "abandon @20ms"}, {30 * time.Millisecond, fail(20, 30), "done failed"}},
			why{kind: whyCall, class: report.ClassTimeout, op: 1}},
		{"await_agent times out (on_timeout: fail) while queued: disconnected out of the queue", queued,
			append(waitQueued, turn{2 * time.Second, result{}, "abandon @2s timeout"}, turn{2010 * time.Millisecond, ok(2000, 2010), "done failed"}),
			why{kind: whyAwait, op: 2}},
		{"a refused CONNECT: nothing to disconnect", chat,
			[]turn{{0, result{}, "connect @0s"}, {10 * time.Millisecond, refused13, "done failed"}},
			why{kind: whyCall, class: report.ClassApp, code: "13", op: 0}},
		{"a failed token fetch: never connected", progHead + "    steps: [connect]\n",
			[]turn{{0, result{}, "token @0s"}, {0, result{why: why{kind: whyToken, class: report.ClassHTTP, status: 401}}, "done failed"}},
			why{kind: whyToken, class: report.ClassHTTP, status: 401, op: -1}},
		{"its own DISCONNECT step failed: it went out, not sent twice", chat,
			[]turn{{0, result{}, "connect @0s"}, {0, ok(0, 0), "chat @0s"}, {0, ok(0, 0), "disconnect @0s"},
				{10 * time.Millisecond, timeout, "done failed"}},
			why{kind: whyCall, class: report.ClassTimeout, op: 2}},
		{"no disconnect step: a session that ends connected on its own is a closed window, left as is",
			progHead + "    poll: false\n    steps: [connect, {chat: hi}]\n",
			[]turn{{0, result{}, "connect @0s"}, {0, ok(0, 0), "chat @0s"}, {0, ok(0, 0), "done ok"}},
			why{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCustomer(t, tc.src, 0, tc.script[0].want == "token @0s")
			a := playOn(t, c, tc.script)
			if a.fail != tc.want {
				t.Errorf("the session's failure = %+v, want %+v", a.fail, tc.want)
			}
			closedWindow := tc.want.kind == whyNone
			if got := c.mayBeConnected(); got != closedWindow {
				t.Errorf("mayBeConnected after the end = %v, want %v", got, closedWindow)
			}
		})
	}
}
