package traffic

import (
	"strings"
	"testing"
	"time"

	"ccload/ccapi"
)

func sess(from string, start int64, gapsMs ...int64) *Session {
	s := &Session{From: from}
	t := start * 1e6
	s.Events = append(s.Events, Event{T: t, Control: ccapi.Connect, Media: ccapi.Text})
	for _, g := range gapsMs {
		t += g * 1e6
		s.Events = append(s.Events, Event{T: t, Control: ccapi.Chat, Media: ccapi.Text, ContentLen: 5, Content: "hello"})
	}
	return s
}

// The plan keeps the log's arrivals and gaps (divided by --speed), selects the window and
// spreads --scale copies evenly over it.
func TestBuildReplay(t *testing.T) {
	log := []*Session{sess("b", 1000, 100), sess("a", 0, 40, 60), sess("c", 3000), {From: "x", Events: []Event{{T: 5, Control: ccapi.Chat}}}}
	p, err := BuildReplay(log, ReplayOptions{Speed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if p.Skipped != 1 || p.Logged != 3 || p.Requests != 6 {
		t.Fatalf("plan %+v", p)
	}
	if want := []time.Duration{0, 500 * time.Millisecond, 1500 * time.Millisecond}; !equalDur(p.Arrivals, want) {
		t.Errorf("arrivals %v, want %v", p.Arrivals, want)
	}
	y := string(p.YAML)
	// a's gaps 40 and 60 ms at speed 2; rewritten text of the same length; fresh ids.
	for _, want := range []string{"think: 20000000ns", "think: 30000000ns", `chat: "{{rand_str 5}}"`, `user_id: "r{{rand_str 5}}c{{customer}}"`} {
		if !strings.Contains(y, want) {
			t.Errorf("plan scenario lacks %q:\n%s", want, y)
		}
	}
	if strings.Contains(y, "hello") {
		t.Errorf("content leaked without KeepContent")
	}
	p, _ = BuildReplay(log, ReplayOptions{KeepContent: true})
	if y := string(p.YAML); !strings.Contains(y, `chat: "hello"`) || !strings.Contains(y, `user_id: "a"`) {
		t.Errorf("KeepContent plan:\n%s", y)
	}
	// Window [500ms, 2s): only b, which then starts at once; scale 2 over the 1.5 s window: copies at 0 and 0.75 s.
	p, err = BuildReplay(log, ReplayOptions{From: 500 * time.Millisecond, To: 2 * time.Second, Scale: 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := []time.Duration{0, 750 * time.Millisecond}; p.Logged != 1 || !equalDur(p.Arrivals, want) {
		t.Errorf("window+scale: %d sessions, arrivals %v, want %v", p.Logged, p.Arrivals, want)
	}
	if _, err := BuildReplay(log, ReplayOptions{From: 10 * time.Second}); err != ErrNothingToReplay {
		t.Errorf("empty window: %v", err)
	}
}

func equalDur(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
