package scenario

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"ccload/ccapi"
)

// Env is what templates see when they render: one per virtual customer, reused across its
// requests, so rendering allocates nothing beyond the destination buffer's growth.
// Not safe for concurrent use.
//
// The runner fills it per session: SessionID (short: the run-wide session number in base 36
// is a good choice, so the default user_id `c{{customer}}s{{session}}` stays within 24
// characters), Customer, UserID (Session.Channel.UserID rendered once per session), Rows
// (a row from each feeder in Session.Feeders), Rand and NowMs; Seq before each sending step.
type Env struct {
	SessionID string
	UserID    string
	Customer  int64
	// Seq is the sequence number of the current sending step within the session (1-based).
	Seq int
	// Rows holds the current row of each feeder, indexed like Scenario.Feeders (nil when not drawn).
	Rows [][]string
	Rand *rand.Rand
	// NowMs returns the current time in Unix milliseconds (nil: the wall clock).
	NowMs func() int64
}

// partKind is what one compiled piece of a template renders.
type partKind uint8

const (
	pLit      partKind = iota // lit
	pSession                  // Env.SessionID
	pCustomer                 // Env.Customer
	pSeq                      // Env.Seq
	pUser                     // Env.UserID
	pNowMs                    // Env.NowMs()
	pData                     // Env.Rows[a][b]
	pRandInt                  // a + IntN(b-a+1)
	pRandStr                  // a alphanumeric characters
	pPick                     // one of choices
)

// part is one compiled piece of a template. When esc is set, dynamic strings are
// JSON-string escaped as they are appended (literal text is escaped at compile time).
type part struct {
	kind    partKind
	esc     bool
	lit     string
	a, b    int64
	choices []string
	// jlit and jchoices are lit and choices escaped for the inside of a JSON string (AppendJSON).
	jlit     string
	jchoices []string
}

// Template is a string field compiled once at load; Append renders it without parsing.
// A Template is immutable and safe to share. A nil *Template renders as the empty string.
type Template struct {
	src       string
	parts     []part
	lit       string
	isLiteral bool
	// feeders lists the indexes of the feeders the template reads.
	feeders []int
	// jlit is lit escaped for the inside of a JSON string; jsonOK says AppendJSON may escape
	// the template piece by piece (prepJSON).
	jlit   string
	jsonOK bool
}

// Lit returns a literal template (no placeholders).
func Lit(s string) *Template {
	t := &Template{src: s, lit: s, isLiteral: true}
	t.prepJSON()
	return t
}

// prepJSON escapes the template's constant text once, for AppendJSON. Escaping the pieces
// one by one gives the escaping of the whole only when no piece splits a UTF-8 sequence:
// so only valid UTF-8 constant text qualifies (string values are checked as they render),
// and not templates compiled as the inside of a JSON string (their pieces are escaped once
// already; AppendJSON would have to escape the escaping).
func (t *Template) prepJSON() {
	if t.isLiteral {
		t.jlit, t.jsonOK = jsonEscape(t.lit), utf8.ValidString(t.lit)
		return
	}
	t.jsonOK = true
	for i := range t.parts {
		p := &t.parts[i]
		if p.esc {
			t.jsonOK = false
		}
		switch p.kind {
		case pLit:
			p.jlit = jsonEscape(p.lit)
			t.jsonOK = t.jsonOK && utf8.ValidString(p.lit)
		case pPick:
			p.jchoices = make([]string, len(p.choices))
			for k, c := range p.choices {
				p.jchoices[k] = jsonEscape(c)
				t.jsonOK = t.jsonOK && utf8.ValidString(c)
			}
		}
	}
}

// Literal returns the template's value when it has no placeholders.
func (t *Template) Literal() (string, bool) {
	if t == nil {
		return "", true
	}
	return t.lit, t.isLiteral
}

// Source returns the template as written in the scenario (after ${ENV} expansion).
func (t *Template) Source() string {
	if t == nil {
		return ""
	}
	return t.src
}

