// Package report is the model of what a run measured: report.json (the Report type), its
// validation, and the histogram and time-series arithmetic every user of a report shares.
// report.json is the source of truth: every other output renders from it, and shard reports
// merge exactly because every histogram travels in HdrHistogram's compressed encoding.
//
// Beside it, by concern: report/record is the Recorder (the hot path that turns a run's Samples
// into a Report), report/merge joins shard reports, report/compare judges a report against a
// baseline, report/html renders one; render writes the text outputs. report imports only gates
// (what a verdict means), internal/genlimit (when the generator was the limit) and
// internal/redact (secrets kept out of what it writes), none of its sub-packages.
package report

import (
	"time"

	"ccload/gates"
)

// Schema is the version of report.json this package writes; readers refuse newer major versions.
const Schema = "ccload/report/v1"

// Report is report.json. Field names are the documented contract (README "report.json").
type Report struct {
	Schema      string    `json:"schema"`
	Scenario    string    `json:"scenario"`
	File        string    `json:"file,omitempty"`
	Target      string    `json:"target,omitempty"`
	StartedAt   time.Time `json:"started_at"`
	EndedAt     time.Time `json:"ended_at"`
	DurationS   float64   `json:"duration_s"`
	Interrupted bool      `json:"interrupted"`
	// StopReason says why the run ended: "completed", "interrupted", "aborted: <threshold>", "unreachable",
	// "data exhausted: feeder <name>" or "grace cut" (ParseStop reads it as a Stop).
	StopReason string `json:"stop_reason"`
	Seed       int64  `json:"seed"`
	// Shards counts the shard reports merged into this one (1 for a single run).
	Shards int `json:"shards"`
	// Shard is which slice of the run this report holds (0 of 1 for a whole run; absent on a merge):
	// merge refuses the same shard twice and shards of different N.
	Shard *ShardID `json:"shard,omitempty"`
	// MissingShards lists the shard indexes a partial merge (ccload merge --partial) lacked.
	MissingShards []int `json:"missing_shards,omitempty"`
	// ScenarioSHA256 identifies ScenarioText ("sha256:<hex>"): merge refuses shards of different scenarios.
	ScenarioSHA256 string `json:"scenario_sha256,omitempty"`
	// StartAt is the instant the run was asked to begin its schedule at (ccload run --start-at).
	StartAt time.Time `json:"start_at,omitzero"`

	Sessions SessionCounts `json:"sessions"`
	Requests RequestCounts `json:"requests"`
	// Overall aggregates every request of the run.
	Overall Group   `json:"overall"`
	Groups  []Group `json:"groups"`

	SessionMetrics SessionMetrics `json:"session_metrics"`
	// SchedulerLagUS is intended vs actual start of every request: the generator's own delay.
	SchedulerLagUS Latency `json:"scheduler_lag_us"`
	// ThrottleWaitUS is how long requests waited for the max_rps limiter (only those it held):
	// part of their response time, not of scheduler lag.
	ThrottleWaitUS Latency `json:"throttle_wait_us"`
	// IntervalS is the width of one timeseries point in seconds (1, or more after downsampling).
	IntervalS  float64 `json:"interval_s"`
	Timeseries []Point `json:"timeseries"`
	// Stages are the load stages' start offsets in seconds, for marking charts.
	Stages []StageMark `json:"stages,omitempty"`
	// GraceS is the grace period the run gave its sessions after the last stage, in seconds, for marking charts.
	GraceS float64 `json:"grace_s,omitempty"`
	// FailureReasons says why steps failed, per session type, step and reason, largest count
	// first; sessions.failed is the sum of their sessions_failed. Absent when no step failed.
	FailureReasons []FailureReason `json:"failure_reasons,omitempty"`

	Thresholds []ThresholdResult `json:"thresholds,omitempty"`
	// Capacity is set by ccload capacity: the search's answer and every step (see Capacity).
	Capacity *Capacity `json:"capacity,omitempty"`
	// Replay is set by ccload replay: what it took from its log (counts and line numbers only; see Replay).
	Replay *Replay `json:"replay,omitempty"`
	// Push is what the webhook receiver of a push-mode run saw (see Push); absent without push sessions.
	Push *Push `json:"push,omitempty"`
	// Gates are the compiled thresholds and compare limits the run is judged by, so merge, compare
	// and report never parse the scenario again. Absent in reports of a ccload before it (nil).
	Gates *gates.Set `json:"gates,omitempty"`
	// GeneratorLimit is set when the generator, not the target, was the limit of the run (see
	// GeneratorLimit); its failures of latency and rate thresholds are then inconclusive.
	GeneratorLimit *GeneratorLimit `json:"generator_limit,omitempty"`
	// Generator is the generator process's use of the machine over the run (see GeneratorUse),
	// what GeneratorLimitOf's CPU and memory rules read. Absent in older reports and merges.
	Generator *GeneratorUse `json:"generator,omitempty"`
	// FailedWholesale lists the groups whose every request failed, with the cause and the
	// target's own words (see DiagnoseWholesale); each also has a warning.
	FailedWholesale []Wholesale `json:"failed_wholesale,omitempty"`
	Warnings        []string    `json:"warnings,omitempty"`
	// ScenarioText is the scenario file as run, literal secrets redacted (at load, and by ReadJSON).
	ScenarioText string `json:"scenario_text,omitempty"`
}

