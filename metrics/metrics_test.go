package metrics

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"ccload/report"
	"ccload/report/record"
)

var start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// feed records a fixed mix of requests, arrivals and sessions into a Recorder observed by e.
func feed(e *Exporter) *record.Recorder {
	rec := record.New(record.Options{Start: start, Observer: e})
	chat := rec.Group("sendAsync", "CHAT")
	poll := rec.Group("poll", "")
	hello := rec.StepGroup("hello")
	teardown, abandon := rec.OriginGroup(report.OriginTeardown, "sendAsync", "DISCONNECT"), rec.OriginGroup(report.OriginAbandon, "sendAsync", "DISCONNECT")
	classes := []report.ErrClass{report.ClassOK, report.ClassOK, report.ClassOK, report.ClassApp, report.ClassHTTP, report.ClassTimeout, report.ClassClient, report.ClassCut, report.ClassPeerClosed}
	for i := range 700 {
		at := int64(i) * 10_000_000
		s := report.Sample{Group: chat, Step: report.NoGroup, Intended: at, Start: at + 1000, End: at + int64(i%50+1)*1_000_000, Status: 200, ResultCode: "0"}
		if i%3 == 0 {
			s.Group, s.Step = poll, report.NoGroup
		} else if i%3 == 1 {
			s.Step = hello
		}
		s.Class = classes[i%len(classes)]
		if s.Class == report.ClassApp {
			s.ResultCode = "1001"
		}
		rec.Record(&s)
		if i%5 == 0 { // session metrics: reply latencies, times to agent, queue answers
			rec.Reply(at, int64(i%40+1)*int64(50*time.Millisecond))
			if i%10 == 0 {
				rec.AgentJoined(at, int64(i%9+1)*int64(time.Second))
				rec.QueueInfo(at, int64(i%6), int64(i%4-1)*int64(time.Second)) // estimate -1 s: none given
			}
		}
		if i%50 == 0 { // the run's own DISCONNECTs, after a cut and for failed sessions
			g := teardown
			if i%100 == 0 {
				g = abandon
			}
			rec.Record(&report.Sample{Group: g, Step: report.NoGroup, Intended: at, Start: at, End: at + 1_000_000, Status: 200, ResultCode: "0"})
		}
		if i%7 == 0 {
			rec.Arrival(at)
			if i%14 == 0 {
				rec.Dropped(at)
			} else {
				rec.SessionStarted(at)
				rec.SessionEnded(at+1, report.Outcome(i%5), 1)
			}
		}
	}
	rec.SetActive(3)
	return rec
}

