package render_test

import (
	"bytes"
	"encoding/xml"
	"strconv"
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
