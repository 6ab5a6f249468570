package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"ccload/ccapi"
	"ccload/report"
	"ccload/runner"
	"ccload/scenario"
	"ccload/traffic"
)

// cmdReplay plays the sessions of a traffic log against a target, keeping their order and gaps.
func cmdReplay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var lf logFlags
	lf.register(fs)
	var ro traffic.ReplayOptions
	fs.Float64Var(&ro.Speed, "speed", 1, "divide every gap and arrival time by this (2: twice as fast)")
	fs.DurationVar(&ro.From, "from", 0, "replay the sessions starting this long after the log's first session or later")
	fs.DurationVar(&ro.To, "to", 0, "... and before this long after it (0: to the end)")
	fs.IntVar(&ro.Scale, "scale", 1, "play each session this many times with fresh identities, the copies interleaved evenly between it and the next session")
	fs.BoolVar(&ro.KeepContent, "keep-content", false, "send the logged from and content (default: fresh ids, random text of the same length, placeholder cards and media)")
	base := fs.String("scenario", "", "a scenario whose target, auth, channel, thresholds and mock sections the replay uses, and whose first session's poll the customers follow (default: the embedded mock, polling every 1s)")
	target := fs.String("target", "", "base `URL` of the platform, or mock (overrides --scenario's target)")
	userAgent := addUserAgentFlag(fs)
	out := addOutDirFlag(fs, "output `dir` (default ./ccload-out/replay-<YYYYmmdd-HHMMSS>)")
	grace := fs.Duration("grace", runner.DefaultGrace, "how long running sessions may finish after the last arrival")
	noProgress := addProgressFlag(fs)
	seed := fs.Int64("seed", 0, "seed of every random choice (fresh identities and texts; default: one picked and reported)")
	maxRPS := fs.Float64("max-rps", 0, "ceiling on this process's requests per second across all customers (default: --scenario's target.max_rps, or none)")
	duration := fs.Duration("duration", 0, "replay only the sessions arriving within this long of the start (the log window from --from, at --speed, as --to would); running sessions then get --grace (default: the whole log)")
	startAt := fs.String("start-at", "", "begin the replay at `TIME`: RFC 3339 (2026-12-02T14:05:00Z) or a duration from now (30s), so shards line up")
	mflags := addMetricsFlags(fs)
	shard := fs.String("shard", "", "replay only slice `I/N` of the logged sessions (merge the shards with ccload merge)")
	setUsage(fs, "Usage: ccload replay LOG [flags]\n\nPlays each session of a traffic log as a virtual customer: its requests in order, with their\ngaps, arriving at the logged times shifted to now. Writes the same outputs as ccload run, with\nlatency measured from each request's logged (intended) time.\n\nExit codes: as ccload run (0 done, 1 a threshold failed, 2 bad usage or a log refused, 3 unreachable,\ninterrupted, or the whole log not played).\n\nFlags:\n")
	pos, code, done := parseArgs(fs, args, stdout, func(pos []string) string {
		if len(pos) != 1 {
			return "want one LOG"
		}
		return ""
	})
	if done {
		return code
	}
	var errs []error
	errs = append(errs, lf.check())
	if t, err := checkTargetFlags(*target, *userAgent); err != nil {
		errs = append(errs, err)
	} else {
		*target = t
	}
	if ro.Speed <= 0 {
		errs = append(errs, fmt.Errorf("--speed must be greater than 0, got %v", ro.Speed))
	}
	if ro.Scale < 1 {
		errs = append(errs, fmt.Errorf("--scale must be at least 1, got %d", ro.Scale))
	}
	if ro.Scale > 1 && ro.KeepContent {
		errs = append(errs, errors.New("--scale needs fresh identities: not with --keep-content"))
	}
	if ro.From < 0 || ro.To < 0 || (ro.To > 0 && ro.To <= ro.From) {
		errs = append(errs, fmt.Errorf("--from %s --to %s: want 0 <= from < to (to 0: the end)", ro.From, ro.To))
	}
	errs = append(errs, checkLoadFlags(fs))
	cfg := runner.Config{Grace: *grace, Stdout: stdout, Stderr: stderr, Seed: *seed, MaxRPS: *maxRPS}
	if *grace <= 0 {
		cfg.Grace = -1
	}
	if *shard != "" {
		var err error
		cfg.Shard, err = runner.ParseShard(*shard)
		errs = append(errs, err)
	}
	if *startAt != "" {
		var err error
		if cfg.StartAt, err = parseStartAt(*startAt, time.Now()); err == nil {
			err = checkStartAt(cfg.StartAt, time.Now(), cfg.Shard.N > 1, *startAt, "replay", stderr)
		}
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		printError(stderr, "replay", err)
		return exitUsage
	}
	if *duration > 0 { // --duration bounds the replayed window: the log time it spans at --speed
		if to := ro.From + time.Duration(float64(*duration)*ro.Speed); ro.To == 0 || to < ro.To {
			ro.To = to
		}
	}
	rc, err := traffic.Open(pos[0], os.Stdin)
	if err != nil {
		printError(stderr, "replay", err)
		return exitUsage
	}
	defer rc.Close()
	lf.o.KeepLines = ro.KeepContent
	if ro.Poll, err = replayPoll(*base); err != nil {
		fmt.Fprintf(stderr, "ccload replay: --scenario: %v\n", err)
		return exitUsage
	}
	// The head scenario: target, auth, channel, thresholds and mock from --scenario, and a
	// stand-in session the runner never plays; the log's sessions are compiled against it
	// as they stream.
	data := []byte("# Generated by `ccload replay`: the sessions are the log's, each compiled as the log streams\n" +
		"# (its requests in order, the think before each the logged gap divided by --speed);\n" +
		"# arrivals come from the log. The load and the session below only stand in.\n" +
		"name: replay\nseed: 1\nload: {rate: 1, duration: 24h}\nsessions:\n  - {name: replay, poll: false, steps: [connect, disconnect]}\n")
	dir := "."
	if *base != "" {
		extra, err := baseSections(*base)
		if err != nil {
			fmt.Fprintf(stderr, "ccload replay: --scenario: %v\n", err)
			return exitUsage
		}
		data = append(append(data, "# from --scenario "+*base+":\n"...), extra...)
		dir = filepath.Dir(*base)
	}
	sc, err := scenario.Parse("replay of "+pos[0], data, dir, os.LookupEnv)
	if err != nil {
		printError(stderr, "replay", err)
		return exitUsage
	}
	applyUserAgent(sc, *userAgent)
	src := startReplaySource(rc, pos[0], lf.o, ro, sc)
	defer src.stop()
	// Read ahead before anything is sent: a log that fits in the lookahead is checked whole
	// (bad lines, sessions that break the field rules) and refused with exit 2, as before.
	if !src.prefill(ctx) {
		return exitAborted
	}
	if src.finished() {
		st, err := src.result()
		if err == nil && st.Invalid > 0 {
			err = fmt.Errorf("the log cannot be replayed as logged (with --keep-content, fix these or drop the flag):\n%v", st.FirstInvalid)
		}
		if err != nil {
			// Refused: what is wrong, line by line, so the log's owner can fix it. A log that is
			// replayed has its problems in the report instead, by line number only.
			writeProblems(stderr, "replay", st.Read, pos[0])
			printError(stderr, "replay", fmt.Errorf("%s: %w", pos[0], err))
			return exitUsage
		}
		cfg.SourceSpan = st.Window // the whole log is known: the progress display's total
	} else if ro.To > 0 {
		cfg.SourceSpan = time.Duration(float64(ro.To-ro.From) / ro.Speed)
	}
	cfg.Source = src
	// The report is finished only once the reader has stopped, so its replay section holds the
	// log's final counts, even when the run was stopped first (then the counts so far).
	late := false
	cfg.Finish = func(rep *report.Report) {
		src.stop()
		fin := src.finished() // once: a reader left behind may still end while the report is built
		rep.Replay = src.section(pos[0], ro, fin)
		if x := rep.Replay; x.Error != "" && fin {
			late = true
			rep.Warnings = append(rep.Warnings, "replay: "+x.Error)
		}
	}
	if *out == "" {
		*out = filepath.Join("ccload-out", "replay-"+time.Now().Format("20060102-150405"))
	}
	code = execRun(ctx, "replay", mflags, sc, pos[0], cfg, *target, *out, *noProgress, stdout, stderr)
	if late && code == exitOK {
		// Found past the lookahead, while the replay ran: the run did not play the whole log.
		fmt.Fprintf(stderr, "ccload replay: %s: the run did not play the whole log (report.json replay.error says why)\n", pos[0])
		code = exitAborted
	}
	return code
}