// TestExporterAgreesWithTheReport: every count the exporter exposes equals the Recorder's report.
func TestExporterAgreesWithTheReport(t *testing.T) {
	e := New("1/4")
	rep := feed(e).Finish(start.Add(time.Minute), record.Meta{Scenario: "t"})

	sum := func(name string, match func(labels map[string]string) bool) float64 {
		mfs, err := e.Gatherer().Gather()
		if err != nil {
			t.Fatal(err)
		}
		var v float64
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
			for _, m := range mf.GetMetric() {
				ls := map[string]string{}
				for _, l := range m.GetLabel() {
					ls[l.GetName()] = l.GetValue()
				}
				if ls["shard"] != "1/4" {
					t.Errorf("%s%v: want shard=\"1/4\"", name, ls)
				}
				if match != nil && !match(ls) {
					continue
				}
				switch {
				case m.Counter != nil:
					v += m.GetCounter().GetValue()
				case m.Gauge != nil:
					v += m.GetGauge().GetValue()
				case m.Histogram != nil:
					v += float64(m.GetHistogram().GetSampleCount())
				}
			}
		}
		return v
	}
	eq := func(what string, got float64, want int64) {
		t.Helper()
		if got != float64(want) {
			t.Errorf("%s: exporter %v, report %d", what, got, want)
		}
	}
	r := rep.Requests
	eq("requests", sum("ccload_requests_total", func(l map[string]string) bool { return l["outcome"] != "not_sent" }), r.Total)
	for outcome, want := range map[string]int64{"ok": r.OK, "app": r.AppErrors, "http": r.HTTPErrors, "transport": r.TransportErrors, "cut": r.Cut, "not_sent": r.NotSent} {
		eq("requests outcome="+outcome, sum("ccload_requests_total", func(l map[string]string) bool { return l["outcome"] == outcome }), want)
	}
	for class, want := range rep.Overall.Errors {
		eq("errors class="+class, sum("ccload_request_errors_total", func(l map[string]string) bool { return l["class"] == class }), want)
	}
	for _, g := range rep.Groups {
		switch g.Kind {
		case "endpoint":
			eq("requests of "+g.Name, sum("ccload_requests_total", func(l map[string]string) bool {
				return l["endpoint"] == g.Endpoint && l["control_type"] == g.ControlType && l["outcome"] != "not_sent"
			}), g.Total)
			eq("response histogram of "+g.Name, sum("ccload_request_response_seconds", func(l map[string]string) bool {
				return l["endpoint"] == g.Endpoint && l["control_type"] == g.ControlType
			}), g.Count)
		case "step":
			eq("requests of "+g.Name, sum("ccload_requests_total", func(l map[string]string) bool { return l["step"] == g.Step && l["outcome"] != "not_sent" }), g.Total)
		}
	}
	eq("code 1001", sum("ccload_requests_total", func(l map[string]string) bool { return l["result_code"] == "1001" }), rep.Overall.ResultCodes["1001"])
	// ccload's own requests (teardown, abandon) are series of their own steps, outside report.json's all.
	scenarioOnly := func(l map[string]string) bool { return l["step"] != "(teardown)" && l["step"] != "(abandon)" }
	eq("service histogram", sum("ccload_request_service_seconds", scenarioOnly), rep.Overall.Count)
	eq("scheduler lag", sum("ccload_scheduler_lag_seconds", nil), rep.SchedulerLagUS.Count)
	s := rep.Sessions
	eq("arrivals", sum("ccload_arrivals_total", nil), s.Arrivals)
	eq("dropped", sum("ccload_arrivals_dropped_total", nil), s.Dropped)
	for outcome, want := range map[string]int64{"completed": s.Completed, "failed": s.Failed, "interrupted": s.Interrupted, "ended_by_platform": s.EndedByPlatform, "cut_by_grace": s.CutByGrace} {
		eq("sessions "+outcome, sum("ccload_sessions_total", func(l map[string]string) bool { return l["outcome"] == outcome }), want)
	}
	eq("active", sum("ccload_active_customers", nil), 3)
	m := rep.SessionMetrics
	eq("reply latency", sum("ccload_reply_latency_seconds", nil), m.ReplyLatencyUS.Count)
	eq("time to agent", sum("ccload_time_to_agent_seconds", nil), m.TimeToAgentUS.Count)
	eq("queue position", sum("ccload_queue_position", nil), m.QueuePosition.Count)
	eq("queue wait estimate", sum("ccload_queue_wait_estimate_seconds", nil), m.QueueWaitEstimateUS.Count)
	for reason, want := range r.NotSentBy {
		eq("not sent reason="+reason, sum("ccload_requests_not_sent_total", func(l map[string]string) bool { return l["reason"] == reason }), want)
	}
	eq("not sent", sum("ccload_requests_not_sent_total", nil), r.NotSent)
	for _, g := range rep.Groups {
		if g.Kind != "teardown" {
			continue
		}
		step := "(" + strings.Fields(g.Name)[0] + ")"
		eq("requests of "+g.Name, sum("ccload_requests_total", func(l map[string]string) bool { return l["step"] == step }), g.Total+g.NotSent)
	}
	if m.ReplyLatencyUS.Count == 0 || m.TimeToAgentUS.Count == 0 || m.QueuePosition.Count == 0 || m.QueueWaitEstimateUS.Count == 0 ||
		m.QueueWaitEstimateUS.Count == m.QueuePosition.Count || len(r.NotSentBy) < 2 {
		t.Fatalf("the fixture must exercise every session metric, queue answers without an estimate and two not-sent reasons: %+v %+v", m, r)
	}
	if s.Dropped == 0 || s.Failed == 0 || s.CutByGrace == 0 || r.NotSent == 0 || r.Cut == 0 {
		t.Fatalf("the fixture must exercise drops, failures, grace cuts, cut and not-sent requests: %+v %+v", s, r)
	}
}

