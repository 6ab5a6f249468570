package history

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"ccload/report"
)

// TestStore is the table every backend runs: record, list with filters, show, export, prune,
// duplicates, and the store's refusals (a newer schema, a foreign database).
func TestStore(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, loc string)
	}{
		{"record, list and export give the report back byte for byte", testRecordExport},
		{"filters by scenario, label and verdict", testFilters},
		{"a report recorded twice is refused", testDuplicate},
		{"prune keeps the N most recent", testPrune},
		{"an interrupted record leaves nothing", testInterrupted},
		{"a store of a newer ccload is refused", testNewer},
		{"a database of other tables is refused", testForeign},
		{"migrates forward from the first schema", testMigrateFromFirst},
		{"concurrent writers, each its own connection, all land whole", testConcurrent},
		{"secrets in a report are never stored", testSecrets},
	}
	forEach(t, func(t *testing.T, loc func(t *testing.T) string) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel() // each case has a store of its own
				c.run(t, loc(t))
			})
		}
	})
}

func testRecordExport(t *testing.T, loc string) {
	s := open(t, loc)
	ctx := context.Background()
	r := synth(t, 1, 400, 1, 0.01, day0)
	var want bytes.Buffer
	if err := report.WriteJSON(&want, r); err != nil {
		t.Fatal(err)
	}
	e, err := Prepare("run", want.Bytes(), map[string]string{"env": "staging", "version": "1.4.2"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.Record(ctx, e)
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	runs, err := s.List(ctx, Filter{})
	if err != nil || len(runs) != 1 {
		t.Fatalf("List: %d runs, %v; want 1", len(runs), err)
	}
	got := runs[0]
	if got.ID != id || got.Scenario != "ci-gate" || got.Verdict != VerdictPass || got.Command != "run" ||
		got.Requests != 400 || got.Labels["env"] != "staging" || got.Labels["version"] != "1.4.2" || !got.StartedAt.Equal(day0) {
		t.Errorf("listed %+v", got)
	}
	all, ok := got.group("all")
	if !ok || all.P99 != r.Overall.ResponseTimeUS.P99 || all.Requests != 400 || all.Errors != r.Overall.Count-r.Overall.OK {
		t.Errorf("group all = %+v, want p99 %d", all, r.Overall.ResponseTimeUS.P99)
	}
	if _, ok := got.group("sendAsync CHAT"); !ok {
		t.Errorf("group sendAsync CHAT missing: %+v", got.Groups)
	}
	full, err := s.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(full.Report, want.Bytes()) {
		t.Fatalf("export differs from the report.json written (%d vs %d bytes)", len(full.Report), want.Len())
	}
	back, err := report.ReadJSON(bytes.NewReader(full.Report))
	if err != nil {
		t.Fatalf("exported report does not read back: %v", err)
	}
	if back.Overall.ResponseHistogram != r.Overall.ResponseHistogram || len(back.Timeseries) != len(r.Timeseries) ||
		back.Timeseries[2].Histogram != r.Timeseries[2].Histogram {
		t.Error("the exported report lost histograms or time series")
	}
	if _, err := s.Get(ctx, id+100); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of a missing id: %v, want ErrNotFound", err)
	}
}

func testFilters(t *testing.T, loc string) {
	s := open(t, loc)
	ctx := context.Background()
	for i, c := range []struct {
		env    string
		thresh bool // a failed threshold
		other  bool // another scenario
	}{{"staging", false, false}, {"staging", true, false}, {"prod", false, false}, {"staging", false, true}, {"staging", false, false}} {
		r := synth(t, uint64(10+i), 200, 1, 0, day0.Add(time.Duration(i)*time.Hour))
		if c.thresh {
			r.Thresholds = []report.ThresholdResult{{Name: "p99<1ms", Metric: "response_time.p99", Group: "all", Limit: "<1ms", Pass: false}}
		}
		if c.other {
			r.Scenario, r.ScenarioSHA256 = "other", "sha256:0ther000000000000000000000000000000000000000000000000000000000000"
		}
		if _, err := s.Record(ctx, mustPrepare(t, r, map[string]string{"env": c.env})); err != nil {
			t.Fatal(err)
		}
	}
	count := func(f Filter) []int64 {
		t.Helper()
		runs, err := s.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, e := range runs {
			ids = append(ids, e.ID)
		}
		return ids
	}
	for _, c := range []struct {
		name string
		f    Filter
		want string
	}{
		{"all, newest first", Filter{}, "[5 4 3 2 1]"},
		{"scenario by name", Filter{Scenario: "ci-gate"}, "[5 3 2 1]"},
		{"scenario by hash prefix", Filter{Scenario: "0ther"}, "[4]"},
		{"label", Filter{Labels: map[string]string{"env": "staging"}}, "[5 4 2 1]"},
		{"label and scenario and verdict", Filter{Scenario: "ci-gate", Labels: map[string]string{"env": "staging"}, Verdicts: []string{VerdictPass}}, "[5 1]"},
		{"last 2", Filter{Last: 2}, "[5 4]"},
		{"failed", Filter{Verdicts: []string{VerdictFail}}, "[2]"},
	} {
		if got := fmt.Sprint(count(c.f)); got != c.want {
			t.Errorf("%s: ids %s, want %s", c.name, got, c.want)
		}
	}
}

func testDuplicate(t *testing.T, loc string) {
	s := open(t, loc)
	ctx := context.Background()
	r := synth(t, 3, 200, 1, 0, day0)
	id, err := s.Record(ctx, mustPrepare(t, r, nil))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Record(ctx, mustPrepare(t, r, map[string]string{"again": "yes"}))
	if !errors.Is(err, ErrDuplicate) || !strings.Contains(err.Error(), fmt.Sprintf("#%d", id)) {
		t.Fatalf("second record: %v, want ErrDuplicate naming #%d", err, id)
	}
	if runs, _ := s.List(ctx, Filter{}); len(runs) != 1 {
		t.Errorf("%d runs after a duplicate, want 1", len(runs))
	}
}

func testPrune(t *testing.T, loc string) {
	s := open(t, loc)
	ctx := context.Background()
	for i := range 6 {
		env := "staging"
		if i%3 == 2 {
			env = "prod"
		}
		if _, err := s.Record(ctx, mustPrepare(t, synth(t, uint64(20+i), 150, 1, 0, day0.Add(time.Duration(i)*time.Hour)), map[string]string{"env": env})); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.Prune(ctx, Filter{Labels: map[string]string{"env": "staging"}}, 2)
	if err != nil || n != 2 {
		t.Fatalf("Prune: %d, %v; want 2 deleted", n, err)
	}
	runs, _ := s.List(ctx, Filter{})
	var ids []int64
	for _, e := range runs {
		ids = append(ids, e.ID)
	}
	if fmt.Sprint(ids) != "[6 5 4 3]" {
		t.Errorf("left %v, want [6 5 4 3] (the 2 newest staging, every prod)", ids)
	}
	var labels, groups int
	s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM ccload_labels`).Scan(&labels)
	s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM ccload_groups`).Scan(&groups)
	if labels != 4 || groups != 8 {
		t.Errorf("after prune: %d labels, %d group rows; want 4 and 8 (nothing of a pruned run left)", labels, groups)
	}
}

func testInterrupted(t *testing.T, loc string) {
	s := open(t, loc)
	ctx := context.Background()
	for _, step := range []string{"run", "labels", "groups"} {
		s.hook = func(at string) error {
			if at == step {
				return errors.New("killed at " + at)
			}
			return nil
		}
		if _, err := s.Record(ctx, mustPrepare(t, synth(t, 4, 150, 1, 0, day0), map[string]string{"env": "x"})); err == nil {
			t.Fatalf("Record interrupted at %s succeeded", step)
		}
	}
	// A cancelled context mid-transaction: the same.
	cctx, cancel := context.WithCancel(ctx)
	s.hook = func(at string) error {
		if at == "labels" {
			cancel()
		}
		return nil
	}
	if _, err := s.Record(cctx, mustPrepare(t, synth(t, 4, 150, 1, 0, day0), map[string]string{"env": "x"})); err == nil {
		t.Fatal("Record with its context cancelled mid-way succeeded")
	}
	s.hook = nil
	for _, table := range []string{"ccload_runs", "ccload_labels", "ccload_groups"} {
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s holds %d rows (%v) after interrupted records, want 0", table, n, err)
		}
	}
	if _, err := s.Record(ctx, mustPrepare(t, synth(t, 4, 150, 1, 0, day0), nil)); err != nil {
		t.Errorf("the same report after the interrupted attempts: %v", err)
	}
}

