package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// currentVersion is the schema this ccload writes; a store of a higher version is refused.
const currentVersion = 2

// migration brings a store from version-1 to version: its statements, then fill (optional) in
// the same transaction. Migrations are never edited once released: a new schema is a new one.
type migration struct {
	version int
	stmts   func(d dialect) []string
	fill    func(ctx context.Context, s *Store, tx *sql.Tx) error
}

// migrations are every schema version in order. Version 1 is the first released schema.
var migrations = []migration{
	{version: 1, stmts: func(d dialect) []string {
		return []string{
			`CREATE TABLE ccload_schema_version (version INTEGER NOT NULL)`,
			`CREATE TABLE ccload_runs (
	id ` + d.serial + `,
	recorded_at_us BIGINT NOT NULL,
	command TEXT NOT NULL,
	scenario TEXT NOT NULL,
	scenario_sha256 TEXT NOT NULL,
	started_at_us BIGINT NOT NULL,
	duration_s ` + d.real + ` NOT NULL,
	stop_reason TEXT NOT NULL,
	verdict TEXT NOT NULL,
	shard TEXT NOT NULL,
	shards INTEGER NOT NULL,
	requests BIGINT NOT NULL,
	ok BIGINT NOT NULL,
	errors BIGINT NOT NULL,
	not_sent BIGINT NOT NULL,
	sessions_started BIGINT NOT NULL,
	sessions_failed BIGINT NOT NULL,
	report_sha256 TEXT NOT NULL UNIQUE,
	report ` + d.blob + ` NOT NULL)`,
			`CREATE INDEX ccload_runs_by_scenario ON ccload_runs (scenario_sha256, started_at_us)`,
			`CREATE INDEX ccload_runs_by_start ON ccload_runs (started_at_us)`,
			`CREATE TABLE ccload_labels (
	run_id BIGINT NOT NULL REFERENCES ccload_runs (id) ON DELETE CASCADE,
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (run_id, key))`,
			`CREATE INDEX ccload_labels_by_value ON ccload_labels (key, value)`,
			`INSERT INTO ccload_schema_version (version) VALUES (0)`,
		}
	}},
	// Version 2: every group's percentiles and error rate as indexed columns (trends read them
	// without decoding reports), and the ccload version that recorded the run. Filled from the
	// stored reports of the runs already there.
	{version: 2, stmts: func(d dialect) []string {
		return []string{
			`ALTER TABLE ccload_runs ADD COLUMN ccload_version TEXT NOT NULL DEFAULT ''`,
			`CREATE TABLE ccload_groups (
	run_id BIGINT NOT NULL REFERENCES ccload_runs (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	kind TEXT NOT NULL,
	requests BIGINT NOT NULL,
	errors BIGINT NOT NULL,
	error_rate ` + d.real + ` NOT NULL,
	rps ` + d.real + ` NOT NULL,
	p50_us BIGINT NOT NULL,
	p90_us BIGINT NOT NULL,
	p95_us BIGINT NOT NULL,
	p99_us BIGINT NOT NULL,
	p999_us BIGINT NOT NULL,
	max_us BIGINT NOT NULL,
	PRIMARY KEY (run_id, name))`,
		}
	}, fill: fillGroups},
}

