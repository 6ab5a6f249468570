package traffic

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A small scanner for one JSON object per line: it walks the top-level members and
// hands back the raw values of the few keys the reader needs, skipping the rest.
// encoding/json into a map would allocate for every member of every line; a log
// of tens of gigabytes cannot afford that.

var errSyntax = errors.New("not a JSON object")

func skipWS(s []byte, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
		i++
	}
	return i
}

// skipString returns the index past the string starting at s[i] (a '"'), and
// whether it holds escapes.
func skipString(s []byte, i int) (int, bool, error) {
	esc := false
	for i++; i < len(s); i++ {
		switch s[i] {
		case '\\':
			esc = true
			i++
		case '"':
			return i + 1, esc, nil
		}
	}
	return i, esc, errors.New("unterminated string")
}

// skipValue returns the index past the value starting at s[i].
func skipValue(s []byte, i, depth int) (int, error) {
	if depth > 64 {
		return i, errors.New("nested too deep")
	}
	i = skipWS(s, i)
	if i >= len(s) {
		return i, errors.New("missing value")
	}
	switch c := s[i]; {
	case c == '"':
		j, _, err := skipString(s, i)
		return j, err
	case c == '{' || c == '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		i = skipWS(s, i+1)
		if i < len(s) && s[i] == end {
			return i + 1, nil
		}
		for {
			var err error
			if c == '{' {
				i = skipWS(s, i)
				if i >= len(s) || s[i] != '"' {
					return i, errors.New("want a key")
				}
				if i, _, err = skipString(s, i); err != nil {
					return i, err
				}
				i = skipWS(s, i)
				if i >= len(s) || s[i] != ':' {
					return i, errors.New("want ':'")
				}
				i++
			}
			if i, err = skipValue(s, i, depth+1); err != nil {
				return i, err
			}
			i = skipWS(s, i)
			if i >= len(s) {
				return i, errors.New("unterminated object or array")
			}
			if s[i] == end {
				return i + 1, nil
			}
			if s[i] != ',' {
				return i, errors.New("want ',' between members")
			}
			i++
		}
	default:
		j := i
		for j < len(s) && (s[j] == '-' || s[j] == '+' || s[j] == '.' || (s[j] >= '0' && s[j] <= '9') || (s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z')) {
			j++
		}
		lit := string(s[i:j])
		switch lit {
		case "true", "false", "null":
			return j, nil
		}
		if _, err := strconv.ParseFloat(lit, 64); err != nil || j == i {
			return j, errors.New("bad literal")
		}
		return j, nil
	}
}

// fields scans one line: for every top-level key in want, raw[k] is its raw value (nil when absent).
func fields(line []byte, want []string, raw [][]byte) error {
	for k := range raw {
		raw[k] = nil
	}
	i := skipWS(line, 0)
	if i >= len(line) || line[i] != '{' {
		return errSyntax
	}
	i = skipWS(line, i+1)
	if i < len(line) && line[i] == '}' {
		return trailing(line, i+1)
	}
	for {
		i = skipWS(line, i)
		if i >= len(line) || line[i] != '"' {
			return errors.New("want a key")
		}
		ks := i + 1
		ke, esc, err := skipString(line, i)
		if err != nil {
			return err
		}
		key := line[ks : ke-1]
		i = skipWS(line, ke)
		if i >= len(line) || line[i] != ':' {
			return errors.New("want ':' after a key")
		}
		vs := skipWS(line, i+1)
		ve, err := skipValue(line, vs, 0)
		if err != nil {
			return err
		}
		if !esc {
			for k, w := range want {
				if raw[k] == nil && string(key) == w {
					raw[k] = line[vs:ve]
				}
			}
		}
		i = skipWS(line, ve)
		if i >= len(line) {
			return errors.New("unterminated object")
		}
		if line[i] == '}' {
			return trailing(line, i+1)
		}
		if line[i] != ',' {
			return errors.New("want ',' between members")
		}
		i++
	}
}

func trailing(line []byte, i int) error {
	if skipWS(line, i) != len(line) {
		return errors.New("text after the object")
	}
	return nil
}

// str decodes a raw JSON string value; ok is false when raw is not a string.
func str(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	plain := true
	for _, c := range body {
		if c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		return string(body), utf8.Valid(body)
	}
	// JSON escapes are Go's, but for \/ (a solidus Go does not escape).
	s, err := strconv.Unquote(strings.ReplaceAll(string(raw), `\/`, "/"))
	if err != nil {
		return "", false
	}
	return s, true
}