func testNewer(t *testing.T, loc string) {
	s := open(t, loc)
	if _, err := s.db.Exec(`UPDATE ccload_schema_version SET version = 99`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, m := range []Mode{ReadWrite, ReadOnly} {
		_, err := Open(context.Background(), loc, m)
		if !errors.Is(err, ErrNewer) || !strings.Contains(err.Error(), "schema 99") || !strings.Contains(err.Error(), "newer ccload") {
			t.Errorf("Open of a schema-99 store: %v; want ErrNewer naming the versions", err)
		}
	}
}

func testForeign(t *testing.T, loc string) {
	s, err := connect(loc, ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(context.Background(), loc, ReadWrite)
	if !errors.Is(err, ErrForeign) || !strings.Contains(err.Error(), "customers") {
		t.Fatalf("Open of a database of other tables: %v; want ErrForeign naming them", err)
	}
	// Nothing was added to it.
	s, _ = connect(loc, ReadWrite)
	defer s.Close()
	tables, err := s.tables(context.Background(), s.db)
	if err != nil || fmt.Sprint(tables) != "[customers]" {
		t.Errorf("tables after the refusal: %v %v, want [customers] alone", tables, err)
	}
}

func testMigrateFromFirst(t *testing.T, loc string) {
	ctx := context.Background()
	old, err := openAt(ctx, loc, ReadWrite, 1)
	if err != nil {
		t.Fatal(err)
	}
	// A run as a ccload of schema 1 recorded it: no groups table, no version column.
	r := synth(t, 5, 300, 1, 0.02, day0)
	e := mustPrepare(t, r, map[string]string{"env": "staging"})
	gz, _ := gzipBytes(e.Report)
	var id int64
	err = old.db.QueryRowContext(ctx, old.d.q(`INSERT INTO ccload_runs (recorded_at_us, command, scenario, scenario_sha256,
	started_at_us, duration_s, stop_reason, verdict, shard, shards, requests, ok, errors, not_sent,
	sessions_started, sessions_failed, report_sha256, report) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		day0.UnixMicro(), "run", e.Scenario, e.ScenarioSHA256, e.StartedAt.UnixMicro(), e.DurationS, e.StopReason, e.Verdict,
		e.Shard, e.Shards, e.Requests, e.OK, e.Errors, e.NotSent, e.SessionsStarted, e.SessionsFailed, e.ReportSHA256, gz).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.db.ExecContext(ctx, old.d.q(`INSERT INTO ccload_labels (run_id, key, value) VALUES (?, 'env', 'staging')`), id); err != nil {
		t.Fatal(err)
	}
	var v int
	old.db.QueryRow(`SELECT version FROM ccload_schema_version`).Scan(&v)
	old.Close()
	if v != 1 {
		t.Fatalf("first schema stored version %d", v)
	}

	s := open(t, loc)
	s.db.QueryRow(`SELECT version FROM ccload_schema_version`).Scan(&v)
	if v != currentVersion {
		t.Errorf("version after migration %d, want %d", v, currentVersion)
	}
	runs, err := s.List(ctx, Filter{Labels: map[string]string{"env": "staging"}})
	if err != nil || len(runs) != 1 {
		t.Fatalf("List after migration: %v, %v", runs, err)
	}
	all, ok := runs[0].group("all")
	if !ok || all.P99 != r.Overall.ResponseTimeUS.P99 || all.Requests != 300 {
		t.Errorf("migration filled group all = %+v, want p99 %d from the stored report", all, r.Overall.ResponseTimeUS.P99)
	}
	if _, err := s.Record(ctx, mustPrepare(t, synth(t, 6, 300, 1, 0, day0.Add(time.Hour)), nil)); err != nil {
		t.Errorf("recording after migration: %v", err)
	}
}

func testConcurrent(t *testing.T, loc string) {
	const writers, each = 4, 2
	ctx := context.Background()
	// Build the reports first: the writers then race on the store only (and on its creation).
	entries := make([][]*Entry, writers)
	for w := range writers {
		for i := range each {
			entries[w] = append(entries[w], mustPrepare(t, synth(t, uint64(100+w*each+i), 120, 1, 0, day0.Add(time.Duration(w*each+i)*time.Minute)),
				map[string]string{"shard": fmt.Sprint(w)}))
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, loc, ReadWrite) // each writer its own connection, as shards are
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			for _, e := range entries[w] {
				if _, err := s.Record(ctx, e); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent writer: %v", err)
	}
	s := open(t, loc)
	runs, err := s.List(ctx, Filter{})
	if err != nil || len(runs) != writers*each {
		t.Fatalf("%d runs (%v), want %d", len(runs), err, writers*each)
	}
	for _, e := range runs {
		if len(e.Groups) != 2 || e.Labels["shard"] == "" {
			t.Errorf("run #%d recorded partly: %d groups, labels %v", e.ID, len(e.Groups), e.Labels)
		}
	}
}

func testSecrets(t *testing.T, loc string) {
	const secret = "s3cr3t-AK-0123456789"
	r := synth(t, 7, 150, 1, 0, day0)
	r.ScenarioText = "name: ci-gate\nauth:\n  app_key: " + secret + "\n  app_secret: " + secret + "x\ntarget:\n  url: https://user:" + secret + "@cc.example.com/?token=" + secret + "\n"
	r.Target = "https://user:" + secret + "@cc.example.com/"
	r.Warnings = []string{"token expired: access_token: " + secret}
	s := open(t, loc)
	ctx := context.Background()
	id, err := s.Record(ctx, mustPrepare(t, r, map[string]string{"env": "staging", "note": "app_key: " + secret}))
	if err != nil {
		t.Fatal(err)
	}
	full, err := s.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(full.Report, []byte(secret)) {
		t.Errorf("the stored report holds the planted secret:\n%s", full.Report)
	}
	if !bytes.Contains(full.Report, []byte("REDACTED")) {
		t.Error("the stored report shows no redaction: was the secret planted where the report keeps it?")
	}
	// Every column of every table, as the database returns it.
	for _, table := range []string{"ccload_runs", "ccload_labels", "ccload_groups"} {
		rows, err := s.db.QueryContext(ctx, `SELECT * FROM `+table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			for i, v := range vals {
				b := fmt.Sprint(v)
				if raw, ok := v.([]byte); ok {
					if un, err := gunzip(raw); err == nil {
						b = string(un)
					} else {
						b = string(raw)
					}
				}
				if strings.Contains(b, secret) {
					t.Errorf("%s.%s holds the secret", table, cols[i])
				}
			}
		}
		rows.Close()
	}
	if s.d.name == "sqlite" {
		s.Close()
		raw, err := os.ReadFile(loc)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte(secret)) {
			t.Error("the SQLite file holds the secret")
		}
	}
}

// TestRefuseNonStores: a garbage file and a directory are refused with a clear error, no panic,
// and ReadOnly does not create a missing file.
func TestRefuseNonStores(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	os.WriteFile(garbage, bytes.Repeat([]byte("not a database, just text. "), 400), 0o644)
	for _, c := range []struct {
		name, loc string
		mode      Mode
		is        error
		say       string
	}{
		{"garbage", garbage, ReadWrite, ErrCorrupt, "not an SQLite database"},
		{"directory", dir, ReadWrite, ErrLocation, "a directory"},
		{"missing, read only", filepath.Join(dir, "none.db"), ReadOnly, ErrNoStore, "does not exist"},
		{"unknown scheme", "mysql://u:pw@h/db", ReadWrite, ErrLocation, "unknown scheme"},
		{"empty", "", ReadWrite, ErrLocation, "empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Open(context.Background(), c.loc, c.mode)
			if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.say) {
				t.Fatalf("Open(%q): %v; want %v saying %q", c.loc, err, c.is, c.say)
			}
			if strings.Contains(err.Error(), "pw@") {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "none.db")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a ReadOnly open created the missing file")
	}
	// A damaged stored report: refused with ErrCorrupt by Get, not a panic.
	loc := filepath.Join(dir, "runs.db")
	s := open(t, loc)
	id, err := s.Record(context.Background(), mustPrepare(t, synth(t, 8, 100, 1, 0, day0), nil))
	if err != nil {
		t.Fatal(err)
	}
	s.db.Exec(`UPDATE ccload_runs SET report = ? WHERE id = ?`, []byte("garbage"), id)
	if _, err := s.Get(context.Background(), id); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Get of a damaged report: %v, want ErrCorrupt", err)
	}
}

// writerEnv tells the test binary it is TestHelperWriter's child: the store it writes to.
const writerEnv = "CCLOAD_HISTORY_TEST_WRITER"

// TestKilledWriterLeavesNoHalfRecord kills a writing process (SIGKILL) in the middle of a record's
// transaction and checks that the store holds only whole records and takes new ones.
func TestKilledWriterLeavesNoHalfRecord(t *testing.T) {
	forEach(t, func(t *testing.T, loc func(t *testing.T) string) {
		l := loc(t)
		open(t, l).Close() // the schema exists before the writer starts
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$", "-test.count=1")
		cmd.Env = append(os.Environ(), writerEnv+"="+l)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		n := 0 // records the child said it committed (read to the end: the pipe may hold more than 3 at the kill)
		go func() {
			defer close(done)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "recorded ") {
					if n++; n == 3 {
						time.Sleep(15 * time.Millisecond) // inside the 4th record's transaction (the writer pauses 10 ms per step)
						cmd.Process.Kill()
					}
				}
			}
		}()
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			cmd.Process.Kill()
			t.Fatal("the writer did not record 3 runs within 60 s")
		}
		cmd.Wait()
		s := open(t, l)
		ctx := context.Background()
		runs, err := s.List(ctx, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%d runs committed before the kill", len(runs))
		// A loaded machine may let the child commit a few more before the kill lands: the count
		// is what it printed, or one more committed whose line it did not get to print.
		if n < 3 || len(runs) < n || len(runs) > n+1 {
			t.Fatalf("%d runs after the kill, the writer printed %d; want %d (or %d had the next committed)", len(runs), n, n, n+1)
		}
		for _, e := range runs {
			if len(e.Groups) != 2 || e.Labels["writer"] != "child" {
				t.Errorf("run #%d is half recorded: %d groups, labels %v", e.ID, len(e.Groups), e.Labels)
			}
		}
		var labels, groups int
		s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM ccload_labels`).Scan(&labels)
		s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM ccload_groups`).Scan(&groups)
		if labels != len(runs) || groups != 2*len(runs) {
			t.Errorf("%d label and %d group rows for %d runs: rows of an uncommitted record were left", labels, groups, len(runs))
		}
		if s.d.name == "sqlite" {
			var ok string
			if err := s.db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
				t.Errorf("integrity_check after the kill: %q %v", ok, err)
			}
		}
		if _, err := s.Record(ctx, mustPrepare(t, synth(t, 999, 100, 1, 0, day0), nil)); err != nil {
			t.Errorf("recording after the kill: %v", err)
		}
	})
}

// TestHelperWriter is TestKilledWriterLeavesNoHalfRecord's child process: it records up to 50
// runs, pausing 10 ms between the statements of each, and prints a line per committed record.
func TestHelperWriter(t *testing.T) {
	loc := os.Getenv(writerEnv)
	if loc == "" {
		t.Skip("the child process of TestKilledWriterLeavesNoHalfRecord; it runs only there")
	}
	s, err := Open(context.Background(), loc, ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	s.hook = func(string) error { time.Sleep(10 * time.Millisecond); return nil }
	r := synth(t, 500, 100, 1, 0, day0)
	for i := range 50 {
		r.StartedAt = day0.Add(time.Duration(i) * time.Minute)
		r.EndedAt = r.StartedAt.Add(5 * time.Second)
		id, err := s.Record(context.Background(), mustPrepare(t, r, map[string]string{"writer": "child"}))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println("recorded", id)
	}
}

func TestVerdict(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(r *report.Report)
		want string
	}{
		{"completed, thresholds held", func(r *report.Report) { r.Thresholds = []report.ThresholdResult{{Pass: true}} }, VerdictPass},
		{"grace cut", func(r *report.Report) { r.StopReason = report.StopGraceCut }, VerdictPass},
		{"a threshold failed", func(r *report.Report) { r.Thresholds = []report.ThresholdResult{{Pass: true}, {Pass: false}} }, VerdictFail},
		{"aborted", func(r *report.Report) { r.StopReason = "aborted: p99<1ms" }, VerdictFail},
		// A threshold ccload did not judge (too few requests) is no failure; one the generator's
		// limit made inconclusive leaves the run unjudged: incomplete, never pass nor fail.
		{"a threshold not judged (too few requests)", func(r *report.Report) {
			r.Thresholds = []report.ThresholdResult{{Pass: true}, {NotJudged: "20 requests, under the 100 a threshold needs"}}
		}, VerdictPass},
		{"inconclusive (generator-limited)", func(r *report.Report) {
			r.Thresholds = []report.ThresholdResult{{Pass: true}, {NotJudged: report.InconclusivePrefix + "the generator, not the target, was the limit"}}
		}, VerdictIncomplete},
		{"a failure beside an inconclusive one", func(r *report.Report) {
			r.Thresholds = []report.ThresholdResult{{Pass: false}, {NotJudged: report.InconclusivePrefix + "lag"}}
		}, VerdictFail},
		{"interrupted", func(r *report.Report) { r.Interrupted, r.StopReason = true, "interrupted" }, VerdictIncomplete},
		{"unreachable", func(r *report.Report) { r.StopReason = "unreachable" }, VerdictIncomplete},
		{"capacity missed --require", func(r *report.Report) {
			r.Capacity = &report.Capacity{Converged: true, Outcome: "converged", Required: 500, RequireMet: false}
		}, VerdictFail},
		{"capacity did not converge", func(r *report.Report) {
			r.Capacity = &report.Capacity{Outcome: "did not converge"}
		}, VerdictIncomplete},
		{"capacity converged", func(r *report.Report) { r.Capacity = &report.Capacity{Converged: true, Outcome: "converged"} }, VerdictPass},
	} {
		r := &report.Report{StopReason: "completed"}
		c.edit(r)
		if got := Verdict(r); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}