// TestExporterHistogramsAreNative: the latency histograms carry native buckets (schema 3) and the classic fallback.
func TestExporterHistogramsAreNative(t *testing.T) {
	e := New("0/1")
	feed(e)
	mfs, err := e.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "ccload_") || mf.GetType().String() != "HISTOGRAM" {
			continue
		}
		for _, m := range mf.GetMetric() {
			h := m.GetHistogram()
			classic := len(ClassicBuckets)
			if mf.GetName() == "ccload_queue_position" {
				classic = len(QueueBuckets)
			}
			if h.GetSchema() != 3 || len(h.GetPositiveSpan()) == 0 || len(h.GetBucket()) != classic {
				t.Errorf("%s: schema %d, %d spans, %d classic buckets; want schema 3, spans and %d buckets",
					mf.GetName(), h.GetSchema(), len(h.GetPositiveSpan()), len(h.GetBucket()), classic)
			}
			seen++
		}
	}
	if seen == 0 {
		t.Fatal("no ccload histogram")
	}
}

// TestScrapePassesPromtool runs `promtool check metrics` (Prometheus' own linter of names, units
// and help) on a scrape of the /metrics endpoint, in the text format a person would curl.
func TestScrapePassesPromtool(t *testing.T) {
	promtool := promtoolPath(t, "the scrape was not linted")
	e := New("0/1")
	feed(e)
	srv, err := Serve("127.0.0.1:0", e)
	if err != nil {
		t.Fatal(err)
	}
	done, cancel := context.WithCancel(context.Background())
	cancel() // no last scrape to wait for
	defer srv.Close(done)
	resp, err := http.Get("http://" + srv.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(body, []byte(`ccload_requests_total{control_type="CHAT",endpoint="sendAsync"`)) {
		t.Fatalf("scrape lacks the request counter:\n%s", body)
	}
	promtoolCheckMetrics(t, promtool, body)
}

// promtoolPath finds Prometheus's promtool: a real component, so a test that needs it fails in CI
// (CI=true; .ci/run installs Debian's prometheus) and elsewhere skips saying what went unchecked.
func promtoolPath(t *testing.T, unchecked string) string {
	t.Helper()
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is missing in CI (.ci/run installs Debian's prometheus)")
		}
		t.Skip("promtool is not installed: " + unchecked)
	}
	return promtool
}

