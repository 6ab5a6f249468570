package record_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"ccload/report"
	"ccload/report/merge"
	"ccload/report/record"
	"ccload/report/reporttest"
)

func TestAccountingInvariantsHoldOnRandomStreams(t *testing.T) {
	t.Parallel()
	for seed := uint64(1); seed <= 5; seed++ {
		evs := reporttest.RandomStream(seed, 20)
		r := reporttest.RecordStream(evs, 20, record.Options{})
		for _, w := range report.CheckInvariants(r) {
			t.Errorf("seed %d: %s", seed, w)
		}
		s := r.Sessions
		if s.Arrivals == 0 || s.Dropped == 0 || s.Failed == 0 || s.Interrupted == 0 {
			t.Fatalf("seed %d: stream too small to test anything: %+v", seed, s)
		}
		if !r.Requests.Equal(r.Overall.RequestCounts) {
			t.Errorf("requests %+v != overall %+v", r.Requests, r.Overall.RequestCounts)
		}
		var want report.RequestCounts
		var records int64
		for _, e := range evs {
			if e.Kind != 'r' {
				continue
			}
			records++
			switch e.Sample.Class.Bucket() {
			case "ok":
				want.OK++
			case "app":
				want.AppErrors++
			case "http":
				want.HTTPErrors++
			case "cut":
				want.Cut++
			case "unknown_receipt":
				want.UnknownReceipt++
			case "not_sent":
				want.NotSent++
				if want.NotSentBy == nil {
					want.NotSentBy = map[string]int64{}
				}
				want.NotSentBy[e.Sample.Class.String()]++
			default:
				want.TransportErrors++
			}
		}
		want.Total = records - want.NotSent - want.UnknownReceipt
		if want.Cut == 0 || len(want.NotSentBy) < 3 {
			t.Fatalf("seed %d: stream has too few cut or not-sent requests to test them: %+v", seed, want)
		}
		if !r.Requests.Equal(want) {
			t.Errorf("seed %d: requests %+v, want %+v", seed, r.Requests, want)
		}
		// Endpoint groups partition the requests: their counts add up to overall.
		var endpointSum int64
		for _, g := range r.Groups {
			if g.Kind == "endpoint" {
				endpointSum += g.Count
			}
			if g.ResponseTimeUS.Count != g.Count || g.ServiceTimeUS.Count != g.Count || g.Count != g.Total-g.Cut {
				t.Errorf("group %s: %d latencies for %d requests (total %d, cut %d, %d never sent)", g.Name, g.ResponseTimeUS.Count, g.Count, g.Total, g.Cut, g.NotSent)
			}
			var codes int64
			for _, n := range g.ResultCodes {
				codes += n
			}
			if codes > g.Count {
				t.Errorf("group %s: %d result codes for %d requests", g.Name, codes, g.Count)
			}
		}
		if endpointSum != r.Overall.Count {
			t.Errorf("endpoint groups sum to %d, overall %d", endpointSum, r.Overall.Count)
		}
		// The time series loses nothing either.
		var pts report.Point
		for _, p := range r.Timeseries {
			pts.Requests += p.Requests
			pts.Errors += p.Errors
			pts.Arrivals += p.Arrivals
			pts.Dropped += p.Dropped
			pts.SessionsFailed += p.SessionsFailed
		}
		if pts.Requests != r.Overall.Count || pts.Errors != r.Overall.Count-r.Requests.OK ||
			pts.Arrivals != s.Arrivals || pts.Dropped != s.Dropped || pts.SessionsFailed != s.Failed {
			t.Errorf("time series sums %+v disagree with totals %+v %+v", pts, r.Requests, s)
		}
		for _, k := range []string{"client_validation", "cut", "canceled_waiting", "run_ended", "peer_closed", "no_free_connection"} {
			if n, ok := r.Overall.Errors[k]; ok {
				t.Errorf("errors[%s] = %d: cut and not-sent requests are no errors of the target", k, n)
			}
		}
		if r.Overall.HTTPStatus["0"] != 0 {
			t.Errorf("status 0 (no answer) was counted as an HTTP status")
		}
	}
}

