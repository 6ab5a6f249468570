package runner

import (
	"ccload/ccapi"
	"ccload/report"
)

// evKind says what an event tells the collector.
type evKind uint8

const (
	evSample       evKind = iota // one HTTP exchange (or a request refused by validation)
	evArrival                    // an open-model arrival or a closed-model session start
	evDropped                    // d arrivals dropped, ct their reason (dropReasons)
	evStarted                    // an arrival that became a running session
	evEnded                      // a started session ended (outcome, duration)
	evReply                      // a reply latency
	evAgent                      // a time to agent
	evReplyTimeout               // an await step timed out
	evStepFailed                 // a step failed, its session went on (see failEvent)
	evQueue                      // a queryQueueInfo answer "still queuing": pos its position, d its estimated wait
)

// event is what virtual customers and the scheduler send to the collector. It is a plain
// value (the only reference it holds is the resultCode string) so sending it allocates nothing.
type event struct {
	kind    evKind
	ep      ccapi.Endpoint
	ct      uint8 // 0: no controlType; i+1: ccapi.ControlTypes[i]
	outcome report.Outcome
	origin  report.Origin // evSample: who asked for the request (the scenario, the teardown, an abandon)
	step    int32         // index into run.steps of the named step, -1 none
	t, d    int64         // ns since run start; d a latency or duration
	pos     int32         // evQueue: the queue position reported
	s       report.Sample
}

// failEvent is a step failure w at failure site sess (sessions.site: its session and step;
// evStepFailed, or the evEnded of a failed session), packed into an event's spare fields so
// that no event grows: step is the op, ct the why kind, s.Group the site, s.Status,
// s.ResultCode and s.Class the answer.
func failEvent(kind evKind, sess int32, w why) event {
	return event{kind: kind, ct: uint8(w.kind), step: w.op,
		s: report.Sample{Group: report.GroupID(sess), Status: int(w.status), ResultCode: w.code, Class: w.class}}
}

// failure unpacks what failEvent packed.
func (ev *event) failure() (sess int32, w why) {
	return int32(ev.s.Group), why{kind: whyKind(ev.ct), op: ev.step, status: int32(ev.s.Status), code: ev.s.ResultCode, class: ev.s.Class}
}

// Reasons an arrival is dropped (an evDropped's ct), as report.json's dropped_by names them.
const (
	dropCap  uint8 = iota // max_customers reached
	dropLive              // the default live-customer bound reached (no max_customers)
	dropLate              // the stages ended before the producer got to it
)

var dropReasons = [...]string{"max_customers", "live_limit", "late"}

// numCT is the number of controlType indexes: none plus the six of ccapi.ControlTypes.
const numCT = 7

// ctIndex maps a controlType to its event index without a map lookup.
func ctIndex(ct ccapi.ControlType) uint8 {
	switch ct {
	case ccapi.Connect:
		return 1
	case ccapi.Chat:
		return 2
	case ccapi.Trans2Agent:
		return 3
	case ccapi.Input:
		return 4
	case ccapi.Disconnect:
		return 5
	case ccapi.Read:
		return 6
	}
	return 0
}
