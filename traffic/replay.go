package traffic

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"ccload/ccapi"
)

// ReplayOptions says which part of a log is replayed and how.
type ReplayOptions struct {
	// Speed divides every time: 2 plays the log twice as fast (gaps and arrivals halved).
	Speed float64
	// From and To select the sessions starting in [From, To) after the log's first session
	// (To 0: to the end).
	From, To time.Duration
	// Scale plays each session this many times (default 1): the copies of a session starting at
	// t, when the next selected session starts at u, start at t + j·(u-t)/Scale (j = 0..Scale-1),
	// each with a fresh identity, so they interleave evenly and the arrival curve keeps its shape
	// at Scale times the rate. The last session's u is the window's end (To) when set, else it
	// takes the gap before it.
	Scale int
	// KeepContent sends the logged from and content; otherwise from is a fresh id per session,
	// TEXT content is replaced by random text of the same length, cards and media references
	// by placeholders.
	KeepContent bool
	// Poll is the `poll` value each replayed session gets, as the scenario language writes it
	// ("false", "true", "{interval: 2s}"); "" is "true" (the language's default: every 1 s).
	Poll string
	// MaxPending bounds the closed sessions held back for start order (ReadOrdered; 0: its default).
	MaxPending int
}

// Check says, naming each flag of ccload replay, what in o makes no sense: a speed not above 0,
// a scale under 1, fresh copies with the logged identities, a window that ends before it begins.
func (o ReplayOptions) Check() error {
	var errs []error
	if o.Speed <= 0 {
		errs = append(errs, fmt.Errorf("--speed must be greater than 0, got %v", o.Speed))
	}
	if o.Scale < 1 {
		errs = append(errs, fmt.Errorf("--scale must be at least 1, got %d", o.Scale))
	}
	if o.Scale > 1 && o.KeepContent {
		errs = append(errs, errors.New("--scale needs fresh identities: not with --keep-content"))
	}
	if o.From < 0 || o.To < 0 || (o.To > 0 && o.To <= o.From) {
		errs = append(errs, fmt.Errorf("--from %s --to %s: want 0 <= from < to (to 0: the end)", o.From, o.To))
	}
	return errors.Join(errs...)
}

// Arrival is one replayed session's start: At from the replay's start, the logged session it
// plays, and which copy it is (0 .. Scale-1).
type Arrival struct {
	At      time.Duration
	Session *Session
	Copy    int
}

// ReplayStats counts what a replay took from its log.
type ReplayStats struct {
	Read    Stats        // the reader's counts
	Ordered OrderedStats // what ReadOrdered held back for order
	// Skipped counts sessions without CONNECT, not replayable (the language needs one first).
	Skipped int64
	// Outside counts sessions with a CONNECT starting outside the window (From, To) that the
	// replay examined; the reader stops at the first one past To, so those after it are not
	// examined (Read.Sessions - Skipped - Outside - Logged: the sessions still held then).
	Outside int64
	// Logged is the sessions selected from the log, Arrivals the arrivals handed out (all
	// copies), Requests the requests they send.
	Logged, Arrivals, Requests int64
	// Window is the replayed window's length (divided by Speed): the last arrival, or the
	// selected window when To is set.
	Window time.Duration
}

// ErrNothingToReplay is returned when no session of the log falls in the window.
var ErrNothingToReplay = errors.New("no session to replay in the window: widen --from/--to, or check the log holds CONNECTs")

// Replay reads a log in one streaming pass (ReadOrdered) and hands each selected session's
// arrivals to emit in time order, as soon as they are known: a log far larger than memory is
// replayed with the reader's bound plus ro.MaxPending sessions held, plus the one session
// Scale looks ahead to. emit returns false to stop. Read o with KeepLines when KeepContent.
func Replay(in io.Reader, o Options, ro ReplayOptions, emit func(Arrival) bool) (ReplayStats, error) {
	if ro.Speed <= 0 {
		ro.Speed = 1
	}
	if ro.Scale <= 0 {
		ro.Scale = 1
	}
	var st ReplayStats
	var t0, w0 int64
	var prev *Session // the last selected session, held until the next one's start is known
	var prevGap int64
	stopped := false
	at := func(t int64) time.Duration { return time.Duration(float64(t-w0) / ro.Speed) }
	flush := func(next int64) bool {
		s := prev
		t := s.Events[0].T
		gap := next - t
		for j := range ro.Scale {
			a := Arrival{At: at(t + gap*int64(j)/int64(ro.Scale)), Session: s, Copy: j}
			if !emit(a) {
				return false // not taken: not counted
			}
			st.Arrivals++
			st.Requests += int64(len(s.Events))
			st.Window = max(st.Window, a.At)
		}
		prevGap = gap
		return true
	}
	var err error
	st.Read, st.Ordered, err = ReadOrdered(in, o, ro.MaxPending, func(s *Session) bool {
		if !s.Connected() {
			st.Skipped++
			return true
		}
		t := s.Events[0].T
		if t0 == 0 {
			t0 = t
		}
		off := time.Duration(t - t0)
		if off < ro.From {
			st.Outside++
			return true
		}
		if ro.To > 0 && off >= ro.To {
			st.Outside++
			return false // the window is over: read no further
		}
		st.Logged++
		if prev == nil {
			w0 = t
		} else if !flush(t) {
			stopped = true
			return false
		}
		prev = s
		return true
	})
	if prev != nil && !stopped {
		// The last session's arrivals, even when the read failed: those before it went out too.
		end := prev.Events[0].T + prevGap
		if ro.To > 0 {
			end = t0 + int64(ro.To)
		}
		flush(end)
	}
	if err != nil {
		return st, err
	}
	if prev == nil {
		return st, ErrNothingToReplay
	}
	if ro.To > 0 {
		st.Window = time.Duration(float64(ro.To-ro.From) / ro.Speed)
	}
	return st, nil
}