// String renders the template with env into a new string; for tests and one-off values,
// the hot path uses Append.
func (t *Template) String(env *Env) string { return string(t.Append(nil, env)) }

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// Append renders the template onto dst. It allocates only when dst must grow.
func (t *Template) Append(dst []byte, env *Env) []byte {
	if t == nil {
		return dst
	}
	if t.isLiteral {
		return append(dst, t.lit...)
	}
	for i := range t.parts {
		p := &t.parts[i]
		switch p.kind {
		case pLit:
			dst = append(dst, p.lit...)
		case pSession:
			dst = appendStr(dst, env.SessionID, p.esc)
		case pCustomer:
			dst = strconv.AppendInt(dst, env.Customer, 10)
		case pSeq:
			dst = strconv.AppendInt(dst, int64(env.Seq), 10)
		case pUser:
			dst = appendStr(dst, env.UserID, p.esc)
		case pNowMs:
			dst = strconv.AppendInt(dst, nowMs(env), 10)
		case pData:
			if int(p.a) < len(env.Rows) {
				if row := env.Rows[p.a]; int(p.b) < len(row) {
					dst = appendStr(dst, row[p.b], p.esc)
				}
			}
		case pRandInt:
			dst = strconv.AppendInt(dst, p.a+int64(intN(env, int(p.b-p.a+1))), 10)
		case pRandStr:
			for range p.a {
				dst = append(dst, alnum[intN(env, len(alnum))])
			}
		case pPick:
			dst = append(dst, p.choices[intN(env, len(p.choices))]...)
		}
	}
	return dst
}

// AppendJSON renders the template onto dst as Append does and, in the same pass (each value
// drawn once: a rand or now_ms part is the same in both), the rendered text escaped for the
// inside of a JSON string onto jdst, as ccapi.AppendJSONEscaped would escape it: the
// constant text was escaped at load, so only the values that change are escaped here.
// ok is false when jdst cannot be trusted (a string value or the template's constant text
// is not valid UTF-8, or the template renders as the inside of a JSON string already):
// the caller then escapes dst's text itself. dst is complete either way.
func (t *Template) AppendJSON(dst, jdst []byte, env *Env) (_, _ []byte, ok bool) {
	if t == nil {
		return dst, jdst, true
	}
	if t.isLiteral {
		return append(dst, t.lit...), append(jdst, t.jlit...), t.jsonOK
	}
	ok = t.jsonOK
	for i := range t.parts {
		p := &t.parts[i]
		a := len(dst)
		switch p.kind {
		case pLit:
			dst = append(dst, p.lit...)
			jdst = append(jdst, p.jlit...)
			continue
		case pSession, pUser, pData:
			var v string
			switch p.kind {
			case pSession:
				v = env.SessionID
			case pUser:
				v = env.UserID
			default:
				if int(p.a) < len(env.Rows) {
					if row := env.Rows[p.a]; int(p.b) < len(row) {
						v = row[p.b]
					}
				}
			}
			dst = appendStr(dst, v, p.esc)
			if ok {
				ok = utf8.ValidString(v)
				jdst = ccapi.AppendJSONEscaped(jdst, v)
			}
			continue
		case pPick:
			k := intN(env, len(p.choices))
			dst = append(dst, p.choices[k]...)
			if p.jchoices != nil {
				jdst = append(jdst, p.jchoices[k]...)
			}
			continue
		case pCustomer:
			dst = strconv.AppendInt(dst, env.Customer, 10)
		case pSeq:
			dst = strconv.AppendInt(dst, int64(env.Seq), 10)
		case pNowMs:
			dst = strconv.AppendInt(dst, nowMs(env), 10)
		case pRandInt:
			dst = strconv.AppendInt(dst, p.a+int64(intN(env, int(p.b-p.a+1))), 10)
		case pRandStr:
			for range p.a {
				dst = append(dst, alnum[intN(env, len(alnum))])
			}
		}
		jdst = append(jdst, dst[a:]...) // digits and letters: nothing to escape
	}
	return dst, jdst, ok
}

// intN draws from the customer's seeded source, or the global one when the env has none.
func intN(env *Env, n int) int {
	if n <= 1 {
		return 0
	}
	if env.Rand != nil {
		return env.Rand.IntN(n)
	}
	return rand.IntN(n)
}

// appendStr appends s, JSON-string escaped when esc is set.
func appendStr(dst []byte, s string, esc bool) []byte {
	if !esc {
		return append(dst, s...)
	}
	return ccapi.AppendJSONEscaped(dst, s)
}

