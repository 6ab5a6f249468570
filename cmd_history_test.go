package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ccload/history"
	"ccload/mock"
)

// TestHistoryRecordsARun runs a scenario with --history and literal credentials, then reads the
// history back as a user would: list, show, export (the report.json the run wrote, byte for
// byte), trend --html; and finds the credentials nowhere in the store.
func TestHistoryRecordsARun(t *testing.T) {
	const ak, sk = "histAK7f3e9c1d", "histSK2a8b4c6d0e"
	t.Setenv("GITHUB_SHA", "0123abcd")
	t.Setenv("GITHUB_REF_NAME", "release/1.4")
	t.Setenv("GITHUB_RUN_ID", "4242")
	dir := t.TempDir()
	srv := e2eMock(t, func(o *mock.Options) { o.AppKey, o.AppSecret = ak, sk })
	sc := filepath.Join(dir, "gate.yaml")
	os.WriteFile(sc, []byte("name: hist-gate\nauth:\n  app_key: "+ak+"\n  app_secret: \""+sk+"\"\nchannel: {to: \"1011577355744904195\"}\n"+
		"load: {model: closed, customers: 2, duration: 1s}\nseed: 1\nsessions:\n  - poll: {interval: 50ms}\n    steps: [connect, {chat: \"hi\"}, {await_reply: 1s}, disconnect]\n"), 0o644)
	db := filepath.Join(dir, "runs.db")
	out := filepath.Join(dir, "out")
	code, stdout, stderr := ccload(t, "run", sc, "--target", srv.URL(), "--out", out, "--no-progress", "--history", db, "--label", "env=staging", "--label", "version=1.4.2")
	if code != exitOK || !strings.Contains(stderr, "recorded as run #1 in "+db+" (pass)") {
		t.Fatalf("run: exit %d\n%s\n%s", code, stdout, stderr)
	}

	code, stdout, stderr = ccload(t, "history", "list", "--history", db, "--label", "env=staging")
	if code != exitOK {
		t.Fatalf("list: exit %d %s", code, stderr)
	}
	for _, want := range []string{"hist-gate", "pass", "env=staging", "version=1.4.2", "commit=0123abcd", "ref=release/1.4", "ci_run=4242"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("history list lacks %q:\n%s", want, stdout)
		}
	}
	if code, stdout, _ = ccload(t, "history", "list", "--history", db, "--label", "env=prod"); code != exitOK || !strings.Contains(stdout, "no runs") {
		t.Errorf("list env=prod: exit %d\n%s", code, stdout)
	}
	t.Setenv("CCLOAD_HISTORY", db) // the store, when --history is not given
	if code, stdout, stderr = ccload(t, "history", "show", "1"); code != exitOK || !strings.Contains(stdout, "run #1: hist-gate") || !strings.Contains(stdout, "sendAsync CHAT") {
		t.Errorf("show: exit %d\n%s%s", code, stdout, stderr)
	}

	exported := filepath.Join(dir, "exported.json")
	if code, _, stderr = ccload(t, "history", "export", "1", "--history", db, "-o", exported); code != exitOK {
		t.Fatalf("export: exit %d %s", code, stderr)
	}
	want, _ := os.ReadFile(filepath.Join(out, "report.json"))
	got, _ := os.ReadFile(exported)
	if len(want) == 0 || !bytes.Equal(got, want) {
		t.Errorf("history export differs from the run's report.json (%d vs %d bytes)", len(got), len(want))
	}

	page := filepath.Join(dir, "trend.html")
	if code, stdout, stderr = ccload(t, "history", "trend", "--history", db, "--html", page); code != exitOK || !strings.Contains(stdout, "sendAsync CHAT") {
		t.Errorf("trend: exit %d\n%s%s", code, stdout, stderr)
	}
	if b, err := os.ReadFile(page); err != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("trend page: %v", err)
	}

	// The credentials: nowhere in the database file, nor in any stored report (gzip-compressed).
	raw, _ := os.ReadFile(db)
	for _, secret := range []string{ak, sk} {
		if bytes.Contains(raw, []byte(secret)) || bytes.Contains(got, []byte(secret)) {
			t.Errorf("the history holds the credential %q", secret)
		}
	}

	// The same report added again is refused, naming the run.
	if code, _, stderr = ccload(t, "history", "add", filepath.Join(out, "report.json"), "--history", db); code != exitUsage || !strings.Contains(stderr, "already recorded as run #1") {
		t.Errorf("add of a recorded report: exit %d %s", code, stderr)
	}
	if code, stdout, _ = ccload(t, "history", "prune", "--keep", "0", "--history", db); code != exitOK || !strings.Contains(stdout, "pruned 1 runs") {
		t.Errorf("prune --keep 0: exit %d %s", code, stdout)
	}
}

