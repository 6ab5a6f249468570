package runner

import (
	"ccload/ccapi"
	"ccload/report"
)

// notSentAtCancel counts the request a customer was due to make when the run cancelled its
// customers but never made: its exchange was due at or before the cancellation, and it was
// still waiting for an exchange worker (there are max_connections of them; each holds one
// exchange at a time). That request is not sent (canceled_waiting), never the target's error.
// The program is asked at the cancellation instant, so a customer still thinking then (its
// next request not yet due) counts nothing.
func (c *vc) notSentAtCancel() {
	r := c.r
	at := r.cancelAt.Load()
	if at == 0 || c.sess == nil {
		return
	}
	a := c.m.next(at, result{})
	c.m.ex = exNone // the probe asked for an exchange that never happened: nothing is in flight
	if a.intended > at {
		return
	}
	ev := event{kind: evSample, step: -1, s: report.Sample{Intended: a.intended, Ready: a.intended, Start: at, End: at,
		Class: report.ClassCanceledWaiting}}
	switch a.kind {
	case actToken:
		ev.ep = ccapi.EpApplyToken
	case actPoll:
		ev.ep = ccapi.EpPoll
	case actSend:
		st := a.op.step
		ev.ep, ev.ct, ev.step = r.sendEp, ctIndex(st.Send.ControlType), a.op.idx
		if st.Send.Upload != nil {
			ev.ep, ev.ct = ccapi.EpUploadFileStream, 0 // a media chat's first request is its upload
		}
	default:
		return
	}
	r.events <- ev
}
