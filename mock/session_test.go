package mock_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"ccload/ccapi"
	"ccload/mock"
)

func TestSessionStateResultCodes(t *testing.T) {
	o := quickOptions()
	c := newClient(t, newMock(t, o))
	for i, tc := range []struct {
		name  string
		setup []ccapi.ControlType
		send  ccapi.ControlType
		want  string
	}{
		{"CHAT before CONNECT", nil, ccapi.Chat, "13"},
		{"INPUT before CONNECT", nil, ccapi.Input, "13"},
		{"READ before CONNECT", nil, ccapi.Read, "13"},
		{"TRANS2AGENT before CONNECT", nil, ccapi.Trans2Agent, "13"},
		{"DISCONNECT before CONNECT is idempotent", nil, ccapi.Disconnect, "0"},
		{"CONNECT", nil, ccapi.Connect, "0"},
		{"CONNECT twice is idempotent", []ccapi.ControlType{ccapi.Connect}, ccapi.Connect, "0"},
		{"CHAT after CONNECT", []ccapi.ControlType{ccapi.Connect}, ccapi.Chat, "0"},
		{"INPUT after CONNECT", []ccapi.ControlType{ccapi.Connect}, ccapi.Input, "0"},
		{"READ after CONNECT", []ccapi.ControlType{ccapi.Connect}, ccapi.Read, "0"},
		{"CHAT after DISCONNECT", []ccapi.ControlType{ccapi.Connect, ccapi.Disconnect}, ccapi.Chat, "13"},
		{"TRANS2AGENT after DISCONNECT", []ccapi.ControlType{ccapi.Connect, ccapi.Disconnect}, ccapi.Trans2Agent, "13"},
		{"CONNECT after DISCONNECT opens a new session", []ccapi.ControlType{ccapi.Connect, ccapi.Disconnect, ccapi.Connect}, ccapi.Chat, "0"},
		{"TRANS2AGENT twice while queuing or with the agent", []ccapi.ControlType{ccapi.Connect, ccapi.Trans2Agent}, ccapi.Trans2Agent, "13"},
	} {
		user := fmt.Sprintf("st-%d", i)
		t.Run(tc.name, func(t *testing.T) {
			for _, ct := range tc.setup {
				if got := c.sendCode(user, ct, "x"); got != "0" {
					t.Fatalf("setup %s: resultCode %s", ct, got)
				}
			}
			if got := c.sendCode(user, tc.send, "x"); got != tc.want {
				t.Errorf("%s: resultCode %s, want %s", tc.send, got, tc.want)
			}
		})
	}
}

func TestNoAgentsAnswers12(t *testing.T) {
	o := quickOptions()
	o.Agents = 0
	c := newClient(t, newMock(t, o))
	c.sendCode("lonely", ccapi.Connect, "")
	if got := c.sendCode("lonely", ccapi.Trans2Agent, ""); got != "12" {
		t.Fatalf("TRANS2AGENT with no agents: %s, want 12", got)
	}
}

func TestRobotAnswersChatThroughPoll(t *testing.T) {
	o := mock.DefaultOptions()
	o.RobotDelay = 50 * time.Millisecond
	c := newClient(t, newMock(t, o))
	c.sendCode("asker", ccapi.Connect, "")
	if msgs := c.poll("asker"); len(msgs) != 0 {
		t.Fatalf("before any CHAT poll returned %+v, want nothing", msgs)
	}
	sent := time.Now()
	c.sendCode("asker", ccapi.Chat, "what is the version?")
	m := c.pollUntil("asker", "ROBOT reply", func(m ccapi.DownlinkMessage) bool { return m.SourceType == ccapi.SourceRobot })
	if waited := time.Since(sent); waited < 50*time.Millisecond {
		t.Errorf("robot answered after %v, want at least the 50ms RobotDelay", waited)
	}
	if m.To != "asker" || m.From != "1011577355744904195" || m.Channel != "WEB" || m.ControlType != ccapi.Chat || m.Content == "" || m.Timestamp == 0 {
		t.Errorf("robot message %+v: want to=asker, from=the channel config, CHAT with content and timestamp", m)
	}
	// Each CHAT gets its own answer; a poll drains what has arrived.
	c.sendCode("asker", ccapi.Chat, "one")
	c.sendCode("asker", ccapi.Chat, "two")
	n := 0
	waitFor(t, "two more robot replies", func() bool {
		for _, m := range c.poll("asker") {
			if m.SourceType == ccapi.SourceRobot {
				n++
			}
		}
		return n >= 2
	})
	if n != 2 {
		t.Errorf("%d robot replies to 2 CHATs", n)
	}
}