// SessionYAML is the `sessions:` document of one replayed session, for
// scenario.ParseSessions: its requests in order, the think before each the logged gap
// (divided by Speed), its identity and content kept or rewritten (see ReplayOptions). Every
// replayed session is named "replay", so reports group them as one session type.
func SessionYAML(s *Session, o ReplayOptions) []byte {
	if o.Speed <= 0 {
		o.Speed = 1
	}
	poll := o.Poll
	if poll == "" {
		poll = "true"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "sessions:\n  - name: replay\n    poll: %s\n    on_failure: continue\n", poll)
	if o.KeepContent {
		fmt.Fprintf(&b, "    channel: {user_id: %s}\n", quote(s.From))
	} else {
		// Fresh and unique: random per session, and the customer number.
		b.WriteString("    channel: {user_id: \"r{{rand_str 5}}c{{customer}}\"}\n")
	}
	b.WriteString("    steps:\n")
	for k, e := range s.Events {
		if k > 0 {
			fmt.Fprintf(&b, "      - think: %dns\n", int64(float64(e.T-s.Events[k-1].T)/o.Speed))
		}
		fmt.Fprintf(&b, "      - %s\n", replayStep(e, o.KeepContent))
	}
	return []byte(b.String())
}

// quote writes s as a YAML double-quoted scalar that is also a template rendering to s.
func quote(s string) string {
	b, _ := json.Marshal(strings.ReplaceAll(s, "{{", `{{"{{"}}`))
	return string(b)
}

// StepYAML is the step sending e, as a scenario steps list writes it: its content kept, or
// rewritten (see ReplayOptions). Without keep, it depends only on e's kinds and content length,
// so ccload replay compiles each distinct one once and shares it between sessions.
func StepYAML(e Event, keep bool) string { return replayStep(e, keep) }

// replayStep is the step sending e: its content kept, or rewritten (see ReplayOptions).
func replayStep(e Event, keep bool) string {
	text := ""
	switch {
	case keep && e.Content != "":
		text = quote(e.Content)
	case !keep && e.ContentLen > 0:
		text = fmt.Sprintf(`"{{rand_str %d}}"`, min(e.ContentLen, 1024))
	}
	withText := func(step string) string {
		if text == "" {
			return step
		}
		return step + ": " + text
	}
	switch e.Control {
	case ccapi.Connect:
		return withText("connect")
	case ccapi.Disconnect:
		return withText("disconnect")
	case ccapi.Trans2Agent:
		return withText("transfer")
	case ccapi.Input:
		return withText("input")
	case ccapi.Read:
		return withText("read")
	}
	switch e.Media {
	case ccapi.Text, "":
		if text == "" {
			text = `"x"`
		}
		return "chat: " + text
	case ccapi.WebCardMedia:
		var c ccapi.WebCard
		if keep && json.Unmarshal([]byte(e.Content), &c) == nil && (c.RedirectURL != "" || c.MediaFileID != "") {
			var f []string
			add := func(k, v string) {
				if v != "" {
					f = append(f, k+": "+quote(v))
				}
			}
			add("title", c.Title)
			add("description", c.Description)
			add("redirect_url", c.RedirectURL)
			add("media_file_id", c.MediaFileID)
			add("media_file_type", c.MediaFileType)
			return "card: {" + strings.Join(f, ", ") + "}"
		}
		return `card: {title: "replayed card", redirect_url: "https://example.com/"}`
	}
	if keep && e.Content != "" {
		return fmt.Sprintf("chat: {media: %s, text: %s}", e.Media, text)
	}
	return fmt.Sprintf(`chat: {media: %s, text: "objectKey0,%s"}`, e.Media, placeholderExt(e.Media))
}

func placeholderExt(m ccapi.MediaType) string {
	switch m {
	case ccapi.Audio:
		return "mp3"
	case ccapi.Video, ccapi.FileVideo:
		return "mp4"
	case ccapi.File:
		return "txt"
	}
	return "jpg"
}
