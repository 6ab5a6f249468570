package dashboard

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"ccload/gates/evaluate"
	"ccload/report"
	htmlreport "ccload/report/html"
	"ccload/report/record"
)

var t0 = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

// recorded feeds a Recorder with the dashboard as its Observer: one CHAT request per 100 ms for n intervals.
func recorded(t *testing.T, obs record.Observer, seconds int) *record.Recorder {
	t.Helper()
	rec := record.New(record.Options{Start: t0, Observer: obs})
	g := rec.Group("sendAsync", "CHAT")
	for i := range seconds * 10 {
		at := int64(i) * int64(100*time.Millisecond)
		rec.Record(&report.Sample{Group: g, Step: report.NoGroup, Intended: at, Start: at, End: at + int64(time.Millisecond), Status: 200, ResultCode: "0"})
	}
	return rec
}

// readState reads SSE events from the stream until one with seq >= min arrives.
func readState(t *testing.T, sc *bufio.Scanner, min int64) state {
	t.Helper()
	for sc.Scan() {
		line := sc.Text()
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			var st state
			if err := json.Unmarshal([]byte(data), &st); err != nil {
				t.Fatalf("bad event data %q: %v", data, err)
			}
			if st.Seq >= min {
				return st
			}
		}
	}
	t.Fatalf("the stream ended before state %d: %v", min, sc.Err())
	return state{}
}

// A browser that connects late gets the run so far in its first event, and the page served
// to it already holds the charts (drawn server-side: it shows without JavaScript).
func TestLateClientGetsTheRunSoFar(t *testing.T) {
	s, err := Start("127.0.0.1:0", Options{Command: "run", Scenario: "late"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recorded(t, s, 6)
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		body := s.cur.Body
		s.mu.Unlock()
		if strings.Contains(body, "live at 5s") || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	resp, err := http.Get(s.URL() + "events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q, want text/event-stream", ct)
	}
	esc := bufio.NewScanner(resp.Body)
	esc.Buffer(nil, 1<<24)
	st := readState(t, esc, 1)
	if !strings.Contains(st.Body, "live at 5s") || !strings.Contains(st.Body, `id="throughput"`) {
		t.Errorf("the late client's first event is not the run so far (5 s of charts): %.300s", st.Body)
	}
	page, err := http.Get(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer page.Body.Close()
	var b strings.Builder
	sc := bufio.NewScanner(page.Body)
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		b.WriteString(sc.Text())
	}
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("the page's CSP %q does not forbid the network", csp)
	}
	if !strings.Contains(b.String(), "live at 5s") || !strings.Contains(b.String(), "window.ccloadCharts") {
		t.Errorf("the page is not served with the run so far and the shared chart script")
	}
}

// The run never waits for a browser: a client that reads nothing does not block the Observer,
// publishing or Close, and Finish reaches a client that is reading.
func TestSlowBrowserNeverBlocksTheRun(t *testing.T) {
	s, err := Start("127.0.0.1:0", Options{Command: "capacity", Scenario: "slow"})
	if err != nil {
		t.Fatal(err)
	}
	stalled, err := http.Get(s.URL() + "events") // never read
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Body.Close()
	reader, err := http.Get(s.URL() + "events")
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Body.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		rec := recorded(t, s, 30)
		for i := range 2000 {
			s.Publish(Step{Text: "step " + strings.Repeat("x", i%50)})
			if i%100 == 0 {
				s.Snapshot(rec.Snapshot(t0.Add(30*time.Second), record.Meta{}))
			}
		}
		s.Finish(rec.Finish(t0.Add(31*time.Second), record.Meta{Scenario: "slow"}))
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second): // a hang detector, not a speed limit
		t.Fatal("the observer side blocked on browsers that do not read")
	}
	sc := bufio.NewScanner(reader.Body)
	sc.Buffer(nil, 1<<24)
	st := readState(t, sc, 0)
	for !st.Done {
		st = readState(t, sc, st.Seq+1)
	}
	if n := strings.Count(st.Steps, "<li>"); n != MaxSteps {
		t.Errorf("the page lists %d capacity steps after 2000, want the last %d (bounded)", n, MaxSteps)
	}
	closed := make(chan error)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for a browser")
	}
}

// counting is an Observer that counts what it is handed.
type counting struct{ requests, replies, snaps int }