// TestCompareAgainstHistory records baselines with `history add` and gates NEW with
// compare --baseline history:...: a change inside what the baselines varied passes even over
// the limit, one beyond it fails, and with one baseline compare behaves as with a file.
func TestCompareAgainstHistory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "runs.db")
	const limits = "p99=10%"
	for i, ms := range []int64{10, 11, 10, 12, 11, 10, 11, 12, 10, 11} {
		p := gatesCmdReport(t, filepath.Join(dir, fmt.Sprintf("base%d.json", i)), 300+i, ms, false, limits) // 300+i: ten distinct reports
		if code, _, stderr := ccload(t, "history", "add", p, "--history", db, "--label", "env=staging"); code != exitOK {
			t.Fatalf("add: exit %d %s", code, stderr)
		}
	}
	other := gatesCmdReport(t, filepath.Join(dir, "prod.json"), 300, 30, false, limits)
	ccload(t, "history", "add", other, "--history", db, "--label", "env=prod")

	within := gatesCmdReport(t, filepath.Join(dir, "within.json"), 300, 12, false, limits) // +11% on a mean of 10.8 ms
	beyond := gatesCmdReport(t, filepath.Join(dir, "beyond.json"), 300, 14, false, limits) // +30%
	spec := "history:last=10,label=env=staging"
	code, stdout, stderr := ccload(t, "compare", "--baseline", spec, "--history", db, within)
	if code != exitOK || !strings.Contains(stdout, "history: 10 runs") || !strings.Contains(stdout, "within what the baselines varied") {
		t.Errorf("within the baselines' spread: exit %d\n%s%s", code, stdout, stderr)
	}
	page := filepath.Join(dir, "cmp.html")
	code, stdout, stderr = ccload(t, "compare", "--baseline", spec, "--history", db, beyond, "--html", page)
	if code != exitFailed || !strings.Contains(stdout, "beyond the limit and the baselines' spread") {
		t.Errorf("beyond the spread: exit %d\n%s%s", code, stdout, stderr)
	}
	if b, err := os.ReadFile(page); err != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Errorf("--html with a history baseline: %v", err)
	}
	// One baseline: the same verdict and checks as compare BASE NEW.
	code1, out1, _ := ccload(t, "compare", "--baseline", "history:last=1,label=env=staging", "--history", db, within)
	code2, out2, _ := ccload(t, "compare", filepath.Join(dir, "base9.json"), within)
	cut := func(s string) string { return s[strings.Index(s, "limits:"):] }
	if code1 != code2 || !strings.Contains(out1, "limits:") || cut(out1) != cut(out2) {
		t.Errorf("one history baseline (exit %d):\n%s\nvs compare base9.json (exit %d):\n%s", code1, out1, code2, out2)
	}
	// No comparable run: not judged, exit 2, saying which runs were looked for.
	code, _, stderr = ccload(t, "compare", "--baseline", "history:label=env=nowhere", "--history", db, within)
	if code != exitUsage || !strings.Contains(stderr, "no run in") || !strings.Contains(stderr, "label env=nowhere") {
		t.Errorf("no baseline: exit %d %s", code, stderr)
	}
	if code, _, stderr = ccload(t, "compare", "--baseline", "history:last=zero", "--history", db, within); code != exitUsage || !strings.Contains(stderr, "last=zero") {
		t.Errorf("bad spec: exit %d %s", code, stderr)
	}
}

