package scenario

import "math/rand/v2"

// Env is what templates see when they render: one per virtual customer, reused across its
// requests, so rendering allocates nothing beyond the destination buffer's growth.
// Not safe for concurrent use.
type Env struct {
	SessionID string
	UserID    string
	Customer  int64
	// Seq is the sequence number of the current sending step within the session (1-based).
	Seq int
	// Rows holds the current row of each feeder, indexed like Scenario.Feeders (nil when not drawn).
	Rows [][]string
	Rand *rand.Rand
	// NowMs returns the current time in Unix milliseconds.
	NowMs func() int64
}

// Template is a string field compiled once at load; Append renders it without parsing.
// A Template is immutable and safe to share.
type Template struct {
	// TODO(scenario): compiled parts.
	lit       string
	isLiteral bool
}

// Lit returns a literal template (no placeholders).
func Lit(s string) *Template { return &Template{lit: s, isLiteral: true} }

// Literal returns the template's value when it has no placeholders.
func (t *Template) Literal() (string, bool) {
	if t == nil {
		return "", true
	}
	return t.lit, t.isLiteral
}

// Append renders the template onto dst.
func (t *Template) Append(dst []byte, env *Env) []byte {
	if t == nil {
		return dst
	}
	return append(dst, t.lit...)
}
