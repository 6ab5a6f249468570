// Package metrics exposes a run live to Prometheus: an Exporter is a record.Observer that keeps
// client_golang counters, gauges and native histograms, served on /metrics by Serve and pushed
// by a RemoteWriter. It is fed by the Recorder's goroutine, not by the customers' hot path.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"ccload/report"
	"ccload/report/record"
)

// Bucket layout. Native histograms use schema 3 (a bucket factor of 2^(1/8), about 9% wide, so a
// quantile is within ±4.5% of the exact one); their bucket count is not limited, so a histogram never
// resets during a run (latencies from 1 µs to 60 s span at most ~210 buckets). Classic buckets are the
// fallback for scrapers and receivers without native histograms.
var (
	// NativeBucketFactor is the native histograms' growth factor (rounded down by client_golang to 2^(1/8)).
	NativeBucketFactor = 1.1
	// ClassicBuckets are the fallback buckets (seconds) of every latency histogram.
	ClassicBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}
	// QueueBuckets are the classic buckets of agent-queue positions.
	QueueBuckets = []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000}
)

// Exporter turns what the Recorder sees into Prometheus series. Its Observer methods are called
// from one goroutine (the Recorder's); Gather may run concurrently with them.
type Exporter struct {
	reg *prometheus.Registry

	requests *prometheus.CounterVec
	errors   *prometheus.CounterVec
	service  *prometheus.HistogramVec
	response *prometheus.HistogramVec
	lag      prometheus.Histogram
	active   prometheus.Gauge
	arrivals prometheus.Counter
	dropped  prometheus.Counter
	sessions *prometheus.CounterVec
	// Session metrics (record.SessionObserver) and requests that are no outcome of the target.
	reply, toAgent, queuePos, queueEst prometheus.Histogram
	notSent                            *prometheus.CounterVec
	byNotSent                          [256]prometheus.Counter

	// Resolved children, so a request costs map lookups keyed by group IDs, not label hashing.
	reqs      map[reqKey]prometheus.Counter
	hists     map[histKey]histPair
	byClass   [256]prometheus.Counter
	byOutcome [report.NumOutcomes]prometheus.Counter
}

type reqKey struct {
	group, step report.GroupID
	class       report.ErrClass
	code        string
}

type histKey struct{ group, step report.GroupID }

type histPair struct{ service, response prometheus.Observer }

// New returns an Exporter whose every ccload_ series carries shard="I/N" (shard "0/1" for an unsharded run).
func New(shard string) *Exporter {
	e := &Exporter{reg: prometheus.NewRegistry(), reqs: make(map[reqKey]prometheus.Counter), hists: make(map[histKey]histPair)}
	reg := prometheus.WrapRegistererWith(prometheus.Labels{"shard": shard}, e.reg)
	hist := func(name, help string) prometheus.HistogramOpts {
		return prometheus.HistogramOpts{
			Name: name, Help: help, Buckets: ClassicBuckets,
			NativeHistogramBucketFactor:    NativeBucketFactor,
			NativeHistogramMaxBucketNumber: 0, // unlimited: never reset or coarsen mid-run
		}
	}
	e.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ccload_requests_total",
		Help: "Requests by endpoint, control type, named step, resultCode and outcome (ok, app, http, transport, cut, not_sent, unknown_receipt); without not_sent and unknown_receipt it equals report.json requests.total.",
	}, []string{"endpoint", "control_type", "step", "result_code", "outcome"})
	e.errors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ccload_request_errors_total",
		Help: "Requests that did not end ok, by error class as in report.json's errors map (cut and not_sent are none).",
	}, []string{"class"})
	e.service = prometheus.NewHistogramVec(hist("ccload_request_service_seconds",
		"Service time of sent requests: sent until the answer was read."), []string{"endpoint", "control_type", "step"})
	e.response = prometheus.NewHistogramVec(hist("ccload_request_response_seconds",
		"Response time of sent requests: intended send time until the answer was read (free of coordinated omission)."), []string{"endpoint", "control_type", "step"})
	e.lag = prometheus.NewHistogram(hist("ccload_scheduler_lag_seconds",
		"The generator's own delay: intended (or sender ready) until actually sent."))
	e.active = prometheus.NewGauge(prometheus.GaugeOpts{Name: "ccload_active_customers", Help: "Virtual customers with a live session."})
	e.arrivals = prometheus.NewCounter(prometheus.CounterOpts{Name: "ccload_arrivals_total", Help: "Session arrivals, dropped or not."})
	e.dropped = prometheus.NewCounter(prometheus.CounterOpts{Name: "ccload_arrivals_dropped_total", Help: "Arrivals that found no free customer slot."})
	e.sessions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ccload_sessions_total", Help: "Ended sessions by outcome (completed, failed, interrupted, ended_by_platform, cut_by_grace).",
	}, []string{"outcome"})
	e.reply = prometheus.NewHistogram(hist("ccload_reply_latency_seconds",
		"Reply latency: a CHAT sent until the first ROBOT or AGENT answer was seen (report.json session_metrics.reply_latency_us)."))
	e.toAgent = prometheus.NewHistogram(hist("ccload_time_to_agent_seconds",
		"Time to agent: TRANS2AGENT sent until an agent joined (report.json session_metrics.time_to_agent_us)."))
	e.queuePos = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "ccload_queue_position", Help: "Agent-queue positions queryQueueInfo reported while customers waited (report.json session_metrics.queue_position).",
		Buckets: QueueBuckets, NativeHistogramBucketFactor: NativeBucketFactor, NativeHistogramMaxBucketNumber: 0,
	})
	e.queueEst = prometheus.NewHistogram(hist("ccload_queue_wait_estimate_seconds",
		"Estimated waits queryQueueInfo reported while customers waited (report.json session_metrics.queue_wait_estimate_us)."))
	e.notSent = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ccload_requests_not_sent_total",
		Help: "Requests that never reached the target, by reason as in report.json requests.not_sent_by (client_validation, canceled_waiting, ...).",
	}, []string{"reason"})
	reg.MustRegister(e.requests, e.errors, e.service, e.response, e.lag, e.active, e.arrivals, e.dropped, e.sessions,
		e.reply, e.toAgent, e.queuePos, e.queueEst, e.notSent)
	for _, o := range report.Outcomes {
		e.byOutcome[o] = e.sessions.WithLabelValues(o.String()) // present at 0 from the start
	}
	e.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return e
}

