package metrics

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"ccload/webhook"
)

// The push counters are scraped with the receiver's counts, labelled by shard, and lint clean.
func TestPushCountersScraped(t *testing.T) {
	e := New("1/2")
	c := webhook.Counts{Accepted: 7, Malformed: 2, BadAuth: 1}
	c.Messages[webhook.Unknown] = 3
	e.RegisterPush("1/2", func() webhook.Counts { return c })
	srv, err := Serve("127.0.0.1:0", e)
	if err != nil {
		t.Fatal(err)
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	defer srv.Close(done)
	resp, err := http.Get("http://" + srv.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`ccload_callbacks_total{outcome="accepted",shard="1/2"} 7`, `ccload_callbacks_total{outcome="malformed",shard="1/2"} 2`,
		`ccload_callbacks_bad_auth_total{shard="1/2"} 1`, `ccload_callback_messages_total{outcome="unknown",shard="1/2"} 3`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("scrape lacks %s", want)
		}
	}
	promtoolCheckMetrics(t, promtoolPath(t, "the scrape with the callback counters was not linted"), body)
}