// refQuantile is the value at percentile q of sorted values, by HdrHistogram's rank rule (the round(q/100·n)-th value).
func refQuantile(sorted []int64, q float64) int64 {
	rank := int(q/100*float64(len(sorted)) + 0.5)
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func TestPercentilesMatchSortedReferenceWithinPrecision(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	r := record.New(record.Options{Start: reporttest.Start})
	g := r.Group("sendAsync", "CHAT")
	var resp []int64
	for i := range 20000 {
		us := int64(math.Exp(rng.NormFloat64()*1.2+8)) + 1 // lognormal around 3 ms, up to seconds
		start := int64(i) * 1000
		r.Record(&report.Sample{Group: g, Step: report.NoGroup, Intended: start, Start: start, End: start + us*1000, Status: 200, ResultCode: "0"})
		resp = append(resp, us)
	}
	rep := r.Finish(reporttest.Start.Add(time.Minute), record.Meta{})
	slices.Sort(resp)
	l := rep.Groups[0].ResponseTimeUS
	for _, c := range []struct {
		q   float64
		got int64
	}{{50, l.P50}, {90, l.P90}, {95, l.P95}, {99, l.P99}, {99.9, l.P999}, {100, l.Max}} {
		want := refQuantile(resp, c.q)
		// 3 significant digits: the reported value is the top of the reference value's bucket, at most 0.1% above.
		if c.got < want || float64(c.got-want) > float64(want)/1000+1 {
			t.Errorf("p%g = %dµs, reference %dµs (beyond HdrHistogram's 0.1%%)", c.q, c.got, want)
		}
	}
	if l.Min > resp[0] || l.Min < resp[0]-resp[0]/1000-1 {
		t.Errorf("min = %d, reference %d", l.Min, resp[0])
	}
	var sum float64
	for _, v := range resp {
		sum += float64(v)
	}
	if mean := sum / float64(len(resp)); math.Abs(l.Mean-mean) > mean/1000 {
		t.Errorf("mean = %.1f, reference %.1f", l.Mean, mean)
	}
}

func TestResponseTimeCountsFromIntendedStart(t *testing.T) {
	r := record.New(record.Options{Start: reporttest.Start})
	g := r.Group("sendAsync", "CHAT")
	// Sent 2 s late (a stalled generator or target queue), served in 5 ms.
	r.Record(&report.Sample{Group: g, Step: report.NoGroup, Intended: 0, Start: 2e9, End: 2e9 + 5e6, Status: 200, ResultCode: "0"})
	rep := r.Finish(reporttest.Start.Add(3*time.Second), record.Meta{})
	grp := rep.Groups[0]
	// Max is the top of the value's HdrHistogram bucket: within 0.1% above.
	if grp.ServiceTimeUS.Max < 5000 || grp.ServiceTimeUS.Max > 5005 || grp.ResponseTimeUS.Max < 2_005_000 || grp.ResponseTimeUS.Max > 2_007_100 {
		t.Errorf("service max %d, response max %d; want 5000 and ≈2005000", grp.ServiceTimeUS.Max, grp.ResponseTimeUS.Max)
	}
	if rep.SchedulerLagUS.Count != 1 || rep.SchedulerLagUS.P99 < 2_000_000 {
		t.Errorf("scheduler lag %+v, want one value of 2 s", rep.SchedulerLagUS)
	}
}

// TestLagExcludesWaitingForTheTarget: a request that could not start before the customer's
// previous answer arrived is late in response time, but the generator did not lag.
func TestLagExcludesWaitingForTheTarget(t *testing.T) {
	r := record.New(record.Options{Start: reporttest.Start})
	g := r.Group("sendAsync", "CHAT")
	// Due at 0; the previous answer came at 2 s; sent 1 ms after that.
	r.Record(&report.Sample{Group: g, Step: report.NoGroup, Intended: 0, Ready: 2e9, Start: 2e9 + 1e6, End: 2e9 + 6e6, Status: 200, ResultCode: "0"})
	rep := r.Finish(reporttest.Start.Add(3*time.Second), record.Meta{})
	if got := rep.Overall.ResponseTimeUS.Max; got < 2_006_000 {
		t.Errorf("response max %d µs, want ≈2006000: waiting for the target shows in response time", got)
	}
	if got := rep.SchedulerLagUS.Max; got < 1000 || got > 1001 {
		t.Errorf("scheduler lag max %d µs, want 1000: only the generator's own delay", got)
	}
}

func TestClientValidationIsNotSentAndHasNoLatency(t *testing.T) {
	r := record.New(record.Options{Start: reporttest.Start})
	g := r.Group("sendAsync", "CHAT")
	r.Record(&report.Sample{Group: g, Step: report.NoGroup, Class: report.ClassClient, BytesSent: 120})
	rep := r.Finish(reporttest.Start.Add(time.Second), record.Meta{})
	o := rep.Overall
	if o.Count != 0 || o.Total != 0 || o.NotSent != 1 || o.NotSentBy["client_validation"] != 1 || len(o.Errors) != 0 || o.BytesSent != 0 {
		t.Errorf("client sample not counted as not sent (outside total, no error, no bytes): %+v errors %v", o.RequestCounts, o.Errors)
	}
	if o.ResponseTimeUS.Count != 0 || o.ServiceTimeUS.Count != 0 || rep.SchedulerLagUS.Count != 0 || len(o.HTTPStatus) != 0 {
		t.Errorf("a request never sent has latency, lag or status: %+v %+v %v", o.ResponseTimeUS, rep.SchedulerLagUS, o.HTTPStatus)
	}
}

func TestOutOfRangeLatenciesAreClampedAndWarned(t *testing.T) {
	r := record.New(record.Options{Start: reporttest.Start})
	g := r.Group("poll", "")
	r.Record(&report.Sample{Group: g, Step: report.NoGroup, Intended: 0, Start: 0, End: int64(90 * time.Second), Status: 200})
	r.Record(&report.Sample{Group: g, Step: report.NoGroup, Intended: 0, Start: 0, End: 300, Status: 200}) // 0.3 µs
	rep := r.Finish(reporttest.Start.Add(91*time.Second), record.Meta{})
	l := rep.Overall.ResponseTimeUS
	if l.Count != 2 || l.Max < report.HighestUS || l.Max > report.HighestUS+report.HighestUS/1000 || l.Min != 1 {
		t.Errorf("response %+v: want 2 values, min 1 µs, max clamped to 60 s", l)
	}
	if !slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "2 request latencies above 1m00s") }) {
		t.Errorf("no clamp warning (service and response of one sample) in %q", rep.Warnings)
	}
}