// promtoolCheckMetrics lints a scrape in the text format with `promtool check metrics`.
func promtoolCheckMetrics(t *testing.T, promtool string, body []byte) {
	t.Helper()
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// TestCloseWaitsForALastScrape: after a run, Close returns once a scrape has seen the final values.
func TestCloseWaitsForALastScrape(t *testing.T) {
	e := New("0/1")
	srv, err := Serve("127.0.0.1:0", e)
	if err != nil {
		t.Fatal(err)
	}
	get := func() {
		resp, err := http.Get("http://" + srv.Addr() + "/metrics")
		if err == nil {
			resp.Body.Close()
		}
	}
	get()
	get()
	e.Active(7)
	// Prometheus scrapes on: a scrape every 10 ms until Close returns, so one starts after Close
	// was called however late the scheduler runs either goroutine (a single scrape 50 ms on could
	// start before a delayed Close, which rightly does not count it).
	type closed struct {
		got bool
		err error
	}
	done := make(chan closed, 1)
	go func() {
		got, err := srv.Close(context.Background())
		done <- closed{got, err}
	}()
	for {
		select {
		case c := <-done:
			if c.err != nil || !c.got {
				t.Fatalf("Close = %v, %v; want a last scrape seen", c.got, c.err)
			}
			return
		case <-time.After(10 * time.Millisecond):
			get()
		}
	}
}

// TestCloseUnscrapedReturnsAtOnce: nobody scraped, so nobody waits for a last scrape.
func TestCloseUnscrapedReturnsAtOnce(t *testing.T) {
	srv, err := Serve("127.0.0.1:0", New("0/1"))
	if err != nil {
		t.Fatal(err)
	}
	if w := srv.FinalWait(); w != 0 {
		t.Errorf("FinalWait = %v with no scrape, want 0", w)
	}
	if got, err := srv.Close(context.Background()); got || err != nil {
		t.Errorf("Close = %v, %v", got, err)
	}
}

// TestRemoteWriterRefusesBadURLAndHidesSecrets: a bad URL is a usage error that never shows a password.
func TestRemoteWriterRefusesBadURLAndHidesSecrets(t *testing.T) {
	for _, u := range []string{"ftp://u:s3cret@host/x", "127.0.0.1:9090", "http://u:s3cret@/write"} {
		_, err := NewRemoteWriter(u, 0, New("0/1").Gatherer(), nil)
		if err == nil {
			t.Errorf("%q accepted", u)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}

// TestRecordWithExporterAllocatesNothing: once a label set and its latency buckets have been
// seen, the exporter adds no allocation to the Recorder's per-request work.
func TestRecordWithExporterAllocatesNothing(t *testing.T) {
	r := record.New(record.Options{Start: start, Observer: New("0/1")})
	g := r.Group("sendAsync", "CHAT")
	st := r.StepGroup("greet")
	codes := []string{strings.Clone("0"), strings.Clone("0"), strings.Clone("12")} // not the interned strings
	i := 0
	one := func() {
		i++
		at := int64(i) * 10 // stays in the first time-series interval
		r.Record(&report.Sample{Group: g, Step: st, Intended: at, Start: at + 5, End: at + int64(i%64+1)*100_000,
			Status: 200, ResultCode: codes[i%3], Class: report.ErrClass(i % 3)})
	}
	for range 1000 { // first sight of each key and bucket
		one()
	}
	if allocs := testing.AllocsPerRun(5000, one); allocs != 0 {
		t.Errorf("Record with the exporter allocates %.2f times per sample, want 0", allocs)
	}
}

// TestRemoteWriteFailureIsLoggedWithoutSecrets: a receiver that refuses a push costs a log line
// (the URL's password redacted) and an error from Stop, nothing more.
func TestRemoteWriteFailureIsLoggedWithoutSecrets(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Encoding") != "snappy" || r.Header.Get("X-Prometheus-Remote-Write-Version") != "0.1.0" {
			t.Errorf("headers %v", r.Header)
		}
		http.Error(w, "out of order sample", http.StatusBadRequest)
	}))
	defer srv.Close()
	u := strings.Replace(srv.URL, "http://", "http://user:s3cret@", 1) + "/api/v1/write"
	w, err := NewRemoteWriter(u, time.Hour, New("0/1").Gatherer(), func(f string, a ...any) {
		got = append(got, fmt.Sprintf(f, a...))
	})
	if err != nil {
		t.Fatal(err)
	}
	w.Start()
	if err := w.Stop(context.Background()); err == nil {
		t.Fatal("Stop: want the refused final push's error")
	}
	if p, f := w.Counts(); p != 1 || f != 1 {
		t.Errorf("pushes %d, failures %d; want 1, 1", p, f)
	}
	if len(got) != 1 || !strings.Contains(got[0], "HTTP 400") || strings.Contains(got[0], "s3cret") {
		t.Errorf("log %q: want one line with the status and no password", got)
	}
}
