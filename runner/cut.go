package runner

// owed is what a customer the run cut still owes, as its program says (customer.cut): the
// request it was due to make but never made, and the DISCONNECT of a session the platform may
// still hold open. The executor records the first as not sent and sends the second (teardown).
type owed struct {
	// unsent is the exchange that was due at or before the cut while the customer waited for a
	// worker (kind actToken, actSend or actPoll); any other kind: none.
	unsent action
	// disconnect says the platform may hold the session open: a CONNECT succeeded and no
	// DISCONNECT went out since, or a CONNECT was in flight when the cut came.
	disconnect bool
}

// cut ends the session at the run's cut (now: the cut's instant) and says what it still owes.
// waiting says the customer was not in an exchange when the cut came (it was parked, or waited
// for a worker): then the exchange its program would have asked for at the cut, if it was due
// by then, is owed as not sent; a customer still thinking at the cut owes nothing. After cut
// the customer is over: nothing is in flight and it is no longer connected.
func (c *customer) cut(now int64, waiting bool) owed {
	o := owed{unsent: action{kind: actDone}}
	if c.prog == nil {
		return o
	}
	if waiting && now > 0 {
		// Ask the program what it would do at the cut; that exchange never happens.
		a := c.next(now, result{})
		c.ex = exNone
		if a.intended <= now {
			switch a.kind {
			case actToken, actSend, actPoll:
				o.unsent = a
			}
		}
	}
	o.disconnect = c.mayBeConnected()
	c.connected, c.pollOn, c.confirm = false, false, false
	c.ex = exNone
	c.pc = int32(len(c.prog.ops))
	return o
}