func TestQuietIntervalsStillProducePoints(t *testing.T) {
	r := record.New(record.Options{Start: reporttest.Start})
	g := r.Group("poll", "")
	r.Record(&report.Sample{Group: g, Step: report.NoGroup, Intended: 1e8, Start: 1e8, End: 2e8, Status: 200})
	r.SetActive(4)
	r.Tick(5e9 + 1)
	r.Record(&report.Sample{Group: g, Step: report.NoGroup, Intended: 55e8, Start: 55e8, End: 56e8, Status: 200})
	rep := r.Finish(reporttest.Start.Add(6*time.Second), record.Meta{})
	var reqs []int64
	var ts []float64
	for _, p := range rep.Timeseries {
		reqs = append(reqs, p.Requests)
		ts = append(ts, p.T)
	}
	if !slices.Equal(reqs, []int64{1, 0, 0, 0, 0, 1}) || !slices.Equal(ts, []float64{0, 1, 2, 3, 4, 5}) {
		t.Errorf("points t=%v requests=%v; want one per second with the gap kept", ts, reqs)
	}
	if p := rep.Timeseries[2]; p.Active != 4 || p.Histogram != "" || p.P99US != 0 {
		t.Errorf("quiet point %+v: want active 4, no histogram", p)
	}
	if p := rep.Timeseries[0]; p.P50US != 100_031 && p.P50US != 100_000 && (p.P50US < 100_000 || p.P50US > 100_100) {
		t.Errorf("first point p50 = %d, want ≈100 ms", p.P50US)
	}
}

