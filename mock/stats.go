package mock

import (
	"sync/atomic"

	"ccload/ccapi"
)

// Stats is what the mock received and answered since it started or was last
// reset; GET /mock/stats answers it as JSON. Every map is keyed by the value seen
// on the wire, and zero entries of result_codes, http_status and faults are omitted.
type Stats struct {
	// Endpoints counts every request to an API endpoint on receipt, before auth,
	// validation or any fault: what the harness sent and the mock saw.
	Endpoints map[string]int64 `json:"endpoints"`
	// ControlTypes counts the controlType of every send/sendAsync request on receipt
	// (before auth or faults); a body that is not JSON counts as "unparsed", an
	// unknown or missing controlType as "other".
	ControlTypes map[string]int64 `json:"control_types"`
	// ResultCodes counts the resultCode (returnCode for uploadFileStream) of every
	// answer the mock wrote that carried one, including 400s ("1") and injected 12/13.
	ResultCodes map[string]int64 `json:"result_codes"`
	// HTTPStatus counts the status of every answer written, /mock/* paths excluded;
	// dropped connections write none and count under Faults only.
	HTTPStatus map[string]int64 `json:"http_status"`
	// Faults counts injected faults: "dropped", "malformed", "error", "stalled"
	// (held by a stall window), "delayed" (given latency or capacity delay); and
	// "abandoned": requests whose client went away before the answer was written.
	Faults map[string]int64 `json:"faults"`
	// Sessions are gauges (not zeroed by reset): open sessions in total and how many are queuing or with an agent.
	Sessions SessionGauges `json:"sessions"`
	// Push is what the mock pushed to its webhook (--push); absent when it does not push.
	Push *PushStats `json:"push,omitempty"`
}

// SessionGauges describes the customer sessions the mock holds right now.
type SessionGauges struct {
	Open      int64 `json:"open"`
	Queued    int64 `json:"queued"`
	WithAgent int64 `json:"with_agent"`
}

// The result codes the mock writes; anything else counts under "other".
var resultCodeNames = [...]string{"0", "1", "2", "3", "12", "13", "160004", "160021", "other"}

// The HTTP statuses the mock writes; anything else counts under "other".
var httpStatusNames = [...]string{"200", "400", "401", "403", "404", "405", "413", "500", "other"}

// Injected fault names, in Stats.Faults.
var faultNames = [...]string{"dropped", "malformed", "error", "stalled", "delayed", "abandoned"}

const (
	faultDropped = iota
	faultMalformed
	faultError
	faultStalled
	faultDelayed
	faultAbandoned // not a fault the mock injects: the client left before the answer
	numFaults
)

// controlTypeNames are the control_types keys: the six controlTypes, then unparsed and other.
var controlTypeNames = [...]string{"CONNECT", "CHAT", "TRANS2AGENT", "INPUT", "DISCONNECT", "READ", "unparsed", "other"}

const (
	ctUnparsed = 6
	ctOther    = 7
)

// counters are the hot-path counters: plain atomics, no lock.
type counters struct {
	endpoints [ccapi.NumEndpoints]atomic.Int64
	controls  [len(controlTypeNames)]atomic.Int64
	codes     [len(resultCodeNames)]atomic.Int64
	status    [len(httpStatusNames)]atomic.Int64
	faults    [numFaults]atomic.Int64
	open      atomic.Int64
	queued    atomic.Int64
	withAgent atomic.Int64
}

func controlIndex(c ccapi.ControlType) int {
	switch c {
	case ccapi.Connect:
		return 0
	case ccapi.Chat:
		return 1
	case ccapi.Trans2Agent:
		return 2
	case ccapi.Input:
		return 3
	case ccapi.Disconnect:
		return 4
	case ccapi.Read:
		return 5
	}
	return ctOther
}

func (c *counters) countCode(code string) {
	for i, n := range resultCodeNames[:len(resultCodeNames)-1] {
		if n == code {
			c.codes[i].Add(1)
			return
		}
	}
	c.codes[len(resultCodeNames)-1].Add(1)
}

func (c *counters) countStatus(st int) {
	i := len(httpStatusNames) - 1
	switch st {
	case 200:
		i = 0
	case 400:
		i = 1
	case 401:
		i = 2
	case 403:
		i = 3
	case 404:
		i = 4
	case 405:
		i = 5
	case 413:
		i = 6
	case 500:
		i = 7
	}
	c.status[i].Add(1)
}

func (c *counters) reset() {
	for i := range c.endpoints {
		c.endpoints[i].Store(0)
	}
	for i := range c.controls {
		c.controls[i].Store(0)
	}
	for i := range c.codes {
		c.codes[i].Store(0)
	}
	for i := range c.status {
		c.status[i].Store(0)
	}
	for i := range c.faults {
		c.faults[i].Store(0)
	}
}

func (c *counters) snapshot() Stats {
	s := Stats{
		Endpoints:    make(map[string]int64, ccapi.NumEndpoints),
		ControlTypes: make(map[string]int64, len(controlTypeNames)),
		ResultCodes:  map[string]int64{},
		HTTPStatus:   map[string]int64{},
		Faults:       map[string]int64{},
	}
	for i := range c.endpoints {
		s.Endpoints[ccapi.Endpoint(i).String()] = c.endpoints[i].Load()
	}
	for i, n := range controlTypeNames {
		s.ControlTypes[n] = c.controls[i].Load()
	}
	for i, n := range resultCodeNames {
		if v := c.codes[i].Load(); v != 0 {
			s.ResultCodes[n] = v
		}
	}
	for i, n := range httpStatusNames {
		if v := c.status[i].Load(); v != 0 {
			s.HTTPStatus[n] = v
		}
	}
	for i, n := range faultNames {
		if v := c.faults[i].Load(); v != 0 {
			s.Faults[n] = v
		}
	}
	s.Sessions = SessionGauges{Open: c.open.Load(), Queued: c.queued.Load(), WithAgent: c.withAgent.Load()}
	return s
}

// Total returns the sum of Endpoints: every API request the mock received.
func (s Stats) Total() int64 {
	var n int64
	for _, v := range s.Endpoints {
		n += v
	}
	return n
}
