package report

// ErrClass classifies why a request did not succeed; the zero value means it did.
type ErrClass uint8

// The error classes a request can end in. A request has exactly one.
const (
	ClassOK ErrClass = iota
	// ClassApp: HTTP 2xx with a non-zero resultCode (or returnCode).
	ClassApp
	// ClassHTTP: an HTTP status outside 2xx.
	ClassHTTP
	// ClassTimeout: the request timed out.
	ClassTimeout
	// ClassRefused: the connection was refused.
	ClassRefused
	// ClassReset: the connection was reset or closed mid-request.
	ClassReset
	// ClassUnparseable: a 2xx answer whose body could not be decoded.
	ClassUnparseable
	// ClassCanceled: the run cancelled the request (grace period over, second signal).
	ClassCanceled
	// ClassOtherTransport: any other transport failure (DNS, TLS, ...).
	ClassOtherTransport
	// ClassClient: not sent, the harness refused it (a rendered field broke a ccapi rule, or a
	// header value the transport's check refused).
	ClassClient
	// ClassCut: written, but the run (grace over, a signal, an abort) cut its answer off: the
	// target received it, its outcome is unknown. In total, out of error rate and latency.
	ClassCut
	// ClassCanceledWaiting: not sent, the run ended while it waited for a connection, a dial or max_rps.
	ClassCanceledWaiting
	// ClassRunEnded: not sent, the run had ended before it started.
	ClassRunEnded
	// ClassPeerClosed: not sent, the target had closed the connection and no byte of it was written.
	ClassPeerClosed
	// ClassNoConnection: not sent, no free connection (max_connections all busy) within the request timeout.
	ClassNoConnection
	// ClassTLSUnknownAuthority: the TLS handshake failed: the target's certificate is signed by an
	// authority ccload does not trust (a private CA: set target.ca_file).
	ClassTLSUnknownAuthority
	// ClassTLSNameMismatch: the target's certificate is not valid for the URL's host name.
	ClassTLSNameMismatch
	// ClassTLSExpired: the target's certificate has expired or is not yet valid.
	ClassTLSExpired
	// ClassTLS: any other TLS failure (a plain-HTTP server behind https://, a handshake alert).
	ClassTLS
	// ClassUnknownReceipt: written on a reused connection that the target closed before any
	// byte of an answer: no client can know whether the target read it. Counted apart, in
	// unknown_receipt: outside total, error rate and latency (docs/report-json.md).
	ClassUnknownReceipt
	NumClasses
)

var classNames = [...]string{"ok", "app_error", "http_error", "timeout", "refused", "reset", "unparseable", "canceled", "transport_other", "client_validation",
	"cut", "canceled_waiting", "run_ended", "peer_closed", "no_free_connection",
	"tls_unknown_authority", "tls_name_mismatch", "tls_expired", "tls", "unknown_receipt"}

// NotSent reports whether a request of this class never reached the target: counted in
// not_sent by its reason (the class's name), outside total, rps, error rate and latency.
func (c ErrClass) NotSent() bool {
	switch c {
	case ClassClient, ClassCanceledWaiting, ClassRunEnded, ClassPeerClosed, ClassNoConnection:
		return true
	}
	return false
}

// Timed reports whether a request of this class has an outcome of the target, and so a
// latency and a place in error rate: it was sent and the run did not cut it off.
func (c ErrClass) Timed() bool { return c != ClassCut && c != ClassUnknownReceipt && !c.NotSent() }

// String returns the class's name as used in report.json's errors map.
func (c ErrClass) String() string {
	if c < NumClasses {
		return classNames[c]
	}
	return "unknown"
}

// Bucket returns which accounting counter the class adds to: ok, app, http, transport, cut,
// not_sent or unknown_receipt.
func (c ErrClass) Bucket() string {
	switch {
	case c == ClassOK:
		return "ok"
	case c == ClassApp:
		return "app"
	case c == ClassHTTP:
		return "http"
	case c == ClassCut:
		return "cut"
	case c == ClassUnknownReceipt:
		return "unknown_receipt"
	case c.NotSent():
		return "not_sent"
	default:
		return "transport"
	}
}

// GroupID identifies a group registered with a Recorder; recording by ID keeps the hot path free of lookups.
type GroupID int32

// NoGroup is the GroupID of "no named-step group".
const NoGroup GroupID = -1

// Sample is one request as the runner saw it. Times are nanoseconds since the run's start
// (monotonic), so a Sample carries no pointers and copying it allocates nothing.
type Sample struct {
	// Group is the endpoint × controlType group; Step the named-step group or NoGroup.
	Group GroupID
	Step  GroupID
	// Intended is when the schedule wanted the request sent; Start when it was; End when the answer was read.
	Intended, Start, End int64
	// Ready is when the sender was free to send (its previous exchange over, its wait done); 0 means
	// "at Intended". Scheduler lag is Start − max(Intended, Ready): the generator's own delay, not the
	// time a customer spent waiting for the target's earlier answers (that shows in response time).
	Ready int64
	// Throttled is how long the request waited for the run's max_rps limiter just before
	// Start (0: none). It is in response time, and out of scheduler lag: the ceiling is the
	// tester's choice, not the generator falling behind.
	Throttled int64
	Status    int
	// ResultCode is the body's resultCode (or returnCode); "" when there was none.
	ResultCode string
	Class      ErrClass
	BytesSent  int
	BytesRecv  int
	// Origin is who asked for the request, as its group says (the Recorder sets it on the copy
	// it hands its Observer), so an observer tells ccload's own requests apart without
	// comparing names per request.
	Origin Origin
}

// Origin is who asked for a request: the scenario, or ccload itself closing sessions.
// ccload's own requests are counted in requests.total and in their own groups (kind
// "teardown"), never in overall ("all"), the time series or the scheduler lag, so no
// threshold, compare limit or capacity verdict judges ccload's cleanup as the target's.
type Origin uint8

// The origins of a request.
const (
	// OriginScenario: a request of the scenario's sessions (its steps, polls, tokens).
	OriginScenario Origin = iota
	// OriginTeardown: the DISCONNECT the run sends a customer still connected when it cut it.
	OriginTeardown
	// OriginAbandon: the DISCONNECT of a session that failed while connected.
	OriginAbandon
	// NumOrigins is the number of origins, for tables indexed by origin.
	NumOrigins
)