func TestDownsamplingBoundsTheSeriesAndKeepsTotals(t *testing.T) {
	t.Parallel()
	const secs = 48
	evs := reporttest.RandomStream(11, secs)
	r := reporttest.RecordStream(evs, secs, record.Options{MaxPoints: 8})
	full := reporttest.RecordStream(evs, secs, record.Options{})
	if len(r.Timeseries) > 8 {
		t.Fatalf("%d points, cap 8", len(r.Timeseries))
	}
	if r.IntervalS != 8 { // 1 s doubled at 8, 16 (2 s) and 32 (4 s) seconds' worth
		t.Errorf("interval %gs, want 8s", r.IntervalS)
	}
	for i, p := range r.Timeseries {
		if p.T != float64(i)*r.IntervalS {
			t.Errorf("point %d at t=%g, want %g", i, p.T, float64(i)*r.IntervalS)
		}
	}
	// The coarse series is the fine one merged 8 by 8: same totals, same histograms.
	for i, p := range r.Timeseries {
		lo, hi := i*8, min(i*8+8, len(full.Timeseries))
		var want report.Point
		var enc []string
		for _, q := range full.Timeseries[lo:hi] {
			want.Requests += q.Requests
			want.Errors += q.Errors
			want.Arrivals += q.Arrivals
			enc = append(enc, q.Histogram)
		}
		h, err := report.MergeHistograms(enc...)
		if err != nil {
			t.Fatal(err)
		}
		if p.Requests != want.Requests || p.Errors != want.Errors || p.Arrivals != want.Arrivals {
			t.Errorf("point %d: %d/%d/%d requests/errors/arrivals, want %d/%d/%d", i, p.Requests, p.Errors, p.Arrivals, want.Requests, want.Errors, want.Arrivals)
		}
		if h.TotalCount() > 0 && (p.P99US != h.ValueAtQuantile(99) || p.P50US != h.ValueAtQuantile(50)) {
			t.Errorf("point %d: p50/p99 %d/%d, exact merge gives %d/%d", i, p.P50US, p.P99US, h.ValueAtQuantile(50), h.ValueAtQuantile(99))
		}
	}
	if !r.Requests.Equal(full.Requests) {
		t.Errorf("downsampling changed totals: %+v vs %+v", r.Requests, full.Requests)
	}
}

// Per-group points survive downsampling exactly: each coarse point's groups are the fine points' merged,
// and over the series they add up to the groups' totals.
func TestDownsamplingKeepsPerGroupPoints(t *testing.T) {
	t.Parallel()
	const secs = 48
	evs := reporttest.RandomStream(12, secs)
	r := reporttest.RecordStream(evs, secs, record.Options{MaxPoints: 8})
	full := reporttest.RecordStream(evs, secs, record.Options{})
	step := int(r.IntervalS / full.IntervalS)
	for i, p := range r.Timeseries {
		want := map[string]*report.GroupPoint{}
		enc := map[string][]string{}
		for _, q := range full.Timeseries[i*step : min(i*step+step, len(full.Timeseries))] {
			for _, g := range q.Groups {
				if want[g.Name] == nil {
					want[g.Name] = &report.GroupPoint{Name: g.Name}
				}
				want[g.Name].Requests += g.Requests
				want[g.Name].Errors += g.Errors
				enc[g.Name] = append(enc[g.Name], g.Histogram)
			}
		}
		if len(p.Groups) != len(want) {
			t.Errorf("point %d: %d groups, want %d", i, len(p.Groups), len(want))
		}
		for _, g := range p.Groups {
			w := want[g.Name]
			if w == nil || g.Requests != w.Requests || g.Errors != w.Errors {
				t.Errorf("point %d group %s: %d/%d requests/errors, want %+v", i, g.Name, g.Requests, g.Errors, w)
				continue
			}
			h, err := report.MergeHistograms(enc[g.Name]...)
			if err != nil {
				t.Fatal(err)
			}
			if g.Histogram != report.EncodeHistogram(h) {
				t.Errorf("point %d group %s: histogram is not the fine points' merged", i, g.Name)
			}
		}
	}
	for _, g := range r.Groups {
		var n, errs, lat int64
		for _, p := range r.Timeseries {
			for _, gp := range p.Groups {
				if gp.Name != g.Name {
					continue
				}
				n += gp.Requests
				errs += gp.Errors
				if gp.Histogram != "" {
					h, err := report.DecodeHistogram(gp.Histogram)
					if err != nil {
						t.Fatal(err)
					}
					lat += h.TotalCount()
				}
			}
		}
		if n != g.Count || errs != g.Count-g.OK || lat != g.ResponseTimeUS.Count {
			t.Errorf("group %s: series holds %d requests, %d errors, %d latencies; totals %d, %d, %d",
				g.Name, n, errs, lat, g.Count, g.Count-g.OK, g.ResponseTimeUS.Count)
		}
	}
}

