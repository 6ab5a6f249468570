package history

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"ccload/internal/redact"
	"ccload/report"
)

// Verdicts of a recorded run.
const (
	// VerdictPass: the run played its schedule and no threshold (nor a capacity --require) failed.
	VerdictPass = "pass"
	// VerdictFail: a threshold failed (or aborted the run), or a capacity search missed --require
	// or found no sustainable rate.
	VerdictFail = "fail"
	// VerdictIncomplete: the run was interrupted, unreachable or ran out of data, a capacity
	// search did not converge, or the generator's limit made a threshold inconclusive: ccload
	// could not judge it.
	VerdictIncomplete = "incomplete"
)

// Entry is one run as the history records it: the indexed identity and counts, and the report.
type Entry struct {
	ID         int64
	RecordedAt time.Time
	// Command is the command that produced the report: run, replay, capacity, merge (or add).
	Command        string
	Scenario       string
	ScenarioSHA256 string
	StartedAt      time.Time
	DurationS      float64
	StopReason     string
	Verdict        string
	// Shard is "I/N" for one shard's report, "" for a whole run or a merge; Shards counts the
	// shard reports merged into it (1 for a single run).
	Shard   string
	Shards  int
	Version string // the ccload that recorded it
	Labels  map[string]string
	// Counts of the run.
	Requests, OK, Errors, NotSent, SessionsStarted, SessionsFailed int64
	Groups                                                         []GroupRow
	// ReportSHA256 identifies Report; Report is the report.json bytes as stored (see Prepare).
	ReportSHA256 string
	Report       []byte
}

// GroupRow is one group's indexed figures: its percentiles (µs, from its histogram), its request and
// error counts, its error rate and rps. "all" is the whole run.
type GroupRow struct {
	Name, Kind                      string
	Requests, Errors                int64
	ErrorRate, RPS                  float64
	P50, P90, P95, P99, P999, MaxUS int64
}

// Prepare turns report.json bytes into an Entry, ready for Record: the report is read as every
// command reads one (report.ReadJSON: its schema, its validity, the redaction of credentials an
// older ccload may have stored), and what is stored is that redacted report encoded as report.json
// is written, so `history export` gives back the file a run of this ccload wrote, byte for byte.
// labels are the run's labels; their values are redacted the same way.
func Prepare(command string, reportJSON []byte, labels map[string]string) (*Entry, error) {
	e, err := entryFromJSON(reportJSON)
	if err != nil {
		return nil, err
	}
	e.Command = command
	e.Labels = map[string]string{}
	for k, v := range labels {
		if err := CheckLabel(k, v); err != nil {
			return nil, err
		}
		e.Labels[k] = redact.Text(v)
	}
	return e, nil
}

// PrepareReport is Prepare for a report in memory (the one a command is about to write).
func PrepareReport(command string, r *report.Report, labels map[string]string) (*Entry, error) {
	var b bytes.Buffer
	if err := report.WriteJSON(&b, r); err != nil {
		return nil, err
	}
	return Prepare(command, b.Bytes(), labels)
}

