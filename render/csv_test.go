package render_test

import (
	"bytes"
	"encoding/csv"
	"testing"

	"ccload/render"
	"ccload/report/reporttest"
)

func TestWriteCSVHasOneRowPerInterval(t *testing.T) {
	r := reporttest.SmallRun(t)
	r.DurationS = 9.5 // the last interval is half a second
	var buf bytes.Buffer
	if err := render.WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	reporttest.Golden(t, "gates_timeseries.csv", buf.Bytes())
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[0]; len(got) != 10 || got[0] != "t" || got[3] != "rps" || got[9] != "sessions_failed" {
		t.Fatalf("header %q", got)
	}
	if len(rows) != 1+len(r.Timeseries) {
		t.Fatalf("%d rows for %d points", len(rows)-1, len(r.Timeseries))
	}
	// Second 0: 10 CHAT + 2 CONNECT + 8 poll = 20 requests, one resultCode 12.
	if got := rows[1]; got[0] != "0" || got[1] != "20" || got[2] != "1" || got[3] != "20.00" {
		t.Errorf("first row %q", got)
	}
	if got := rows[10]; got[0] != "9" || got[3] != "40.00" {
		t.Errorf("last (half) interval %q: rps must divide by its 0.5 s", got)
	}
}
