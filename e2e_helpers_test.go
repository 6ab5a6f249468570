package main

// The one home of the root end-to-end tests' helpers, and their one way to run the CLI.
//
// Every root test runs ccload as a user does: the binary, built once per test process
// (ccloadBinary) and run by ccloadWith, the one function that starts it (ccload, ccloadTo,
// e2eRun and startMockCommand only shape its arguments and results). The binary, not dispatch
// in-process, because:
//   - the exit code, stdout and stderr are the process's own, and signals (SIGINT, SIGTERM,
//     SIGHUP) reach it as they reach a user's: no test needs a second, in-process way;
//   - its environment is its own (ccloadOpts.env), so a test that plants variables (secrets,
//     history's CI variables) need not t.Setenv and can run beside the others;
//   - it is built without the race detector: a load run measures the mock and the generator,
//     not the race detector's several-fold cost on the two cores of CI. The engine's packages
//     (runner, capacity, report, ...) run their own tests under -race.
//
// File names: tests of one command are cmd_<command>[_<topic>]_test.go, beside cmd_<command>.go;
// tests that hold across commands are cli_<topic>_test.go; tests of the repository itself (the
// import graph, the CI docs, the deploy Job) are repo_<topic>_test.go; a unit test of a root
// source file is named after it (flagcheck_test.go, mock_settings_test.go).
//
// The suite's wall time: the long tests spend most of their time waiting on real time, not on
// CPU, so they overlap (realTime), up to realTimeParallel at once (TestMain).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"ccload/ccapi"
	"ccload/mock"
	"ccload/report"
)

// realTimeParallel is how many root tests run at once when -parallel is not given. Every root
// test runs ccload in a child process, so all but the few that set the environment or count
// ticks of the generator (TestHistoryRecordsARun, TestReplayPolls) are parallel; they wait on real
// time far more than they compute, so GOMAXPROCS (the default, 2 in CI) left the cores idle.
// (6 was tried on 2026-12-07, when the runs were in-process under -race: no faster.)
const realTimeParallel = 4

// TestMain raises -parallel to realTimeParallel unless the command line set it, and removes the
// binary's temporary directory when the tests are done.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		if err := flag.Set("test.parallel", strconv.Itoa(realTimeParallel)); err != nil {
			panic(err)
		}
	}
	code := m.Run()
	if ccloadBin.dir != "" {
		os.RemoveAll(ccloadBin.dir)
	}
	os.Exit(code)
}

var ccloadBin struct {
	once      sync.Once
	dir, path string
	err       error
}

// e2eLDFlags stamp the binary as `make build` does (TestVersionStampedByMake checks they reach
// `ccload version`), so one build serves every test.
const e2eLDFlags = "-X main.version=v9.8.7 -X main.commit=abc123 -X main.buildDate=2026-12-02T00:00:00Z"

// ccloadBinary builds ccload once per test process, into a directory TestMain removes.
func ccloadBinary(t *testing.T) string {
	t.Helper()
	ccloadBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "ccload-e2e-")
		if err != nil {
			ccloadBin.err = err
			return
		}
		ccloadBin.dir, ccloadBin.path = dir, filepath.Join(dir, "ccload")
		out, err := exec.Command("go", "build", "-ldflags", e2eLDFlags, "-o", ccloadBin.path, ".").CombinedOutput()
		if err != nil {
			ccloadBin.err = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if ccloadBin.err != nil {
		t.Fatal(ccloadBin.err)
	}
	return ccloadBin.path
}

// realTime marks a test that waits on real time in child processes or a loopback mock, so it
// runs in parallel with the others like it (at most -parallel at once), and skips under -short.
func realTime(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: waits on real time")
	}
	t.Parallel()
}

// ccloadOpts are what a command line may need besides its arguments.
type ccloadOpts struct {
	env            []string          // KEY=VALUE added to the test process's environment
	stdin          io.Reader         // nil: no input
	stdout, stderr io.Writer         // also copied to these while it runs (nil: only the result)
	started        func(*os.Process) // called once the process runs (to signal it)
	timeout        time.Duration     // killed after this (a hang guard); 3 min when zero
}

// cliResult is how a command line ended.
type cliResult struct {
	code           int // -1 when the process could not run or was killed by the hang guard
	stdout, stderr string
}

