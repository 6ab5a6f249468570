package runner

import (
	"ccload/ccapi"
	"ccload/report"
)

// cutOff ends a customer the run cut (flowCancel) as its program says (customer.cut): the
// request it was due to make at the cut but never made is counted not sent
// (canceled_waiting, never the target's error), and what it owes the platform is kept for its
// teardown. waiting says it was not in an exchange when the cut came (parked, or waiting for
// one of the max_connections exchange workers).
func (c *vc) cutOff(waiting bool) {
	r := c.r
	at := r.life.CutAt()
	if !waiting {
		at = 0 // in an exchange: that exchange was recorded as it ended (cut or answered)
	}
	o := c.m.cut(at, waiting)
	c.owesDisconnect = o.disconnect
	a := o.unsent
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