func (c *counting) Request(*report.Sample, string, string, string) { c.requests++ }
func (c *counting) Arrival()                                       {}
func (c *counting) Dropped()                                       {}
func (c *counting) SessionEnded(report.Outcome)                    {}
func (c *counting) Active(int64)                                   {}
func (c *counting) Reply(int64)                                    { c.replies++ }
func (c *counting) AgentJoined(int64)                              {}
func (c *counting) QueueInfo(int64, int64)                         {}

type snapCounting struct{ counting }

func (c *snapCounting) Snapshot(*report.Report) { c.snaps++ }

// Join hands every event to each observer and keeps the optional interfaces: a set without a
// SnapshotObserver makes the Recorder build no snapshot.
func TestJoinFansOutAndKeepsOptionalInterfaces(t *testing.T) {
	a, b := &counting{}, &snapCounting{}
	if _, ok := Join(a, a).(record.SnapshotObserver); ok {
		t.Error("a join of observers that take no snapshot asks for snapshots")
	}
	j := Join(a, nil, b)
	rec := recorded(t, j, 3)
	rec.Reply(int64(4*time.Second), int64(time.Second))
	if a.requests != 30 || b.requests != 30 || a.replies != 1 || b.replies != 1 {
		t.Errorf("requests %d/%d, replies %d/%d: want 30 and 1 each", a.requests, b.requests, a.replies, b.replies)
	}
	if b.snaps != 3 {
		t.Errorf("the snapshot observer got %d snapshots, want 3: at 1 s, at 2 s, and one when the reply at 4 s closed two intervals", b.snaps)
	}
	if Join(nil, nil) != nil || Join(a) != record.Observer(a) {
		t.Error("Join of none is not nil, or of one is not that one")
	}
}

