package htmlreport

import "ccload/report"

// htmlMaxFailureRows bounds the "Why sessions failed" table; report.json lists every reason.
const htmlMaxFailureRows = 50

// htmlFailureRow is one row of the "Why sessions failed" table.
type htmlFailureRow struct {
	Session, Step, Reason, SessionsFailed, Share, Steps, Class string
}

// htmlFailures is the "Why sessions failed" table: per session type and step, the reasons with
// how many sessions each failed (and its share of the failed sessions) and how many steps
// failed so; rows past htmlMaxFailureRows are counted in more.
func htmlFailures(r *report.Report) (rows []htmlFailureRow, more int) {
	for i, f := range r.FailureReasons {
		if i == htmlMaxFailureRows {
			return rows, len(r.FailureReasons) - i
		}
		cls := ""
		if f.SessionsFailed > 0 {
			cls = "bad"
		}
		rows = append(rows, htmlFailureRow{Session: f.Session, Step: f.Step, Reason: f.Reason,
			SessionsFailed: report.FormatCount(f.SessionsFailed), Share: htmlShare(f.SessionsFailed, r.Sessions.Failed),
			Steps: report.FormatCount(f.Count), Class: cls})
	}
	return rows, 0
}