// entryFromJSON reads, validates, redacts and re-encodes a report, and fills the indexed columns.
func entryFromJSON(raw []byte) (*Entry, error) {
	r, err := report.ReadJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := report.WriteJSON(&b, r); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b.Bytes())
	e := &Entry{
		Scenario: r.Scenario, ScenarioSHA256: r.ScenarioSHA256, StartedAt: r.StartedAt.UTC(), DurationS: r.DurationS,
		StopReason: r.StopReason, Verdict: Verdict(r), Shards: max(r.Shards, 1),
		Requests: r.Requests.Total, OK: r.Requests.OK, NotSent: r.Requests.NotSent,
		Errors:          r.Requests.Total - r.Requests.OK - r.Requests.Cut,
		SessionsStarted: r.Sessions.Started, SessionsFailed: r.Sessions.Failed,
		ReportSHA256: hex.EncodeToString(sum[:]), Report: b.Bytes(),
	}
	if e.ScenarioSHA256 == "" {
		// A report without a scenario hash (an older ccload): its name stands for the scenario.
		e.ScenarioSHA256 = "name:" + r.Scenario
	}
	if r.Shard != nil && r.Shard.N > 1 {
		e.Shard = fmt.Sprintf("%d/%d", r.Shard.I, r.Shard.N)
	}
	all := r.Overall
	all.Name, all.Kind = "all", "all"
	for _, g := range append([]report.Group{all}, r.Groups...) {
		n := report.GroupCount(&g)
		row := GroupRow{Name: g.Name, Kind: g.Kind, Requests: n, Errors: n - g.OK, RPS: g.RPS,
			P50: g.ResponseTimeUS.P50, P90: g.ResponseTimeUS.P90, P95: g.ResponseTimeUS.P95,
			P99: g.ResponseTimeUS.P99, P999: g.ResponseTimeUS.P999, MaxUS: g.ResponseTimeUS.Max}
		if n > 0 {
			row.ErrorRate = float64(n-g.OK) / float64(n)
		}
		e.Groups = append(e.Groups, row)
	}
	return e, nil
}

// Verdict says how a run ended, for the history: pass, fail or incomplete (see the constants).
func Verdict(r *report.Report) string {
	if strings.HasPrefix(r.StopReason, "aborted") {
		return VerdictFail
	}
	if r.Interrupted || (r.StopReason != "" && r.StopReason != "completed" && r.StopReason != report.StopGraceCut) {
		return VerdictIncomplete
	}
	if c := r.Capacity; c != nil {
		switch {
		case c.Required > 0 && !c.RequireMet, c.Outcome == "no sustainable rate":
			return VerdictFail
		case !c.Converged && c.Outcome != "max rate held":
			return VerdictIncomplete
		}
	}
	for _, t := range r.Thresholds {
		if t.Failed() {
			return VerdictFail
		}
	}
	if report.Inconclusive(r) {
		// The generator, not the target, was the limit: ccload could not judge the run.
		return VerdictIncomplete
	}
	if x := r.Replay; x != nil && x.Error != "" {
		// A replay whose log turned out bad after it began, or whose reader never ended (its
		// counts unknown): it did not play the whole log, and ccload replay exited 3.
		return VerdictIncomplete
	}
	return VerdictPass
}

var labelKey = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// CheckLabel refuses a label a query could not name: a key of letters, digits, '_', '.', '-' (at
// most 64) and a value of at most 256 characters.
func CheckLabel(k, v string) error {
	if !labelKey.MatchString(k) {
		return fmt.Errorf("history: label %q: the key must be 1 to 64 letters, digits, '_', '.' or '-'", k)
	}
	if len(v) > 256 {
		return fmt.Errorf("history: label %s: the value is longer than 256 characters", k)
	}
	return nil
}

