package metrics

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/encoding/protowire"
)

// DefaultPushInterval is how often a RemoteWriter pushes when no interval is given.
const DefaultPushInterval = 5 * time.Second

// FinalPushTimeout bounds the final push at Stop (the caller's context may bound it more), so a
// receiver that hangs delays a run's exit by at most this much: a push in flight when Stop is
// called is abandoned at once (the final push carries the same, newer, values).
const FinalPushTimeout = 2 * time.Second

// RemoteWriter pushes a Gatherer's series to a Prometheus remote-write 1.0 endpoint every interval
// and once more at Stop, so a run shorter than a scrape interval (a Kubernetes Job) still lands
// whole. Native histograms go as the Histogram message; classic buckets go as _bucket/_sum/_count.
type RemoteWriter struct {
	url      string
	interval time.Duration
	g        prometheus.Gatherer
	client   *http.Client
	logf     func(format string, args ...any)

	stop chan struct{}
	done chan struct{}
	once sync.Once
	// ctx is the periodic pushes' context; cancel, called by Stop, abandons one in flight.
	ctx     context.Context
	cancel  context.CancelFunc
	started atomic.Bool // Start was called

	mu     sync.Mutex
	pushes int
	fails  int
}

// NewRemoteWriter checks u (http or https) and returns a writer that starts pushing at Start.
// logf receives push failures (the URL redacted); they never stop a run.
func NewRemoteWriter(u string, interval time.Duration, g prometheus.Gatherer, logf func(string, ...any)) (*RemoteWriter, error) {
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return nil, fmt.Errorf("remote-write URL %q: want http(s)://host:port/path, e.g. http://127.0.0.1:9090/api/v1/write", redact(u))
	}
	if interval <= 0 {
		interval = DefaultPushInterval
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &RemoteWriter{url: u, interval: interval, g: g, client: &http.Client{Timeout: 10 * time.Second},
		logf: logf, stop: make(chan struct{}), done: make(chan struct{}), ctx: ctx, cancel: cancel}, nil
}

// redact hides userinfo in a URL for messages.
func redact(u string) string {
	pu, err := url.Parse(u)
	if err != nil {
		if i := strings.LastIndex(u, "@"); i >= 0 {
			return "xxxxx@" + u[i+1:]
		}
		return u
	}
	return pu.Redacted()
}

// Start pushes every interval until Stop.
func (w *RemoteWriter) Start() {
	w.started.Store(true)
	go func() {
		defer close(w.done)
		t := time.NewTicker(w.interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				w.push(w.ctx)
			case <-w.stop:
				return
			}
		}
	}()
}

// Stop ends the periodic pushes (abandoning one in flight) and pushes the final values once,
// within FinalPushTimeout and ctx; it returns that push's error. A writer never started only
// pushes the final values.
func (w *RemoteWriter) Stop(ctx context.Context) error {
	var err error
	w.once.Do(func() {
		w.cancel()
		close(w.stop)
		if w.started.Load() {
			<-w.done
		}
		fctx, cancel := context.WithTimeout(ctx, FinalPushTimeout)
		defer cancel()
		err = w.push(fctx)
	})
	return err
}

// Counts returns how many pushes were attempted and how many failed.
func (w *RemoteWriter) Counts() (pushes, fails int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.pushes, w.fails
}

func (w *RemoteWriter) push(ctx context.Context) error {
	err := w.send(ctx)
	w.mu.Lock()
	w.pushes++
	if err != nil {
		w.fails++
	}
	w.mu.Unlock()
	if err != nil {
		w.logf("ccload: metrics remote write to %s: %v", redact(w.url), err)
	}
	return err
}

func (w *RemoteWriter) send(ctx context.Context) error {
	mfs, err := w.g.Gather()
	if err != nil {
		return err
	}
	body := s2.EncodeSnappy(nil, EncodeWriteRequest(mfs, now().UnixMilli()))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Encoding", "snappy")
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("User-Agent", "ccload")
	req.Header.Set("X-Prometheus-Remote-Write-Version", "0.1.0")
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), w.url, redact(w.url)))
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	return nil
}

// EncodeWriteRequest encodes metric families as a remote-write 1.0 WriteRequest (uncompressed
// protobuf), every sample at timestamp ts (ms). Native histograms become Histogram messages under
// the family's name; classic buckets, sums and counts become float series with the usual suffixes.
func EncodeWriteRequest(mfs []*dto.MetricFamily, ts int64) []byte {
	var out []byte
	for _, mf := range mfs {
		name := mf.GetName()
		for _, m := range mf.GetMetric() {
			labels := make([][2]string, 0, len(m.GetLabel())+2)
			for _, lp := range m.GetLabel() {
				labels = append(labels, [2]string{lp.GetName(), lp.GetValue()})
			}
			series := func(suffix string, extra [2]string, v float64) {
				ls := append(slices.Clone(labels), [2]string{"__name__", name + suffix})
				if extra[0] != "" {
					ls = append(ls, extra)
				}
				out = appendSeries(out, ls, func(b []byte) []byte { return appendSample(b, v, ts) })
			}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				series("", [2]string{}, m.GetCounter().GetValue())
			case dto.MetricType_GAUGE:
				series("", [2]string{}, m.GetGauge().GetValue())
			case dto.MetricType_UNTYPED:
				series("", [2]string{}, m.GetUntyped().GetValue())
			case dto.MetricType_SUMMARY:
				s := m.GetSummary()
				for _, q := range s.GetQuantile() {
					series("", [2]string{"quantile", fmtFloat(q.GetQuantile())}, q.GetValue())
				}
				series("_sum", [2]string{}, s.GetSampleSum())
				series("_count", [2]string{}, float64(s.GetSampleCount()))
			case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
				h := m.GetHistogram()
				if isNative(h) {
					ls := append(slices.Clone(labels), [2]string{"__name__", name})
					out = appendSeries(out, ls, func(b []byte) []byte { return appendHistogram(b, h, ts) })
				}
				if len(h.GetBucket()) == 0 {
					continue
				}
				for _, bk := range h.GetBucket() {
					series("_bucket", [2]string{"le", fmtFloat(bk.GetUpperBound())}, float64(bk.GetCumulativeCount()))
				}
				series("_bucket", [2]string{"le", "+Inf"}, float64(h.GetSampleCount()))
				series("_sum", [2]string{}, h.GetSampleSum())
				series("_count", [2]string{}, float64(h.GetSampleCount()))
			}
		}
	}
	return out
}

