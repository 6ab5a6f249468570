// Package history keeps a history of runs in a database: an embedded SQLite file by default
// (modernc.org/sqlite, pure Go, so `go install` needs no C compiler), PostgreSQL for a team that
// shares one (github.com/jackc/pgx/v5 through database/sql), with one schema. A record holds the
// run's report.json whole (redacted, gzip-compressed) beside indexed columns (identity, labels,
// verdict, counts, every group's percentiles), so trends and gates against the last runs read the
// runs' own histograms, never percentiles averaged after the fact.
//
// A Store is safe for simultaneous use by multiple goroutines, and several processes may write
// one store at once (shards): each record is one transaction, so a reader never sees half of one.
package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver

	"ccload/internal/redact"
)

// EnvVar names the environment variable that gives the store when --history is not set.
const EnvVar = "CCLOAD_HISTORY"

var (
	// ErrNewer refuses a store written by a newer ccload: its schema is one this version cannot read.
	ErrNewer = errors.New("history: the store was written by a newer ccload")
	// ErrForeign refuses a database that holds tables but no ccload history.
	ErrForeign = errors.New("history: not a ccload history")
	// ErrCorrupt refuses a file or database that cannot be read as a history.
	ErrCorrupt = errors.New("history: the store cannot be read")
	// ErrNoStore is returned by Open in ReadOnly mode when the SQLite file does not exist.
	ErrNoStore = errors.New("history: no store")
	// ErrDuplicate is returned by Record for a report already in the store.
	ErrDuplicate = errors.New("history: the report is already recorded")
	// ErrLocation refuses a --history value that names no store this ccload can open.
	ErrLocation = errors.New("history: bad store location")
)

// Mode says whether Open may create a store.
type Mode int

const (
	// ReadWrite creates the store when it does not exist yet (recording commands).
	ReadWrite Mode = iota
	// ReadOnly refuses a SQLite file that does not exist (history list, compare --baseline):
	// a typo in a path must not answer "no runs". A store of an older schema is still migrated.
	ReadOnly
)

// Store is an open history. Close it when done.
type Store struct {
	db    *sql.DB
	d     dialect
	where string // the location, credentials redacted, for messages
	// hook, when set (tests), is called between the statements of a record's transaction.
	hook func(step string) error
}

// dialect is what differs between SQLite and PostgreSQL: column types, placeholders, locking.
type dialect struct {
	name   string // "sqlite" or "postgres"
	serial string // the type of an auto-numbered primary key
	blob   string
	real   string
}

var (
	sqliteDialect   = dialect{name: "sqlite", serial: "INTEGER PRIMARY KEY AUTOINCREMENT", blob: "BLOB", real: "REAL"}
	postgresDialect = dialect{name: "postgres", serial: "BIGSERIAL PRIMARY KEY", blob: "BYTEA", real: "DOUBLE PRECISION"}
)

// q rewrites a query written with ? placeholders for the dialect ($1, $2, ... for PostgreSQL).
func (d dialect) q(query string) string {
	if d.name != "postgres" {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Location returns where the store is, with any password or query secret redacted.
func (s *Store) Location() string { return s.where }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Open opens the store at loc: "postgres://..." or "postgresql://..." for PostgreSQL (its
// search_path parameter chooses the schema), a path (or "sqlite:PATH", "file:PATH") for SQLite. It
// checks the schema: an empty database gets the current one, an older one is migrated forward in
// one transaction, a newer one (ErrNewer), a database of other tables (ErrForeign) and a file that
// is no database (ErrCorrupt) are refused. Errors name the store with credentials redacted.
func Open(ctx context.Context, loc string, mode Mode) (*Store, error) {
	return openAt(ctx, loc, mode, currentVersion)
}

func openAt(ctx context.Context, loc string, mode Mode, version int) (*Store, error) {
	s, err := connect(loc, mode)
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx, version); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// connect opens the database handle without touching the schema.
func connect(loc string, mode Mode) (*Store, error) {
	loc = strings.TrimSpace(loc)
	if loc == "" {
		return nil, fmt.Errorf("%w: empty; give a file (runs.db) or postgres://user@host/db", ErrLocation)
	}
	lower := strings.ToLower(loc)
	if strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://") {
		where := redact.URL(loc)
		db, err := sql.Open("pgx", loc)
		if err != nil {
			return nil, fmt.Errorf("%w %s: %v", ErrLocation, where, redactErr(err, loc))
		}
		db.SetMaxOpenConns(4)
		return &Store{db: db, d: postgresDialect, where: where}, nil
	}
	path := loc
	for _, p := range []string{"sqlite://", "sqlite:", "file:"} {
		if strings.HasPrefix(lower, p) {
			path = loc[len(p):]
			break
		}
	}
	if i := strings.Index(path, "://"); i > 0 && !strings.ContainsAny(path[:i], `/\.`) {
		return nil, fmt.Errorf("%w %q: unknown scheme %q; give a file path (SQLite) or postgres://...", ErrLocation, redact.URL(loc), path[:i])
	}
	if path == "" {
		return nil, fmt.Errorf("%w %q: no file name", ErrLocation, loc)
	}
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return nil, fmt.Errorf("%w %s: a directory; give a file, e.g. %s", ErrLocation, path, strings.TrimSuffix(path, "/")+"/runs.db")
	case errors.Is(err, os.ErrNotExist) && mode == ReadOnly:
		return nil, fmt.Errorf("%w at %s: the file does not exist (record runs into it with --history %s)", ErrNoStore, path, path)
	}
	// A URI filename, so a path with '?' or '#' stays a path; busy_timeout lets concurrent writers
	// wait for each other, _txlock=immediate takes the write lock at BEGIN (no upgrade deadlock).
	u := url.URL{Scheme: "file", Opaque: (&url.URL{Path: path}).EscapedPath()}
	dsn := u.String() + "?_pragma=busy_timeout(30000)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %v", ErrLocation, path, err)
	}
	return &Store{db: db, d: sqliteDialect, where: path}, nil
}

// redactErr removes loc's password from a driver's error text.
func redactErr(err error, loc string) string {
	msg := err.Error()
	if u, perr := url.Parse(loc); perr == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "REDACTED")
		}
	}
	return msg
}
