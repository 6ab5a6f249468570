package render_test

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
	"testing"

	"ccload/render"
	"ccload/report"
	"ccload/report/reporttest"
)

// junit.xml's push.* properties carry every callback outcome of report.json's push section
// under its own name, so a CI reader finds the too-large, stalled and abandoned callbacks too
// and the outcomes add up to push.callbacks (issue 22: the counts in JUnit as in report.json).
func TestJUnitPushPropertiesAreEveryOutcome(t *testing.T) {
	t.Parallel()
	r := reporttest.BurstRun(t)
	r.Push = &report.Push{URL: "http://127.0.0.1:9090/webhooks/v1/messages",
		Callbacks: 1 + 2 + 3 + 4 + 5 + 6, Accepted: 1, Malformed: 2, TooLarge: 3, Faulted: 4, Stalled: 5, Abandoned: 6,
		BadAuth: 7, NotCallbacks: 8,
		Messages: report.PushMessages{Matched: 9, Unknown: 10, Duplicated: 11, Late: 12}}
	var buf bytes.Buffer
	if err := render.WriteJUnit(&buf, r); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Props []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil || len(doc.Suites) != 1 {
		t.Fatalf("junit.xml does not parse as one suite (%v):\n%s", err, buf.String())
	}
	got := map[string]int64{}
	for _, p := range doc.Suites[0].Props {
		if n, err := strconv.ParseInt(p.Value, 10, 64); err == nil {
			got[p.Name] = n
		}
	}
	want := map[string]int64{"push.callbacks": 21, "push.accepted": 1, "push.malformed": 2, "push.too_large": 3,
		"push.faulted": 4, "push.stalled": 5, "push.abandoned": 6, "push.bad_auth": 7, "push.not_callbacks": 8,
		"push.messages.matched": 9, "push.messages.unknown": 10, "push.messages.duplicated": 11, "push.messages.late": 12}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("property %s = %d (present %v), want %d as in report.json's push section", k, g, ok, v)
		}
	}
	var sum int64
	for _, k := range []string{"accepted", "malformed", "too_large", "faulted", "stalled", "abandoned"} {
		sum += got["push."+k]
	}
	if sum != got["push.callbacks"] {
		t.Errorf("the outcome properties add up to %d, push.callbacks is %d", sum, got["push.callbacks"])
	}
}

// The console summary shows the push section's counts: every callback outcome and every
// message outcome, with the webhook's URL (docs/report-json.md, "push").
func TestSummaryShowsThePushCounts(t *testing.T) {
	t.Parallel()
	r := reporttest.BurstRun(t)
	r.Push = &report.Push{URL: "http://127.0.0.1:9090/webhooks/v1/messages",
		Callbacks: 21, Accepted: 1, Malformed: 2, TooLarge: 3, Faulted: 4, Stalled: 5, Abandoned: 6, BadAuth: 7,
		Messages: report.PushMessages{Matched: 9, Unknown: 10, Duplicated: 11, Late: 12},
		Kinds:    report.PushKinds{Robot: 13, Agent: 14, System: 15}}
	var buf bytes.Buffer
	if err := render.WriteSummary(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"Push (webhook http://127.0.0.1:9090/webhooks/v1/messages)",
		"callbacks 21: accepted 1, malformed 2, too large 3, faulted 4, stalled 5, abandoned 6; without a well-formed auth-v2 header 7",
		"messages 42: matched 9, unknown customer 10, duplicated 11, late 12 (robot 13, agent 14, system 15, other 0)"} {
		if !strings.Contains(out, want) {
			t.Errorf("the summary lacks %q:\n%s", want, out)
		}
	}
	r.Push = nil
	buf.Reset()
	render.WriteSummary(&buf, r)
	if strings.Contains(buf.String(), "Push (webhook") {
		t.Errorf("a run without push sessions shows a push section:\n%s", buf.String())
	}
}
