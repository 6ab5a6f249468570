package runner

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"ccload/report"
	"ccload/report/record"
)

// status is what the progress display shows; the collector builds one per tick.
type status struct {
	live           record.LiveStats
	elapsed, total time.Duration
	stage, stages  int     // 1-based current stage; 0 once the stages are over
	level          float64 // the stage's current level
	unit           string  // "sessions/s" (open) or "customers" (closed)
	cap            int64   // max_customers (open) or the peak level (closed); 0: none
	phase          string  // "running", "grace", or a stop reason
	peak           int64   // most customers active so far (bars only)
}

// display shows a run while it runs. update is called by the collector only; close once, at the end.
type display interface {
	update(s status)
	close()
}

// stageText is "stage 2/3 · 50 sessions/s" or the phase once the stages are over.
func (s status) stageText() string {
	if s.phase != "running" || s.stage == 0 {
		return s.phase
	}
	level := fmt.Sprintf("%.1f", s.level)
	if s.unit == "customers" || s.level >= 100 {
		level = fmt.Sprintf("%.0f", s.level)
	}
	return fmt.Sprintf("stage %d/%d · %s %s", s.stage, s.stages, level, s.unit)
}

func (s status) sessionsText() string {
	l := s.live
	return fmt.Sprintf("sessions %d done, %d failed, %d dropped", l.SessionsCompleted, l.SessionsFailed, l.Dropped)
}

func (s status) requestsText() string {
	l := s.live
	p99 := "-"
	if l.P99 > 0 {
		p99 = report.FormatUS(l.P99.Microseconds())
	}
	return fmt.Sprintf("%.0f req/s · %d requests · %d errors · p99 %s", l.RPS, l.Requests, l.Errors, p99)
}

// clockText is "0:05/1:00" (elapsed/total), or the elapsed time alone when the total is
// unknown (0: a streamed replay whose log's span is not known yet).
func (s status) clockText() string {
	if s.total <= 0 {
		return clock(s.elapsed)
	}
	return clock(s.elapsed) + "/" + clock(s.total)
}

// lines prints one status line every period: the display for CI logs and non-terminals.
type lines struct {
	w      io.Writer
	period time.Duration
	last   time.Duration
}

func (d *lines) update(s status) {
	if s.elapsed-d.last < d.period {
		return
	}
	d.last = s.elapsed
	active := fmt.Sprintf("%d", s.live.Active)
	if s.cap > 0 {
		active += fmt.Sprintf("/%d", s.cap)
	}
	fmt.Fprintf(d.w, "ccload %s %s | customers %s | %s | %s\n",
		s.clockText(), s.stageText(), active, s.sessionsText(), s.requestsText())
}

func (d *lines) close() {}

// bars draws mpb progress bars. Decorators run on mpb's goroutine, so the latest status is
// handed over under mu.
type bars struct {
	p                *mpb.Progress
	stage, customers *mpb.Bar
	sessions, info   *mpb.Bar // text-only lines

	peak int64 // most customers seen active: the customers bar's scale when there is no cap

	mu  sync.Mutex // guards cur
	cur status
}

func newBars(w io.Writer) *bars {
	b := &bars{p: mpb.New(mpb.WithOutput(w), mpb.WithWidth(40), mpb.WithRefreshRate(200*time.Millisecond))}
	// Bar labels share aligned columns; the text-only lines do not.
	textWC := func(wc decor.WC, f func(status) string) decor.Decorator {
		return decor.Any(func(decor.Statistics) string {
			b.mu.Lock()
			defer b.mu.Unlock()
			return f(b.cur)
		}, wc)
	}
	text := func(f func(status) string) decor.Decorator { return textWC(decor.WCSyncSpaceR, f) }
	line := func(f func(status) string) decor.Decorator { return textWC(decor.WC{}, f) }
	// Bars built with total 0 never complete on their own (the level can come back up);
	// update sets their scale.
	b.stage = b.p.AddBar(0,
		mpb.PrependDecorators(text(func(s status) string { return s.stageText() })),
		mpb.AppendDecorators(text(func(s status) string {
			if s.total <= 0 {
				return clock(s.elapsed) + " elapsed"
			}
			return fmt.Sprintf("%s elapsed · %s left", clock(s.elapsed), clock(max(s.total-s.elapsed, 0)))
		})))
	b.customers = b.p.AddBar(0,
		mpb.PrependDecorators(text(func(s status) string { return "customers" })),
		mpb.AppendDecorators(text(func(s status) string {
			if s.cap > 0 {
				return fmt.Sprintf("%d / %d active", s.live.Active, s.cap)
			}
			return fmt.Sprintf("%d active (peak %d)", s.live.Active, s.peak)
		})))
	b.sessions = b.p.New(0, mpb.NopStyle(), mpb.PrependDecorators(line(func(s status) string { return s.sessionsText() })))
	b.info = b.p.New(0, mpb.NopStyle(), mpb.PrependDecorators(line(func(s status) string { return s.requestsText() })))
	return b
}

func (b *bars) update(s status) {
	b.peak = max(b.peak, s.live.Active)
	s.peak = b.peak
	b.mu.Lock()
	b.cur = s
	b.mu.Unlock()
	total, cur := max(int64(s.total/time.Millisecond), 1), int64(s.elapsed/time.Millisecond)
	if s.total <= 0 {
		cur = 0 // no total: an empty bar, the elapsed time beside it
	}
	b.stage.SetTotal(total, false)
	b.stage.SetCurrent(min(cur, total))
	scale := max(s.cap, b.peak, 1)
	b.customers.SetTotal(scale, false)
	b.customers.SetCurrent(min(s.live.Active, scale))
}

func (b *bars) close() {
	// The stage bar completes; the others stay as they were last drawn.
	b.stage.SetTotal(-1, true)
	b.customers.Abort(false)
	b.sessions.Abort(false)
	b.info.Abort(false)
	b.p.Wait()
}

// clock formats d as m:ss (or h:mm:ss).
func clock(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}

// ChooseProgress is the display a command-line run uses: redrawing bars only on a terminal, and
// never when the user asked for none (--no-progress) or for no escape sequences (NO_COLOR set and
// non-empty, https://no-color.org); plain status lines otherwise. getenv is os.Getenv in use.
func ChooseProgress(noProgress, terminal bool, getenv func(string) string) Progress {
	if noProgress || !terminal || getenv("NO_COLOR") != "" {
		return ProgressLines
	}
	return ProgressBars
}
