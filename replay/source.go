// Package replay streams a production traffic log to the runner as arrivals: a reader
// goroutine (traffic.Replay) compiles each logged session into a scenario session against a
// head scenario and queues it, a bounded lookahead ahead of the run (Source, a
// runner.PlanSource), and says what it read as report.json's replay section. ccload replay is
// its command; the runner compiles each streamed session into its program once.
package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"ccload/ccapi"
	"ccload/report"
	"ccload/runner"
	"ccload/scenario"
	"ccload/traffic"
)

// Lookahead is how many arrivals, compiled, the log reader runs ahead of the replay.
const Lookahead = 4096

// ErrReaderStuck is report.json's replay.error when the log reader did not stop within 2 s of
// the run's end: what it read, and so whether the run played the whole log, is not known.
const ErrReaderStuck = "the log reader did not stop within 2 s (blocked reading its input: a pipe nobody closes?): " +
	"how much of the log was read is not known, so the run may not have played all of it; end the log's input when it is done"

// Stats is traffic.ReplayStats plus the sessions that did not compile.
type Stats struct {
	traffic.ReplayStats
	Invalid      int64 // sessions whose requests break the field rules (only with --keep-content)
	FirstInvalid error
}

// Source streams a log's arrivals to the runner (runner.PlanSource): one goroutine reads
// the log (traffic.Replay), compiles each session against the head scenario and queues its
// arrivals, at most Lookahead ahead of the replay.
type Source struct {
	ch   chan runner.Planned
	full chan struct{} // closed when the queue first fills
	quit chan struct{}
	done chan struct{} // closed when the reader has ended; st and err are set then
	once sync.Once
	st   Stats
	err  error
	// Set by the reader, read once done is closed: it was stopped (by stop) before it had read
	// the log; the arrivals it queued; the first line of the first session that did not compile.
	stopped          bool
	sent             int64
	firstInvalidLine int64
}

// Start reads the log from in (named name) on its own goroutine and queues its arrivals,
// each session compiled against head (see Compiler), at most Lookahead ahead of the replay.
func Start(in io.Reader, name string, o traffic.Options, ro traffic.ReplayOptions, head *scenario.Scenario) *Source {
	s := &Source{ch: make(chan runner.Planned, Lookahead), full: make(chan struct{}), quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer close(s.ch)
		var last *traffic.Session
		var sess *scenario.Session
		filled := false
		comp := NewCompiler(head, ro, name)
		st, err := traffic.Replay(in, o, ro, func(a traffic.Arrival) bool {
			if a.Session != last { // copies of a session come one after another: compile once
				last, sess = a.Session, nil
				ss, err := comp.Compile(a.Session)
				if err != nil {
					s.st.Invalid++
					if s.st.FirstInvalid == nil {
						s.st.FirstInvalid, s.firstInvalidLine = err, a.Session.Events[0].Line
					}
				} else {
					sess = ss
				}
			}
			if sess == nil {
				return true
			}
			p := runner.Planned{At: a.At, Sess: sess}
			select {
			case <-s.quit: // stopped: hand out no more, even with room in the queue
				s.stopped = true
				return false
			default:
			}
			select {
			case s.ch <- p:
				s.sent++
				return true
			default:
			}
			if !filled {
				filled = true
				close(s.full)
			}
			select {
			case s.ch <- p:
				s.sent++
				return true
			case <-s.quit:
				s.stopped = true
				return false
			}
		})
		s.st.ReplayStats, s.err = st, err
	}()
	return s
}

// Next hands the runner the next arrival.
func (s *Source) Next(ctx context.Context) (runner.Planned, bool) {
	select {
	case p, ok := <-s.ch:
		return p, ok
	case <-ctx.Done():
		return runner.Planned{}, false
	}
}

// Prefill waits until the reader has filled the lookahead or ended; false when it was
// interrupted first.
func (s *Source) Prefill(ctx context.Context) bool {
	select {
	case <-s.full:
	case <-s.done:
	case <-ctx.Done():
		return false
	}
	return true
}

