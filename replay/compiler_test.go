package replay

import (
	"testing"

	"ccload/ccapi"
	"ccload/scenario"
	"ccload/traffic"
)

// testHead is a head scenario for the replay's tests: one connect, no poll.
func testHead(t *testing.T) *scenario.Scenario {
	t.Helper()
	head, err := scenario.Parse("head", []byte("load: {rate: 1, duration: 1s}\nsessions: [{poll: false, steps: [connect]}]\n"), ".", nil)
	if err != nil {
		t.Fatal(err)
	}
	return head
}

// The shared-step compiler (no --keep-content) builds the session the session's own text would
// compile to: the same steps, thinks, sends, poll settings and identity template.
func TestReplayCompilerSharesSteps(t *testing.T) {
	head := testHead(t)
	ro := traffic.ReplayOptions{Speed: 2, Poll: "{interval: 300ms}"}
	s := &traffic.Session{From: "alice"}
	for i, e := range []traffic.Event{{Control: ccapi.Connect}, {Control: ccapi.Chat, Media: ccapi.Text, ContentLen: 5},
		{Control: ccapi.Chat, Media: ccapi.Image, ContentLen: 20}, {Control: ccapi.Chat, Media: ccapi.WebCardMedia, ContentLen: 40},
		{Control: ccapi.Input, ContentLen: 6}, {Control: ccapi.Chat, Media: ccapi.Text, ContentLen: 5}, {Control: ccapi.Disconnect}} {
		e.T = int64(i) * 333_333_333
		if e.Media == "" {
			e.Media = ccapi.Text
		}
		s.Events = append(s.Events, e)
	}
	c := NewCompiler(head, ro, "log")
	fast, err := c.Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := c.Compile(s)
	slow, err := head.ParseSessions("log", traffic.SessionYAML(s, ro))
	if err != nil {
		t.Fatal(err)
	}
	want := slow[0]
	if fast.Name != want.Name || fast.Poll != want.Poll || fast.PollInterval != want.PollInterval || fast.OnFailure != want.OnFailure ||
		fast.Channel.UserID.Source() != want.Channel.UserID.Source() || len(fast.Steps) != len(want.Steps) {
		t.Fatalf("session %+v, want %+v", fast, want)
	}
	for i, st := range fast.Steps {
		w := want.Steps[i]
		if st.Kind != w.Kind {
			t.Errorf("step %d: %s, want %s", i, st.Kind, w.Kind)
			continue
		}
		if st.Kind == scenario.StepThink {
			if d := st.Think.Duration(nil) - w.Think.Duration(nil); d.Abs() > 1 {
				t.Errorf("think %d: %s, want %s", i, st.Think.Duration(nil), w.Think.Duration(nil))
			}
			continue
		}
		if st.Send.ControlType != w.Send.ControlType || st.Send.MediaType != w.Send.MediaType || st.Send.Content.Source() != w.Send.Content.Source() {
			t.Errorf("step %d: %s %s %q, want %s %s %q", i, st.Send.ControlType, st.Send.MediaType, st.Send.Content.Source(), w.Send.ControlType, w.Send.MediaType, w.Send.Content.Source())
		}
		if again.Steps[i] != st {
			t.Errorf("step %d was compiled again, not shared", i)
		}
	}
	if len(c.steps) != 6 { // two TEXT chats of length 5 share one step
		t.Errorf("%d distinct steps compiled, want 6", len(c.steps))
	}
}
