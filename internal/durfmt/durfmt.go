// Package durfmt is the one way ccload prints a duration for people: the console summary,
// report.html, compare, JUnit messages, threshold results, the generator-limit reasons, capacity
// steps and logdiff all show a latency or a length the same way, "850µs", "4.25ms", "12.3ms",
// "159ms", "1.52s", "12.5s", "2m05s", "1h02m": about three significant digits, minutes and
// hours from a minute up. It imports nothing of ccload, so every package, leaves included, can.
package durfmt

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// US formats a duration in microseconds (negative values, such as a change, get a minus sign).
func US(us float64) string {
	if math.IsNaN(us) || math.IsInf(us, 0) {
		return strconv.FormatFloat(us, 'f', -1, 64)
	}
	sign := ""
	if us < 0 {
		sign, us = "-", -us
	}
	// Each unit's rounding is decided on the value as it will print, so 999.7µs is "1.00ms",
	// never "1000µs", and 59.97s is "1m00s".
	switch ms, s := us/1e3, us/1e6; {
	case us < 999.5:
		return sign + strconv.FormatFloat(us, 'f', 0, 64) + "µs"
	case ms < 9.995:
		return sign + strconv.FormatFloat(ms, 'f', 2, 64) + "ms"
	case ms < 99.95:
		return sign + strconv.FormatFloat(ms, 'f', 1, 64) + "ms"
	case ms < 999.5:
		return sign + strconv.FormatFloat(ms, 'f', 0, 64) + "ms"
	case s < 9.995:
		return sign + strconv.FormatFloat(s, 'f', 2, 64) + "s"
	case s < 59.95:
		return sign + strconv.FormatFloat(s, 'f', 1, 64) + "s"
	}
	if secs := int64(math.Round(us / 1e6)); secs < 3600 {
		return fmt.Sprintf("%s%dm%02ds", sign, secs/60, secs%60)
	}
	mins := int64(math.Round(us / 6e7))
	return fmt.Sprintf("%s%dh%02dm", sign, mins/60, mins%60)
}

// D formats d as US does.
func D(d time.Duration) string { return US(float64(d) / 1e3) }

// Seconds formats a duration in seconds (a run's length, report.json's *_s fields) as US does.
func Seconds(s float64) string { return US(s * 1e6) }