// Gatherer is the registry the exporter's series live in, for a handler or a remote writer.
func (e *Exporter) Gatherer() prometheus.Gatherer { return e.reg }

// Request counts one request and observes its latencies (requests never sent have none).
func (e *Exporter) Request(s *report.Sample, endpoint, controlType, step string) {
	k := reqKey{group: s.Group, step: s.Step, class: s.Class, code: s.ResultCode}
	c, ok := e.reqs[k]
	if !ok {
		k.code = string([]byte(s.ResultCode)) // the Sample's string may share a reused buffer
		c = e.requests.WithLabelValues(endpoint, controlType, step, k.code, s.Class.Bucket())
		e.reqs[k] = c
	}
	c.Inc()
	if s.Class != report.ClassOK && s.Class.Timed() { // not sent and cut are no errors of the target
		ec := e.byClass[s.Class]
		if ec == nil {
			ec = e.errors.WithLabelValues(s.Class.String())
			e.byClass[s.Class] = ec
		}
		ec.Inc()
	}
	if s.Class.NotSent() {
		nc := e.byNotSent[s.Class]
		if nc == nil {
			nc = e.notSent.WithLabelValues(s.Class.String())
			e.byNotSent[s.Class] = nc
		}
		nc.Inc()
		return // never on the wire: no latency, no lag
	}
	if s.Origin == report.OriginScenario { // ccload's own requests, "(teardown)" and "(abandon)", are out of the lag as in report.json
		lag := s.Start - s.Throttled - max(s.Intended, s.Ready) // the max_rps wait is the tester's ceiling, not lag (as report.json)
		e.lag.Observe(float64(max(lag, 0)) / 1e9)
	}
	if !s.Class.Timed() {
		return // sent, no answer (cut, unknown_receipt): lag but no latency
	}
	hk := histKey{s.Group, s.Step}
	h, ok := e.hists[hk]
	if !ok {
		h = histPair{e.service.WithLabelValues(endpoint, controlType, step), e.response.WithLabelValues(endpoint, controlType, step)}
		e.hists[hk] = h
	}
	h.service.Observe(float64(s.End-s.Start) / 1e9)
	h.response.Observe(float64(s.End-s.Intended) / 1e9)
}

// Arrival counts a session arrival.
func (e *Exporter) Arrival() { e.arrivals.Inc() }

// Dropped counts an arrival that found no free slot.
func (e *Exporter) Dropped() { e.dropped.Inc() }

// SessionEnded counts an ended session by outcome.
func (e *Exporter) SessionEnded(o report.Outcome) {
	if int(o) < len(e.byOutcome) {
		e.byOutcome[o].Inc()
	}
}

// Active sets the live customer gauge.
func (e *Exporter) Active(n int64) { e.active.Set(float64(n)) }

// Reply observes a reply latency (ns).
func (e *Exporter) Reply(latency int64) { e.reply.Observe(float64(latency) / 1e9) }

// AgentJoined observes a time to agent (ns).
func (e *Exporter) AgentJoined(latency int64) { e.toAgent.Observe(float64(latency) / 1e9) }

// QueueInfo observes a "still queuing" answer's position and, when it gave one, its estimated wait (ns).
func (e *Exporter) QueueInfo(position, estimate int64) {
	e.queuePos.Observe(float64(max(position, 0)))
	if estimate >= 0 {
		e.queueEst.Observe(float64(estimate) / 1e9)
	}
}

var _ record.SessionObserver = (*Exporter)(nil)

// now is the clock of remote-write timestamps (a variable for tests).
var now = time.Now