func TestSnapshotChangesNothing(t *testing.T) {
	t.Parallel()
	evs := reporttest.RandomStream(5, 10)
	plain := reporttest.RecordStream(evs, 10, record.Options{MaxPoints: 4})

	sr := reporttest.NewStreamRecorder(record.Options{MaxPoints: 4})
	var snap *report.Report
	for i := range evs {
		sr.Play(&evs[i])
		if i == len(evs)/2 {
			snap = sr.Snapshot(reporttest.Start.Add(time.Duration(evs[i].T)), record.Meta{Scenario: "stream"})
		}
	}
	if snap == nil || snap.Requests.Total == 0 || len(snap.Timeseries) == 0 {
		t.Fatalf("snapshot is empty: %+v", snap)
	}
	snapJSON, _ := json.Marshal(snap)
	got := sr.Finish(reporttest.Start.Add(10*time.Second+300*time.Millisecond), record.Meta{Scenario: "stream", Seed: 7})
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(plain)
	if string(a) != string(b) {
		t.Errorf("a Snapshot mid-run changed the final report")
	}
	again, _ := json.Marshal(snap)
	if string(again) != string(snapJSON) {
		t.Errorf("finishing the run changed an earlier snapshot")
	}
}

func TestLiveShowsTheRunSoFar(t *testing.T) {
	r := record.New(record.Options{Start: reporttest.Start})
	g := r.Group("sendAsync", "CHAT")
	for i := range 200 {
		at := int64(i) * 5e6 // 200 requests in the first second
		class := report.ClassOK
		if i%50 == 0 {
			class = report.ClassTimeout
		}
		r.Record(&report.Sample{Group: g, Step: report.NoGroup, Intended: at, Start: at, End: at + 2e6, Status: 200, Class: class})
	}
	r.Arrival(1)
	r.SessionStarted(1)
	r.SessionEnded(2, report.Failed, 1)
	r.SetActive(7)
	r.Tick(11e8)
	l := r.Live()
	if l.Requests != 200 || l.Errors != 4 || l.Active != 7 || l.SessionsFailed != 1 || l.Arrivals != 1 {
		t.Errorf("live %+v", l)
	}
	if l.RPS < 190 || l.RPS > 201 {
		t.Errorf("live rps %.1f, want about 200", l.RPS)
	}
	if l.P99 < 2*time.Millisecond || l.P99 > 2100*time.Microsecond {
		t.Errorf("live p99 %v, want 2ms", l.P99)
	}
	// A stall in the next second shows in the live p99 at once, however long the run before it.
	for i := range 1 { // one slow request among 201: invisible in the whole run's p99
		at := int64(12e8) + int64(i)*1e6
		r.Record(&report.Sample{Group: g, Step: report.NoGroup, Intended: at, Start: at, End: at + 800e6, Status: 200})
	}
	r.Tick(31e8) // samples count in the interval they ended in: [2 s, 3 s)
	if l := r.Live(); l.P99 < 800*time.Millisecond {
		t.Errorf("live p99 after a stalled second %v, want 800ms: it must be the current interval's", l.P99)
	}
}

