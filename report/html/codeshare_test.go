package htmlreport

import (
	"bytes"
	"ccload/report"
	"regexp"
	"testing"
	"time"
)

var testStart = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// codeShareRun records ok requests to sendAsync CHAT answering resultCode "0", plus tokens
// tokenByAkSk requests (answered, no resultCode) and timeouts CHAT requests that got no answer.
func codeShareRun(ok, tokens, timeouts int) *report.Report {
	rec := report.NewRecorder(report.RecorderOptions{Start: testStart})
	chat, token := rec.Group("sendAsync", "CHAT"), rec.Group("tokenByAkSk", "")
	at := int64(0)
	add := func(s report.Sample) {
		at += int64(time.Millisecond)
		s.Step, s.Intended, s.Start, s.End = report.NoGroup, at, at, at+int64(time.Millisecond)
		rec.Record(&s)
	}
	for range ok {
		add(report.Sample{Group: chat, Status: 200, ResultCode: "0"})
	}
	for range tokens {
		add(report.Sample{Group: token, Status: 200})
	}
	for range timeouts {
		add(report.Sample{Group: chat, Class: report.ClassTimeout})
	}
	return rec.Finish(testStart.Add(10*time.Second), report.Meta{Scenario: "share"})
}

// The audit's run: 444 CHATs answered "0" and one tokenByAkSk call. The token call carries no
// resultCode, so report.html's bar for "0" says 100%; a timeout is not a "0": it lowers the share.
func TestResultCodeBarIgnoresAnswersWithoutACodeButCountsTimeouts(t *testing.T) {
	for _, c := range []struct {
		name                 string
		ok, tokens, timeouts int
		display              string
	}{
		{"token call", 444, 1, 0, "100.0%"},
		{"timeout", 444, 1, 1, "99.8%"},
	} {
		var page bytes.Buffer
		if err := WriteHTML(&page, codeShareRun(c.ok, c.tokens, c.timeouts)); err != nil {
			t.Fatal(err)
		}
		if bar := `<span class="k">0</span>` + `[^\n]*?` + `<span class="p">` + regexp.QuoteMeta(c.display) + `</span>`; !regexp.MustCompile(bar).MatchString(page.String()) {
			t.Errorf("%s: report.html's resultCode bar for \"0\" does not say %s", c.name, c.display)
		}
	}
}