// StepLog passes a capacity search's log through unchanged and publishes each finished line as a
// step, however the writes split the lines.
func TestStepLogPublishesEachLine(t *testing.T) {
	s, err := Start("127.0.0.1:0", Options{Command: "capacity"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var passed strings.Builder
	w := s.StepLog(&passed)
	for _, chunk := range []string{"step 1  rate 10/s  ok\nstep 2  rate", " 20/s  ok\n\n", "step 3  rate 40/s  FAIL p99 <b>\n", "partial"} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	if passed.String() != "step 1  rate 10/s  ok\nstep 2  rate 20/s  ok\n\nstep 3  rate 40/s  FAIL p99 <b>\npartial" {
		t.Errorf("the log was changed on its way: %q", passed.String())
	}
	s.mu.Lock()
	steps := s.cur.Steps
	s.mu.Unlock()
	want := "<li>step 1  rate 10/s  ok</li><li>step 2  rate 20/s  ok</li><li>step 3  rate 40/s  FAIL p99 &lt;b&gt;</li></ol>"
	if !strings.Contains(steps, want) {
		t.Errorf("steps section %q, want the three finished lines, escaped: %q", steps, want)
	}
}

// The dashboard draws with report.html's code: the live body's charts are report.html's for the same
// report, byte for byte, and both pages embed the one chart script.
func TestOneChartCode(t *testing.T) {
	rec := recorded(t, nil, 5)
	snap := rec.Snapshot(t0.Add(5*time.Second), record.Meta{Scenario: "same"})
	var live, page bytes.Buffer
	if err := htmlreport.WriteLiveBody(&live, snap, "RUNNING", "interrupted", "live"); err != nil {
		t.Fatal(err)
	}
	if err := htmlreport.WriteHTML(&page, snap); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"throughput", "latency", "group-latency", "spectrum", "sessions"} {
		re := regexp.MustCompile(`(?s)<section id="` + id + `">.*?</section>`)
		l, p := re.FindString(live.String()), re.FindString(page.String())
		if l == "" || l != p {
			t.Errorf("section %s: the live body's is not report.html's (%d vs %d bytes)", id, len(l), len(p))
		}
	}
	if !strings.Contains(page.String(), htmlreport.ChartsJS()) {
		t.Error("report.html does not embed the shared chart script")
	}
	s, err := Start("127.0.0.1:0", Options{Command: "run"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	resp, err := http.Get(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), htmlreport.ChartsJS()) {
		t.Error("the dashboard page does not embed the shared chart script")
	}
}

// Observer calls after Close (a Recorder that outlives the dashboard) are dropped, not a panic or a hang.
func TestSnapshotAfterClose(t *testing.T) {
	s, err := Start("127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rec := recorded(t, s, 3)
	s.Snapshot(rec.Snapshot(t0.Add(3*time.Second), record.Meta{}))
	s.Finish(rec.Finish(t0.Add(3*time.Second), record.Meta{}))
	if err := s.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
}

// Bounded memory: what the dashboard holds is the latest state, whose size follows the Recorder's
// bounded time series, not the run's length (here a series capped at 100 points, over 400 and 2000 s).
func TestStateSizeDoesNotGrowWithTheRun(t *testing.T) {
	s, err := Start("127.0.0.1:0", Options{Command: "run", Scenario: "long"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := record.New(record.Options{Start: t0, MaxPoints: 100})
	g := rec.Group("sendAsync", "CHAT")
	size := map[int]int{}
	for sec := 1; sec <= 2000; sec++ {
		at := int64(sec) * int64(time.Second)
		rec.Record(&report.Sample{Group: g, Step: report.NoGroup, Intended: at, Start: at, End: at + int64(sec%50+1)*int64(time.Millisecond), Status: 200, ResultCode: "0"})
		if sec == 400 || sec == 2000 {
			s.renderOne(rec.Snapshot(t0.Add(time.Duration(at)), record.Meta{}))
			s.mu.Lock()
			size[sec] = len(s.cur.Body) + len(s.cur.Steps)
			s.mu.Unlock()
		}
	}
	if size[400] == 0 || float64(size[2000]) > 1.5*float64(size[400]) {
		t.Errorf("the page state grew with the run: %d bytes at 400 s, %d at 2000 s", size[400], size[2000])
	}
}

// The page's verdict when the run ends is report.html's: a threshold not judged (too few
// requests) is no failure, and one the generator's limit made inconclusive reads INCONCLUSIVE,
// never FAIL.
func TestFinalVerdictIsTheReportsVerdict(t *testing.T) {
	notJudged := &report.Report{StopReason: "completed", Thresholds: []report.ThresholdResult{
		{Name: "p95<1s", Pass: true}, {Name: "p99<2s", NotJudged: "not judged: 61 requests, fewer than 100"}}}
	if v, _, note := finalVerdict(notJudged); v != "PASS" || !strings.Contains(note, "1 not judged") {
		t.Errorf("a run with one threshold passed and one not judged: %s (%s), want PASS noting the one not judged", v, note)
	}
	limited := &report.Report{StopReason: "completed",
		GeneratorLimit: &report.GeneratorLimit{Reasons: []string{"scheduler lag p99 40ms"}, Inconclusive: []string{"p99<2s"}},
		Thresholds:     []report.ThresholdResult{{Name: "p99<2s", NotJudged: report.InconclusivePrefix + "the generator was the limit"}}}
	if v, _, _ := finalVerdict(limited); v != "INCONCLUSIVE" {
		t.Errorf("a generator-limited run whose only failure is inconclusive: %s, want INCONCLUSIVE", v)
	}
	failed := &report.Report{StopReason: "completed", Thresholds: []report.ThresholdResult{{Name: "p99<2s"}}}
	if v, _, _ := finalVerdict(failed); v != "FAIL" {
		t.Errorf("a failed threshold: %s, want FAIL", v)
	}
}

// While a run is young its groups are under the 100 requests a threshold needs: the live verdict
// is RUNNING, not FAILING, until a threshold really fails.
func TestLiveVerdictIsNotFailingOnThresholdsNotJudged(t *testing.T) {
	s, err := Start("127.0.0.1:0", Options{Command: "run", Scenario: "young",
		Thresholds: []evaluate.ThresholdSpec{{Metric: "error_rate", Max: 0.01, HasMax: true, LimitText: "1%"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := recorded(t, nil, 3) // 30 requests, every one answered OK
	s.renderOne(rec.Snapshot(t0.Add(3*time.Second), record.Meta{}))
	s.mu.Lock()
	live, body := s.cur.Live, s.cur.Body
	s.mu.Unlock()
	if strings.Contains(body, ">FAILING<") || strings.Contains(live, "fail so far") || !strings.Contains(live, "0 of 1 thresholds pass so far") {
		t.Errorf("30 OK requests against error_rate <= 1%%: live note %q, verdict FAILING %v; want RUNNING, 0 of 1 passing (not judged yet)", live, strings.Contains(body, ">FAILING<"))
	}
}