// isNative reports whether client_golang filled in native-histogram fields.
func isNative(h *dto.Histogram) bool {
	return h.Schema != nil || h.ZeroThreshold != nil || len(h.GetPositiveSpan()) > 0 || len(h.GetNegativeSpan()) > 0
}

func fmtFloat(f float64) string {
	if math.IsInf(f, 1) {
		return "+Inf"
	}
	return fmt.Sprint(f)
}

// appendSeries appends WriteRequest.timeseries (field 1): labels sorted by name, then the data.
func appendSeries(b []byte, labels [][2]string, data func([]byte) []byte) []byte {
	slices.SortFunc(labels, func(x, y [2]string) int { return strings.Compare(x[0], y[0]) })
	var ts []byte
	for _, l := range labels {
		var lb []byte
		lb = protowire.AppendTag(lb, 1, protowire.BytesType)
		lb = protowire.AppendString(lb, l[0])
		lb = protowire.AppendTag(lb, 2, protowire.BytesType)
		lb = protowire.AppendString(lb, l[1])
		ts = protowire.AppendTag(ts, 1, protowire.BytesType)
		ts = protowire.AppendBytes(ts, lb)
	}
	ts = data(ts)
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	return protowire.AppendBytes(b, ts)
}

// appendSample appends TimeSeries.samples (field 2): Sample{value=1 double, timestamp=2 int64}.
func appendSample(b []byte, v float64, ts int64) []byte {
	var s []byte
	s = protowire.AppendTag(s, 1, protowire.Fixed64Type)
	s = protowire.AppendFixed64(s, math.Float64bits(v))
	s = protowire.AppendTag(s, 2, protowire.VarintType)
	s = protowire.AppendVarint(s, uint64(ts))
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	return protowire.AppendBytes(b, s)
}

// appendHistogram appends TimeSeries.histograms (field 4), an integer Histogram message:
// count_int=1, sum=3, schema=4 (sint32), zero_threshold=5, zero_count_int=6, negative_spans=8,
// negative_deltas=9 (packed sint64), positive_spans=11, positive_deltas=12, timestamp=15.
// client_golang's spans and deltas already have remote write's layout.
func appendHistogram(b []byte, h *dto.Histogram, ts int64) []byte {
	var m []byte
	m = protowire.AppendTag(m, 1, protowire.VarintType)
	m = protowire.AppendVarint(m, h.GetSampleCount())
	m = protowire.AppendTag(m, 3, protowire.Fixed64Type)
	m = protowire.AppendFixed64(m, math.Float64bits(h.GetSampleSum()))
	m = protowire.AppendTag(m, 4, protowire.VarintType)
	m = protowire.AppendVarint(m, protowire.EncodeZigZag(int64(h.GetSchema())))
	m = protowire.AppendTag(m, 5, protowire.Fixed64Type)
	m = protowire.AppendFixed64(m, math.Float64bits(h.GetZeroThreshold()))
	m = protowire.AppendTag(m, 6, protowire.VarintType)
	m = protowire.AppendVarint(m, h.GetZeroCount())
	m = appendSpans(m, 8, 9, h.GetNegativeSpan(), h.GetNegativeDelta())
	m = appendSpans(m, 11, 12, h.GetPositiveSpan(), h.GetPositiveDelta())
	m = protowire.AppendTag(m, 15, protowire.VarintType)
	m = protowire.AppendVarint(m, uint64(ts))
	b = protowire.AppendTag(b, 4, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

func appendSpans(m []byte, spanField, deltaField protowire.Number, spans []*dto.BucketSpan, deltas []int64) []byte {
	for _, sp := range spans {
		var s []byte
		s = protowire.AppendTag(s, 1, protowire.VarintType)
		s = protowire.AppendVarint(s, protowire.EncodeZigZag(int64(sp.GetOffset())))
		s = protowire.AppendTag(s, 2, protowire.VarintType)
		s = protowire.AppendVarint(s, uint64(sp.GetLength()))
		m = protowire.AppendTag(m, spanField, protowire.BytesType)
		m = protowire.AppendBytes(m, s)
	}
	if len(deltas) > 0 {
		var p []byte
		for _, d := range deltas {
			p = protowire.AppendVarint(p, protowire.EncodeZigZag(d))
		}
		m = protowire.AppendTag(m, deltaField, protowire.BytesType)
		m = protowire.AppendBytes(m, p)
	}
	return m
}
