// The flags of the commands that read a traffic log (fit, logdiff, replay): the field mapping
// and the reader's bounds, registered and checked once here, and the log read they share.

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"ccload/traffic"
)

// logFlags are the flags every command reading a traffic log shares.
type logFlags struct {
	o      traffic.Options
	format string
	maxBad string
}

// newLogFlagSet is the preamble of every command that reads a traffic log: its flag set, with
// the log flags registered on it.
func newLogFlagSet(cmd string, stderr io.Writer) (*flag.FlagSet, *logFlags) {
	fs := newFlagSet(cmd, stderr)
	lf := &logFlags{}
	lf.register(fs)
	return fs, lf
}

func (l *logFlags) register(fs *flag.FlagSet) {
	l.o = traffic.DefaultOptions()
	f := &l.o.Fields
	fs.StringVar(&f.Time, "time-field", f.Time, "the JSON key of each line's receive time")
	fs.StringVar(&l.format, "time-format", "ms", "how the time is written: ms (epoch milliseconds), s (epoch seconds) or rfc3339")
	fs.StringVar(&f.From, "from-field", f.From, "the JSON key of the customer's id (sessions are cut by it)")
	fs.StringVar(&f.ControlType, "control-field", f.ControlType, "the JSON key of the controlType")
	fs.StringVar(&f.MediaType, "media-field", f.MediaType, "the JSON key of the mediaType (absent: TEXT)")
	fs.StringVar(&f.Content, "content-field", f.Content, "the JSON key of the content")
	fs.StringVar(&f.To, "to-field", f.To, "the JSON key of the channel configuration ID (fit writes the most frequent into the scenario)")
	fs.StringVar(&f.Channel, "channel-field", f.Channel, "the JSON key of the channel (fit writes the most frequent into the scenario)")
	fs.DurationVar(&l.o.Idle, "idle", l.o.Idle, "a session without a request for this long is closed (DISCONNECT closes it at once)")
	fs.IntVar(&l.o.MaxOpen, "max-open", l.o.MaxOpen, "the most sessions held open at once; past it the longest idle is closed early (bounds memory)")
	fs.IntVar(&l.o.MaxEvents, "max-events", l.o.MaxEvents, "requests kept per session; later ones are counted, not kept (bounds memory)")
	fs.DurationVar(&l.o.Reorder, "reorder", l.o.Reorder, "disorder tolerated between lines; a line earlier than the latest minus this is out of order")
	fs.StringVar(&l.maxBad, "max-bad", "1%", "the share of bad lines (malformed, out of order, unknown controlType, missing field) past which the log is refused")
}

func (l *logFlags) check() error {
	tf, err := traffic.ParseTimeFormat(l.format)
	if err != nil {
		return fmt.Errorf("--time-format: %v", err)
	}
	l.o.TimeFormat = tf
	v, err := parseShare(l.maxBad)
	if err != nil {
		return fmt.Errorf("--max-bad: %v", err)
	}
	l.o.MaxBadShare = v
	var errs []error
	if l.o.MaxOpen < 1 {
		errs = append(errs, fmt.Errorf("--max-open: want at least 1 session, got %d", l.o.MaxOpen))
	}
	if l.o.MaxEvents < 1 {
		errs = append(errs, fmt.Errorf("--max-events: want at least 1 request, got %d", l.o.MaxEvents))
	}
	if l.o.Idle <= 0 {
		errs = append(errs, fmt.Errorf("--idle: want a duration above 0, such as 30m; got %s", l.o.Idle))
	}
	if l.o.Reorder <= 0 {
		errs = append(errs, fmt.Errorf("--reorder: want a duration above 0, such as 2s; got %s", l.o.Reorder))
	}
	return errors.Join(errs...)
}

// parseShare reads "5%" or "0.05".
func parseShare(s string) (float64, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(t, "%"), 64)
	if err != nil {
		return 0, fmt.Errorf("want a share such as 5%% or 0.05, got %q", s)
	}
	if pct {
		v /= 100
	}
	if v < 0 || v > 1 || math.IsNaN(v) {
		return 0, fmt.Errorf("want a share in 0..100%%, got %q", s)
	}
	return v, nil
}

// shareFlag reads the share flag --name (5% or 0.05) into dst, or says what is wrong naming it.
func shareFlag(name, value string, dst *float64) error {
	v, err := parseShare(value)
	if err != nil {
		return fmt.Errorf("--%s: %v", name, err)
	}
	*dst = v
	return nil
}

// checkBucket refuses a --bucket (the width of one point of an arrival curve) under 1ms; 0 is
// chosen from what zeroFrom names.
func checkBucket(d time.Duration, zeroFrom string) error {
	if d < 0 || (d > 0 && d < time.Millisecond) {
		return fmt.Errorf("--bucket: want at least 1ms, or 0 to choose from %s; got %s", zeroFrom, d)
	}
	return nil
}

// readLog reads and analyses one log. On bad input it writes the problems and returns
// exitUsage; when ctx is done first (a signal) it returns exitAborted at once, whatever the
// read is waiting for (a pipe whose writer sends nothing is closed under it).
func readLog(ctx context.Context, path string, l *logFlags, ao traffic.AnalyzeOptions, stdin io.Reader, stderr io.Writer, cmd string) (*traffic.Analysis, traffic.Stats, int) {
	interrupted := func() (*traffic.Analysis, traffic.Stats, int) {
		fmt.Fprintf(stderr, "ccload %s: interrupted while reading %s; nothing was written\n", cmd, path)
		return nil, traffic.Stats{}, exitAborted
	}
	rc, err := traffic.OpenContext(ctx, path, stdin)
	if err != nil {
		if ctx.Err() != nil {
			return interrupted()
		}
		printError(stderr, cmd, err)
		return nil, traffic.Stats{}, exitUsage
	}
	defer rc.Close()
	a, st, err := traffic.AnalyzeContext(ctx, rc, l.o, ao)
	if ctx.Err() != nil {
		return interrupted()
	}
	writeProblems(stderr, cmd, st, path)
	if err != nil {
		printError(stderr, cmd, fmt.Errorf("%s: %w", path, err))
		if errors.Is(err, traffic.ErrTooManyBad) {
			fmt.Fprintln(stderr, "  fix the lines above, map the fields (--time-field, --from-field, ...) or raise --max-bad")
		}
		return nil, st, exitUsage
	}
	return a, st, exitOK
}