// SessionCounts holds the session accounting: arrivals = started + dropped; started = completed +
// failed + interrupted + ended_by_platform + cut_by_grace.
type SessionCounts struct {
	Arrivals    int64 `json:"arrivals"`
	Started     int64 `json:"started"`
	Completed   int64 `json:"completed"`
	Failed      int64 `json:"failed"`
	Interrupted int64 `json:"interrupted"`
	// EndedByPlatform counts sessions the platform ended (AGENT or SYSTEM DISCONNECT) before
	// their last step: not failures of the target, not completions either.
	EndedByPlatform int64 `json:"ended_by_platform"`
	Dropped         int64 `json:"dropped"`
	// DroppedBy splits Dropped by reason, so a dropped arrival always says why (docs/run.md):
	// "max_customers" (the scenario's cap), "live_limit" (the default bound on live customers
	// without one), "late" (the stages ended before the generator could start it).
	DroppedBy map[string]int64 `json:"dropped_by,omitempty"`

	// CutByGrace counts sessions still running when the grace period after the last stage ran
	// out: cancelled by the run, which otherwise played its whole schedule (not interrupted).
	CutByGrace int64 `json:"cut_by_grace"`
}

// RequestCounts holds the request accounting: total = ok + app + http + transport + client
// errors + cut (total is what reached the target); not_sent is outside total.
type RequestCounts struct {
	Total           int64 `json:"total"`
	OK              int64 `json:"ok"`
	AppErrors       int64 `json:"app_errors"`
	HTTPErrors      int64 `json:"http_errors"`
	TransportErrors int64 `json:"transport_errors"`
	// ClientErrors is 0 in reports of this ccload: a request the harness refused is not sent
	// (not_sent_by client_validation). Kept so older reports still read and merge.
	ClientErrors int64 `json:"client_errors"`
	// Cut counts requests written to the target whose answer the run cut off (grace over, a
	// signal, an abort): in total, out of count, error rate and latency.
	Cut int64 `json:"cut"`
	// NotSent counts requests that never reached the target, outside total; NotSentBy splits
	// it by reason (docs/report-json.md).
	NotSent   int64            `json:"not_sent"`
	NotSentBy map[string]int64 `json:"not_sent_by,omitempty"`
	// UnknownReceipt counts requests written on a reused connection that the target closed
	// before any byte of an answer (it answered keep-alive, then closed): whether it read them
	// no client can know, so they are outside total, count, error rate and latency, and the
	// target's own count of received requests lies between total and total + unknown_receipt.
	UnknownReceipt int64 `json:"unknown_receipt,omitempty"`
}

// Group is the measurement of one group of requests: endpoint × controlType, a named step, or everything.
type Group struct {
	Name string `json:"name"`
	// Kind is "endpoint" (endpoint × controlType), "step" (a named step), "teardown" (the
	// DISCONNECTs the run sent to customers still connected when it cut them) or "all".
	Kind        string `json:"kind"`
	Endpoint    string `json:"endpoint,omitempty"`
	ControlType string `json:"control_type,omitempty"`
	Step        string `json:"step,omitempty"`
	RequestCounts
	Count       int64            `json:"count"`
	RPS         float64          `json:"rps"`
	ResultCodes map[string]int64 `json:"result_codes"`
	HTTPStatus  map[string]int64 `json:"http_status"`
	Errors      map[string]int64 `json:"errors"`
	BytesSent   int64            `json:"bytes_sent"`
	BytesRecv   int64            `json:"bytes_received"`

	ServiceTimeUS     Latency `json:"service_time_us"`
	ResponseTimeUS    Latency `json:"response_time_us"`
	ServiceHistogram  string  `json:"service_histogram"`
	ResponseHistogram string  `json:"response_histogram"`
}

// Latency is a histogram's summary in microseconds plus, where mergeable data is needed, its encoding.
type Latency struct {
	Count int64   `json:"count"`
	Min   int64   `json:"min"`
	Mean  float64 `json:"mean"`
	P50   int64   `json:"p50"`
	P90   int64   `json:"p90"`
	P95   int64   `json:"p95"`
	P99   int64   `json:"p99"`
	P999  int64   `json:"p999"`
	Max   int64   `json:"max"`
	// Histogram is the HdrHistogram compressed encoding, base64 (empty inside Group, which has its own fields).
	Histogram string `json:"histogram,omitempty"`
}

