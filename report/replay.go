package report

import (
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Replay is report.json's replay section, set by ccload replay: what the replay took from its log,
// in counts and line numbers only — never a logged identity or content — so a run that did not
// play the whole log says so in the report a pipeline keeps.
//
// Invariants (Validate): lines = requests + blank + bad; bad = the sum of the bad kinds' counts;
// sessions = selected + skipped_no_connect + outside_window + not_reached; invalid <= selected;
// a whole (one shard, unmerged) replay that was not interrupted has sessions.arrivals = arrivals.
type Replay struct {
	// Log is the LOG argument as given (a path, or "-" for standard input).
	Log string `json:"log"`
	// Speed, Scale, FromS, ToS and KeepContent are the replay's flags (--speed, --scale, --from,
	// --to in seconds; to_s 0: to the end, --keep-content).
	Speed       float64 `json:"speed"`
	Scale       int     `json:"scale"`
	FromS       float64 `json:"from_s"`
	ToS         float64 `json:"to_s"`
	KeepContent bool    `json:"keep_content"`
	// Complete is true when the log was read to its end (or to the window's end) and every
	// selected session was handed to the run; false when the run was stopped first or the log
	// was refused part-way (Error says why).
	Complete bool `json:"complete"`
	// Error says why the log's read ended badly or sessions could not be replayed ("" when none).
	Error string `json:"error,omitempty"`

	// Lines are the lines read; each is a request, a blank line, or a bad line (Problems says which kind).
	Lines    int64 `json:"lines"`
	Requests int64 `json:"requests"`
	Blank    int64 `json:"blank"`
	Bad      int64 `json:"bad"`
	// Sessions are the sessions the reader cut the log into; each is selected, skipped (no
	// CONNECT first), outside the --from/--to window, or not reached (still held back for
	// start order when the read stopped: at the window's end, or on a stop).
	Sessions         int64 `json:"sessions"`
	Selected         int64 `json:"selected"`
	SkippedNoConnect int64 `json:"skipped_no_connect"`
	OutsideWindow    int64 `json:"outside_window"`
	NotReached       int64 `json:"not_reached"`
	// Invalid counts selected sessions whose requests broke the field rules and were not replayed
	// (only with keep_content); FirstInvalidLine is the first one's first line.
	Invalid          int64 `json:"invalid"`
	FirstInvalidLine int64 `json:"first_invalid_line,omitempty"`
	// Arrivals are the arrivals (every --scale copy, for every shard) handed to the run, and
	// ArrivalRequests the requests they hold; sessions.arrivals is this shard's share of those the
	// run took (a stopped run leaves some unread).
	Arrivals        int64 `json:"arrivals"`
	ArrivalRequests int64 `json:"arrival_requests"`
	// WindowS is the replayed window in seconds (divided by speed): the last arrival's offset, or
	// the --from/--to window when --to is given.
	WindowS float64 `json:"window_s"`
	// MaxOpen and MaxPending are the most sessions held open, and closed but held back for
	// start order, at once while streaming: the memory the read needed.
	MaxOpen    int `json:"max_open"`
	MaxPending int `json:"max_pending"`
	// Problems counts each kind of problem seen (ReplayProblemKinds), with its first line numbers.
	Problems map[string]ReplayProblem `json:"problems,omitempty"`
}

// ReplayProblem is one kind of problem in a replayed log: how often, and the first few lines.
type ReplayProblem struct {
	Count      int64   `json:"count"`
	FirstLines []int64 `json:"first_lines"`
}

// The keys of Replay.Problems; the first five are bad lines (counted in bad, refused past the
// reader's share), the others sessions the reader had to cut or drop requests of.
const (
	ReplayMalformed   = "malformed"
	ReplayLineTooLong = "line_too_long"
	ReplayMissing     = "missing_field"
	ReplayUnknownCT   = "unknown_control_type"
	ReplayOutOfOrder  = "out_of_order"
	ReplayNoConnect   = "no_connect"
	ReplayEvicted     = "evicted"
	ReplayHeld        = "held"
	ReplayTruncated   = "truncated"
)

// ReplayBadKinds are the Problems keys whose lines are bad lines: their counts add up to bad.
var ReplayBadKinds = []string{ReplayMalformed, ReplayLineTooLong, ReplayMissing, ReplayUnknownCT, ReplayOutOfOrder}

// ReplayProblemKinds are every key Replay.Problems may hold.
var ReplayProblemKinds = append(slices.Clone(ReplayBadKinds), ReplayNoConnect, ReplayEvicted, ReplayHeld, ReplayTruncated)

func (v *validator) replay(r *Report) {
	x := r.Replay
	if x == nil {
		return
	}
	const p = "replay"
	// A whole replay (one shard, not merged) that nobody stopped took every arrival it was handed.
	if whole := r.Shards <= 1 && (r.Shard == nil || r.Shard.N <= 1); whole && !r.Interrupted && r.Sessions.Arrivals != x.Arrivals {
		v.fail(p+".arrivals", "%d handed to the run, but sessions.arrivals is %d (a whole replay that was not interrupted takes them all)", x.Arrivals, r.Sessions.Arrivals)
	}
	for _, c := range []struct {
		k string
		n int64
	}{{"lines", x.Lines}, {"requests", x.Requests}, {"blank", x.Blank}, {"bad", x.Bad}, {"sessions", x.Sessions}, {"selected", x.Selected},
		{"skipped_no_connect", x.SkippedNoConnect}, {"outside_window", x.OutsideWindow}, {"not_reached", x.NotReached}, {"invalid", x.Invalid},
		{"arrivals", x.Arrivals}, {"arrival_requests", x.ArrivalRequests}, {"max_open", int64(x.MaxOpen)}, {"max_pending", int64(x.MaxPending)}} {
		v.nonneg(p+"."+c.k, c.n)
	}
	if v.finite(p+".speed", x.Speed) && x.Speed <= 0 {
		v.fail(p+".speed", "%g; a replay's speed is greater than 0", x.Speed)
	}
	if x.Scale < 1 {
		v.fail(p+".scale", "%d; a replay plays each session at least once", x.Scale)
	}
	if v.finite(p+".window_s", x.WindowS) && x.WindowS < 0 {
		v.fail(p+".window_s", "%g; a window is not negative", x.WindowS)
	}
	if x.Lines != x.Requests+x.Blank+x.Bad {
		v.fail(p+".lines", "%d != requests %d + blank %d + bad %d", x.Lines, x.Requests, x.Blank, x.Bad)
	}
	if sum := x.Selected + x.SkippedNoConnect + x.OutsideWindow + x.NotReached; x.Sessions != sum {
		v.fail(p+".sessions", "%d != selected %d + skipped_no_connect %d + outside_window %d + not_reached %d", x.Sessions, x.Selected, x.SkippedNoConnect, x.OutsideWindow, x.NotReached)
	}
	if x.Invalid > x.Selected {
		v.fail(p+".invalid", "%d; more than the %d sessions selected", x.Invalid, x.Selected)
	}
	var bad int64
	for _, k := range ReplayBadKinds {
		bad += x.Problems[k].Count
	}
	if bad != x.Bad {
		v.fail(p+".bad", "%d != the sum of the bad kinds' problem counts %d", x.Bad, bad)
	}
	for k, pr := range x.Problems {
		q := p + ".problems[" + strconv.Quote(k) + "]"
		if !slices.Contains(ReplayProblemKinds, k) {
			v.fail(q, "unknown kind (one of %s)", strings.Join(ReplayProblemKinds, ", "))
		}
		if pr.Count <= 0 || int64(len(pr.FirstLines)) > pr.Count {
			v.fail(q+".count", "%d with %d first lines; a listed problem happened, at least once per line listed", pr.Count, len(pr.FirstLines))
		}
		last := int64(0)
		for i, l := range pr.FirstLines {
			if l <= last || l > x.Lines {
				v.fail(q+".first_lines["+strconv.Itoa(i)+"]", "%d; line numbers ascend, from 1 to lines %d", l, x.Lines)
			}
			last = l
		}
	}
}

// ReplayProblemKeys are the kinds x.Problems holds, in ReplayProblemKinds order (unknown ones last).
func ReplayProblemKeys(x *Replay) []string {
	kinds := make([]string, 0, len(x.Problems))
	for k := range x.Problems {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		a, b := slices.Index(ReplayProblemKinds, kinds[i]), slices.Index(ReplayProblemKinds, kinds[j])
		if a < 0 {
			a = len(ReplayProblemKinds)
		}
		if b < 0 {
			b = len(ReplayProblemKinds)
		}
		if a != b {
			return a < b
		}
		return kinds[i] < kinds[j]
	})
	return kinds
}

// ReplayLines writes line numbers as "line 3, 7" ("" for none).
func ReplayLines(ls []int64) string {
	if len(ls) == 0 {
		return ""
	}
	s := make([]string, len(ls))
	for i, l := range ls {
		s[i] = strconv.FormatInt(l, 10)
	}
	return "line " + strings.Join(s, ", ")
}