func TestGroupsAreSortedAndNamed(t *testing.T) {
	r := record.New(record.Options{Start: reporttest.Start})
	r.StepGroup("ask")
	r.Group("sendAsync", "CHAT")
	r.Group("poll", "")
	r.Group("sendAsync", "CONNECT")
	if r.Group("poll", "") != r.Group("poll", "") {
		t.Errorf("registering a group twice gave two IDs")
	}
	rep := r.Finish(reporttest.Start.Add(time.Second), record.Meta{})
	var names []string
	for _, g := range rep.Groups {
		names = append(names, g.Name)
	}
	want := []string{"poll", "sendAsync CHAT", "sendAsync CONNECT", "step:ask"}
	if !slices.Equal(names, want) {
		t.Errorf("groups %q, want %q", names, want)
	}
	if rep.Overall.Name != "all" || rep.Overall.Kind != "all" || rep.StopReason != "completed" || rep.Shards != 1 || rep.Schema != report.Schema {
		t.Errorf("overall %q/%q, stop %q, shards %d, schema %q", rep.Overall.Name, rep.Overall.Kind, rep.StopReason, rep.Shards, rep.Schema)
	}
}

func TestRecordAllocatesNothing(t *testing.T) {
	r := record.New(record.Options{Start: reporttest.Start})
	g := r.Group("sendAsync", "CHAT")
	st := r.StepGroup("greet")
	codes := []string{"0", "12", "0", "13", ""}
	for _, c := range codes { // first sight of each code interns it
		r.Record(&report.Sample{Group: g, Step: st, ResultCode: c, Status: 200})
	}
	// The runner hands us codes in fresh strings (parsed from each body), not the interned ones.
	fresh := make([]string, len(codes))
	for i, c := range codes {
		fresh[i] = strings.Clone(c)
	}
	i := 0
	allocs := testing.AllocsPerRun(10000, func() {
		i++
		at := int64(i) * 10 // stays in the first interval: closing one encodes a histogram, once a second
		r.Record(&report.Sample{Group: g, Step: st, Intended: at, Start: at + 5, End: at + 3_000_000, Status: 200 + i%3*100,
			ResultCode: fresh[i%len(fresh)], Class: report.ErrClass(i % int(report.NumClasses)), BytesSent: 366, BytesRecv: 120})
	})
	if allocs != 0 {
		t.Errorf("Record allocates %.2f times per sample, want 0", allocs)
	}
}

func BenchmarkRecord(b *testing.B) {
	r := record.New(record.Options{Start: reporttest.Start})
	g := r.Group("sendAsync", "CHAT")
	st := r.StepGroup("greet")
	s := report.Sample{Group: g, Step: st, Status: 200, ResultCode: "0", BytesSent: 366, BytesRecv: 120}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		at := int64(i) * 20_000 // 50k requests/s: intervals close as in a real run
		s.Intended, s.Start, s.End = at, at+50_000, at+50_000+int64(i%4096)*1000
		r.Record(&s)
	}
}

func BenchmarkSnapshot(b *testing.B) {
	evs := reporttest.RandomStream(9, 60)
	sr := reporttest.NewStreamRecorder(record.Options{})
	for i := range evs {
		sr.Play(&evs[i])
	}
	b.ReportAllocs()
	for b.Loop() {
		sr.Snapshot(reporttest.Start.Add(time.Minute), record.Meta{})
	}
}

func TestSnapshotMidSessionIsNotAnAccountingError(t *testing.T) {
	r := record.New(record.Options{Start: reporttest.Start})
	r.Arrival(1)
	r.SessionStarted(1)
	if w := r.Snapshot(reporttest.Start.Add(time.Second), record.Meta{}).Warnings; len(w) != 0 {
		t.Errorf("a running session made the snapshot warn: %q", w)
	}
	// At the end, a session the runner forgot to end is reported.
	w := r.Finish(reporttest.Start.Add(2*time.Second), record.Meta{}).Warnings
	if len(w) != 1 || !strings.Contains(w[0], "started 1 != completed 0 + failed 0 + interrupted 0") {
		t.Errorf("finish warnings %q", w)
	}
}

