package report

import "strings"

// StopKind is why a run ended: the typed form of report.json's stop_reason, so the runner, the
// commands and capacity decide on a kind instead of matching strings.
type StopKind uint8

// The ways a run ends. The zero value is a run that played its whole schedule.
const (
	// ReasonCompleted: the run played its schedule and every session ended on its own.
	ReasonCompleted StopKind = iota
	// ReasonInterrupted: a signal (or a kill) stopped the run; it is marked interrupted.
	ReasonInterrupted
	// ReasonUnreachable: no request got an HTTP answer; the run stopped itself.
	ReasonUnreachable
	// ReasonAborted: an abort_on_fail threshold failed (Detail: its name).
	ReasonAborted
	// ReasonDataExhausted: a unique data feeder without wrap ran out of rows (Detail: its name);
	// arrivals stopped there, the running sessions went on, the run is not interrupted.
	ReasonDataExhausted
	// ReasonGraceCut: the whole schedule played, but the grace period after it cut sessions
	// still running (sessions.cut_by_grace); the run is not interrupted.
	ReasonGraceCut
)

// StopGraceCut is the stop_reason text of ReasonGraceCut.
const StopGraceCut = "grace cut"

// stopTexts are report.json's stop_reason texts, by kind; a kind with a Detail is followed by it.
var stopTexts = [...]string{
	ReasonCompleted:     "completed",
	ReasonInterrupted:   "interrupted",
	ReasonUnreachable:   "unreachable",
	ReasonAborted:       "aborted: ",
	ReasonDataExhausted: "data exhausted: feeder ",
	ReasonGraceCut:      StopGraceCut,
}

// Stop is a stop reason: its kind and, for an abort or a data exhaustion, what caused it.
type Stop struct {
	Kind   StopKind
	Detail string // ReasonAborted: the threshold's name; ReasonDataExhausted: the feeder's
}

// String is the stop_reason report.json carries.
func (s Stop) String() string {
	if int(s.Kind) >= len(stopTexts) {
		return "unknown"
	}
	switch s.Kind {
	case ReasonAborted, ReasonDataExhausted:
		return stopTexts[s.Kind] + s.Detail
	}
	return stopTexts[s.Kind]
}

// Interrupted says whether a run that ended so is marked interrupted: it did not play what it
// was asked to for a reason outside the scenario's own data and grace period.
func (s Stop) Interrupted() bool {
	switch s.Kind {
	case ReasonInterrupted, ReasonUnreachable, ReasonAborted:
		return true
	}
	return false
}

// ParseStop reads a stop_reason back ("" is completed); an unknown text reads as interrupted,
// with the text as its Detail, so a reader never takes it for a completed run.
func ParseStop(s string) Stop {
	if s == "" {
		return Stop{}
	}
	for k, t := range stopTexts {
		kind := StopKind(k)
		switch kind {
		case ReasonAborted, ReasonDataExhausted:
			if rest, ok := strings.CutPrefix(s, t); ok {
				return Stop{Kind: kind, Detail: rest}
			}
			// Older reports wrote "aborted" alone.
			if kind == ReasonAborted && s == strings.TrimSuffix(t, ": ") {
				return Stop{Kind: kind}
			}
		default:
			if s == t {
				return Stop{Kind: kind}
			}
		}
	}
	return Stop{Kind: ReasonInterrupted, Detail: s}
}