// ccloadWith runs the ccload binary with args and o: the one way the root tests run the CLI.
// It may run on a goroutine other than the test's (startMockCommand): it reports with Errorf.
func ccloadWith(t *testing.T, o ccloadOpts, args ...string) cliResult {
	t.Helper()
	bin := ccloadBinary(t)
	if o.timeout == 0 {
		o.timeout = 3 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	if o.env != nil {
		cmd.Env = append(os.Environ(), o.env...)
	}
	cmd.Stdin = o.stdin
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if o.stdout != nil {
		cmd.Stdout = io.MultiWriter(&so, o.stdout)
	}
	if o.stderr != nil {
		cmd.Stderr = io.MultiWriter(&se, o.stderr)
	}
	if err := cmd.Start(); err != nil {
		t.Errorf("ccload %v: %v", args, err)
		return cliResult{code: -1}
	}
	if o.started != nil {
		o.started(cmd.Process)
	}
	err := cmd.Wait()
	res := cliResult{stdout: so.String(), stderr: se.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		res.code = -1
		t.Errorf("ccload %v: killed after %v\nstderr:\n%s", args, o.timeout, res.stderr)
	case errors.As(err, &ee):
		res.code = ee.ExitCode()
	default:
		res.code = -1
		t.Errorf("ccload %v: %v\nstderr:\n%s", args, err, res.stderr)
	}
	return res
}

// ccload runs one command line and returns its exit code, stdout and stderr.
func ccload(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	r := ccloadWith(t, ccloadOpts{}, args...)
	return r.code, r.stdout, r.stderr
}

// ccloadTo runs one command line with its output written to stdout and stderr.
func ccloadTo(t *testing.T, args []string, stdout, stderr io.Writer) int {
	t.Helper()
	return ccloadWith(t, ccloadOpts{stdout: stdout, stderr: stderr}, args...).code
}

// syncBuffer is an io.Writer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// mockCommand is a running `ccload mock`.
type mockCommand struct {
	url      string
	stdout   *syncBuffer
	stderr   *syncBuffer
	proc     chan *os.Process
	done     chan cliResult
	stopOnce sync.Once
	result   cliResult
}

var servingOn = regexp.MustCompile(`serving on (http://127\.0\.0\.1:\d+)`)

// startMockCommand runs `ccload mock` on a free loopback port with args and returns it once it
// printed its URL; the test's cleanup stops it.
func startMockCommand(t *testing.T, args ...string) *mockCommand {
	t.Helper()
	m := &mockCommand{stdout: &syncBuffer{}, stderr: &syncBuffer{}, proc: make(chan *os.Process, 1), done: make(chan cliResult, 1)}
	go func() {
		m.done <- ccloadWith(t, ccloadOpts{stdout: m.stdout, stderr: m.stderr, timeout: 10 * time.Minute,
			started: func(p *os.Process) { m.proc <- p }},
			append([]string{"mock", "--addr", "127.0.0.1:0", "--seed", "1"}, args...)...)
	}()
	var p *os.Process
	select {
	case p = <-m.proc:
	case r := <-m.done:
		t.Fatalf("ccload mock did not start: exit %d, %s", r.code, r.stderr)
	}
	m.proc <- p
	t.Cleanup(func() { m.stop(t) })
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if u := servingOn.FindStringSubmatch(m.stdout.String()); u != nil {
			m.url = u[1]
			return m
		}
		select {
		case r := <-m.done:
			m.done <- r
			t.Fatalf("ccload mock exited %d: %s", r.code, r.stderr)
		default:
		}
	}
	t.Fatalf("no URL printed; stdout %q stderr %q", m.stdout.String(), m.stderr.String())
	return nil
}

// stats reads the mock's counters (GET /mock/stats): what it received and how it answered.
func (m *mockCommand) stats(t *testing.T) mock.Stats {
	t.Helper()
	rsp, err := http.Get(m.url + "/mock/stats")
	if err != nil {
		t.Fatalf("mock stats: %v", err)
	}
	defer rsp.Body.Close()
	var st mock.Stats
	if err := json.NewDecoder(rsp.Body).Decode(&st); err != nil || rsp.StatusCode != http.StatusOK {
		t.Fatalf("mock stats: HTTP %d, %v", rsp.StatusCode, err)
	}
	return st
}

// stop ends the mock with SIGINT (which flushes a --record file) and returns how it exited.
func (m *mockCommand) stop(t *testing.T) cliResult {
	t.Helper()
	m.stopOnce.Do(func() {
		p := <-m.proc
		p.Signal(syscall.SIGINT)
		select {
		case m.result = <-m.done:
		case <-time.After(10 * time.Second):
			p.Kill()
			m.result = <-m.done
			t.Errorf("ccload mock did not stop on SIGINT; stderr:\n%s", m.stderr.String())
		}
	})
	return m.result
}

