package runner

import "sync"

// Samples reach the collector in batches: each exchange worker appends its samples to its own
// evShard under the shard's lock (uncontended but for the collector's drains), and the
// collector drains every shard when one of them has flushAt samples (a kick), on each tick
// (before the time series, the progress display, snapshots and abort checks read the
// Recorder) and once more after the events channel is closed (before Finish). A drain takes
// the shard's lock, so it sees every sample appended before it: nothing is recorded twice or
// lost, and a snapshot counts every request whose sample was handed over before the tick
// began. The channel's per-sample hand-off (a lock, a copy and often a goroutine wake-up) is
// paid once per batch instead. Live metrics (the Observer) see a sample at most one tick
// (100 ms) or flushAt samples of its worker late. With many workers each shard holds fewer
// (newShards), so that the batches together stay within batchedMax events (18 MiB), as the
// channel's buffer bounded them before (1<<14 events).
const (
	flushAt  = 64  // samples in one shard that make the worker kick the collector (at most)
	shardCap = 512 // samples a shard holds before its worker waits for the collector (at most)
	// batchedMax bounds the samples all shards may hold together (18 MiB of events): with many
	// workers (max_connections) each shard holds fewer, down to minShardCap.
	batchedMax  = 1 << 17
	minShardCap = 8
)

// evShard is one worker's batch of samples on their way to the collector.
type evShard struct {
	mu      sync.Mutex
	cond    sync.Cond // signalled by a drain, for a worker waiting at the shards' capacity
	buf     []event
	waiting bool
}

// shards are the workers' evShards and the kick that asks the collector to drain them.
type shards struct {
	all  []*evShard
	kick chan struct{} // capacity 1: a pending kick covers every append made before it is taken
	// flush and capacity are flushAt and shardCap, smaller when there are many workers (batchedMax).
	flush, capacity int
}

func newShards(n int) *shards {
	s := &shards{all: make([]*evShard, n), kick: make(chan struct{}, 1)}
	s.capacity = max(minShardCap, min(shardCap, batchedMax/max(n, 1)))
	s.flush = min(flushAt, s.capacity/2)
	for i := range s.all {
		sh := &evShard{}
		sh.cond.L = &sh.mu
		s.all[i] = sh
	}
	return s
}

// add appends ev to sh; at s.flush samples it kicks the collector, at s.capacity it waits for a drain
// (the collector is behind: the worker is slowed, the sample is not dropped).
func (s *shards) add(sh *evShard, ev *event) {
	sh.mu.Lock()
	for len(sh.buf) >= s.capacity {
		sh.waiting = true
		s.kickCollector()
		sh.cond.Wait()
	}
	sh.buf = append(sh.buf, *ev)
	n := len(sh.buf)
	sh.mu.Unlock()
	if n == s.flush {
		s.kickCollector()
	}
}

func (s *shards) kickCollector() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// drain records every sample the shards hold, shard by shard in the order each worker
// appended them; c.spare is swapped with each shard's buffer.
func (c *collector) drain() {
	s := c.r.shards
	if s == nil {
		return
	}
	spare := c.spare
	for _, sh := range s.all {
		sh.mu.Lock()
		if len(sh.buf) == 0 {
			sh.mu.Unlock()
			continue
		}
		got := sh.buf
		sh.buf = spare[:0]
		if sh.waiting {
			sh.waiting = false
			sh.cond.Broadcast()
		}
		sh.mu.Unlock()
		for i := range got {
			c.handle(&got[i])
			got[i] = event{} // drop the resultCode string's reference
		}
		spare = got[:0]
	}
	c.spare = spare
}