// Finished says the reader has ended (Result and Section may read its counts).
func (s *Source) Finished() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Stop ends the reader (it stops at its next arrival) and waits for it a little: a reader
// blocked on a stalled pipe is left behind.
func (s *Source) Stop() {
	s.once.Do(func() { close(s.quit) })
	select {
	case <-s.done:
	case <-time.After(2 * time.Second):
	}
}

// Finish stops the reader and writes report.json's replay section into rep (the log named
// log, read with ro), with a warning when the run did not play the log as asked: the log was
// refused part-way, or the reader did not stop within 2 s, so what it read is not known. It
// returns that warning's reason, "" when the read ended whole or was stopped by the run's own
// end (an interrupt, which the report says apart); the command must not exit 0 on a reason.
func (s *Source) Finish(rep *report.Report, log string, ro traffic.ReplayOptions) (reason string) {
	s.Stop()
	fin := s.Finished() // once: a reader left behind may still end while the report is built
	x := s.Section(log, ro, fin)
	rep.Replay = x
	if x.Error != "" {
		rep.Warnings = append(rep.Warnings, "replay: "+x.Error)
	}
	return x.Error
}

// Result is the reader's counts and error (once Finished).
func (s *Source) Result() (Stats, error) { return s.st, s.err }

// Section is report.json's replay section: what the reader took from the log so far (call it
// after stop; fin: the reader has ended, so its counts may be read). It holds counts and line
// numbers only: never a logged from, messageId or content, nor an error's text that could quote one.
func (s *Source) Section(log string, ro traffic.ReplayOptions, fin bool) *report.Replay {
	x := &report.Replay{Log: log, Speed: ro.Speed, Scale: max(ro.Scale, 1), FromS: ro.From.Seconds(), ToS: ro.To.Seconds(), KeepContent: ro.KeepContent}
	if !fin {
		x.Error = ErrReaderStuck
		return x
	}
	st, rd := s.st, s.st.Read
	x.Lines, x.Requests, x.Blank, x.Bad = rd.Lines, rd.Requests, rd.Blank, rd.Bad
	x.Sessions, x.Selected, x.SkippedNoConnect, x.OutsideWindow = rd.Sessions, st.Logged, st.Skipped, st.Outside
	x.NotReached = rd.Sessions - st.Logged - st.Skipped - st.Outside
	x.Invalid, x.FirstInvalidLine = st.Invalid, s.firstInvalidLine
	x.Arrivals, x.ArrivalRequests = s.sent, st.Requests
	x.WindowS = st.Window.Seconds()
	x.MaxOpen, x.MaxPending = rd.MaxOpen, st.Ordered.MaxPending
	for kind, p := range rd.Problems {
		k := problemKey[kind]
		if k == "" {
			k = kind // a kind this table lacks: validate refuses it, so the test of every kind fails first
		}
		if x.Problems == nil {
			x.Problems = map[string]report.ReplayProblem{}
		}
		x.Problems[k] = report.ReplayProblem{Count: p.Count, FirstLines: slices.Clone(p.Lines)}
	}
	x.Complete = s.err == nil && st.Invalid == 0 && !s.stopped
	switch {
	case errors.Is(s.err, traffic.ErrTooManyBad), errors.Is(s.err, traffic.ErrEmpty), errors.Is(s.err, traffic.ErrNothingToReplay):
		x.Error = s.err.Error() // counts only
	case s.err != nil:
		x.Error = "reading the log failed after " + strconv.FormatInt(rd.Lines, 10) + " lines: the rest was not replayed"
	case st.Invalid > 0:
		x.Error = fmt.Sprintf("%d sessions broke the field rules and were not replayed; the first begins at line %d", st.Invalid, s.firstInvalidLine)
	}
	return x
}

