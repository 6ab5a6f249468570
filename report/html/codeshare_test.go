package htmlreport

import (
	"bytes"
	"regexp"
	"testing"

	"ccload/report/reporttest"
)

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
		if err := WriteHTML(&page, reporttest.CodeShareRun(c.ok, c.tokens, c.timeouts)); err != nil {
			t.Fatal(err)
		}
		if bar := `<span class="k">0</span>` + `[^\n]*?` + `<span class="p">` + regexp.QuoteMeta(c.display) + `</span>`; !regexp.MustCompile(bar).MatchString(page.String()) {
			t.Errorf("%s: report.html's resultCode bar for \"0\" does not say %s", c.name, c.display)
		}
	}
}
