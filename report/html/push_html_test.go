package htmlreport

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"ccload/report"
	"ccload/report/reporttest"
)

func TestWriteHTMLShowsThePushTable(t *testing.T) {
	r := reporttest.Realistic(t, 1)
	var plain bytes.Buffer
	if err := WriteHTML(&plain, r); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), `id="push"`) {
		t.Error("a push table for a run without push sessions")
	}
	r.Push = &report.Push{URL: "http://<h>:9090/webhooks/v1/messages", Callbacks: 12, Accepted: 10, Malformed: 1, Faulted: 1,
		Messages: report.PushMessages{Matched: 7, Unknown: 2, Late: 1}, Kinds: report.PushKinds{Robot: 8, System: 2}}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	sec := regexp.MustCompile(`(?s)<section id="push">.*?</section>`).FindString(buf.String())
	for _, want := range []string{"http://&lt;h&gt;:9090", `<td>callbacks</td><td class="n">12</td><td>10 accepted</td>`,
		`<tr class="fail"><td>unknown customer</td><td class="n">2</td>`, `<tr class="fail"><td>late</td><td class="n">1</td>`, "robot 8, agent 0, system 2"} {
		if !strings.Contains(sec, want) {
			t.Errorf("push section lacks %q:\n%s", want, sec)
		}
	}
}
