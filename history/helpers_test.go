package history

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"ccload/report"
	"ccload/report/reporttest"
)

// PostgresEnv names the variable holding the DSN of the PostgreSQL server the tests use
// (.ci/run starts one on loopback and exports it).
const PostgresEnv = "CCLOAD_TEST_POSTGRES"

// backend is one kind of store the shared test table runs against.
type backend struct {
	name string
	// loc returns the location of a new, empty store of this kind.
	loc func(t *testing.T) string
}

// backends returns SQLite (always) and PostgreSQL (when CCLOAD_TEST_POSTGRES is set). In CI
// (CI=true) a missing DSN fails the test: the PostgreSQL half must never be skipped silently there.
func backends(t *testing.T) []backend {
	t.Helper()
	out := []backend{{name: "sqlite", loc: func(t *testing.T) string {
		return filepath.Join(t.TempDir(), "runs.db")
	}}}
	dsn := os.Getenv(PostgresEnv)
	switch {
	case dsn != "":
		out = append(out, backend{name: "postgres", loc: func(t *testing.T) string { return pgSchema(t, dsn) }})
	case os.Getenv("CI") == "true":
		t.Fatalf("%s is not set under CI=true: .ci/run starts a PostgreSQL server and exports it; the history tests must run against it", PostgresEnv)
	default:
		t.Logf("%s not set: the PostgreSQL half of this test did not run (.ci/run starts a server)", PostgresEnv)
	}
	return out
}

// pgSchema creates a fresh schema on the test server, dropped at the end of the test, and
// returns a DSN whose search_path is that schema: every test starts from an empty database.
func pgSchema(t *testing.T, dsn string) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	schema := "ccload_test_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		t.Fatalf("creating a schema on %s: %v", PostgresEnv, err)
	}
	t.Cleanup(func() {
		db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		db.Close()
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

// forEach runs f against every backend as subtests.
func forEach(t *testing.T, f func(t *testing.T, loc func(t *testing.T) string)) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			f(t, b.loc)
		})
	}
}

func open(t *testing.T, loc string) *Store {
	t.Helper()
	s, err := Open(context.Background(), loc, ReadWrite)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// synth builds a run of one CHAT endpoint: n requests whose response times are lognormal
// (median 20 ms × scale, σ 0.4), errorRate of them resultCode 12, started at start. Deterministic
// for a seed: what a run of the same target on another day looks like, with scale its drift.
func synth(t testing.TB, seed uint64, n int, scale, errorRate float64, start time.Time) *report.Report {
	t.Helper()
	key := fmt.Sprint(seed, n, scale, errorRate, start.UnixNano())
	synthMu.Lock()
	enc, ok := synthCache[key]
	synthMu.Unlock()
	if !ok {
		var err error
		if enc, err = json.Marshal(synthRun(t, seed, n, scale, errorRate, start, 5, true)); err != nil {
			t.Fatal(err)
		}
		synthMu.Lock()
		synthCache[key] = enc
		synthMu.Unlock()
	}
	r := new(report.Report)
	if err := json.Unmarshal(enc, r); err != nil {
		t.Fatal(err)
	}
	return r
}

// synthCache keeps each synthetic run built (as JSON): the store table builds the same runs for
// every backend, and building real histograms is most of its time under -race.
var (
	synthMu    sync.Mutex
	synthCache = map[string][]byte{}
)

// synthRun is synth with the run's length in seconds (one time-series point each) and whether
// it has the CHAT group beside "all" (the gate trials build hundreds of runs: one point, no group).
func synthRun(t testing.TB, seed uint64, n int, scale, errorRate float64, start time.Time, secs int, group bool) *report.Report {
	t.Helper()
	rng := mrand.New(mrand.NewPCG(seed, 99))
	b := reporttest.NewBuilder(t, secs)
	var groups []int
	if group {
		groups = append(groups, b.Endpoint("sendAsync", "CHAT"))
	}
	for i := range n {
		svc := int64(20_000 * scale * math.Exp(rng.NormFloat64()*0.3))
		code, class := "0", report.ClassOK
		if rng.Float64() < errorRate {
			code, class = "12", report.ClassApp
		}
		b.Req(i*secs/n, svc+200, svc, code, class, groups...)
	}
	r := b.Finish()
	r.Scenario = "ci-gate"
	r.ScenarioText = "name: ci-gate\n"
	r.ScenarioSHA256 = "sha256:5ca1ab1e00000000000000000000000000000000000000000000000000000000"
	r.StartedAt = start
	r.EndedAt = start.Add(time.Duration(secs) * time.Second)
	return r
}

// day0 is when the synthetic history begins.
var day0 = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

func mustPrepare(t *testing.T, r *report.Report, labels map[string]string) *Entry {
	t.Helper()
	e, err := PrepareReport("run", r, labels)
	if err != nil {
		t.Fatalf("PrepareReport: %v", err)
	}
	return e
}
