package main

import (
	"strings"
	"testing"
	"time"

	"ccload/mock"
	"ccload/scenario"
)

// A scenario's mock: section is read by the mock's own parsers: what ccload mock refuses, the loader
// refuses with file, line and field; what it accepts becomes the embedded mock's options.
func TestMockSettingsUseTheMockParsers(t *testing.T) {
	t.Parallel()
	sc, err := scenario.Parse("m.yaml", []byte("mock: {latency: \"lognormal:20ms:200ms\", stall: 1s/10s}\n"+mockHead+"  - steps: [connect]\n"), ".", nil)
	if err != nil {
		t.Fatal(err)
	}
	o, err := mockOptions(sc.Mock)
	if err != nil {
		t.Fatal(err)
	}
	if o.DefaultLatency != (mock.Dist{Kind: mock.DistLognormal, A: 20 * time.Millisecond, B: 200 * time.Millisecond}) || o.Stall != time.Second || o.StallEvery != 10*time.Second {
		t.Errorf("options: latency %v, stall %v every %v", o.DefaultLatency, o.Stall, o.StallEvery)
	}
	// A lognormal median of 0 is refused by the mock, so now by the loader too.
	for text, want := range map[string]string{
		"mock: {latency: \"lognormal:0s:10ms\"}\n": "1:17: mock.latency: \"lognormal:0s:10ms\" is not a duration distribution (distribution \"lognormal:0s:10ms\": needs 0 < median <= p99)",
		"mock: {stall: 10s/1s}\n":                  "1:15: mock.stall: \"10s/1s\" is not HOLD/EVERY",
	} {
		_, err := scenario.Parse("m.yaml", []byte(text+mockHead+"  - steps: [connect]\n"), ".", nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err %v, want %q", text, err, want)
		}
	}
}

const mockHead = "load: {rate: 1, duration: 1s}\nsessions:\n"