// replayPoll is the poll setting replayed sessions get: the first session's of the --scenario
// file when it has sessions ("" otherwise: the language's default, every 1 s).
func replayPoll(base string) (string, error) {
	if base == "" {
		return "", nil
	}
	raw, err := os.ReadFile(base)
	if err != nil {
		return "", err
	}
	var doc struct {
		Sessions []any `yaml:"sessions"`
	}
	if yaml.Unmarshal(raw, &doc) != nil || len(doc.Sessions) == 0 {
		return "", nil // baseSections reports a file that is not a scenario
	}
	bs, err := scenario.LoadFile(base)
	if err != nil {
		return "", err
	}
	s := bs.Sessions[0]
	if !s.Poll {
		return "false", nil
	}
	return fmt.Sprintf("{interval: %s}", s.PollInterval), nil
}

// replayLookahead is how many arrivals, compiled, the log reader runs ahead of the replay.
const replayLookahead = 4096

// replayStats is traffic.ReplayStats plus the sessions that did not compile.
type replayStats struct {
	traffic.ReplayStats
	Invalid      int64 // sessions whose requests break the field rules (only with --keep-content)
	FirstInvalid error
}

// replaySource streams a log's arrivals to the runner (runner.PlanSource): one goroutine reads
// the log (traffic.Replay), compiles each session against the head scenario and queues its
// arrivals, at most replayLookahead ahead of the replay.
type replaySource struct {
	ch   chan runner.Planned
	full chan struct{} // closed when the queue first fills
	quit chan struct{}
	done chan struct{} // closed when the reader has ended; st and err are set then
	once sync.Once
	st   replayStats
	err  error
	// Set by the reader, read once done is closed: it was stopped (by stop) before it had read
	// the log; the arrivals it queued; the first line of the first session that did not compile.
	stopped          bool
	sent             int64
	firstInvalidLine int64
}

