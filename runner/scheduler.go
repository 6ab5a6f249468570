package runner

import (
	"context"
	"math"
	"sync"
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
}

func newScheduler(r *run, prodCtx, ctx context.Context, wg *sync.WaitGroup, workers int) *scheduler {
	s := &scheduler{r: r, prodCtx: prodCtx, ctx: ctx, wg: wg, due: make(chan *vc, workers), kick: make(chan struct{}, 1), quit: make(chan struct{})}
	s.done.Add(1 + workers)
	go s.loop()
	for range workers {
		go s.work()
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
			timer.released(now, len(batch))
		}
		wait := time.Duration(-1)
		if at, ok := s.q.next(); ok {
			wait = time.Duration(max(at-now, 0))
		}
		s.mu.Unlock()
		for i, c := range batch {
			s.due <- c // blocks while every worker is busy: the customer is late, not lost
			batch[i] = nil
		}
		batch = batch[:0]
		if wait >= 0 {
			timer.sleep(wait)
		}
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

func (s *scheduler) work() {
	defer s.done.Done()
	x := &scratch{lane: s.r.client.NewLane()}
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