func isConnected(m ccapi.DownlinkMessage) bool {
	return m.SourceType == ccapi.SourceSystem && m.Content == "connected to an agent"
}

func TestAgentQueue(t *testing.T) {
	o := quickOptions()
	o.Agents = 1
	o.HandleTime = mock.Constant(time.Hour) // only DISCONNECT frees the agent here
	c := newClient(t, newMock(t, o))
	users := []string{"first", "second", "third"}
	for _, u := range users {
		c.sendCode(u, ccapi.Connect, "")
	}
	if q := c.queueInfo("first"); q.ResultCode != ccapi.QueueSessionMissing {
		t.Errorf("queryQueueInfo before TRANS2AGENT: %+v, want 160004", q)
	}
	for _, u := range users {
		if got := c.sendCode(u, ccapi.Trans2Agent, ""); got != "0" {
			t.Fatalf("%s TRANS2AGENT: %s", u, got)
		}
	}
	c.pollUntil("first", "SYSTEM connected message", isConnected)

	positions := func(want map[string]int) {
		t.Helper()
		for u, pos := range want {
			q := c.queueInfo(u)
			switch {
			case pos == 0 && q.ResultCode != ccapi.QueueWithAgent:
				t.Errorf("%s: %+v, want resultCode 160021 (with an agent)", u, q)
			case pos > 0 && (q.ResultCode != ccapi.QueueQueuing || q.Position != pos):
				t.Errorf("%s: %+v, want resultCode 0 at position %d", u, q, pos)
			}
		}
	}
	positions(map[string]int{"first": 0, "second": 1, "third": 2})

	// The agent answers CHATs; the queuing customers hear nothing but the queue.
	c.sendCode("first", ccapi.Chat, "hello agent")
	a := c.pollUntil("first", "AGENT reply", func(m ccapi.DownlinkMessage) bool { return m.SourceType == ccapi.SourceAgent })
	if a.ControlType != ccapi.Chat || a.Content == "" {
		t.Errorf("agent reply %+v", a)
	}
	for _, m := range c.poll("second") {
		if isConnected(m) || m.SourceType == ccapi.SourceAgent {
			t.Fatalf("second got %+v while still queuing", m)
		}
	}

	c.sendCode("first", ccapi.Disconnect, "")
	c.pollUntil("second", "SYSTEM connected message", isConnected)
	positions(map[string]int{"second": 0, "third": 1})
	if q := c.queueInfo("first"); q.ResultCode != ccapi.QueueSessionMissing {
		t.Errorf("first after DISCONNECT: %+v, want 160004", q)
	}

	c.sendCode("second", ccapi.Disconnect, "")
	c.pollUntil("third", "SYSTEM connected message", isConnected)
	positions(map[string]int{"third": 0})
	if q := c.queueInfo("nobody"); q.ResultCode != ccapi.QueueSessionMissing {
		t.Errorf("no session: %+v, want 160004", q)
	}
}

