package runner

import "container/heap"

// Wake-up queue geometry: the ring covers wqBuckets buckets of 2^wqShift ns each (about
// 16.8 ms × 4096 ≈ 68.7 s ahead of the current bucket).
const (
	wqShift   = 24
	wqBuckets = 4096
	wqMask    = wqBuckets - 1

	wqNear = -1 // where: in the near heap
	wqFar  = -2 // where: in the far heap
)

// wakeQueue orders parked customers by wake-up time at a cost per wake-up that does not grow
// with the number parked: a wake-up in the current time bucket goes to a small exact heap
// (near), one within the ring's span is appended to its bucket (constant time), and a rarer one
// beyond the ring waits in a second heap (far). As time passes, each bucket reached is moved
// whole into near, and far wake-ups that came within the ring's span move into it. So near
// holds only the wake-ups of the next ~17 ms (its log is that of the rate, not of the crowd),
// and a customer polling every 30 s is touched twice per poll, not log2(crowd) times.
//
// A customer's place is c.where (wqNear, wqFar or a bucket number) and c.hidx (its index
// there), so a push can bring its wake-up forward (move) in constant time plus near's log.
// The zero value is an empty queue whose current bucket holds time 0.
type wakeQueue struct {
	cur     int64 // the current bucket: near holds every wake-up with at>>wqShift <= cur
	near    wakeHeap
	far     wakeHeap
	ring    [][]*vc // wqBuckets buckets once used; bucket b holds wake-ups with at>>wqShift == its number
	inRing  int
	scratch []*vc
}

// Len is the number of customers parked.
func (q *wakeQueue) Len() int { return len(q.near) + len(q.far) + q.inRing }

// push parks c until at (c.wakeAt is set to at).
func (q *wakeQueue) push(c *vc, at int64) {
	c.wakeAt = at
	b := at >> wqShift
	switch {
	case b <= q.cur:
		c.where = wqNear
		heap.Push(&q.near, c)
	case b < q.cur+wqBuckets:
		if q.ring == nil {
			q.ring = make([][]*vc, wqBuckets)
		}
		i := b & wqMask
		c.where, c.hidx = int32(i), int32(len(q.ring[i]))
		q.ring[i] = append(q.ring[i], c)
		q.inRing++
	default:
		c.where = wqFar
		heap.Push(&q.far, c)
	}
}

// contains says whether c is parked here.
func (q *wakeQueue) contains(c *vc) bool {
	i := int(c.hidx)
	switch {
	case c.where == wqNear:
		return i >= 0 && i < len(q.near) && q.near[i] == c
	case c.where == wqFar:
		return i >= 0 && i < len(q.far) && q.far[i] == c
	case c.where >= 0 && q.ring != nil:
		r := q.ring[c.where]
		return i >= 0 && i < len(r) && r[i] == c
	}
	return false
}

// remove takes a parked c (contains(c)) out of the queue.
func (q *wakeQueue) remove(c *vc) {
	switch c.where {
	case wqNear:
		heap.Remove(&q.near, int(c.hidx))
	case wqFar:
		heap.Remove(&q.far, int(c.hidx))
	default:
		r := q.ring[c.where]
		last := int32(len(r) - 1)
		if c.hidx != last {
			r[c.hidx] = r[last]
			r[c.hidx].hidx = c.hidx
		}
		r[last] = nil
		q.ring[c.where] = r[:last]
		q.inRing--
	}
	c.hidx = -1
}

// next is a time at or before the earliest wake-up (the scheduler's timer), ok=false when the
// queue is empty. Before the near heap has one, it is the start of the next bucket, when the
// queue must advance (pop) to see what is due.
func (q *wakeQueue) next() (at int64, ok bool) {
	if len(q.near) > 0 {
		return q.near[0].wakeAt, true
	}
	if q.inRing+len(q.far) > 0 {
		return (q.cur + 1) << wqShift, true
	}
	return 0, false
}

// pop appends to batch every customer due at now (wakeAt <= now), earliest first, and
// returns it.
func (q *wakeQueue) pop(now int64, batch []*vc) []*vc {
	for {
		q.advance(now)
		if len(q.near) == 0 || q.near[0].wakeAt > now {
			return batch
		}
		c := heap.Pop(&q.near).(*vc)
		batch = append(batch, c)
	}
}

// advance moves the current bucket up to now's, moving each bucket it passes into near and
// the far wake-ups that come within the ring's span into the ring (or near).
func (q *wakeQueue) advance(now int64) {
	nb := now >> wqShift
	for q.cur < nb {
		if q.inRing == 0 {
			// Nothing in the ring: jump (a fake clock may leap hours; far wake-ups follow).
			if len(q.far) == 0 || q.far[0].wakeAt>>wqShift > nb {
				q.cur = nb
			} else {
				q.cur = q.far[0].wakeAt >> wqShift
			}
		} else {
			q.cur++
			i := q.cur & wqMask
			for j, c := range q.ring[i] {
				c.where = wqNear
				heap.Push(&q.near, c)
				q.ring[i][j] = nil
			}
			q.inRing -= len(q.ring[i])
			q.ring[i] = q.ring[i][:0]
		}
		for len(q.far) > 0 && q.far[0].wakeAt>>wqShift < q.cur+wqBuckets {
			c := heap.Pop(&q.far).(*vc)
			q.push(c, c.wakeAt)
		}
	}
}

// each calls f for every parked customer, in no order; f must not change the queue.
func (q *wakeQueue) each(f func(*vc)) {
	for _, c := range q.near {
		f(c)
	}
	for _, c := range q.far {
		f(c)
	}
	for _, r := range q.ring {
		for _, c := range r {
			f(c)
		}
	}
}

// wakeHeap orders parked customers by wake-up time (the near and far parts of wakeQueue).
type wakeHeap []*vc

func (h wakeHeap) Len() int           { return len(h) }
func (h wakeHeap) Less(i, j int) bool { return h[i].wakeAt < h[j].wakeAt }
func (h wakeHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hidx, h[j].hidx = int32(i), int32(j)
}
func (h *wakeHeap) Push(x any) {
	c := x.(*vc)
	c.hidx = int32(len(*h))
	*h = append(*h, c)
}
func (h *wakeHeap) Pop() any {
	old := *h
	n := len(old)
	c := old[n-1]
	c.hidx = -1
	old[n-1] = nil
	*h = old[:n-1]
	return c
}