// fillGroups writes ccload_groups for every run recorded before version 2, from its stored report.
func fillGroups(ctx context.Context, s *Store, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, report FROM ccload_runs ORDER BY id`)
	if err != nil {
		return err
	}
	type stored struct {
		id  int64
		rep []byte
	}
	var all []stored
	for rows.Next() {
		var st stored
		if err := rows.Scan(&st.id, &st.rep); err != nil {
			rows.Close()
			return err
		}
		all = append(all, st)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, st := range all {
		raw, err := gunzip(st.rep)
		if err != nil {
			return fmt.Errorf("run #%d: %w", st.id, err)
		}
		e, err := entryFromJSON(raw)
		if err != nil {
			return fmt.Errorf("run #%d: %w", st.id, err)
		}
		if err := s.insertGroups(ctx, tx, st.id, e.Groups); err != nil {
			return err
		}
	}
	return nil
}

// tables lists the tables of the database (of the current schema on PostgreSQL).
func (s *Store) tables(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) ([]string, error) {
	query := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if s.d.name == "postgres" {
		query = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, rows.Err()
}

type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// version reads the schema version: 0 for an empty database, -1 for a foreign one.
func (s *Store) version(ctx context.Context, q querier) (int, []string, error) {
	tables, err := s.tables(ctx, q)
	if err != nil {
		return 0, nil, s.unreadable(err)
	}
	if !slices.Contains(tables, "ccload_schema_version") {
		if len(tables) == 0 {
			return 0, nil, nil
		}
		return -1, tables, nil
	}
	var v int
	if err := q.QueryRowContext(ctx, `SELECT version FROM ccload_schema_version`).Scan(&v); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil, fmt.Errorf("%w: %s: its ccload_schema_version table is empty", ErrCorrupt, s.where)
		}
		return 0, nil, s.unreadable(err)
	}
	return v, tables, nil
}

// unreadable wraps an error reading the store as ErrCorrupt, saying what the file is not.
func (s *Store) unreadable(err error) error {
	msg := err.Error()
	if s.d.name == "sqlite" && (strings.Contains(msg, "not a database") || strings.Contains(msg, "malformed")) {
		return fmt.Errorf("%w: %s is not an SQLite database, or a damaged one (%v); give a new file name to start a history", ErrCorrupt, s.where, err)
	}
	if s.d.name == "postgres" {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, s.where, err)
	}
	return fmt.Errorf("%w: %s: %v", ErrCorrupt, s.where, err)
}

// migrate brings the store to version (currentVersion outside tests), refusing a newer or foreign one.
func (s *Store) migrate(ctx context.Context, target int) error {
	v, tables, err := s.version(ctx, s.db)
	if err != nil {
		return err
	}
	if err := s.checkVersion(v, tables); err != nil {
		return err
	}
	if v >= target {
		return nil
	}
	// Migrate in one transaction holding the write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an
	// advisory lock), then read the version again: another process may have done it meanwhile.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.unreadable(err)
	}
	defer tx.Rollback()
	if s.d.name == "postgres" {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7367224906)`); err != nil {
			return s.unreadable(err)
		}
	}
	if v, tables, err = s.version(ctx, tx); err != nil {
		return err
	}
	if err := s.checkVersion(v, tables); err != nil {
		return err
	}
	for _, m := range migrations {
		if m.version <= v || m.version > target {
			continue
		}
		for _, st := range m.stmts(s.d) {
			if _, err := tx.ExecContext(ctx, st); err != nil {
				return fmt.Errorf("history: %s: migrating to schema %d: %w", s.where, m.version, err)
			}
		}
		if m.fill != nil {
			if err := m.fill(ctx, s, tx); err != nil {
				return fmt.Errorf("history: %s: migrating to schema %d: %w", s.where, m.version, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE ccload_schema_version SET version = `+fmt.Sprint(m.version)); err != nil {
			return fmt.Errorf("history: %s: %w", s.where, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("history: %s: migrating: %w", s.where, err)
	}
	return nil
}

func (s *Store) checkVersion(v int, tables []string) error {
	switch {
	case v < 0:
		if len(tables) > 6 {
			tables = append(tables[:6], "...")
		}
		return fmt.Errorf("%w: %s holds tables (%s) but no ccload_schema_version; give a new file or an empty database (PostgreSQL: another ?search_path=schema)", ErrForeign, s.where, strings.Join(tables, ", "))
	case v > currentVersion:
		return fmt.Errorf("%w: %s has schema %d, this ccload reads up to %d; record and read it with a newer ccload", ErrNewer, s.where, v, currentVersion)
	}
	return nil
}
