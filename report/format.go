package report

import (
	"strconv"
	"strings"
	"time"
)

// FormatSeconds renders seconds as "2m0s", "45.2s", the way report.html and compare name a run's length.
func FormatSeconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	if d >= time.Minute {
		return d.Round(time.Second).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// FormatCount renders a count with thousands separators from 10,000 up, as report.html and compare print counts.
func FormatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 10000 && n > -10000 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && c != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
