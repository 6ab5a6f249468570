package mock

import (
	"sync"
	"time"
)

// evKind is what a scheduled event does when its time comes.
type evKind uint8

const (
	evRobotReply evKind = iota + 1 // the robot answers a CHAT
	evAgentReply                   // the agent answers a CHAT
	evAgentLeave                   // the agent's handling time ran out
	evTimeout                      // check whether the session was polled recently; clean up closed ones
	evPurge                        // forget long-expired tokens
	evFlush                        // flush the record file, so it can be followed with tail -f
)

// event is one pending robot reply, agent event or timeout check. Events hold
// the session and its generation: an event for a session that has since ended
// (or been replaced by a new CONNECT, or dropped from the map) does nothing.
type event struct {
	at    int64 // server clock, ns
	ss    *session
	gen   uint32
	agent int32
	kind  evKind
}

// scheduler runs every delayed thing the mock does on one goroutine with one
// timer: a min-heap of events ordered by time. A session costs a heap entry, not
// a goroutine or a timer, so 100,000 sessions cost a few megabytes.
type scheduler struct {
	mu   sync.Mutex // guards heap
	heap []event
	wake chan struct{} // a push that became the earliest event
	stop chan struct{}
	done chan struct{}
	now  func() int64
	run  func(batch []event)
}

func newScheduler(now func() int64, run func([]event)) *scheduler {
	s := &scheduler{
		wake: make(chan struct{}, 1),
		stop: make(chan struct{}),
		done: make(chan struct{}),
		now:  now,
		run:  run,
	}
	go s.loop()
	return s
}

// push schedules e; it wakes the loop only when e is the new earliest event.
func (s *scheduler) push(e event) {
	s.mu.Lock()
	s.heap = append(s.heap, e)
	i := len(s.heap) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s.heap[p].at <= s.heap[i].at {
			break
		}
		s.heap[p], s.heap[i] = s.heap[i], s.heap[p]
		i = p
	}
	first := i == 0
	s.mu.Unlock()
	if first {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

func (s *scheduler) popLocked() event {
	h := s.heap
	e := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h[n] = event{}
	h = h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h[r].at < h[l].at {
			m = r
		}
		if h[i].at <= h[m].at {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	s.heap = h
	return e
}

// Len reports how many events wait, for tests and the benchmark's memory figures.
func (s *scheduler) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.heap)
}

const maxBatch = 512

func (s *scheduler) loop() {
	defer close(s.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	batch := make([]event, 0, maxBatch)
	for {
		now := s.now()
		wait := time.Hour
		s.mu.Lock()
		for len(s.heap) > 0 && s.heap[0].at <= now && len(batch) < maxBatch {
			batch = append(batch, s.popLocked())
		}
		if len(batch) == maxBatch {
			wait = 0
		} else if len(s.heap) > 0 {
			wait = time.Duration(s.heap[0].at - now)
		}
		s.mu.Unlock()
		if len(batch) > 0 {
			s.run(batch)
			clear(batch)
			batch = batch[:0]
			select {
			case <-s.stop:
				return
			default:
			}
			continue // time passed while running: look again before sleeping
		}
		timer.Reset(wait)
		select {
		case <-s.stop:
			return
		case <-s.wake:
			timer.Stop()
		case <-timer.C:
		}
	}
}

// close stops the loop and waits for it; pending events are dropped.
func (s *scheduler) close() {
	close(s.stop)
	<-s.done
}
