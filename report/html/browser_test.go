package htmlreport

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"ccload/internal/browsertest"
	"ccload/report"
	"ccload/report/reporttest"
)

// gatesHeadless runs headless Chromium on page with extra flags, bounded by ctx, and returns its
// stdout and stderr. The flags keep it off the network and away from any profile.
func gatesHeadless(ctx context.Context, t *testing.T, bin, page string, extra ...string) (stdout, stderr []byte) {
	t.Helper()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
		"--disable-quic", "--disable-extensions", "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
		"--user-data-dir=" + t.TempDir()}, extra...)
	args = append(args, "file://"+page)
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Fatalf("chromium did not finish within the test's 60 s bound\n%s", errb.Bytes())
		}
		t.Fatalf("chromium %v: %v\n%s", extra, err, errb.Bytes())
	}
	return out.Bytes(), errb.Bytes()
}

// gatesConsoleProblem matches what Chromium logs (with --enable-logging=stderr) for any console
// message of the page: report.html logs none, so each is an error, an uncaught exception
// ("Uncaught ReferenceError ...") or a load its Content-Security-Policy blocked (any attempt to
// reach the network is one). The browser's own warnings (D-Bus, GPU) are not page messages.
var gatesConsoleProblem = regexp.MustCompile(`(?i)CONSOLE[:(]\d+\)?\].*|Uncaught .*|violates the following Content Security Policy.*`)

// TestReportHTMLInHeadlessChromium opens report.html of a realistic run in a real browser: the page
// must load without console errors, its script must have run, and its charts must have drawn
// elements. Set CCLOAD_REPORT_PNG to keep the 1280-px screenshot, CCLOAD_REPORT_HTML to keep the page.
func TestReportHTMLInHeadlessChromium(t *testing.T) {
	bin := browsertest.Chromium()
	if bin == "" {
		t.Skip("no chromium or chromium-browser on PATH (.ci/run installs Debian's chromium): report.html was not checked in a browser")
	}
	if testing.Short() {
		t.Skip("-short: skipping the headless browser")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, report.HTMLFileName)
	if err := report.WriteOutputFile(page, reporttest.RealisticWithThresholds(t), WriteHTML); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	dom, logs := gatesHeadless(ctx, t, bin, page, "--virtual-time-budget=3000", "--dump-dom")
	if bad := gatesConsoleProblem.FindAll(logs, -1); len(bad) > 0 {
		t.Errorf("console errors while loading report.html: %q\n%s", bad, logs)
	}
	d := string(dom)
	if !strings.Contains(d, `data-ready="1"`) {
		t.Errorf("the page's script did not run to its end (no data-ready on <body>)")
	}
	if m := regexp.MustCompile(`<html[^>]*data-jserror="[^"]*"`).FindString(d); m != "" {
		t.Errorf("a script error was caught: %s", m)
	}
	if !strings.Contains(d, `id="verdict">FAIL<`) {
		t.Errorf("the verdict is not on the rendered page")
	}
	for _, want := range []struct {
		what string
		re   *regexp.Regexp
		min  int
	}{
		{"chart SVGs", regexp.MustCompile(`<svg class="chart`), 4},
		{"drawn lines", regexp.MustCompile(`<path class="ln[^"]*" stroke="#[0-9a-f]{6}" d="M[0-9.]+ [0-9.]+L`), 12},
		{"error bars", regexp.MustCompile(`<rect class="errbar" x="[0-9.]+" y="[0-9.]+" width="[0-9.]+" height="[0-9.]+"`), 10},
		{"tooltips moved to data-tip by the script", regexp.MustCompile(`data-tip="t \d`), 100},
		{"threshold rows", regexp.MustCompile(`<span class="pill (pass|fail)">`), 8},
	} {
		if n := len(want.re.FindAllStringIndex(d, -1)); n < want.min {
			t.Errorf("%s: %d in the rendered DOM, want at least %d", want.what, n, want.min)
		}
	}

	// The check itself must catch a broken page: a script error and a blocked network load.
	broken := filepath.Join(dir, "broken.html")
	page404 := strings.Replace(d, "<body", `<body><img alt="" src="http://127.0.0.1:9/x.png"><script>undefinedFunction()</script`, 1)
	if err := os.WriteFile(broken, []byte(page404), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, logs := gatesHeadless(ctx, t, bin, broken, "--virtual-time-budget=3000", "--dump-dom"); len(gatesConsoleProblem.FindAll(logs, -1)) < 2 {
		t.Errorf("a page with a script error and a blocked load went unnoticed:\n%s", logs)
	}

	shot := filepath.Join(dir, "report.png")
	_, logs = gatesHeadless(ctx, t, bin, page, "--window-size=1280,2400", "--screenshot="+shot)
	if bad := gatesConsoleProblem.FindAll(logs, -1); len(bad) > 0 {
		t.Errorf("console errors while taking the screenshot: %q", bad)
	}
	png, err := os.ReadFile(shot)
	if err != nil || len(png) < 20_000 || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("no screenshot (%d bytes, %v)", len(png), err)
	}
	if keep := os.Getenv("CCLOAD_REPORT_HTML"); keep != "" {
		if err := report.WriteOutputFile(keep, reporttest.RealisticWithThresholds(t), WriteHTML); err != nil {
			t.Fatal(err)
		}
	}
	if keep := os.Getenv("CCLOAD_REPORT_PNG"); keep != "" {
		if err := os.WriteFile(keep, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot kept in %s", keep)
	}
}

// chromiumDOM opens page in headless Chromium (skipping the test when there is none, or under
// -short) and returns the rendered DOM after failing the test on any console message, a caught
// script error, or a page script that did not run to its end.
func chromiumDOM(t *testing.T, page string) string {
	t.Helper()
	bin := browsertest.Chromium()
	if bin == "" {
		t.Skip("no chromium or chromium-browser on PATH (.ci/run installs Debian's chromium): the page was not checked in a browser")
	}
	if testing.Short() {
		t.Skip("-short: skipping the headless browser")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dom, logs := gatesHeadless(ctx, t, bin, page, "--virtual-time-budget=3000", "--dump-dom")
	if bad := gatesConsoleProblem.FindAll(logs, -1); len(bad) > 0 {
		t.Errorf("console errors while loading %s: %q\n%s", filepath.Base(page), bad, logs)
	}
	d := string(dom)
	if !strings.Contains(d, `data-ready="1"`) || regexp.MustCompile(`<html[^>]*data-jserror=`).MatchString(d) {
		t.Errorf("the script of %s did not run cleanly", filepath.Base(page))
	}
	return d
}