// jsonEscape returns s escaped for the inside of a JSON string.
func jsonEscape(s string) string { return string(ccapi.AppendJSONEscaped(nil, s)) }

// tmplScope is what a template may refer to while it compiles.
type tmplScope struct {
	feeders []*Feeder
	// noUser forbids {{user}} (in user_id itself, which defines it).
	noUser bool
}

// templateVars are the variables a template may name, for "did you mean" hints.
var templateVars = []string{"session", "customer", "seq", "user", "now_ms", "data", "rand_int", "rand_str", "pick"}

// CompileTemplate compiles src once; feeders are the scenario's data feeders that
// `{{data.<feeder>.<column>}}` may name. Syntax: README.md, "The scenario language", "templates".
func CompileTemplate(src string, feeders []*Feeder) (*Template, error) {
	return compileTemplate(src, &tmplScope{feeders: feeders}, false)
}

// compileTemplate parses src; with esc, the template renders as the inside of a JSON string.
func compileTemplate(src string, sc *tmplScope, esc bool) (*Template, error) {
	t := &Template{src: src}
	rest := src
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			s := lit.String()
			if esc {
				s = jsonEscape(s)
			}
			t.parts = append(t.parts, part{kind: pLit, lit: s})
			lit.Reset()
		}
	}
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			lit.WriteString(rest)
			break
		}
		lit.WriteString(rest[:i])
		rest = rest[i+2:]
		j := strings.Index(rest, "}}")
		if j < 0 {
			return nil, fmt.Errorf("unclosed {{ in %q; close it with }} (write {{\"{{\"}} for a literal {{)", clip(src))
		}
		expr := strings.TrimSpace(rest[:j])
		rest = rest[j+2:]
		p, err := compileExpr(expr, sc, t)
		if err != nil {
			return nil, err
		}
		if p.kind == pLit {
			lit.WriteString(p.lit)
			continue
		}
		flush()
		p.esc = esc
		if esc && p.kind == pPick {
			for k, c := range p.choices {
				p.choices[k] = jsonEscape(c)
			}
		}
		t.parts = append(t.parts, p)
	}
	flush()
	if len(t.parts) == 0 {
		t.isLiteral = true
	} else if len(t.parts) == 1 && t.parts[0].kind == pLit {
		t.isLiteral, t.lit = true, t.parts[0].lit
	}
	if t.isLiteral {
		t.parts = nil
	}
	t.prepJSON()
	return t, nil
}

