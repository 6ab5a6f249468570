package reporttest

import (
	"ccload/report"
	"ccload/report/record"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// Event is one call on a Recorder, so a stream can be replayed into one recorder or split across several.
type Event struct {
	Kind     byte // 'r' record, 'a' arrival (then 's' started or 'd' dropped), 'e' ended, 'p' reply, 'g' agent, 'o' reply timeout, 't' tick
	T        int64
	Sample   report.Sample
	GroupIdx int // index into streamGroups; the Sample's GroupIDs are set per recorder
	StepIdx  int // index into streamSteps, or -1
	Outcome  report.Outcome
	Dur      int64
}

var (
	streamGroups = [][2]string{{"sendAsync", "CHAT"}, {"sendAsync", "CONNECT"}, {"poll", ""}, {"applyToken", ""}, {"sendAsync", "TRANS2AGENT"}}
	streamSteps  = []string{"greet", "ask"}
	streamCodes  = []string{"0", "0", "0", "0", "0", "0", "12", "13", "100-0001"}
)

// RandomStream generates a session-shaped Event stream over secs seconds: arrivals, dropped arrivals,
// sessions that end completed, failed or interrupted, and requests of every error class.
func RandomStream(seed uint64, secs int) []Event {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var evs []Event
	span := int64(secs) * int64(time.Second)
	for t := int64(0); t < span; t += int64(rng.IntN(3_000_000)) + 1 {
		switch x := rng.IntN(100); {
		case x < 3:
			evs = append(evs, Event{Kind: 'a', T: t})
			if rng.IntN(5) == 0 {
				evs = append(evs, Event{Kind: 'd', T: t})
			} else {
				evs = append(evs, Event{Kind: 's', T: t})
				o := report.Outcome(rng.IntN(3))
				evs = append(evs, Event{Kind: 'e', T: t, Outcome: o, Dur: rng.Int64N(int64(90 * time.Second))})
			}
		case x < 5:
			evs = append(evs, Event{Kind: 'p', T: t, Dur: rng.Int64N(int64(3 * time.Second))})
		case x < 6:
			evs = append(evs, Event{Kind: 'g', T: t, Dur: rng.Int64N(int64(120 * time.Second))})
		case x < 7:
			evs = append(evs, Event{Kind: 'o', T: t})
		default:
			lag := int64(rng.ExpFloat64() * 200_000) // ns
			svc := int64(rng.ExpFloat64()*5e6) + 50_000
			end := t + lag + svc
			intended := t
			if t > int64(71*time.Second) && rng.IntN(500) == 0 {
				intended = t - int64(70*time.Second) // a response time beyond the histogram: clamped
			}
			class := report.ClassOK
			code := streamCodes[rng.IntN(len(streamCodes))]
			status := 200
			switch y := rng.IntN(100); {
			case code != "0":
				class = report.ClassApp
			case y < 3:
				class, status = report.ClassHTTP, 500+rng.IntN(4)
			case y < 5:
				class, status, code = report.ErrClass(3+rng.IntN(6)), 0, ""
			case y < 6: // not sent (each reason) or cut
				class, status, code = report.ClassClient+report.ErrClass(rng.IntN(int(report.NumClasses-report.ClassClient))), 0, ""
			}
			step := -1
			if rng.IntN(3) == 0 {
				step = rng.IntN(len(streamSteps))
			}
			evs = append(evs, Event{Kind: 'r', T: end, GroupIdx: rng.IntN(len(streamGroups)), StepIdx: step, Sample: report.Sample{
				Intended: intended, Start: t + lag, End: end, Status: status, ResultCode: code, Class: class,
				BytesSent: 300 + rng.IntN(100), BytesRecv: 100 + rng.IntN(50),
			}})
		}
	}
	// The collector sees events in completion order.
	slices.SortStableFunc(evs, func(a, b Event) int {
		switch {
		case a.T < b.T:
			return -1
		case a.T > b.T:
			return 1
		}
		return 0
	})
	return evs
}

// StreamRecorder is a Recorder with the stream's groups registered.
type StreamRecorder struct {
	*record.Recorder
	groups, steps []report.GroupID
}

func NewStreamRecorder(opts record.Options) *StreamRecorder {
	if opts.Start.IsZero() {
		opts.Start = Start
	}
	sr := &StreamRecorder{Recorder: record.New(opts)}
	for _, g := range streamGroups {
		sr.groups = append(sr.groups, sr.Group(g[0], g[1]))
	}
	for _, s := range streamSteps {
		sr.steps = append(sr.steps, sr.StepGroup(s))
	}
	return sr
}

func (sr *StreamRecorder) Play(e *Event) {
	switch e.Kind {
	case 'r':
		s := e.Sample
		s.Group, s.Step = sr.groups[e.GroupIdx], report.NoGroup
		if e.StepIdx >= 0 {
			s.Step = sr.steps[e.StepIdx]
		}
		sr.Record(&s)
	case 'a':
		sr.Arrival(e.T)
	case 'd':
		sr.Dropped(e.T)
	case 's':
		sr.SessionStarted(e.T)
	case 'e':
		sr.SessionEnded(e.T, e.Outcome, e.Dur)
	case 'p':
		sr.Reply(e.T, e.Dur)
	case 'g':
		sr.AgentJoined(e.T, e.Dur)
	case 'o':
		sr.ReplyTimeout(e.T)
	}
}

func RecordStream(evs []Event, secs int, opts record.Options) *report.Report {
	sr := NewStreamRecorder(opts)
	for i := range evs {
		sr.Play(&evs[i])
	}
	return sr.Finish(Start.Add(time.Duration(secs)*time.Second+300*time.Millisecond), record.Meta{Scenario: "stream", Seed: 7})
}

// SplitStream records one stream in a single recorder and, split at random per session or request,
// in n shard recorders; it returns the single report and the shard reports.
func SplitStream(t *testing.T, seed uint64, secs, n int, opts []record.Options) (*report.Report, []*report.Report) {
	t.Helper()
	evs := RandomStream(seed, secs)
	end := Start.Add(time.Duration(secs)*time.Second + 300*time.Millisecond)
	meta := record.Meta{Scenario: "stream", Seed: 7}
	single := NewStreamRecorder(record.Options{})
	shards := make([]*StreamRecorder, n)
	for i := range shards {
		o := record.Options{}
		if i < len(opts) {
			o = opts[i]
		}
		shards[i] = NewStreamRecorder(o)
	}
	rng := rand.New(rand.NewPCG(seed, 99))
	shard := 0
	for i := range evs {
		e := &evs[i]
		single.Play(e)
		// A session's events (arrival, then started/dropped and ended) stay on one shard.
		if e.Kind != 's' && e.Kind != 'd' && e.Kind != 'e' {
			shard = rng.IntN(n)
		}
		shards[shard].Play(e)
	}
	out := make([]*report.Report, n)
	for i, s := range shards {
		out[i] = s.Finish(end, meta)
	}
	return single.Finish(end, meta), out
}
