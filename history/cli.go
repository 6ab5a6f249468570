package history

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"

	"ccload/report"
)

// What `ccload history` prints and records beyond the store's own methods: list's JSON lines,
// trend's page title, and the entry `history add` makes of a report written earlier.

// WriteListJSON writes runs as `history list --json` does: one JSON object a line.
func WriteListJSON(w io.Writer, runs []*Entry) error {
	enc := json.NewEncoder(w)
	for _, e := range runs {
		if err := enc.Encode(listJSON(e)); err != nil {
			return err
		}
	}
	return nil
}

// listJSON is one line of `history list --json`.
func listJSON(e *Entry) map[string]any {
	groups := map[string]any{}
	for _, g := range e.Groups {
		groups[g.Name] = map[string]any{"requests": g.Requests, "errors": g.Errors, "error_rate": g.ErrorRate, "rps": g.RPS,
			"p50_us": g.P50, "p90_us": g.P90, "p95_us": g.P95, "p99_us": g.P99, "p999_us": g.P999, "max_us": g.MaxUS}
	}
	return map[string]any{"id": e.ID, "recorded_at": e.RecordedAt, "command": e.Command, "scenario": e.Scenario,
		"scenario_sha256": e.ScenarioSHA256, "started_at": e.StartedAt, "duration_s": e.DurationS, "stop_reason": e.StopReason,
		"verdict": e.Verdict, "shard": e.Shard, "shards": e.Shards, "labels": e.Labels, "requests": e.Requests, "ok": e.OK,
		"errors": e.Errors, "not_sent": e.NotSent, "sessions_started": e.SessionsStarted, "sessions_failed": e.SessionsFailed,
		"report_sha256": e.ReportSHA256, "ccload_version": e.Version, "groups": groups}
}

// TrendTitle is the title of `history trend --html`'s page: the scenario of the runs, or every
// scenario they hold when no --scenario narrowed them (scenarioGiven false).
func TrendTitle(runs []*Entry, scenarioGiven bool) string {
	if len(runs) == 0 {
		return "ccload history"
	}
	if names := distinctScenarios(runs); !scenarioGiven && len(names) > 1 {
		return "ccload history: " + strings.Join(names, ", ")
	}
	return "ccload history: " + runs[0].Scenario
}

func distinctScenarios(runs []*Entry) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range runs {
		if !seen[e.Scenario] {
			seen[e.Scenario] = true
			out = append(out, e.Scenario)
		}
	}
	return out
}

// PrepareAdd is Prepare for `history add`: what recorded the report is unknown, so its command is
// the kind of run it is (a merged report of several shards is a merge).
func PrepareAdd(reportJSON []byte, labels map[string]string) (*Entry, error) {
	e, err := Prepare("", reportJSON, labels)
	if err != nil {
		return nil, err
	}
	r, _ := report.ReadJSON(bytes.NewReader(e.Report))
	e.Command = Kind(r)
	if e.Command == "run" && e.Shards > 1 && e.Shard == "" {
		e.Command = "merge"
	}
	return e, nil
}
