package render

import (
	"encoding/csv"
	"io"
	"strconv"

	"ccload/report"
)

// csvHeader is timeseries.csv's header; the columns are the contract spreadsheets rely on.
var csvHeader = []string{"t", "requests", "errors", "rps", "p50_ms", "p99_ms", "active", "arrivals", "dropped", "sessions_failed"}

// WriteCSV writes r's time series as timeseries.csv: one row per interval, t in seconds since the
// start, rps over the interval, response-time percentiles in milliseconds.
func WriteCSV(w io.Writer, r *report.Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	iv := r.IntervalS
	if iv <= 0 {
		iv = 1
	}
	f := func(x float64, prec int) string { return strconv.FormatFloat(x, 'f', prec, 64) }
	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	for _, p := range r.Timeseries {
		width := iv
		if r.DurationS > 0 && p.T+iv > r.DurationS && r.DurationS > p.T {
			width = r.DurationS - p.T // the last interval of a run is partial
		}
		row := []string{f(p.T, -1), i(p.Requests), i(p.Errors), f(float64(p.Requests)/width, 2),
			f(float64(p.P50US)/1000, 3), f(float64(p.P99US)/1000, 3), i(p.Active), i(p.Arrivals), i(p.Dropped), i(p.SessionsFailed)}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
