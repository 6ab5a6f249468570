package report_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"ccload/report"
	"ccload/report/merge"
	"ccload/report/reporttest"
)

// roundTrip writes r and reads it back through ReadJSON, the path every command takes.
func roundTrip(t testing.TB, r *report.Report) error {
	var b bytes.Buffer
	if err := report.WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	_, err := report.ReadJSON(&b)
	return err
}

// Every kind of damage is refused with the JSON path of the damaged value.
func TestReadJSONRefusesDamagedReports(t *testing.T) {
	t.Parallel()
	base := reporttest.Realistic(t, 1)
	if err := roundTrip(t, base); err != nil {
		t.Fatalf("a real report is refused: %v", err)
	}
	raw, err := json.Marshal(base)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path string
		damage     func(r *report.Report)
	}{
		{"altered histogram", "groups[1].response_histogram", func(r *report.Report) {
			r.Groups[1].ResponseHistogram = r.Groups[0].ResponseHistogram // decodes, but not this group's count
		}},
		{"corrupt histogram", "overall.service_histogram", func(r *report.Report) {
			h := []byte(r.Overall.ServiceHistogram)
			h[len(h)/2] ^= 0x01
			r.Overall.ServiceHistogram = string(h)
		}},
		{"count invariant", "requests.total", func(r *report.Report) { r.Requests.OK++; r.Overall.RequestCounts.OK++ }},
		{"session invariant", "sessions.arrivals", func(r *report.Report) { r.Sessions.Arrivals++ }},
		{"negative count", "sessions.failed", func(r *report.Report) { r.Sessions.Failed, r.Sessions.Completed = -1, r.Sessions.Completed+1 }},
		{"ended_by_platform outside the partition", "sessions.started", func(r *report.Report) { r.Sessions.EndedByPlatform++ }},
		{"duration 0", "duration_s", func(r *report.Report) { r.DurationS = 0 }},
		{"no shard", "shards", func(r *report.Report) { r.Shards = 0 }},
		{"unknown receipts outside the partition", "requests.unknown_receipt", func(r *report.Report) {
			r.Requests.UnknownReceipt++
			r.Overall.UnknownReceipt++
		}},
		{"end before start", "ended_at", func(r *report.Report) { r.EndedAt = r.StartedAt.Add(-time.Second) }},
		{"duplicate group", "groups[" + "%d" + "].name", func(r *report.Report) { r.Groups = append(r.Groups, r.Groups[0]) }},
		{"negative t", "timeseries[0].t", func(r *report.Report) { r.Timeseries[0].T = -100 }},
		{"t out of order", "timeseries[3].t", func(r *report.Report) { r.Timeseries[3].T = r.Timeseries[1].T }},
		{"negative point count", "timeseries[2].requests", func(r *report.Report) { r.Timeseries[2].Requests = -5 }},
		{"requests in no endpoint or teardown group", "requests.total", func(r *report.Report) {
			for i, g := range r.Groups {
				if g.Kind == "endpoint" && g.Total > 0 {
					r.Groups = append(r.Groups[:i], r.Groups[i+1:]...)
					return
				}
			}
		}},
		{"queue answers beyond the queryQueueInfo requests", "session_metrics.queue_answers", func(r *report.Report) { r.SessionMetrics.QueueAnswers.WithAgent = r.Requests.Total + 1 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r *report.Report
			if err := json.Unmarshal(raw, &r); err != nil {
				t.Fatal(err)
			}
			want := c.path
			if strings.Contains(want, "%d") {
				want = strings.Replace(want, "%d", itoa(len(r.Groups)), 1)
			}
			c.damage(r)
			err := roundTrip(t, r)
			if err == nil || !strings.Contains(err.Error(), "at "+want+":") {
				t.Fatalf("err = %v; want the path %s", err, want)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// A session the platform ended is an outcome: a report holding some reads back (merge, compare
// and report re-render it).
func TestReadJSONAcceptsSessionsEndedByThePlatform(t *testing.T) {
	r := reporttest.Realistic(t, 1)
	if r.Sessions.Completed == 0 {
		t.Fatal("the fixture has no completed session to move")
	}
	r.Sessions.Completed--
	r.Sessions.EndedByPlatform++
	if err := roundTrip(t, r); err != nil {
		t.Fatalf("a report with a session ended by the platform is refused: %v", err)
	}
}

// Shards a year apart merge into at most the cap's points, in bounded memory.
func TestMergeFarApartStaysUnderTheCap(t *testing.T) {
	t.Parallel()
	for _, gap := range []time.Duration{7 * 24 * time.Hour, 365 * 24 * time.Hour} {
		a, b := reporttest.Realistic(t, 1), reporttest.Realistic(t, 2)
		b.StartedAt, b.EndedAt = b.StartedAt.Add(gap), b.EndedAt.Add(gap)
		m, err := merge.Reports(a, b)
		if err != nil {
			t.Fatalf("gap %s: %v", gap, err)
		}
		if len(m.Timeseries) > report.DefaultMaxPoints || len(m.Timeseries) == 0 {
			t.Fatalf("gap %s: %d points; want 1..%d", gap, len(m.Timeseries), report.DefaultMaxPoints)
		}
		var reqs int64
		for _, p := range m.Timeseries {
			reqs += p.Requests
		}
		if reqs != a.Requests.Total+b.Requests.Total {
			t.Fatalf("gap %s: the series holds %d requests; the shards sent %d", gap, reqs, a.Requests.Total+b.Requests.Total)
		}
		if err := roundTrip(t, m); err != nil {
			t.Fatalf("gap %s: the merge is refused on reading: %v", gap, err)
		}
	}
}

// A point at a negative time, handed to Merge directly, is an error, not a panic.
func TestMergeNegativePointIsAnError(t *testing.T) {
	t.Parallel()
	a, b := reporttest.Realistic(t, 1), reporttest.Realistic(t, 2)
	b.Timeseries[0].T = -100
	if _, err := merge.Reports(a, b); err == nil {
		t.Fatal("merged a point at t=-100")
	}
}

// FuzzReadJSON: decoding and validating any bytes never panics, and what is accepted merges.
func FuzzReadJSON(f *testing.F) {
	var b bytes.Buffer
	if err := report.WriteJSON(&b, reporttest.Realistic(f, 1)); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte(`{"schema":"ccload/report/v1","duration_s":1,"interval_s":1,"timeseries":[{"t":-100}]}`))
	f.Add([]byte(`{"schema":"ccload/report/v1","duration_s":1,"groups":[{"name":"a"},{"name":"a"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := report.ReadJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		if _, err := merge.Reports(r, r); err != nil && !strings.Contains(err.Error(), "report") {
			t.Fatalf("merge error without context: %v", err)
		}
	})
}
