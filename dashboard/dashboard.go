// Package dashboard serves a live page of a run while it goes on (--dashboard HOST:PORT): the
// charts and tables of report.html, drawn by the same code (report/html) from a snapshot of the
// run at each time-series interval and pushed to browsers by Server-Sent Events, with the
// thresholds' live state and, for a capacity search, its steps as they finish.
//
// Every asset is embedded; the page loads nothing from the network (its Content-Security-Policy
// forbids it). A browser that connects late gets the run so far at once: the server keeps the
// latest rendered state only (bounded memory over a run of any length: the Recorder's time series
// is itself bounded), never a history of events. Sending never blocks the run: each browser has a
// one-slot mailbox whose stale state is replaced, and Close does not wait for any browser.
package dashboard

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"ccload/gates/evaluate"
	"ccload/report"
	htmlreport "ccload/report/html"
	"ccload/report/record"
)

// MaxSteps bounds the capacity steps the page lists (the latest are kept).
const MaxSteps = 500

// Options describe the run the dashboard shows.
type Options struct {
	// Command names the page's run ("run", "replay", "capacity").
	Command string
	// Scenario is the scenario's name.
	Scenario string
	// Thresholds are the scenario's compiled thresholds, evaluated on every snapshot.
	Thresholds []evaluate.ThresholdSpec
	// Stages mark the load stages on the charts (optional).
	Stages []report.StageMark
}

// Step is one finished capacity step as the page lists it.
type Step struct {
	// Text is the step's line as the search logged it.
	Text string `json:"text"`
}

// state is what a browser is sent: the whole page state, so one message brings a late browser up to date.
type state struct {
	Seq   int64  `json:"seq"`
	Done  bool   `json:"done"`
	Body  string `json:"body"`  // report.html's body for the latest snapshot
	Steps string `json:"steps"` // the capacity steps section
	Live  string `json:"live"`  // the live status line (thresholds waiting for data, run age)
}

// Server is a started dashboard. Its Observer methods run on the Recorder's goroutine and return
// at once (a snapshot is handed to the render goroutine through a one-slot mailbox); the other
// methods are safe for concurrent use.
type Server struct {
	opts Options
	ln   net.Listener
	srv  *http.Server

	snaps   chan *report.Report // one slot: the latest snapshot not yet rendered
	renders chan struct{}       // closed when the render goroutine ended
	closing chan struct{}       // closed by Close: streams end
	once    sync.Once

	mu    sync.Mutex // guards everything below
	cur   state
	steps []Step
	subs  map[chan state]struct{}
	final bool
	err   error // the last render error, shown on the page
}

// Start listens on addr (host:port; port 0 picks one) and serves the page until Close.
func Start(addr string, o Options) (*Server, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("--dashboard %q: want host:port, e.g. 127.0.0.1:8089", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--dashboard %s: %v (pick a free port)", addr, err)
	}
	s := &Server{opts: o, ln: ln, snaps: make(chan *report.Report, 1), renders: make(chan struct{}),
		closing: make(chan struct{}), subs: map[chan state]struct{}{}}
	s.cur.Live = "waiting for the run's first interval"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /events", s.events)
	mux.HandleFunc("GET /state", s.stateJSON)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	go s.render()
	return s, nil
}

// Describe sets what the page says about the run (its scenario, thresholds and stages), for a
// dashboard started before the scenario was known.
func (s *Server) Describe(o Options) {
	s.mu.Lock()
	if o.Command == "" {
		o.Command = s.opts.Command
	}
	s.opts = o
	s.mu.Unlock()
}

// Addr is the address the dashboard listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the page's address.
func (s *Server) URL() string { return "http://" + s.Addr() + "/" }

// Snapshot takes the run so far (record.SnapshotObserver): it replaces a snapshot not yet rendered.
// It never blocks, and after Close it is dropped.
func (s *Server) Snapshot(snap *report.Report) {
	select {
	case s.snaps <- snap:
		return
	default:
	}
	select { // full: drop the stale one, keep the newest
	case <-s.snaps:
	default:
	}
	select {
	case s.snaps <- snap:
	default:
	}
}

// Request, Arrival, Dropped, SessionEnded and Active make Server a record.Observer: the page
// reads everything from the snapshots, so they do nothing.
func (s *Server) Request(*report.Sample, string, string, string) {}

// Arrival is part of record.Observer (unused: see Request).
func (s *Server) Arrival() {}

// Dropped is part of record.Observer (unused: see Request).
func (s *Server) Dropped() {}

// SessionEnded is part of record.Observer (unused: see Request).
func (s *Server) SessionEnded(report.Outcome) {}

// Active is part of record.Observer (unused: see Request).
func (s *Server) Active(int64) {}

var _ record.SnapshotObserver = (*Server)(nil)

// Publish adds a finished capacity step to the page.
func (s *Server) Publish(st Step) {
	s.mu.Lock()
	s.steps = append(s.steps, st)
	if len(s.steps) > MaxSteps {
		s.steps = append(s.steps[:0], s.steps[len(s.steps)-MaxSteps:]...)
	}
	s.cur.Steps = stepsHTML(s.steps)
	s.broadcastLocked()
	s.mu.Unlock()
}

// StepLog returns a writer that passes every line to w and publishes each non-empty one as a
// capacity step: a search that logs one line per finished step needs no other hook.
func (s *Server) StepLog(w io.Writer) *LineTee {
	return &LineTee{w: w, publish: func(line string) { s.Publish(Step{Text: line}) }}
}

