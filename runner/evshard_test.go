package runner

import (
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"ccload/ccapi"
	"ccload/report"
	"ccload/report/record"
)

// TestFullShardWaitsForTheCollector: a worker whose batch is full (the collector behind) waits
// for a drain instead of dropping or growing without bound, kicks the collector on its way, and
// every sample it handed over is recorded exactly once.
func TestFullShardWaitsForTheCollector(t *testing.T) {
	for _, workers := range []int{1, 20000} { // the largest batches; the smallest (many workers)
		t.Run(strconv.Itoa(workers), func(t *testing.T) { testFullShardWaits(t, workers) })
	}
}

func testFullShardWaits(t *testing.T, workers int) {
	synctest.Test(t, func(t *testing.T) {
		r := &run{shards: newShards(workers)}
		if total := workers * r.shards.capacity; total > max(batchedMax, workers*minShardCap) {
			t.Fatalf("%d workers may hold %d samples together, over %d", workers, total, batchedMax)
		}
		rec := record.New(record.Options{Start: time.Now()})
		c := newCollector(r, rec, nil)
		sh := r.shards.all[workers-1]
		capacity := r.shards.capacity
		n := 3*capacity + 7
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := range n {
				ev := event{kind: evSample, ep: ccapi.EpSendAsync, step: -1,
					s: report.Sample{Intended: int64(i), Start: int64(i), End: int64(i) + 1000, Status: 200, Class: report.ClassOK}}
				r.shards.add(sh, &ev)
			}
		}()
		drains := 0
		for {
			synctest.Wait() // the worker is done, or waiting for a drain
			select {
			case <-done:
				c.drain() // what the collector does once the channel closes
				if c.samples != int64(n) || rec.Live().Requests != int64(n) {
					t.Fatalf("%d samples recorded (Live: %d), want %d", c.samples, rec.Live().Requests, int64(n))
				}
				if drains != 3 {
					t.Errorf("the worker waited %d times, want 3 (every %d samples)", drains, capacity)
				}
				return
			default:
			}
			sh.mu.Lock()
			held := len(sh.buf)
			sh.mu.Unlock()
			if held != capacity {
				t.Fatalf("a blocked worker's batch holds %d samples, want %d", held, capacity)
			}
			select {
			case <-r.shards.kick:
			default:
				t.Fatal("no kick pending while the worker waits for a drain: the collector would not drain before its next tick")
			}
			c.drain()
			drains++
		}
	})
}