// TestHistoryRefusesBadStores: a garbage file, another application's SQLite database and a store
// of a newer ccload are refused with exit 2 and a clear message, by history and by run (which then
// sends nothing).
func TestHistoryRefusesBadStores(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	os.WriteFile(garbage, bytes.Repeat([]byte("garbage "), 1000), 0o644)
	foreign := filepath.Join(dir, "app.db")
	fdb, err := sql.Open("sqlite", foreign)
	if err != nil {
		t.Fatal(err)
	}
	fdb.Exec(`CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL)`)
	fdb.Close()
	newer := filepath.Join(dir, "newer.db")
	s, err := history.Open(context.Background(), newer, history.ReadWrite)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	ndb, _ := sql.Open("sqlite", newer)
	ndb.Exec(`UPDATE ccload_schema_version SET version = 42`)
	ndb.Close()

	srv := e2eMock(t, nil)
	sc := filepath.Join(dir, "s.yaml")
	os.WriteFile(sc, []byte("name: s\nauth: {app_key: k, app_secret: s}\nchannel: {to: \"1011577355744904195\"}\nload: {model: closed, customers: 1, duration: 1s}\nsessions:\n  - steps: [connect, disconnect]\n"), 0o644)
	for _, c := range []struct{ db, say string }{
		{garbage, "is not an SQLite database"},
		{foreign, "holds tables (orders) but no ccload_schema_version"},
		{newer, "has schema 42, this ccload reads up to"},
		{filepath.Join(dir, "missing.db"), "does not exist"},
	} {
		code, _, stderr := ccload(t, "history", "list", "--history", c.db)
		if code != exitUsage || !strings.Contains(stderr, c.say) || strings.Contains(stderr, "panic") {
			t.Errorf("history list --history %s: exit %d %s; want 2 saying %q", filepath.Base(c.db), code, stderr, c.say)
		}
		if c.db == filepath.Join(dir, "missing.db") {
			continue
		}
		out := filepath.Join(dir, "out-"+filepath.Base(c.db))
		code, _, stderr = ccload(t, "run", sc, "--target", srv.URL(), "--out", out, "--no-progress", "--history", c.db)
		if code != exitUsage || !strings.Contains(stderr, "nothing was sent") {
			t.Errorf("run --history %s: exit %d %s", filepath.Base(c.db), code, stderr)
		}
		if _, err := os.Stat(filepath.Join(out, "report.json")); err == nil {
			t.Errorf("run --history %s ran anyway", filepath.Base(c.db))
		}
	}
	for ep, n := range srv.Stats().Endpoints {
		if n != 0 {
			t.Errorf("the mock received %d %s requests from refused runs", n, ep)
		}
	}
	if code, _, stderr := ccload(t, "run", sc, "--label", "env=x"); code != exitUsage || !strings.Contains(stderr, "--label needs a history") {
		t.Errorf("--label without --history: exit %d %s", code, stderr)
	}
}

// TestMergeRecordsIntoHistory: merge --history records the merged report (a merge of 2 shards);
// the same merge again cannot be recorded (the report is already there), which the command
// says, and a merge that passed then exits 3: its report.json is written, its record is not.
func TestMergeRecordsIntoHistory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "runs.db")
	a := shardReport(t, dir, "quickstart", 300, 2)
	b := shardReport(t, dir, "quickstart", 100, 50)
	code, _, stderr := ccload(t, "merge", "-o", filepath.Join(dir, "m1.json"), a, b, "--history", db, "--label", "env=staging")
	if code != exitOK || !strings.Contains(stderr, "recorded as run #1") {
		t.Fatalf("merge --history: exit %d %s", code, stderr)
	}
	code, stdout, _ := ccload(t, "history", "list", "--history", db)
	if code != exitOK || !strings.Contains(stdout, "2 merged") || !strings.Contains(stdout, " merge ") || !strings.Contains(stdout, "env=staging") {
		t.Errorf("list after merge: exit %d\n%s", code, stdout)
	}
	code, _, stderr = ccload(t, "merge", "-o", filepath.Join(dir, "m2.json"), a, b, "--history", db)
	if code != exitAborted || !strings.Contains(stderr, "already recorded as run #1") || !strings.Contains(stderr, "the run was not recorded") {
		t.Errorf("the same merge recorded again: exit %d %s; want 3 saying why", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "m2.json")); err != nil {
		t.Errorf("the merged report was not written: %v", err)
	}
}