func startReplaySource(in io.Reader, name string, o traffic.Options, ro traffic.ReplayOptions, head *scenario.Scenario) *replaySource {
	s := &replaySource{ch: make(chan runner.Planned, replayLookahead), full: make(chan struct{}), quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer close(s.ch)
		var last *traffic.Session
		var sess *scenario.Session
		filled := false
		comp := &sessionCompiler{head: head, ro: ro, name: name}
		st, err := traffic.Replay(in, o, ro, func(a traffic.Arrival) bool {
			if a.Session != last { // copies of a session come one after another: compile once
				last, sess = a.Session, nil
				ss, err := comp.compile(a.Session)
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
func (s *replaySource) Next(ctx context.Context) (runner.Planned, bool) {
	select {
	case p, ok := <-s.ch:
		return p, ok
	case <-ctx.Done():
		return runner.Planned{}, false
	}
}

// prefill waits until the reader has filled the lookahead or ended; false when it was
// interrupted first.
func (s *replaySource) prefill(ctx context.Context) bool {
	select {
	case <-s.full:
	case <-s.done:
	case <-ctx.Done():
		return false
	}
	return true
}

func (s *replaySource) finished() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// stop ends the reader (it stops at its next arrival) and waits for it a little: a reader
// blocked on a stalled pipe is left behind.
func (s *replaySource) stop() {
	s.once.Do(func() { close(s.quit) })
	select {
	case <-s.done:
	case <-time.After(2 * time.Second):
	}
}

func (s *replaySource) result() (replayStats, error) { return s.st, s.err }

// section is report.json's replay section: what the reader took from the log so far (call it
// after stop; fin: the reader has ended, so its counts may be read). It holds counts and line
// numbers only: never a logged from, messageId or content, nor an error's text that could quote one.
func (s *replaySource) section(log string, ro traffic.ReplayOptions, fin bool) *report.Replay {
	x := &report.Replay{Log: log, Speed: ro.Speed, Scale: max(ro.Scale, 1), FromS: ro.From.Seconds(), ToS: ro.To.Seconds(), KeepContent: ro.KeepContent}
	if !fin {
		x.Error = "the log reader did not stop within 2 s (blocked reading its input?): its counts are not known"
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
		k := replayProblemKey[kind]
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

// replayProblemKey names the reader's problem kinds in report.json (report.ReplayProblemKinds).
var replayProblemKey = map[string]string{
	traffic.ProblemMalformed: report.ReplayMalformed, traffic.ProblemTooLongLine: report.ReplayLineTooLong,
	traffic.ProblemMissing: report.ReplayMissing, traffic.ProblemUnknownCT: report.ReplayUnknownCT,
	traffic.ProblemOutOfOrder: report.ReplayOutOfOrder, traffic.ProblemNoConnect: report.ReplayNoConnect,
	traffic.ProblemEvicted: report.ReplayEvicted, traffic.ProblemHeld: report.ReplayHeld, traffic.ProblemTruncated: report.ReplayTruncated,
}

// sessionCompiler turns logged sessions into scenario sessions. With --keep-content each is
// compiled from its own text (scenario.ParseSessions: its identity and contents are its own).
// Otherwise a session's steps depend only on each request's kinds and content length, and its
// thinks on its gaps: each distinct send step is compiled once and shared (steps are immutable),
// thinks are constants, and the session around them comes from one compiled prototype, so a
// session costs no YAML parse at all. (TestReplaySourceFindsLateProblems' 4,196 sessions took
// 1.1 s parsed one by one, 0.05 s shared: go test -run TestReplaySourceFindsLateProblems -v .)
type sessionCompiler struct {
	head  *scenario.Scenario
	ro    traffic.ReplayOptions
	name  string
	proto *scenario.Session
	steps map[string]*scenario.Step // by StepYAML; at most one per kind × media × length
}

// maxSharedSteps bounds the compiled-step cache (kinds × media × content lengths stay far below it).
const maxSharedSteps = 100_000

func (c *sessionCompiler) compile(s *traffic.Session) (*scenario.Session, error) {
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