// problemKey names the reader's problem kinds in report.json (report.ReplayProblemKinds).
var problemKey = map[string]string{
	traffic.ProblemMalformed: report.ReplayMalformed, traffic.ProblemTooLongLine: report.ReplayLineTooLong,
	traffic.ProblemMissing: report.ReplayMissing, traffic.ProblemUnknownCT: report.ReplayUnknownCT,
	traffic.ProblemOutOfOrder: report.ReplayOutOfOrder, traffic.ProblemNoConnect: report.ReplayNoConnect,
	traffic.ProblemEvicted: report.ReplayEvicted, traffic.ProblemHeld: report.ReplayHeld, traffic.ProblemTruncated: report.ReplayTruncated,
}

// Compiler turns logged sessions into scenario sessions. With --keep-content each is
// compiled from its own text (scenario.ParseSessions: its identity and contents are its own).
// Otherwise a session's steps depend only on each request's kinds and content length, and its
// thinks on its gaps: each distinct send step is compiled once and shared (steps are immutable),
// thinks are constants, and the session around them comes from one compiled prototype, so a
// session costs no YAML parse at all. (TestReplaySourceFindsLateProblems' 4,196 sessions took
// 1.1 s parsed one by one, 0.05 s shared: go test -run TestReplaySourceFindsLateProblems -v ccload)
type Compiler struct {
	head  *scenario.Scenario
	ro    traffic.ReplayOptions
	name  string
	proto *scenario.Session
	steps map[string]*scenario.Step // by StepYAML; at most one per kind × media × length
}

// maxSharedSteps bounds the compiled-step cache (kinds × media × content lengths stay far below it).
const maxSharedSteps = 100_000

// NewCompiler compiles the sessions of the log name against head with the replay's options.
func NewCompiler(head *scenario.Scenario, ro traffic.ReplayOptions, name string) *Compiler {
	return &Compiler{head: head, ro: ro, name: name}
}

// Compile turns one logged session into a scenario session (see Compiler).
func (c *Compiler) Compile(s *traffic.Session) (*scenario.Session, error) {
	where := fmt.Sprintf("%s line %d (the replayed session)", c.name, s.Events[0].Line)
	if c.ro.KeepContent {
		ss, err := c.head.ParseSessions(where, traffic.SessionYAML(s, c.ro))
		if err != nil {
			return nil, err
		}
		return ss[0], nil
	}
	if c.proto == nil {
		ss, err := c.head.ParseSessions(where, traffic.SessionYAML(&traffic.Session{Events: s.Events[:1]}, c.ro))
		if err != nil {
			return nil, err
		}
		c.proto, c.steps = ss[0], map[string]*scenario.Step{}
	}
	out := *c.proto
	out.Steps = make([]*scenario.Step, 0, 2*len(s.Events))
	speed := c.ro.Speed
	if speed <= 0 {
		speed = 1
	}
	for k, e := range s.Events {
		if k > 0 {
			ns := int64(float64(e.T-s.Events[k-1].T) / speed)
			out.Steps = append(out.Steps, &scenario.Step{Kind: scenario.StepThink, Path: "replay.think",
				Think: &scenario.Dist{Kind: scenario.Constant, A: float64(ns) / 1e9}})
		}
		key := traffic.StepYAML(e, false)
		st := c.steps[key]
		if st == nil {
			// The step compiled in a session like the real one (connect first: the flow check).
			lib := &traffic.Session{Events: []traffic.Event{{Control: ccapi.Connect, Media: ccapi.Text}, e}}
			ss, err := c.head.ParseSessions(where, traffic.SessionYAML(lib, c.ro))
			if err != nil {
				return nil, err
			}
			st = ss[0].Steps[len(ss[0].Steps)-1]
			if len(c.steps) >= maxSharedSteps {
				clear(c.steps)
			}
			c.steps[key] = st
		}
		out.Steps = append(out.Steps, st)
	}
	return &out, nil
}