// clip shortens long values quoted in error messages.
func clip(s string) string {
	if len(s) <= 60 {
		return s
	}
	cut := 57
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// compileExpr compiles the inside of one {{ }}.
func compileExpr(expr string, sc *tmplScope, t *Template) (part, error) {
	args, err := splitArgs(expr)
	if err != nil {
		return part{}, fmt.Errorf("%v in {{%s}}", err, expr)
	}
	if len(args) == 0 {
		return part{}, fmt.Errorf("empty {{}}; write a variable such as {{session}}")
	}
	name, quoted := args[0].s, args[0].quoted
	if quoted {
		if len(args) != 1 {
			return part{}, fmt.Errorf("a quoted string takes no arguments in {{%s}}", expr)
		}
		return part{kind: pLit, lit: name}, nil
	}
	noArgs := func(k partKind) (part, error) {
		if len(args) != 1 {
			return part{}, fmt.Errorf("%s takes no arguments in {{%s}}", name, expr)
		}
		return part{kind: k}, nil
	}
	switch name {
	case "session":
		return noArgs(pSession)
	case "customer":
		return noArgs(pCustomer)
	case "seq":
		return noArgs(pSeq)
	case "now_ms":
		return noArgs(pNowMs)
	case "user":
		if sc.noUser {
			return part{}, fmt.Errorf("{{user}} cannot be used in user_id, which defines it")
		}
		return noArgs(pUser)
	case "rand_int":
		if len(args) != 3 {
			return part{}, fmt.Errorf("rand_int takes 2 arguments (MIN MAX), got %d in {{%s}}", len(args)-1, expr)
		}
		lo, err1 := strconv.ParseInt(args[1].s, 10, 64)
		hi, err2 := strconv.ParseInt(args[2].s, 10, 64)
		if err1 != nil || err2 != nil {
			return part{}, fmt.Errorf("rand_int needs two integers in {{%s}}", expr)
		}
		if lo > hi || hi-lo >= 1<<62 {
			return part{}, fmt.Errorf("rand_int MIN must be <= MAX in {{%s}}", expr)
		}
		return part{kind: pRandInt, a: lo, b: hi}, nil
	case "rand_str":
		if len(args) != 2 {
			return part{}, fmt.Errorf("rand_str takes 1 argument (LENGTH), got %d in {{%s}}", len(args)-1, expr)
		}
		n, err := strconv.ParseInt(args[1].s, 10, 64)
		if err != nil || n < 1 || n > 1024 {
			return part{}, fmt.Errorf("rand_str LENGTH must be an integer from 1 to 1024 in {{%s}}", expr)
		}
		return part{kind: pRandStr, a: n}, nil
	case "pick":
		if len(args) < 2 {
			return part{}, fmt.Errorf("pick needs at least one choice in {{%s}}", expr)
		}
		p := part{kind: pPick}
		for _, a := range args[1:] {
			p.choices = append(p.choices, a.s)
		}
		return p, nil
	}
	if strings.HasPrefix(name, "data.") || name == "data" {
		if len(args) != 1 {
			return part{}, fmt.Errorf("%s takes no arguments in {{%s}}", name, expr)
		}
		fields := strings.Split(name, ".")
		if len(fields) != 3 {
			return part{}, fmt.Errorf("write data.<feeder>.<column>, not {{%s}}", expr)
		}
		fi := -1
		var names []string
		for i, f := range sc.feeders {
			names = append(names, f.Name)
			if f.Name == fields[1] {
				fi = i
			}
		}
		if fi < 0 {
			if len(names) == 0 {
				return part{}, fmt.Errorf("unknown feeder %q in {{%s}}: the scenario has no `data` section", fields[1], expr)
			}
			return part{}, fmt.Errorf("unknown feeder %q in {{%s}}%s; feeders: %s", fields[1], expr, suggest(fields[1], names), strings.Join(names, ", "))
		}
		f := sc.feeders[fi]
		ci := -1
		for i, c := range f.Columns {
			if c == fields[2] {
				ci = i
			}
		}
		if ci < 0 {
			return part{}, fmt.Errorf("feeder %q has no column %q in {{%s}}%s; columns: %s", f.Name, fields[2], expr, suggest(fields[2], f.Columns), strings.Join(f.Columns, ", "))
		}
		addFeeder(&t.feeders, fi)
		return part{kind: pData, a: int64(fi), b: int64(ci)}, nil
	}
	return part{}, fmt.Errorf("unknown variable or function %q in {{%s}}%s; known: session, customer, seq, user, now_ms, data.<feeder>.<column>, rand_int, rand_str, pick", name, expr, suggest(name, templateVars))
}

func addFeeder(list *[]int, i int) {
	for _, x := range *list {
		if x == i {
			return
		}
	}
	*list = append(*list, i)
}

type tmplArg struct {
	s      string
	quoted bool
}

// splitArgs splits a placeholder into words; "double quoted" words may hold spaces and \" \\ escapes.
func splitArgs(s string) ([]tmplArg, error) {
	var out []tmplArg
	i := 0
	for i < len(s) {
		c := s[i]
		if c == ' ' || c == '\t' {
			i++
			continue
		}
		if c == '"' {
			var b strings.Builder
			i++
			closed := false
			for i < len(s) {
				c = s[i]
				if c == '\\' && i+1 < len(s) {
					b.WriteByte(s[i+1])
					i += 2
					continue
				}
				if c == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(c)
				i++
			}
			if !closed {
				return nil, fmt.Errorf("unterminated quoted string")
			}
			out = append(out, tmplArg{b.String(), true})
			continue
		}
		j := i
		for j < len(s) && s[j] != ' ' && s[j] != '\t' {
			j++
		}
		out = append(out, tmplArg{s[i:j], false})
		i = j
	}
	return out, nil
}

// nowMs is the template's now_ms: the environment's clock, else the wall clock.
func nowMs(env *Env) int64 {
	if env.NowMs != nil {
		return env.NowMs()
	}
	return time.Now().UnixMilli()
}
