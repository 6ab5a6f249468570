package runner

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// scheduler plays open-model customers without a goroutine or timer each: a min-heap of
// wake-ups, one goroutine that hands due customers to a pool of exchange workers, and the
// workers, sized by the connection limit. A customer is in the heap or on exactly one worker
// (or on its way between them through the due channel). A customer that cannot be served at
// once waits in the heap or the channel; its lateness shows in response time and scheduler
// lag, since the intended times come from its program, not from when a worker took it.
type scheduler struct {
	r       *run
	prodCtx context.Context // arrivals: when it ends, closed-model slots waiting to start stop
	ctx     context.Context // the customers' context
	wg      *sync.WaitGroup // one count per live customer
	due     chan *vc
	kick    chan struct{} // a new earliest wake-up
	quit    chan struct{}
	done    sync.WaitGroup // the scheduler goroutine and the workers

	mu sync.Mutex
	q  wakeQueue
	// handing says the loop holds customers it took from the queue and has not yet handed all
	// to workers (set under mu): meanwhile park does not hand over directly, so none overtakes them.
	handing atomic.Bool
}

func newScheduler(r *run, prodCtx, ctx context.Context, wg *sync.WaitGroup, workers int) *scheduler {
	s := &scheduler{r: r, prodCtx: prodCtx, ctx: ctx, wg: wg, due: make(chan *vc, workers), kick: make(chan struct{}, 1), quit: make(chan struct{})}
	s.done.Add(1 + workers)
	go s.loop()
	for i := range workers {
		var sh *evShard
		if r.shards != nil && i < len(r.shards.all) {
			sh = r.shards.all[i]
		}
		go s.work(sh)
	}
	return s
}

// start takes a customer whose session was prepared; it runs from its arrival on.
func (s *scheduler) start(c *vc) {
	s.park(c, c.m.arrival)
}

// close stops the scheduler and its workers once no customer is left (after wg.Wait).
func (s *scheduler) close() {
	close(s.quit)
	s.done.Wait()
}

// park puts c in the wake-up queue until at.
func (s *scheduler) park(c *vc, at int64) {
	s.mu.Lock()
	if c.pushWaiting() { // a push came meanwhile: no sleep (see push.go's wake)
		at = min(at, s.r.now())
	}
	if c.pending && s.prodCtx.Err() != nil {
		at = 0 // arrivals ended: a closed-model slot waiting for its next session ends now
	}
	if s.handOver(c, at) {
		s.mu.Unlock()
		return
	}
	first := s.enqueue(c, at)
	s.mu.Unlock()
	if first {
		s.kickLoop()
	}
}

// enqueue parks c until at (under mu) and says whether the loop's timer must be set anew: at is
// before anything the queue held.
func (s *scheduler) enqueue(c *vc, at int64) bool {
	prev, ok := s.q.next()
	s.q.push(c, at)
	return !ok || at < prev
}

// handOver gives c, due at at, straight to a free worker (under mu) when it is due now, nothing
// parked is due before it and the loop is not handing over customers it took: the loop's
// wake-up, a goroutine switch per due customer (every arrival of the open model), is saved,
// and the order stays the queue's. False: c must be parked (no worker free, or not due).
func (s *scheduler) handOver(c *vc, at int64) bool {
	if s.handing.Load() || at > s.r.now() {
		return false
	}
	if next, ok := s.q.next(); ok && next <= at {
		return false
	}
	c.wakeAt = at // beginSlot's intended start, as the queue would have set it
	select {
	case s.due <- c:
		return true
	default:
		return false
	}
}

// kickLoop tells the loop to look at the queue's earliest wake-up again.
func (s *scheduler) kickLoop() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *scheduler) loop() {
	defer s.done.Done()
	defer close(s.due)
	timer := s.r.preciseTimer(time.Hour)
	defer timer.release()
	cancelled, stopped := s.ctx.Done(), s.prodCtx.Done()
	var batch, pending []*vc
	drained := false
	for {
		s.mu.Lock()
		now := s.r.now()
		if s.ctx.Err() != nil {
			now = math.MaxInt64 // every parked customer is due: its worker ends it as interrupted
		}
		if !drained && s.prodCtx.Err() != nil {
			// Arrivals ended: closed-model slots waiting for their next session end now (park
			// does the same for the ones parked later).
			drained = true
			s.q.each(func(c *vc) {
				if c.pending {
					pending = append(pending, c)
				}
			})
			for i, c := range pending {
				s.q.remove(c)
				s.q.push(c, 0)
				pending[i] = nil
			}
			pending = pending[:0]
		}
		batch = s.q.pop(now, batch)
		if len(batch) > 0 {
			s.handing.Store(true)
			timer.released(now, len(batch))
		}
		wait := time.Duration(-1)
		if at, ok := s.q.next(); ok {
			wait = time.Duration(max(at-now, 0))
		}
		s.mu.Unlock()
		for i, c := range batch {
			s.hand(c) // blocks while every worker is busy: the customer is late, not lost
			batch[i] = nil
		}
		batch = batch[:0]
		if wait >= 0 {
			timer.sleep(wait)
		}
		s.handing.Store(false) // every customer taken is with a worker
		select {
		case <-timer.C():
		case <-s.kick:
		case <-cancelled:
			cancelled = nil
		case <-stopped:
			stopped = nil
		case <-s.quit:
			return
		}
		if !timer.Stop() {
			select {
			case <-timer.C():
			default:
			}
		}
	}
}

func (s *scheduler) work(sh *evShard) {
	defer s.done.Done()
	x := &scratch{lane: s.r.client.NewLane(), shard: sh}
	for c := range s.due {
		c.x = x
		if c.pending {
			c.pending = false
			st := slotRetire
			if s.ctx.Err() == nil {
				st = s.r.beginSlot(c)
			}
			if st == slotParked {
				s.park(c, c.wakeAt)
				continue
			} else if st == slotRetire {
				s.endSlot(c)
				continue
			}
		}
		c.cu.Use(x.lane)
		f, parked := c.drive(s.ctx, s.park)
		if parked {
			continue
		}
		o := c.ended(f)
		if f == flowCancel {
			c.teardown()
		}
		s.r.active.Add(-1)
		if c.slot != nil {
			if s.ctx.Err() == nil && s.r.endSlot(c, o, c.began) {
				s.park(c, c.wakeAt)
				continue
			}
			s.endSlot(c)
			continue
		}
		s.wg.Done()
	}
}

// endSlot retires a closed-model customer: its slot may be started again.
func (s *scheduler) endSlot(c *vc) {
	c.slot.running.Store(false)
	s.r.retired.add(c.slot)
	s.wg.Done()
}