// Record stores e in one transaction and returns its id: the run, its labels and its groups are
// all there or none is (an interrupted write, a failed statement or a cancelled ctx leave nothing).
// A report already in the store is refused with ErrDuplicate, naming its id.
func (s *Store) Record(ctx context.Context, e *Entry) (int64, error) {
	if e.RecordedAt.IsZero() {
		e.RecordedAt = time.Now()
	}
	gz, err := gzipBytes(e.Report)
	if err != nil {
		return 0, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("history: %s: %w", s.where, err)
	}
	defer tx.Rollback()
	var dup int64
	err = tx.QueryRowContext(ctx, s.d.q(`SELECT id FROM ccload_runs WHERE report_sha256 = ?`), e.ReportSHA256).Scan(&dup)
	switch {
	case err == nil:
		return dup, fmt.Errorf("%w as run #%d in %s", ErrDuplicate, dup, s.where)
	case !errors.Is(err, sql.ErrNoRows):
		return 0, fmt.Errorf("history: %s: %w", s.where, err)
	}
	var id int64
	err = tx.QueryRowContext(ctx, s.d.q(`INSERT INTO ccload_runs (recorded_at_us, command, scenario, scenario_sha256,
	started_at_us, duration_s, stop_reason, verdict, shard, shards, requests, ok, errors, not_sent,
	sessions_started, sessions_failed, report_sha256, report, ccload_version)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		e.RecordedAt.UnixMicro(), e.Command, e.Scenario, e.ScenarioSHA256, e.StartedAt.UnixMicro(), e.DurationS,
		e.StopReason, e.Verdict, e.Shard, e.Shards, e.Requests, e.OK, e.Errors, e.NotSent,
		e.SessionsStarted, e.SessionsFailed, e.ReportSHA256, gz, e.Version).Scan(&id)
	if err != nil {
		if s.isDuplicate(ctx, e.ReportSHA256) {
			return 0, fmt.Errorf("%w in %s (recorded at the same time by another writer)", ErrDuplicate, s.where)
		}
		return 0, fmt.Errorf("history: %s: recording: %w", s.where, err)
	}
	if err := s.step("run"); err != nil {
		return 0, err
	}
	for _, k := range slices.Sorted(maps.Keys(e.Labels)) {
		if _, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO ccload_labels (run_id, key, value) VALUES (?, ?, ?)`), id, k, e.Labels[k]); err != nil {
			return 0, fmt.Errorf("history: %s: recording label %s: %w", s.where, k, err)
		}
	}
	if err := s.step("labels"); err != nil {
		return 0, err
	}
	if err := s.insertGroups(ctx, tx, id, e.Groups); err != nil {
		return 0, err
	}
	if err := s.step("groups"); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("history: %s: recording: %w", s.where, err)
	}
	e.ID = id
	return id, nil
}

func (s *Store) step(name string) error {
	if s.hook == nil {
		return nil
	}
	return s.hook(name)
}

func (s *Store) isDuplicate(ctx context.Context, sum string) bool {
	var id int64
	return s.db.QueryRowContext(ctx, s.d.q(`SELECT id FROM ccload_runs WHERE report_sha256 = ?`), sum).Scan(&id) == nil
}

func (s *Store) insertGroups(ctx context.Context, tx *sql.Tx, id int64, groups []GroupRow) error {
	for _, g := range groups {
		_, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO ccload_groups (run_id, name, kind, requests, errors, error_rate, rps,
	p50_us, p90_us, p95_us, p99_us, p999_us, max_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			id, g.Name, g.Kind, g.Requests, g.Errors, g.ErrorRate, g.RPS, g.P50, g.P90, g.P95, g.P99, g.P999, g.MaxUS)
		if err != nil {
			return fmt.Errorf("history: %s: recording group %q: %w", s.where, g.Name, err)
		}
	}
	return nil
}

func gzipBytes(b []byte) ([]byte, error) {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func gunzip(b []byte) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: a stored report is damaged: %v", ErrCorrupt, err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%w: a stored report is damaged: %v", ErrCorrupt, err)
	}
	return out, nil
}

// ciVars are the CI environment variables a recorded run takes labels from (GitHub Actions, then
// GitLab CI): the first one set gives the label. --label overrides them.
var ciVars = []struct {
	label string
	vars  []string
}{
	{"commit", []string{"GITHUB_SHA", "CI_COMMIT_SHA"}},
	{"ref", []string{"GITHUB_REF_NAME", "CI_COMMIT_REF_NAME"}},
	{"ci_run", []string{"GITHUB_RUN_ID", "CI_PIPELINE_ID"}},
}

// CILabels returns the labels a run recorded in CI gets from its environment: commit, ref and
// ci_run (see docs/history.md), those whose variable is set.
func CILabels(getenv func(string) string) map[string]string {
	out := map[string]string{}
	for _, c := range ciVars {
		for _, v := range c.vars {
			if val := getenv(v); val != "" && CheckLabel(c.label, val) == nil {
				out[c.label] = val
				break
			}
		}
	}
	return out
}
