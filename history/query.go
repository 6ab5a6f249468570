package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Filter selects runs. Its zero value selects every run.
type Filter struct {
	// Scenario matches the scenario's name, or its hash ("sha256:..." or a prefix of its hex).
	Scenario string
	// ScenarioSHA256 matches the scenario's hash exactly (compare --baseline: NEW's).
	ScenarioSHA256 string
	// Labels must all be present with these values.
	Labels map[string]string
	// Verdicts, when set, keep runs of these verdicts only.
	Verdicts []string
	// Command, when set, keeps runs recorded by this command only.
	Command string
	// Shard and Shards, when Shards > 0, keep runs of this shape only ("" and 4: merges of 4 shards).
	Shard  string
	Shards int
	// Exclude leaves out the run whose report has this hash (compare: NEW itself, when recorded).
	Exclude string
	// Last keeps the Last most recent runs (by start time; 0: all).
	Last int
}

// List returns the runs f selects, most recent first (by the run's start, then id), with their
// labels and groups; reports are not loaded (Report loads one).
func (s *Store) List(ctx context.Context, f Filter) ([]*Entry, error) {
	var where []string
	var args []any
	if f.Scenario != "" {
		h := strings.TrimPrefix(f.Scenario, "sha256:")
		where = append(where, "(scenario = ? OR scenario_sha256 = ? OR scenario_sha256 LIKE ?)")
		args = append(args, f.Scenario, f.Scenario, "sha256:"+escapeLike(h)+"%")
	}
	if f.ScenarioSHA256 != "" {
		where = append(where, "scenario_sha256 = ?")
		args = append(args, f.ScenarioSHA256)
	}
	if len(f.Verdicts) > 0 {
		where = append(where, "verdict IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(f.Verdicts)), ", ")+")")
		for _, v := range f.Verdicts {
			args = append(args, v)
		}
	}
	if f.Command != "" {
		where = append(where, "command = ?")
		args = append(args, f.Command)
	}
	if f.Shards > 0 {
		where = append(where, "shard = ? AND shards = ?")
		args = append(args, f.Shard, f.Shards)
	}
	if f.Exclude != "" {
		where = append(where, "report_sha256 <> ?")
		args = append(args, f.Exclude)
	}
	for _, k := range slices.Sorted(maps.Keys(f.Labels)) {
		where = append(where, "EXISTS (SELECT 1 FROM ccload_labels l WHERE l.run_id = ccload_runs.id AND l.key = ? AND l.value = ?)")
		args = append(args, k, f.Labels[k])
	}
	q := `SELECT id, recorded_at_us, command, scenario, scenario_sha256, started_at_us, duration_s, stop_reason,
	verdict, shard, shards, requests, ok, errors, not_sent, sessions_started, sessions_failed, report_sha256, ccload_version
	FROM ccload_runs`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY started_at_us DESC, id DESC"
	if f.Last > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Last)
	}
	rows, err := s.db.QueryContext(ctx, s.d.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("history: %s: %w", s.where, err)
	}
	var out []*Entry
	byID := map[int64]*Entry{}
	for rows.Next() {
		e := &Entry{Labels: map[string]string{}}
		var rec, start int64
		if err := rows.Scan(&e.ID, &rec, &e.Command, &e.Scenario, &e.ScenarioSHA256, &start, &e.DurationS, &e.StopReason,
			&e.Verdict, &e.Shard, &e.Shards, &e.Requests, &e.OK, &e.Errors, &e.NotSent, &e.SessionsStarted,
			&e.SessionsFailed, &e.ReportSHA256, &e.Version); err != nil {
			rows.Close()
			return nil, fmt.Errorf("history: %s: %w", s.where, err)
		}
		e.RecordedAt, e.StartedAt = time.UnixMicro(rec).UTC(), time.UnixMicro(start).UTC()
		out = append(out, e)
		byID[e.ID] = e
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("history: %s: %w", s.where, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	if err := s.details(ctx, byID); err != nil {
		return nil, err
	}
	return out, nil
}

// details loads the labels and groups of the runs in byID.
func (s *Store) details(ctx context.Context, byID map[int64]*Entry) error {
	ids := slices.Sorted(maps.Keys(byID))
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		in := strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ")
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := s.db.QueryContext(ctx, s.d.q(`SELECT run_id, key, value FROM ccload_labels WHERE run_id IN (`+in+`)`), args...)
		if err != nil {
			return fmt.Errorf("history: %s: %w", s.where, err)
		}
		for rows.Next() {
			var id int64
			var k, v string
			if err := rows.Scan(&id, &k, &v); err != nil {
				rows.Close()
				return err
			}
			byID[id].Labels[k] = v
		}
		rows.Close()
		rows, err = s.db.QueryContext(ctx, s.d.q(`SELECT run_id, name, kind, requests, errors, error_rate, rps,
	p50_us, p90_us, p95_us, p99_us, p999_us, max_us FROM ccload_groups WHERE run_id IN (`+in+`) ORDER BY run_id, name`), args...)
		if err != nil {
			return fmt.Errorf("history: %s: %w", s.where, err)
		}
		for rows.Next() {
			var id int64
			var g GroupRow
			if err := rows.Scan(&id, &g.Name, &g.Kind, &g.Requests, &g.Errors, &g.ErrorRate, &g.RPS,
				&g.P50, &g.P90, &g.P95, &g.P99, &g.P999, &g.MaxUS); err != nil {
				rows.Close()
				return err
			}
			byID[id].Groups = append(byID[id].Groups, g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	for _, e := range byID {
		// "all" first, then by name: the order a report lists its groups in is kept by name.
		slices.SortStableFunc(e.Groups, func(a, b GroupRow) int {
			if (a.Name == "all") != (b.Name == "all") {
				if a.Name == "all" {
					return -1
				}
				return 1
			}
			return strings.Compare(a.Name, b.Name)
		})
	}
	return nil
}

func escapeLike(s string) string {
	return strings.NewReplacer("%", "", "_", "").Replace(s)
}

// ErrNotFound is returned for a run id the store does not hold.
var ErrNotFound = errors.New("history: no such run")

// Get returns one run with its labels, groups and report bytes (as stored: report.json).
func (s *Store) Get(ctx context.Context, id int64) (*Entry, error) {
	var gz []byte
	err := s.db.QueryRowContext(ctx, s.d.q(`SELECT report FROM ccload_runs WHERE id = ?`), id).Scan(&gz)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w #%d in %s (ccload history list shows the ids)", ErrNotFound, id, s.where)
	}
	if err != nil {
		return nil, fmt.Errorf("history: %s: %w", s.where, err)
	}
	raw, err := gunzip(gz)
	if err != nil {
		return nil, fmt.Errorf("run #%d: %w", id, err)
	}
	all, err := s.listIDs(ctx, id)
	if err != nil {
		return nil, err
	}
	e := all
	e.Report = raw
	return e, nil
}

// listIDs loads one run's columns, labels and groups.
func (s *Store) listIDs(ctx context.Context, id int64) (*Entry, error) {
	q := `SELECT id, recorded_at_us, command, scenario, scenario_sha256, started_at_us, duration_s, stop_reason,
	verdict, shard, shards, requests, ok, errors, not_sent, sessions_started, sessions_failed, report_sha256, ccload_version
	FROM ccload_runs WHERE id = ?`
	e := &Entry{Labels: map[string]string{}}
	var rec, start int64
	if err := s.db.QueryRowContext(ctx, s.d.q(q), id).Scan(&e.ID, &rec, &e.Command, &e.Scenario, &e.ScenarioSHA256, &start, &e.DurationS, &e.StopReason,
		&e.Verdict, &e.Shard, &e.Shards, &e.Requests, &e.OK, &e.Errors, &e.NotSent, &e.SessionsStarted,
		&e.SessionsFailed, &e.ReportSHA256, &e.Version); err != nil {
		return nil, fmt.Errorf("history: %s: %w", s.where, err)
	}
	e.RecordedAt, e.StartedAt = time.UnixMicro(rec).UTC(), time.UnixMicro(start).UTC()
	if err := s.details(ctx, map[int64]*Entry{id: e}); err != nil {
		return nil, err
	}
	return e, nil
}

// Prune deletes every run f selects except the keep most recent, in one transaction, and
// returns how many it deleted.
func (s *Store) Prune(ctx context.Context, f Filter, keep int) (int, error) {
	if keep < 0 {
		return 0, fmt.Errorf("history: prune: keep must not be negative")
	}
	f.Last = 0
	runs, err := s.List(ctx, f)
	if err != nil {
		return 0, err
	}
	if len(runs) <= keep {
		return 0, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("history: %s: %w", s.where, err)
	}
	defer tx.Rollback()
	for _, e := range runs[keep:] {
		for _, t := range []string{"ccload_labels", "ccload_groups"} {
			if _, err := tx.ExecContext(ctx, s.d.q(`DELETE FROM `+t+` WHERE run_id = ?`), e.ID); err != nil {
				return 0, fmt.Errorf("history: %s: pruning: %w", s.where, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.d.q(`DELETE FROM ccload_runs WHERE id = ?`), e.ID); err != nil {
			return 0, fmt.Errorf("history: %s: pruning: %w", s.where, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("history: %s: pruning: %w", s.where, err)
	}
	return len(runs) - keep, nil
}
