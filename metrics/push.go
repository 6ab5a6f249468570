package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"ccload/webhook"
)

// RegisterPush adds the push-mode receiver's counters to the exporter, read from counts at each
// scrape (the runner calls it when a run starts its webhook receiver):
// ccload_callbacks_total{outcome} (accepted, malformed, too_large, faulted, stalled, abandoned;
// their sum is report.json push.callbacks), ccload_callbacks_bad_auth_total and
// ccload_callback_messages_total{outcome} (matched, unknown, duplicated, late) and
// ccload_callback_messages_overflowed_total (matched, then lost to a full mailbox). shard is the
// label New was given ("I/N", "0/1" unsharded).
func (e *Exporter) RegisterPush(shard string, counts func() webhook.Counts) {
	prometheus.WrapRegistererWith(prometheus.Labels{"shard": shard}, e.reg).MustRegister(&pushCollector{counts: counts})
}

var (
	pushCallbacks = prometheus.NewDesc("ccload_callbacks_total",
		"Webhook callbacks (push mode) by outcome; their sum is report.json push.callbacks.", []string{"outcome"}, nil)
	pushBadAuth = prometheus.NewDesc("ccload_callbacks_bad_auth_total",
		"Webhook callbacks without a well-formed auth-v2 Authorization header.", nil, nil)
	pushMessages = prometheus.NewDesc("ccload_callback_messages_total",
		"Messages of accepted webhook callbacks by outcome (matched, unknown, duplicated, late).", []string{"outcome"}, nil)
	pushOverflowed = prometheus.NewDesc("ccload_callback_messages_overflowed_total",
		"Matched pushed messages their customer never took: 64 already waited for it, and the oldest went.", nil, nil)
)

type pushCollector struct{ counts func() webhook.Counts }

func (c *pushCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- pushCallbacks
	ch <- pushBadAuth
	ch <- pushMessages
	ch <- pushOverflowed
}

func (c *pushCollector) Collect(ch chan<- prometheus.Metric) {
	n := c.counts()
	for _, o := range []struct {
		k string
		v int64
	}{{"accepted", n.Accepted}, {"malformed", n.Malformed}, {"too_large", n.TooLarge}, {"faulted", n.Faulted},
		{"stalled", n.Stalled}, {"abandoned", n.Abandoned}} {
		ch <- prometheus.MustNewConstMetric(pushCallbacks, prometheus.CounterValue, float64(o.v), o.k)
	}
	ch <- prometheus.MustNewConstMetric(pushBadAuth, prometheus.CounterValue, float64(n.BadAuth))
	for i, v := range n.Messages {
		ch <- prometheus.MustNewConstMetric(pushMessages, prometheus.CounterValue, float64(v), webhook.Outcome(i).String())
	}
	ch <- prometheus.MustNewConstMetric(pushOverflowed, prometheus.CounterValue, float64(n.Overflowed))
}
