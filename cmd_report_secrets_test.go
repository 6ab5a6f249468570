package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// oldReport is a report.json as a ccload before the scenario loader redacted secrets wrote it:
// literal app_key, app_secret and ccmessaging_token in scenario_text, and a target URL (in
// scenario_text, target and a warning) with user info and a query value.
const oldReport = "testdata/old-report-secrets.json"

var oldSecrets = []string{"oldAK5a6b7c", "oldSK8e9f0a", "oldCC2b3c4d", "oldPW3c9d1e", "oldQ7d8e9f"}

// TestOldReportSecretsRedactedWhenReRendered: report (console, HTML, JUnit, CSV), compare (text,
// JSON, JUnit) and merge (the merged report and its summary) of an older report holding secrets
// show none of them, and keep the rest of what the report says.
func TestOldReportSecretsRedactedWhenReRendered(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(oldReport)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range oldSecrets {
		if !bytes.Contains(raw, []byte(s)) {
			t.Fatalf("the fixture lacks %s: the test would prove nothing", s)
		}
	}
	dir := t.TempDir()
	merged := filepath.Join(dir, "merged.json")
	runs := [][]string{
		{"report", oldReport},
		{"report", oldReport, "--out", dir},
		{"compare", oldReport, oldReport, "--json", filepath.Join(dir, "compare.json"), "--junit", filepath.Join(dir, "compare.xml")},
		{"merge", "-o", merged, oldReport},
	}
	var shown strings.Builder
	for _, args := range runs {
		var so, se bytes.Buffer
		if code := ccloadTo(t, args, &so, &se); code != exitOK {
			t.Fatalf("%v: exit %d\n%s%s", args, code, so.String(), se.String())
		}
		shown.WriteString(so.String() + se.String())
	}
	texts := map[string]string{"the commands' output": shown.String()}
	for _, f := range []string{"report.html", "junit.xml", "timeseries.csv", "compare.json", "compare.xml", "merged.json"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || len(b) == 0 {
			t.Fatalf("%s was not written (%v)", f, err)
		}
		texts[f] = string(b)
	}
	for where, text := range texts {
		for _, s := range oldSecrets {
			if strings.Contains(text, s) {
				t.Errorf("%s shows the secret %s", where, s)
			}
		}
	}
	// The redaction replaced values, not the report: the scenario's text and target are still there.
	for _, f := range []string{"report.html", "merged.json"} {
		for _, want := range []string{"old-secrets", "REDACTED", "127.0.0.1:45525", "1011577355744904195"} {
			if !strings.Contains(texts[f], want) {
				t.Errorf("%s lacks %q", f, want)
			}
		}
	}
	if !strings.Contains(shown.String(), "target    http://REDACTED@127.0.0.1:45525") {
		t.Errorf("the console summary does not show the redacted target:\n%s", shown.String())
	}
}
