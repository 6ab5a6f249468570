// How run and replay play a loaded scenario once their flags are checked: the embedded mock,
// the output directory, signals, the run, its report and the exit code.

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vbauerster/cupwriter"

	"ccload/render"
	"ccload/report"
	"ccload/runner"
	"ccload/scenario"
)

// execRun plays a loaded scenario with cfg (run's and replay's common path): the embedded
// mock when there is no target, the output directory, signals, the report and the exit code.
// finish, when set, is handed the finished report before it is written or summarised, so the
// command adds what only it knows once the run is over (replay: its log's accounting).
func execRun(ctx context.Context, command string, mflags *metricsFlags, sc *scenario.Scenario, file string, cfg runner.Config, target, out string, noProgress bool, finish func(*report.Report), stdout, stderr io.Writer) int {
	cfg.Scenario = sc

	shardLabel := "0/1"
	if cfg.Shard.N > 0 {
		shardLabel = cfg.Shard.String()
	}
	live, err := mflags.start("ccload "+command, shardLabel, stderr)
	if err != nil {
		printError(stderr, command, err)
		return exitUsage
	}
	defer live.stop()
	cfg.Observer = live.observer()
	live.describe(sc.Name, sc.Thresholds)

	cfg.BaseURL = target
	if cfg.BaseURL == "" {
		cfg.BaseURL = sc.Target.URL
	}
	if cfg.BaseURL != "" && cfg.BaseURL != "mock" && sc.Auth.AppKey == "" && sc.Auth.AccessToken == "" {
		if command == "replay" { // the log holds no credentials: they come from --scenario
			fmt.Fprintf(stderr, "ccload replay: the target %s needs credentials: give --scenario S.yaml with an auth: section (auth: {app_key: ${APP_KEY}, app_secret: ${APP_SECRET}}), or drop --target for the embedded mock; nothing was sent\n", scenario.RedactURL(cfg.BaseURL))
			return exitUsage
		}
		fmt.Fprintf(stderr, "ccload %s: %s has no auth: section, and the target %s needs credentials: add auth: {app_key: ${APP_KEY}, app_secret: ${APP_SECRET}} (or auth.access_token) to it, or drop --target for the embedded mock; nothing was sent\n", command, file, scenario.RedactURL(cfg.BaseURL))
		return exitUsage
	}
	pushURL, code := listenWebhook(&cfg, sc, command, stderr)
	if code != exitOK {
		return code
	}
	if cfg.BaseURL == "" || cfg.BaseURL == "mock" {
		url, withAuth, stop, code := startEmbeddedMock(sc, file, "ccload "+command, stderr, pushURL)
		if stop == nil {
			return code
		}
		defer stop()
		cfg.BaseURL, cfg.Scenario = url, withAuth
		fmt.Fprintf(stderr, "ccload: running against the embedded mock at %s\n", cfg.BaseURL)
	}

	if cfg.Scenario.Target.InsecureSkipVerify && strings.HasPrefix(cfg.BaseURL, "https://") {
		// Once per run: the target's identity is not checked, so the results may be another server's.
		fmt.Fprintf(stderr, "ccload %s: WARNING: target.insecure_skip_verify is set: the target's certificate is not verified (give its CA as target.ca_file instead)\n", command)
	}
	if out == "" {
		out = filepath.Join("ccload-out", safeName(sc.Name)+"-"+time.Now().Format("20060102-150405"))
	}
	if err := checkWritable(out); err != nil {
		fmt.Fprintf(stderr, "ccload %s: --out %s cannot be written (%v): pick a writable directory; nothing was sent\n", command, out, err)
		return exitUsage
	}
	cfg.Progress = runner.ChooseProgress(noProgress, isTerminal(stderr), os.Getenv)

	// main's context ends at the first signal (graceful stop); a second one cancels everything.
	kill := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	go func() {
		n := 0
		for range sigs {
			if n++; n == 2 {
				fmt.Fprintln(stderr, "ccload: second signal: cancelling every session")
				close(kill)
				return
			}
			fmt.Fprintf(stderr, "ccload: stopping: arrivals ended, sessions get %s to finish (signal again to cancel them)\n", cfg.Grace)
		}
	}()
	cfg.Kill = kill

	if d := time.Until(cfg.StartAt); d > 0 {
		fmt.Fprintf(stderr, "ccload: waiting %s, until %s (--start-at), to begin\n", d.Round(time.Millisecond), cfg.StartAt.UTC().Format(time.RFC3339Nano))
	}
	rep, err := runner.Run(ctx, cfg)
	live.finish(rep)
	if rep == nil {
		printError(stderr, command, err)
		return exitUsage
	}
	if finish != nil {
		finish(rep)
	}
	err = render.WriteDir(out, rep)
	if serr := render.WriteSummary(stdout, rep); err == nil {
		err = serr
	}
	if err != nil {
		printError(stderr, command, fmt.Errorf("writing the report: %w", err))
		return exitAborted
	}
	fmt.Fprintf(stdout, "\nreport: %s\n", filepath.Join(out, report.FileName))
	return exitCode(rep)
}

// exitCode maps how a run ended to the CLI contract.
func exitCode(rep *report.Report) int {
	switch report.ParseStop(rep.StopReason).Kind {
	case report.ReasonUnreachable:
		return exitAborted
	case report.ReasonDataExhausted:
		return exitAborted // the run could not play what the scenario asked, whatever it measured
	case report.ReasonAborted:
		return exitFailed
	}
	if rep.Interrupted {
		return exitAborted
	}
	for _, t := range rep.Thresholds {
		if t.Failed() {
			return exitFailed
		}
	}
	if report.Inconclusive(rep) {
		return exitAborted // inconclusive: the generator was the limit (report.json's generator_limit)
	}
	return exitOK
}

// safeName turns a scenario name into a directory name.
func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '-'
	}, s)
	if s == "" || s == "." || s == ".." {
		return "run"
	}
	return s
}

// isTerminal reports whether w is a terminal where progress bars can redraw: a character
// device with a known width (a pseudo-terminal of width 0 would show nothing).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	width, _, err := cupwriter.New(f, false).GetTermSize()
	return err == nil && width > 0
}
