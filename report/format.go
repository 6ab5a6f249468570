package report

import (
	"ccload/internal/durfmt"
	"strconv"
	"strings"
)

// FormatSeconds is durfmt.Seconds for report.json's lengths in seconds: "30.0s", "2m00s".
func FormatSeconds(s float64) string { return durfmt.Seconds(s) }

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
