package dashboard

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"ccload/internal/browsertest"
	"ccload/mock"
	htmlreport "ccload/report/html"
	"ccload/runner"
	"ccload/scenario"
)

// headless opens url in headless Chromium and returns the DOM once the page has been idle for
// its virtual-time budget: the page's event stream keeps it busy until the run ends and the
// stream closes, so the DOM is dumped after the page saw the whole run. Off the network but for url.
func headless(ctx context.Context, t *testing.T, bin, url string) (dom, logs string) {
	t.Helper()
	for try := 1; ; try++ {
		dom, logs, err := headlessOnce(ctx, t, bin, url)
		var ee *exec.ExitError
		if err != nil && try == 1 && ctx.Err() == nil && errors.As(err, &ee) && !ee.Exited() {
			continue // the browser crashed (it does, rarely, on a loaded machine): once more
		}
		if err != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				t.Errorf("chromium did not finish within the test's bound\n%s", logs)
			} else {
				t.Errorf("chromium: %v\n%s", err, logs)
			}
		}
		return dom, logs
	}
}

func headlessOnce(ctx context.Context, t *testing.T, bin, url string) (dom, logs string, err error) {
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
		"--disable-quic", "--disable-extensions", "--enable-logging=stderr", "--v=0",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=60000", "--dump-dom", url)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// seenUpdate is one update the page recorded in its #seen list.
type seenUpdate struct {
	seq, columns, fail, pass int
	done                     bool
}

var seenRE = regexp.MustCompile(`<li data-seq="(\d+)" data-done="([01])" data-columns="(\d+)" data-fail="(\d+)" data-pass="(\d+)"`)

func seenUpdates(dom string) []seenUpdate {
	var out []seenUpdate
	for _, m := range seenRE.FindAllStringSubmatch(dom, -1) {
		n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
		out = append(out, seenUpdate{seq: n(1), done: m[2] == "1", columns: n(3), fail: n(4), pass: n(5)})
	}
	return out
}

var consoleProblem = regexp.MustCompile(`(?i)CONSOLE[:(]\d+\)?\].*|Uncaught .*|violates the following Content Security Policy.*`)

// liveScenario drops arrivals only in its second stage (max_customers 3 cannot hold 20 sessions/s of
// 1.5 s sessions), so its "few drops" threshold passes for the first seconds and fails while the run goes on.
const liveScenario = `name: live-dash
seed: 1
auth: {app_key: k, app_secret: s}
load:
  max_customers: 3
  arrivals: uniform
  stages:
    - {duration: 3s, rate: 1}
    - {duration: 5s, rate: 20}
sessions:
  - name: s
    poll: false
    steps:
      - connect
      - chat: hi
      - think: 1500ms
      - disconnect
thresholds:
  - {metric: dropped_arrivals, max: 3, name: few drops}
  - {metric: error_rate, max: 1%}
`

// TestDashboardInHeadlessChromium runs a real 8 s run against the mock with the dashboard as its
// Observer and watches it in two headless Chromiums: one open from the start, one that connects
// late. The first must see the charts grow update after update and the "few drops" threshold go
// from PASS to FAIL before the run ended; the late one must get the run so far on arrival; the
// run's report must agree with what the page showed at the end; no console error, no network.
func TestDashboardInHeadlessChromium(t *testing.T) {
	bin := browsertest.Chromium()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no chromium on PATH in CI (.ci/run installs Debian's chromium)")
		}
		t.Skip("no chromium or chromium-browser on PATH (.ci/run installs Debian's chromium): the dashboard was not checked in a browser")
	}
	if testing.Short() {
		t.Skip("-short: skipping the headless browser")
	}
	msrv, err := mock.NewServer(mock.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer msrv.Close()
	sc, err := scenario.Parse("live.yaml", []byte(liveScenario), ".", nil)
	if err != nil {
		t.Fatal(err)
	}
	dash, err := Start("127.0.0.1:0", Options{Command: "run", Scenario: sc.Name, Thresholds: runner.ThresholdSpecs(sc.Thresholds)})
	if err != nil {
		t.Fatal(err)
	}
	defer dash.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var early, late, earlyLogs, lateLogs string
	wg.Add(2)
	go func() {
		defer wg.Done()
		early, earlyLogs = headless(ctx, t, bin, dash.URL())
	}()
	go func() { // the late browser: once the run has shown 4 intervals
		defer wg.Done()
		for ctx.Err() == nil {
			dash.mu.Lock()
			seq := dash.cur.Seq
			dash.mu.Unlock()
			if seq >= 5 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		late, lateLogs = headless(ctx, t, bin, dash.URL())
	}()

	for ctx.Err() == nil { // the run starts once the first browser follows the stream
		dash.mu.Lock()
		n := len(dash.subs)
		dash.mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cfg := runner.Config{Scenario: sc, BaseURL: msrv.URL(), Seed: 1, Grace: 2 * time.Second, Observer: dash}
	rep, err := runner.Run(ctx, cfg)
	if err != nil {
		cancel()
		wg.Wait()
		t.Fatal(err)
	}
	dash.Finish(rep)
	wg.Wait()

	for name, logs := range map[string]string{"early": earlyLogs, "late": lateLogs} {
		if bad := consoleProblem.FindAllString(logs, -1); len(bad) > 0 {
			t.Errorf("%s browser: console errors: %q", name, bad)
		}
	}
	for name, dom := range map[string]string{"early": early, "late": late} {
		if regexp.MustCompile(`<html[^>]*data-jserror=`).MatchString(dom) {
			t.Errorf("%s browser: the page's script failed: %s", name, regexp.MustCompile(`data-jserror="[^"]*"`).FindString(dom))
		}
		if !strings.Contains(dom, `data-done="1"`) {
			t.Errorf("%s browser: the page never learned that the run ended", name)
		}
	}

	ups := seenUpdates(early)
	var running []seenUpdate
	for _, u := range ups {
		if !u.done {
			running = append(running, u)
		}
	}
	if len(running) < 4 {
		t.Fatalf("early browser saw %d updates during an 8 s run, want at least 4: %+v", len(running), ups)
	}
	if first, last := running[0], running[len(running)-1]; last.columns <= first.columns {
		t.Errorf("the throughput chart did not grow while the run went on: %d columns at update %d, %d at update %d",
			first.columns, first.seq, last.columns, last.seq)
	}
	passedFirst, failedLive := false, false
	for _, u := range running {
		// "few drops" passing; error_rate (under 100 requests) is not judged, so no second pass.
		if u.fail == 0 && u.pass >= 1 && !failedLive {
			passedFirst = true
		}
		if u.fail > 0 && passedFirst {
			failedLive = true
		}
	}
	if !passedFirst || !failedLive {
		t.Errorf("the page did not show a threshold passing and then failing while the run went on: %+v", running)
	}
	failedInReport := false
	for _, r := range rep.Thresholds {
		if r.Name == "few drops" && !r.Pass {
			failedInReport = true
		}
	}
	// FAIL, or INCONCLUSIVE when the loaded machine's generator was the limit: report.html's verdict.
	verdict, _, _ := htmlreport.Verdict(rep)
	if !failedInReport || (verdict != "FAIL" && verdict != "INCONCLUSIVE") || !strings.Contains(early, `<div class="badge" id="verdict">`+verdict+`</div>`) {
		t.Errorf("the finished run's verdict: report thresholds %+v; the page's final badge is not the report's %s", rep.Thresholds, verdict)
	}

	lu := seenUpdates(late)
	if len(lu) == 0 {
		t.Fatal("the late browser recorded no update")
	}
	if lu[0].seq < 5 || lu[0].columns < 4 {
		t.Errorf("the late browser's first update is not the run so far: %+v (want update ≥ 5 with ≥ 4 columns)", lu[0])
	}
}
