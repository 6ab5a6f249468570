package durfmt

import (
	"testing"
	"time"
)

// What a reader sees: about three significant digits in the unit that fits, no "1000µs" or
// "60.0s" at a unit's edge, minutes and hours spelled as a clock would.
func TestDurationsReadTheSameEverywhere(t *testing.T) {
	for _, c := range []struct {
		us   float64
		want string
	}{
		{0, "0µs"}, {0.4, "0µs"}, {850, "850µs"}, {999.4, "999µs"}, {999.7, "1.00ms"},
		{4_250, "4.25ms"}, {9_996, "10.0ms"}, {12_340, "12.3ms"}, {99_960, "100ms"}, {158_600, "159ms"},
		{999_600, "1.00s"}, {1_523_000, "1.52s"}, {9_996_000, "10.0s"}, {12_500_000, "12.5s"},
		{59_940_000, "59.9s"}, {59_970_000, "1m00s"}, {120_000_000, "2m00s"}, {125_400_000, "2m05s"},
		{3_599_600_000, "1h00m"}, {3_720_000_000, "1h02m"}, {86_400_000_000, "24h00m"},
		{-12_340, "-12.3ms"}, {-125_000_000, "-2m05s"},
	} {
		if got := US(c.us); got != c.want {
			t.Errorf("US(%g) = %q, want %q", c.us, got, c.want)
		}
	}
	if got := D(2 * time.Minute); got != "2m00s" {
		t.Errorf("D(2m) = %q, want 2m00s", got)
	}
	if got := Seconds(30); got != "30.0s" {
		t.Errorf("Seconds(30) = %q, want 30.0s", got)
	}
}
