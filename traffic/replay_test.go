package traffic

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"ccload/ccapi"
)

// logOf writes sessions as log lines, in time order (ms times).
func logOf(lines ...[3]any) string {
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, `{"channel":"WEB","content":"hello","controlType":%q,"from":%q,"mediaType":"TEXT","received_ms":%d}`+"\n", l[1], l[0], l[2])
	}
	return b.String()
}

func ev(from, ct string, ms int64) [3]any { return [3]any{from, ct, ms + 1_796_000_000_000} }

func replayAll(t *testing.T, log string, ro ReplayOptions) ([]Arrival, ReplayStats, error) {
	t.Helper()
	var got []Arrival
	o := DefaultOptions()
	o.KeepLines = ro.KeepContent
	st, err := Replay(strings.NewReader(log), o, ro, func(a Arrival) bool { got = append(got, a); return true })
	return got, st, err
}

// The replay keeps the log's arrivals (divided by --speed) in the order sessions began, even
// when an early session closes last; it selects the window and interleaves --scale copies.
func TestReplayArrivals(t *testing.T) {
	log := logOf(ev("a", "CONNECT", 0), ev("a", "CHAT", 40), ev("b", "CONNECT", 1000), ev("x", "CHAT", 1005),
		ev("b", "CHAT", 1100), ev("b", "DISCONNECT", 1200), ev("c", "CONNECT", 3000), ev("a", "DISCONNECT", 3100))
	got, st, err := replayAll(t, log, ReplayOptions{Speed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if st.Skipped != 1 || st.Logged != 3 || st.Arrivals != 3 || st.Requests != 7 {
		t.Fatalf("stats %+v", st)
	}
	var froms []string
	var ats []time.Duration
	for _, a := range got {
		froms, ats = append(froms, a.Session.From), append(ats, a.At)
	}
	if want := []time.Duration{0, 500 * time.Millisecond, 1500 * time.Millisecond}; fmt.Sprint(froms) != "[a b c]" || fmt.Sprint(ats) != fmt.Sprint(want) {
		t.Errorf("arrivals %v at %v, want [a b c] at %v", froms, ats, want)
	}
	// Window [500ms, 2s): only b, which starts at once; scale 2 up to the window's end (1 s after b): 0 and 0.5 s.
	got, st, err = replayAll(t, log, ReplayOptions{From: 500 * time.Millisecond, To: 2 * time.Second, Scale: 2})
	if err != nil {
		t.Fatal(err)
	}
	if st.Logged != 1 || len(got) != 2 || got[0].At != 0 || got[1].At != 500*time.Millisecond || got[1].Copy != 1 || got[1].Session.From != "b" {
		t.Errorf("window+scale: %+v", got)
	}
	// Scale 4 over the whole log: the copies of a fall between a and b, 250 ms apart.
	got, _, _ = replayAll(t, log, ReplayOptions{Scale: 4})
	if len(got) != 12 || got[1].At != 250*time.Millisecond || got[3].At != 750*time.Millisecond || got[4].Session.From != "b" || got[4].At != time.Second {
		t.Errorf("scale 4: %+v", got[:5])
	}
	if _, _, err := replayAll(t, log, ReplayOptions{From: 10 * time.Second}); err != ErrNothingToReplay {
		t.Errorf("empty window: %v", err)
	}
}

// A session's scenario text keeps its gaps (divided by --speed) and, without KeepContent,
// none of its identity or text; it polls as told.
func TestSessionYAML(t *testing.T) {
	s := &Session{From: "alice"}
	for i, g := range []int64{0, 40, 60} {
		ct := ccapi.Chat
		if i == 0 {
			ct = ccapi.Connect
		}
		s.Events = append(s.Events, Event{T: g * 1e6, Control: ct, Media: ccapi.Text, ContentLen: 5, Content: "hello"})
	}
	y := string(SessionYAML(s, ReplayOptions{Speed: 2, Poll: "{interval: 2s}"}))
	for _, want := range []string{"think: 20000000ns", "think: 10000000ns", `chat: "{{rand_str 5}}"`, `user_id: "r{{rand_str 5}}c{{customer}}"`, "poll: {interval: 2s}", "name: replay"} {
		if !strings.Contains(y, want) {
			t.Errorf("session lacks %q:\n%s", want, y)
		}
	}
	if strings.Contains(y, "hello") || strings.Contains(y, "alice") {
		t.Errorf("content leaked without KeepContent:\n%s", y)
	}
	y = string(SessionYAML(s, ReplayOptions{KeepContent: true}))
	if !strings.Contains(y, `chat: "hello"`) || !strings.Contains(y, `user_id: "alice"`) || !strings.Contains(y, "poll: true") {
		t.Errorf("KeepContent session:\n%s", y)
	}
}

// genLog streams a synthetic log of n sessions (like bench/genlog: CONNECT, 1-4 CHATs,
// DISCONNECT, lognormal gaps, 50 arrivals/s, interleaved in time order) into w, and returns
// the number of requests written.
func genLog(w io.Writer, n int, seed uint64) int64 {
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	rng := rand.New(rand.NewPCG(seed, 2))
	type line struct {
		t    int64
		text string
	}
	var pending []line // sessions are short: a sorted window of pending lines is enough
	var lines int64
	start := int64(1_796_000_000_000)
	flush := func(before int64) {
		k := 0
		for _, l := range pending {
			if l.t < before {
				bw.WriteString(l.text)
			} else {
				pending[k] = l
				k++
			}
		}
		pending = pending[:k]
	}
	for s := range n {
		start += int64(rng.ExpFloat64()*20) + 1
		t := start
		add := func(ct string) {
			pending = append(pending, line{t, fmt.Sprintf(`{"content":"hi","controlType":%q,"from":"u%d","mediaType":"TEXT","received_ms":%d}`+"\n", ct, s, t)})
			lines++
			t += int64(rng.ExpFloat64()*800) + 1
		}
		add("CONNECT")
		for range 1 + rng.IntN(4) {
			add("CHAT")
		}
		add("DISCONNECT")
		if s%64 == 0 {
			sort.Slice(pending, func(i, j int) bool { return pending[i].t < pending[j].t })
			flush(start - 1000) // all later lines are at or after start; 1 s inside the reorder window
		}
	}
	sort.Slice(pending, func(i, j int) bool { return pending[i].t < pending[j].t })
	flush(1 << 62)
	return lines
}

// A replay streams its log: for a log of 20,000 sessions the reader holds a few dozen
// sessions open and ReadOrdered a few dozen held back for order, however long the log, and
// every session and request of the log is handed out exactly once, in start order.
func TestReplayStreamsBounded(t *testing.T) {
	const n = 20_000
	pr, pw := io.Pipe()
	var lines int64
	go func() { lines = genLog(pw, n, 7); pw.Close() }()
	var last time.Duration
	var arrivals, requests int64
	st, err := Replay(pr, DefaultOptions(), ReplayOptions{Speed: 1}, func(a Arrival) bool {
		if a.At < last {
			t.Fatalf("arrival %d at %s before the previous one's %s", arrivals, a.At, last)
		}
		last = a.At
		arrivals++
		requests += int64(len(a.Session.Events))
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if arrivals != n || st.Arrivals != n || requests != lines || st.Requests != lines || st.Read.Requests != lines {
		t.Errorf("handed out %d sessions with %d requests (stats %+v); the log has %d sessions, %d requests", arrivals, requests, st, n, lines)
	}
	// About 50 sessions/s living ~2.4 s each are open at once; closed ones wait for the
	// oldest open one (plus the 2 s reorder window): both a few hundred at most, not n.
	if st.Read.MaxOpen > 1000 || st.Ordered.MaxPending > 1000 || st.Ordered.Held != 0 {
		t.Errorf("held %d open and %d pending at most (%d cut early): not bounded", st.Read.MaxOpen, st.Ordered.MaxPending, st.Ordered.Held)
	}
	t.Logf("%d sessions, %d requests; at most %d open, %d pending", n, lines, st.Read.MaxOpen, st.Ordered.MaxPending)
}

// Past MaxPending, the session open longest is closed early so the later ones can go: memory
// stays bounded even when one customer stays for the whole log. Every request is still handed
// over once, in sessions in start order.
func TestReadOrderedMaxPending(t *testing.T) {
	lines := []([3]any){ev("long", "CONNECT", 0)}
	for i := range 50 {
		ms := int64(100 + 100*i)
		lines = append(lines, ev(fmt.Sprint("s", i), "CONNECT", ms), ev(fmt.Sprint("s", i), "DISCONNECT", ms+10))
	}
	lines = append(lines, ev("long", "DISCONNECT", 6000))
	o := DefaultOptions()
	o.Reorder = 50 * time.Millisecond
	var got []*Session
	var requests int
	st, ost, err := ReadOrdered(strings.NewReader(logOf(lines...)), o, 10, func(s *Session) bool {
		got = append(got, s)
		requests += len(s.Events)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if ost.MaxPending > 12 || ost.Held != 1 || st.Problem(ProblemHeld).Count != 1 {
		t.Errorf("pending at most %d, %d held: want <= 12 (the cap, the line's session and the one cut) and 1", ost.MaxPending, ost.Held)
	}
	// long's DISCONNECT comes after it was closed: a session of its own (without CONNECT).
	if len(got) != 52 || got[0].From != "long" || got[0].End != EndHeld || got[51].From != "long" || requests != len(lines) {
		t.Errorf("%d sessions, %d requests (want 52, %d); first %s (%s), last %s", len(got), requests, len(lines), got[0].From, got[0].End, got[len(got)-1].From)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Events[0].T < got[i-1].Events[0].T {
			t.Errorf("session %d (%s) out of start order", i, got[i].From)
		}
	}
	// Without the cap nothing is cut, and long waits for nobody: all 50 others wait for it.
	_, ost, _ = ReadOrdered(strings.NewReader(logOf(lines...)), o, 0, func(*Session) bool { return true })
	if ost.Held != 0 || ost.MaxPending != 51 {
		t.Errorf("uncapped: %d held, %d pending at most; want 0 and 51", ost.Held, ost.MaxPending)
	}
}

// TestReplayOptionsCheck: each option that makes no sense is refused naming its flag; the
// defaults and a window from < to pass.
func TestReplayOptionsCheck(t *testing.T) {
	for _, c := range []struct {
		o    ReplayOptions
		want string // "" passes
	}{
		{ReplayOptions{Speed: 1, Scale: 1}, ""},
		{ReplayOptions{Speed: 2, Scale: 3, From: time.Second, To: 2 * time.Second}, ""},
		{ReplayOptions{Speed: 0, Scale: 1}, "--speed must be greater than 0"},
		{ReplayOptions{Speed: 1, Scale: 0}, "--scale must be at least 1"},
		{ReplayOptions{Speed: 1, Scale: 2, KeepContent: true}, "--scale needs fresh identities"},
		{ReplayOptions{Speed: 1, Scale: 1, From: 2 * time.Second, To: time.Second}, "--from 2s --to 1s: want 0 <= from < to"},
	} {
		err := c.o.Check()
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v: %v; want %q", c.o, err, c.want)
		}
	}
}