func TestLongRunsKeepTheSeriesBounded(t *testing.T) {
	t.Parallel()
	// The cap's rule is the same at any size: a run 2^k times longer than the cap doubles the
	// interval k times. Checked at the default cap for one doubling (50 min), and at a cap of 60 for
	// five (20 min, the 10 h of the default cap scaled down; a tick per second, as a run has).
	for _, c := range []struct {
		maxPoints    int
		secs         int64
		wantInterval float64
	}{
		{0, 3000, 2},   // DefaultMaxPoints: 1 s, then 2 s from 30 min (4 s would come at 60 min)
		{60, 1200, 32}, // 1 s doubled five times: at 1, 2, 4, 8 and 16 min
	} {
		r := record.New(record.Options{Start: reporttest.Start, MaxPoints: c.maxPoints})
		g := r.Group("poll", "")
		const every = 10 // a request every 10 s, a Tick every second
		for s := int64(0); s < c.secs; s++ {
			at := s * int64(time.Second)
			if s%every == 0 {
				r.Record(&report.Sample{Group: g, Step: report.NoGroup, Intended: at, Start: at, End: at + 1e6, Status: 200, ResultCode: "0"})
			}
			r.Tick(at)
		}
		rep := r.Finish(reporttest.Start.Add(time.Duration(c.secs)*time.Second), record.Meta{})
		limit := c.maxPoints
		if limit == 0 {
			limit = report.DefaultMaxPoints
		}
		if n := len(rep.Timeseries); n > limit || n < limit/2 {
			t.Errorf("cap %d: %d points for %d s, want between %d and %d", limit, n, c.secs, limit/2, limit)
		}
		if rep.IntervalS != c.wantInterval {
			t.Errorf("cap %d: interval %gs after %d s, want %gs", limit, rep.IntervalS, c.secs, c.wantInterval)
		}
		var sum int64
		for _, p := range rep.Timeseries {
			sum += p.Requests
		}
		if want := c.secs / every; sum != want || rep.Requests.Total != want {
			t.Errorf("cap %d: series holds %d requests, report %d, want %d", limit, sum, rep.Requests.Total, want)
		}
	}
}