func TestQueuingCustomerWhoLeavesLosesTheirPlace(t *testing.T) {
	o := quickOptions()
	o.Agents = 1
	o.HandleTime = mock.Constant(time.Hour)
	c := newClient(t, newMock(t, o))
	for _, u := range []string{"a", "b", "c", "d"} {
		c.sendCode(u, ccapi.Connect, "")
		c.sendCode(u, ccapi.Trans2Agent, "")
	}
	c.sendCode("b", ccapi.Disconnect, "")
	if q := c.queueInfo("c"); q.Position != 1 {
		t.Errorf("c: position %d, want 1 after b left", q.Position)
	}
	if q := c.queueInfo("d"); q.Position != 2 || q.EstimateWaitTime <= 0 {
		t.Errorf("d: %+v, want position 2 and an estimated wait", q)
	}
}

func TestAgentLeavesAfterHandlingTime(t *testing.T) {
	o := quickOptions()
	o.Agents = 1
	o.HandleTime = mock.Constant(100 * time.Millisecond)
	c := newClient(t, newMock(t, o))
	for _, u := range []string{"short", "next"} {
		c.sendCode(u, ccapi.Connect, "")
		c.sendCode(u, ccapi.Trans2Agent, "")
	}
	bye := c.pollUntil("short", "AGENT DISCONNECT", func(m ccapi.DownlinkMessage) bool {
		return m.SourceType == ccapi.SourceAgent && m.ControlType == ccapi.Disconnect
	})
	if bye.Content == "" {
		t.Errorf("agent's DISCONNECT has no content: %+v", bye)
	}
	if got := c.sendCode("short", ccapi.Chat, "are you there?"); got != "13" {
		t.Errorf("CHAT after the agent ended the session: %s, want 13", got)
	}
	c.pollUntil("next", "SYSTEM connected message", isConnected)
}

func TestSessionTimeoutReleasesWithSystemDisconnect(t *testing.T) {
	o := quickOptions()
	o.SessionTimeout = 200 * time.Millisecond
	o.Agents = 1
	o.HandleTime = mock.Constant(time.Hour)
	s := newMock(t, o)
	c := newClient(t, s)
	c.sendCode("idle", ccapi.Connect, "")
	c.sendCode("idle", ccapi.Trans2Agent, "") // holds the only agent
	c.sendCode("waiting", ccapi.Connect, "")
	c.sendCode("waiting", ccapi.Trans2Agent, "")

	// "waiting" keeps polling; "idle" does not, and is released, which frees the agent for "waiting".
	c.pollUntil("waiting", "SYSTEM connected message", isConnected)
	var msgs []ccapi.DownlinkMessage
	waitFor(t, "the idle session's release", func() bool { return s.Stats().Sessions.Open == 1 })
	msgs = c.poll("idle")
	var found bool
	for _, m := range msgs {
		if m.SourceType == ccapi.SourceSystem && m.ControlType == ccapi.Disconnect && m.IsOfflineStatus {
			found = true
		}
	}
	if !found {
		t.Fatalf("idle poll after the timeout: %+v, want a SYSTEM DISCONNECT with isOfflineStatus true", msgs)
	}
	if got := c.sendCode("idle", ccapi.Chat, "back"); got != "13" {
		t.Errorf("CHAT after the timeout: %s, want 13", got)
	}
}

// TestSessionsCostNoGoroutines holds thousands of sessions with pending robot
// replies and timeouts and checks the goroutine count does not grow with them.
func TestSessionsCostNoGoroutines(t *testing.T) {
	o := mock.DefaultOptions()
	o.RobotDelay = time.Hour
	o.SessionTimeout = time.Hour
	s := newMock(t, o)
	c := newClient(t, s)
	c.sendCode("warm", ccapi.Connect, "")
	before := runtime.NumGoroutine()
	const n = 2000
	for i := range n {
		u := fmt.Sprintf("user-%d", i)
		c.sendCode(u, ccapi.Connect, "")
		c.sendCode(u, ccapi.Chat, "hi")
	}
	if got := s.Stats().Sessions.Open; got != n+1 {
		t.Fatalf("open sessions %d, want %d", got, n+1)
	}
	if after := runtime.NumGoroutine(); after > before+5 {
		t.Errorf("goroutines grew from %d to %d with %d sessions", before, after, n)
	}
}