// SessionMetrics are the per-session latencies beside the request ones.
type SessionMetrics struct {
	ReplyLatencyUS    Latency `json:"reply_latency_us"`
	TimeToAgentUS     Latency `json:"time_to_agent_us"`
	SessionDurationUS Latency `json:"session_duration_us"`
	// ReplyTimeouts counts await_reply/await_agent steps that timed out.
	ReplyTimeouts int64 `json:"reply_timeouts"`
	// QueuePosition summarises the positions queryQueueInfo reported while customers queued
	// (one value per "still queuing" answer; a count, not µs, despite Latency's field names).
	QueuePosition Latency `json:"queue_position"`
	// QueueWaitEstimateUS summarises the estimated waits (estimateWaitTime) of those answers, in µs.
	QueueWaitEstimateUS Latency `json:"queue_wait_estimate_us"`
	// QueueAnswers counts queryQueueInfo's status answers: ok requests kept out of result_codes.
	QueueAnswers QueueAnswers `json:"queue_answers"`
}

// QueueAnswers counts queryQueueInfo's status answers by resultCode: they say where a customer
// stands, not whether a request was accepted, so they neither raise nor lower resultCode shares.
type QueueAnswers struct {
	Queuing        int64 `json:"queuing"`         // "0": still queuing
	WithAgent      int64 `json:"with_agent"`      // "160021": already with an agent (the agent joined)
	SessionEnded   int64 `json:"session_ended"`   // "5"
	SessionExpired int64 `json:"session_expired"` // "6"
	SessionMissing int64 `json:"session_missing"` // "160004": the session is missing or has ended
}

// Add adds b's counts to q (merge).
func (q *QueueAnswers) Add(b QueueAnswers) {
	q.Queuing += b.Queuing
	q.WithAgent += b.WithAgent
	q.SessionEnded += b.SessionEnded
	q.SessionExpired += b.SessionExpired
	q.SessionMissing += b.SessionMissing
}

// Total is the number of status answers.
func (q QueueAnswers) Total() int64 {
	return q.Queuing + q.WithAgent + q.SessionEnded + q.SessionExpired + q.SessionMissing
}

// Point is one interval of the time series; T is seconds since the run started.
type Point struct {
	T        float64 `json:"t"`
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"`
	P50US    int64   `json:"p50_us"`
	P99US    int64   `json:"p99_us"`
	// Active is the number of live virtual customers at the end of the interval.
	Active int64 `json:"active"`
	// Arrivals and Dropped count session arrivals in the interval.
	Arrivals int64 `json:"arrivals"`
	Dropped  int64 `json:"dropped"`
	// SessionsFailed counts sessions that ended failed in the interval.
	SessionsFailed int64 `json:"sessions_failed"`
	// QueueLength is the longest agent queue seen in the interval: the largest position any
	// queryQueueInfo answer reported (0: no customer was queuing, or none asked).
	QueueLength int64 `json:"queue_length,omitempty"`
	// TimeToAgentMaxUS is the longest time to agent of the customers whose agent joined in the interval.
	TimeToAgentMaxUS int64 `json:"time_to_agent_max_us,omitempty"`
	// ResultCodes counts non-"0" resultCodes in the interval (empty when there were none).
	ResultCodes map[string]int64 `json:"result_codes,omitempty"`
	// Histogram is the interval's response-time histogram (compressed, base64): windowed thresholds and merge use it.
	Histogram string `json:"histogram,omitempty"`
	// Groups is the interval per request group (only groups with requests in it, sorted by name), so
	// thresholds on a group can take over: too.
	Groups []GroupPoint `json:"groups,omitempty"`
}

// GroupPoint is one group's share of a time-series interval: what per-group windowed thresholds slide over.
type GroupPoint struct {
	// Name is the group's name in Report.Groups ("step:ask", "sendAsync CHAT").
	Name     string `json:"name"`
	Requests int64  `json:"requests"`
	Errors   int64  `json:"errors"`
	// Histogram is the group's interval response-time histogram (compressed, base64; empty when no request was sent).
	Histogram string `json:"histogram,omitempty"`
}

// StageMark marks where a load stage began, for charts.
type StageMark struct {
	T      float64 `json:"t"`
	Target float64 `json:"target"`
	Label  string  `json:"label"`
	// DurationS is how long the stage lasted in seconds, so charts know where the stages end
	// (0 in reports written before it).
	DurationS float64 `json:"duration_s,omitempty"`
}

// ThresholdResult is one evaluated threshold.
type ThresholdResult struct {
	Name   string  `json:"name"`
	Metric string  `json:"metric"`
	Group  string  `json:"group"`
	Limit  string  `json:"limit"`
	Value  float64 `json:"value"`
	// Display is Value in the threshold's unit, for humans ("812ms", "0.4%").
	Display string `json:"display"`
	Pass    bool   `json:"pass"`
	// Window is set for windowed thresholds: the worst window's start, in seconds.
	Window string `json:"window,omitempty"`
	// NotJudged says why the threshold was neither passed nor failed ("" when it was judged):
	// "judged by merge: ..." on a shard, "not judged: N requests, fewer than 100" on a small group,
	// "inconclusive: ..." on a run whose generator was the limit. Pass is false, and no exit code,
	// JUnit failure or abort follows from it (docs/gates.md#what-a-verdict-cannot-judge).
	NotJudged string `json:"not_judged,omitempty"`
}

// Failed reports whether the threshold was judged and failed: the one test an exit code counts.
func (t ThresholdResult) Failed() bool { return !t.Pass && t.NotJudged == "" }