// The queue positions and estimated waits queryQueueInfo reported are summarised, each interval
// keeps the longest queue and time to agent it saw, and shards merge by the larger.
func TestQueueInfoIsRecordedAndMerges(t *testing.T) {
	rec := func(pos ...int64) *report.Report {
		r := record.New(record.Options{Start: reporttest.Start, Interval: time.Second})
		for i, p := range pos {
			r.QueueInfo(int64(i)*int64(time.Second)+1, p, p*10*int64(time.Second))
			r.QueueAnswer("0")
			if i == 1 {
				r.AgentJoined(1500*int64(time.Millisecond), 3*int64(time.Second))
				r.QueueAnswer("160021")
			}
		}
		return r.Finish(reporttest.Start.Add(time.Duration(len(pos))*time.Second), record.Meta{})
	}
	a := rec(2, 1, 3)
	m := a.SessionMetrics
	if p := m.QueuePosition; p.Count != 3 || p.Min != 1 || p.Max != 3 {
		t.Errorf("positions %+v, want 1..3 from three answers", p)
	}
	if e := m.QueueWaitEstimateUS; e.Count != 3 || e.Min < 9_980_000 || e.Max < 29_980_000 || e.Max > 30_050_000 {
		t.Errorf("estimates %+v, want 10 s..30 s", e)
	}
	if q := m.QueueAnswers; q.Queuing != 3 || q.WithAgent != 1 || q.Total() != 4 {
		t.Errorf("queue answers %+v", q)
	}
	var lens, waits []int64
	for _, p := range a.Timeseries {
		lens, waits = append(lens, p.QueueLength), append(waits, p.TimeToAgentMaxUS)
	}
	if want := []int64{2, 1, 3}; !slices.Equal(lens, want) {
		t.Errorf("queue_length per interval %v, want %v", lens, want)
	}
	if waits[1] < 3_000_000 || waits[0] != 0 || waits[2] != 0 {
		t.Errorf("time_to_agent_max_us per interval %v, want 3 s in the second", waits)
	}
	b := rec(5, 1)
	b.Shard = &report.ShardID{I: 1, N: 2}
	a.Shard = &report.ShardID{I: 0, N: 2}
	merged, err := merge.Reports(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if p := merged.SessionMetrics.QueuePosition; p.Count != 5 || p.Max != 5 {
		t.Errorf("merged positions %+v, want 5 values up to 5", p)
	}
	if q := merged.SessionMetrics.QueueAnswers; q.Queuing != 5 || q.WithAgent != 2 {
		t.Errorf("merged queue answers %+v", q)
	}
	if got := merged.Timeseries[0].QueueLength; got != 5 {
		t.Errorf("merged first interval's queue_length %d, want the larger (5)", got)
	}
}

// TestOverallHistogramsHoldEveryScenarioRequestOnce: overall's latency histograms are built
// from its groups' (groupRec.feeds) rather than recorded twice; whatever the mix of groups a
// sample names (an endpoint group, a step group, an endpoint group that later also serves as a
// step, an unregistered group, ccload's own), the report's overall histograms must be exactly
// those of every scenario request recorded once, in a snapshot as in the final report.
func TestOverallHistogramsHoldEveryScenarioRequestOnce(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	rec := record.New(record.Options{Start: t0})
	a, b := rec.Group("sendAsync", "CHAT"), rec.Group("poll", "")
	own := rec.OriginGroup(report.OriginTeardown, "sendAsync", "DISCONNECT")
	step := rec.StepGroup("greet")
	svc, resp := report.NewRequestHistogram(), report.NewRequestHistogram()
	rnd := rand.New(rand.NewPCG(7, 7))
	var snap *report.Report
	var wantSnap [2]string
	for i := range 4000 {
		s := report.Sample{Class: report.ClassOK, Status: 200, Step: report.NoGroup}
		s.Intended = int64(i) * int64(time.Millisecond)
		s.Start = s.Intended + rnd.Int64N(5000)*1000
		s.End = s.Start + (1+rnd.Int64N(20000))*1000
		switch i % 7 {
		case 0, 1:
			s.Group = a
		case 2:
			s.Group, s.Step = a, step
		case 3:
			s.Group = b
		case 4:
			s.Group = own // ccload's own: not in overall
		case 5:
			s.Group = 99 // never registered: overall only
		case 6:
			s.Group = b
			if i > 2000 {
				s.Step = a // from here on a also serves as a step
			}
		}
		rec.Record(&s)
		if s.Group != own {
			_ = svc.RecordValue((s.End - s.Start) / 1000)
			_ = resp.RecordValue((s.End - s.Intended) / 1000)
		}
		if i == 1500 {
			snap = rec.Snapshot(t0.Add(2*time.Second), record.Meta{})
			wantSnap = [2]string{report.EncodeHistogram(svc), report.EncodeHistogram(resp)}
		}
	}
	rep := rec.Finish(t0.Add(5*time.Second), record.Meta{})
	for _, c := range []struct {
		name      string
		got       report.Group
		svc, resp string
	}{
		{"snapshot", snap.Overall, wantSnap[0], wantSnap[1]},
		{"final", rep.Overall, report.EncodeHistogram(svc), report.EncodeHistogram(resp)},
	} {
		if c.got.ServiceHistogram != c.svc || c.got.ResponseHistogram != c.resp {
			t.Errorf("%s: overall histograms differ from every scenario request recorded once (%d service values)", c.name, c.got.ServiceTimeUS.Count)
		}
	}
	if n := rep.Overall.ResponseTimeUS.Count; n != resp.TotalCount() {
		t.Errorf("overall response time counts %d requests, want %d", n, resp.TotalCount())
	}
}