// Finish shows final, the run's finished report, with its real verdict, and tells every browser
// the run is over. Later snapshots are ignored.
func (s *Server) Finish(final *report.Report) {
	var body bytes.Buffer
	verdict, class, note := finalVerdict(final)
	err := htmlreport.WriteLiveBody(&body, final, verdict, class, note)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.final = true
	if err == nil {
		s.cur.Body = body.String()
	}
	s.cur.Done = true
	s.cur.Live = "the run ended: " + note
	s.broadcastLocked()
}

// Close stops serving. It does not wait for browsers: their streams end at once.
func (s *Server) Close() error {
	s.once.Do(func() { close(s.closing) })
	<-s.renders
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = s.srv.Close()
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// render turns snapshots into page states until Close.
func (s *Server) render() {
	defer close(s.renders)
	for {
		select {
		case snap := <-s.snaps:
			s.renderOne(snap)
		case <-s.closing:
			return
		}
	}
}

func (s *Server) renderOne(snap *report.Report) {
	s.mu.Lock()
	opts := s.opts
	s.mu.Unlock()
	snap.Scenario = opts.Scenario
	snap.Stages = opts.Stages
	snap.StopReason = "running"
	el := time.Duration(snap.DurationS * float64(time.Second))
	var judged []report.ThresholdResult
	var waiting []string
	for i, r := range evaluate.Thresholds(snap, opts.Thresholds) {
		switch spec := opts.Thresholds[i]; {
		case r.Display == "no data":
			waiting = append(waiting, r.Name+": no data yet")
		case spec.AbortOnFail && el < spec.After:
			waiting = append(waiting, fmt.Sprintf("%s: judged after %s", r.Name, spec.After))
		default:
			judged = append(judged, r)
		}
	}
	snap.Thresholds = judged
	failed, passing := 0, 0
	for _, r := range judged {
		switch {
		case r.Failed():
			failed++
		case r.Pass:
			passing++
		}
	}
	verdict, class := "RUNNING", "interrupted"
	note := fmt.Sprintf("live at %s: ", el.Round(time.Second))
	switch {
	case failed > 0:
		verdict, class = "FAILING", "fail"
		note += fmt.Sprintf("%d of %d thresholds fail so far", failed, len(opts.Thresholds))
	case len(opts.Thresholds) == 0:
		note += "the scenario sets no thresholds"
	default:
		note += fmt.Sprintf("%d of %d thresholds pass so far", passing, len(opts.Thresholds))
	}
	if len(waiting) > 0 {
		note += " · waiting: " + strings.Join(waiting, "; ")
	}
	var body bytes.Buffer
	err := htmlreport.WriteLiveBody(&body, snap, verdict, class, note)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.final {
		return
	}
	if err != nil {
		s.cur.Live = "the dashboard could not draw this interval: " + err.Error()
	} else {
		s.cur.Body, s.cur.Live = body.String(), note
	}
	s.broadcastLocked()
}

// broadcastLocked hands the current state to every browser without waiting for any: a browser
// that has not taken the previous state gets this one instead.
func (s *Server) broadcastLocked() {
	s.cur.Seq++
	for ch := range s.subs {
		select {
		case <-ch:
		default:
		}
		ch <- s.cur // the slot is empty now, and only this goroutine (under mu) fills it
	}
}

// events streams page states as Server-Sent Events: the current one at once, then each new one.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	ch := make(chan state, 1)
	s.mu.Lock()
	ch <- s.cur
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.subs, ch)
		s.mu.Unlock()
	}()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	fmt.Fprint(w, "retry: 2000\n\n")
	fl.Flush()
	for {
		select {
		case st := <-ch:
			b, _ := json.Marshal(st) // plain strings and numbers: cannot fail
			if _, err := fmt.Fprintf(w, "event: state\ndata: %s\n\n", b); err != nil {
				return
			}
			fl.Flush()
			if st.Done {
				return
			}
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		}
	}
}

// stateJSON serves the current state once (for scripts and tests).
func (s *Server) stateJSON(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	st := s.cur
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(st)
}

//go:embed page.html.tmpl
var pageText string

var pageTmpl = template.Must(template.New("dashboard").Parse(pageText))

// page serves the dashboard: the current state drawn server-side (it shows without JavaScript),
// the shared chart script, and the script that follows the event stream.
func (s *Server) page(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	st, opts := s.cur, s.opts
	s.mu.Unlock()
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", csp)
	_ = pageTmpl.Execute(w, map[string]any{
		"Title": opts.Scenario, "Command": opts.Command, "CSP": csp,
		"CSS": template.CSS(htmlreport.CSS()), "ChartsJS": template.JS(htmlreport.ChartsJS()),
		"Body": template.HTML(st.Body), "Steps": template.HTML(st.Steps), "Live": st.Live, "Seq": st.Seq,
	})
}

// csp lets the page run its inline scripts and styles and reach its own event stream, nothing else.
const csp = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; connect-src 'self'"

// finalVerdict is report.html's verdict of the finished run (htmlreport.Verdict).
func finalVerdict(r *report.Report) (verdict, class, note string) {
	return htmlreport.Verdict(r)
}

// stepsHTML is the capacity steps section.
func stepsHTML(steps []Step) string {
	var b strings.Builder
	b.WriteString(`<section id="steps"><h2>Capacity steps</h2><ol class="steps">`)
	for _, st := range steps {
		b.WriteString("<li>")
		template.HTMLEscape(&b, []byte(st.Text))
		b.WriteString("</li>")
	}
	b.WriteString("</ol></section>")
	return b.String()
}
