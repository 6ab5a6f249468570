package reporttest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"ccload/gates"
	"ccload/report"
	"ccload/report/record"
)

// Start is t = 0 of the fixture runs: a fixed instant, so reports are reproducible.
var Start = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// update is -update, registered here once for every package whose tests check golden files
// (report, render, report/compare): `go test ./render -update` rewrites render's testdata.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Golden compares got with testdata/name, or rewrites it under -update: the renderers' tests
// share one helper, so every golden file is checked and updated the same way.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test with -update in this package to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update in this package rewrites it if the change is intended); got:\n%s\nwant:\n%s", path, got, want)
	}
}

// SummaryFixture is a small run with every feature of the summary, built from arithmetic (no random
// source), so the golden files only change when the summary does.
func SummaryFixture(interrupted bool, lagUS int64) *report.Report {
	r := record.New(record.Options{Start: Start})
	chat := r.Group("sendAsync", "CHAT")
	conn := r.Group("sendAsync", "CONNECT")
	poll := r.Group("poll", "")
	greet := r.StepGroup("greet")
	for i := range 3000 {
		at := int64(i) * int64(10*time.Millisecond) // 100 requests/s for 30 s
		s := report.Sample{Group: chat, Step: report.NoGroup, Intended: at, Start: at + lagUS*1000, Status: 200, ResultCode: "0", BytesSent: 366, BytesRecv: 90}
		s.End = s.Start + int64(2+i%40)*int64(time.Millisecond)
		switch {
		case i%3 == 0:
			s.Group = poll
		case i%10 == 1:
			s.Group, s.Step = conn, greet
		}
		switch {
		case i%97 == 0:
			s.ResultCode, s.Class = "12", report.ClassApp
		case i%211 == 0:
			s.ResultCode, s.Class = "13", report.ClassApp
		case i%307 == 0:
			s.Status, s.ResultCode, s.Class = 503, "", report.ClassHTTP
		case i%401 == 0:
			s.Status, s.ResultCode, s.Class = 0, "", report.ClassTimeout
			s.End = s.Start + int64(5*time.Second)
		case i%1499 == 0:
			s.Status, s.ResultCode, s.Class = 0, "", report.ClassClient
		}
		r.Record(&s)
		if i%30 == 0 {
			r.Arrival(at)
			if i%900 == 0 {
				r.Dropped(at)
				continue
			}
			r.SessionStarted(at)
			r.Reply(at, int64(800+i%7*100)*int64(time.Millisecond))
			if i%150 == 0 {
				r.AgentJoined(at, int64(20+i%11)*int64(time.Second))
			}
			o := report.Completed
			switch {
			case i%330 == 0:
				o = report.Failed
			case interrupted && i > 2700:
				o = report.Interrupted
			}
			r.SessionEnded(at, o, int64(45+i%13)*int64(time.Second))
		}
		if i%600 == 0 {
			r.ReplyTimeout(at)
		}
		r.SetActive(int64(40 + i%9))
	}
	meta := record.Meta{Scenario: "quickstart", File: "scenarios/quickstart.yaml", Target: "http://127.0.0.1:18080", Seed: 42}
	end := Start.Add(30 * time.Second)
	if interrupted {
		meta.Interrupted = true
		end = Start.Add(29500 * time.Millisecond)
	}
	return r.Finish(end, meta)
}

// SmallRun is a 10 s run with known values: sendAsync CHAT (step "ask") answers in 1..100 ms,
// sendAsync CONNECT in 200 ms, poll in 5 ms; 10 of CHAT's 100 requests end in resultCode 12.
func SmallRun(t *testing.T) *report.Report {
	b := NewBuilder(t, 10)
	chat, connect, poll, ask := b.Endpoint("sendAsync", "CHAT"), b.Endpoint("sendAsync", "CONNECT"), b.Endpoint("poll", ""), b.Step("ask")
	for i := range 100 {
		code, class := "0", report.ClassOK
		if i%10 == 9 {
			code, class = "12", report.ClassApp
		}
		b.Req(i/10, int64(i+1)*1000, int64(i+1)*900, code, class, chat, ask)
	}
	for i := range 20 {
		b.Req(i/2, 200_000, 199_000, "0", report.ClassOK, connect)
	}
	for i := range 80 {
		b.Req(i/8, 5_000, 5_000, "", report.ClassOK, poll)
	}
	for i := range 50 {
		// 50 arrivals: 5 dropped, 9 failed, 36 completed; replies 1..45 s/10, agents for every third.
		agent := int64(0)
		if i%3 == 0 {
			agent = 30_000_000
		}
		b.Session(i/5, i >= 45, i < 9, 60_000_000, int64(i+1)*100_000, agent)
	}
	return b.Finish()
}

// BurstRun is 120 s at 100 requests/s with 10 ms answers; from 50 s to 60 s a fifth of the
// requests fail with resultCode 12 and answer in 900 ms.
func BurstRun(t *testing.T) *report.Report {
	b := NewBuilder(t, 120)
	for s := range 120 {
		for i := range 100 {
			code, class, lat := "0", report.ClassOK, int64(10_000+i*10)
			if s >= 50 && s < 60 && i%5 == 0 {
				code, class, lat = "12", report.ClassApp, 900_000
			}
			b.Req(s, lat, lat, code, class)
		}
	}
	return b.Finish()
}

// CompareRun is a 10 s run of 1000 requests: sendAsync CHAT (step "ask") answering in
// scale × (10..109) ms, poll in 5 ms; errPer1000 of CHAT's requests end in resultCode 12.
func CompareRun(t *testing.T, scale float64, errPer500, requests int) *report.Report {
	b := NewBuilder(t, 10)
	chat, poll, ask := b.Endpoint("sendAsync", "CHAT"), b.Endpoint("poll", ""), b.Step("ask")
	for i := range requests / 2 {
		code, class := "0", report.ClassOK
		if i < errPer500 {
			code, class = "12", report.ClassApp
		}
		lat := int64(scale * float64(10_000+(i%100)*1000))
		b.Req(i*10/(requests/2), lat, lat, code, class, chat, ask)
		b.Req(i*10/(requests/2), 5_000, 5_000, "0", report.ClassOK, poll)
	}
	return b.Finish()
}

// Limits parses compare limits (ccload compare --limit), failing t on a bad one.
func Limits(t *testing.T, specs ...string) []gates.CompareLimit {
	t.Helper()
	l, err := gates.ParseCompareLimits(specs)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Push is a push section whose counts are multiples of k (k unknown callbacks, 2k with bad auth...).
func Push(k int64) *report.Push {
	return &report.Push{URL: "http://h:9090/webhooks/v1/messages", Callbacks: 10 * k, Accepted: 7 * k, Malformed: k, TooLarge: k, Faulted: k, BadAuth: 2 * k,
		Messages: report.PushMessages{Matched: 9 * k, Unknown: k, Duplicated: k, Late: k, Overflowed: 3 * k}, Kinds: report.PushKinds{Robot: 8 * k, Agent: 2 * k, System: 2 * k}}
}