// freePort returns a loopback address with a port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// writeTemp writes text to name in a new temporary directory of t and returns its path.
func writeTemp(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// e2eMock starts a mock on loopback in the test process with opts changed by edit: the referee
// that counts what a run sent.
func e2eMock(t *testing.T, edit func(*mock.Options)) *mock.Server {
	t.Helper()
	o := mock.DefaultOptions()
	o.Addr = "127.0.0.1:0"
	o.Seed = 1
	if edit != nil {
		edit(&o)
	}
	srv, err := mock.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

type e2eResult struct {
	code           int
	stdout, stderr string
	rep            *report.Report
	out            string // the output directory (report.json and the rest)
}

// e2eRun runs `ccload run` with args (the output directory and --no-progress are added) and
// reads the report. start, when set, is called once the process runs (to signal it).
func e2eRun(t *testing.T, start func(*os.Process), args ...string) e2eResult {
	t.Helper()
	return e2eExec(t, ccloadOpts{started: start}, "run", args...)
}

// e2eReplay runs `ccload replay` like e2eRun runs `ccload run`.
func e2eReplay(t *testing.T, args ...string) e2eResult {
	t.Helper()
	return e2eExec(t, ccloadOpts{}, "replay", args...)
}

// e2eExec runs ccload sub with args and o, writing its outputs to a new directory, and reads
// the report.json it wrote.
func e2eExec(t *testing.T, o ccloadOpts, sub string, args ...string) e2eResult {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	if o.timeout == 0 {
		o.timeout = 90 * time.Second
	}
	r := ccloadWith(t, o, append(append([]string{sub}, args...), "--out", out, "--no-progress")...)
	if r.code < 0 {
		t.FailNow()
	}
	res := e2eResult{code: r.code, stdout: r.stdout, stderr: r.stderr, out: out}
	if rep, err := report.ReadFile(filepath.Join(out, report.FileName)); err == nil {
		res.rep = rep
	} else {
		t.Logf("no report: %v", err)
	}
	t.Logf("exit %d\nstdout:\n%s\nstderr:\n%s", res.code, res.stdout, res.stderr)
	return res
}

// e2eCompleted fails t unless the run exited 0 with a report whose accounting holds and whose
// requests are what the mock srv received.
func e2eCompleted(t *testing.T, res e2eResult, srv *mock.Server) *report.Report {
	t.Helper()
	if res.code != 0 {
		t.Fatalf("exit %d, want 0", res.code)
	}
	if res.rep == nil {
		t.Fatal("no report.json")
	}
	e2eInvariants(t, res.rep)
	e2eCountsMatch(t, res.rep, srv.Stats())
	return res.rep
}

// e2eInvariants fails t for every broken accounting invariant of rep.
func e2eInvariants(t *testing.T, rep *report.Report) {
	t.Helper()
	for _, w := range report.CheckInvariants(rep) {
		t.Errorf("invariant broken: %s", w)
	}
	s := rep.Sessions
	if s.Arrivals != s.Started+s.Dropped {
		t.Errorf("arrivals %d != started %d + dropped %d", s.Arrivals, s.Started, s.Dropped)
	}
	if s.Started != s.Completed+s.Failed+s.Interrupted+s.EndedByPlatform+s.CutByGrace {
		t.Errorf("started %d != completed %d + failed %d + interrupted %d + ended_by_platform %d + cut_by_grace %d", s.Started, s.Completed, s.Failed, s.Interrupted, s.EndedByPlatform, s.CutByGrace)
	}
	r := rep.Requests
	if r.Total != r.OK+r.AppErrors+r.HTTPErrors+r.TransportErrors+r.ClientErrors+r.Cut {
		t.Errorf("requests %+v do not add up", r)
	}
}

// e2eCountsMatch fails t unless the report's per-endpoint and per-controlType request counts
// equal what the mock received.
func e2eCountsMatch(t *testing.T, rep *report.Report, st mock.Stats) {
	t.Helper()
	byEndpoint := map[string]int64{}
	byControl := map[string]int64{}
	for _, g := range rep.Groups {
		if g.Kind != "endpoint" {
			continue
		}
		byEndpoint[g.Endpoint] += g.Total // not_sent (refused by validation, never written) is outside total
		if g.ControlType != "" {
			byControl[g.ControlType] += g.Total
		}
	}
	for _, ct := range ccapi.ControlTypes {
		if got, want := byControl[string(ct)], st.ControlTypes[string(ct)]; got != want {
			t.Errorf("controlType %s: report counts %d, mock received %d", ct, got, want)
		}
	}
	for ep, want := range st.Endpoints {
		if got := byEndpoint[ep]; got != want {
			t.Errorf("endpoint %s: report counts %d, mock received %d", ep, got, want)
		}
	}
	if st.Total() == 0 {
		t.Error("the mock received nothing")
	}
}

// e2eGroup is the report's group of kind named name (a step or a session), or nil.
func e2eGroup(rep *report.Report, kind, name string) *report.Group {
	for i := range rep.Groups {
		g := &rep.Groups[i]
		if g.Kind == kind && (g.Step == name || g.Name == name) {
			return g
		}
	}
	return nil
}
