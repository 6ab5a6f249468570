package ccapi

// A tiny allocation-free JSON scanner. Validate and the response parser use it
// on their hot paths instead of encoding/json, which allocates for every call.
// It accepts exactly what json.Valid accepts (FuzzJSONValid checks that), and
// walks the top-level members of an object so callers can pick the one or two
// fields they need.

// maxJSONDepth bounds nesting so hostile input cannot exhaust the stack.
// encoding/json allows 10000; bodies of this API nest two or three levels.
const maxJSONDepth = 1000

// jsonText is the input of the scanner: string or []byte without copying.
type jsonText interface{ ~string | ~[]byte }

// validJSON reports whether s is one complete JSON value, surrounded by optional whitespace.
func validJSON[T jsonText](s T) bool {
	i := skipWS(s, 0)
	i, ok := skipValue(s, i, 0)
	if !ok {
		return false
	}
	return skipWS(s, i) == len(s)
}

func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipWS[T jsonText](s T, i int) int {
	for i < len(s) && isWS(s[i]) {
		i++
	}
	return i
}

// skipValue validates the value starting at s[i] and returns the index just past it.
func skipValue[T jsonText](s T, i, depth int) (int, bool) {
	if i >= len(s) {
		return i, false
	}
	switch c := s[i]; {
	case c == '"':
		end, _, ok := skipString(s, i)
		return end, ok
	case c == '{':
		return skipObject(s, i, depth+1)
	case c == '[':
		return skipArray(s, i, depth+1)
	case c == 't':
		return skipLit(s, i, "true")
	case c == 'f':
		return skipLit(s, i, "false")
	case c == 'n':
		return skipLit(s, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return skipNumber(s, i)
	}
	return i, false
}

func skipLit[T jsonText](s T, i int, lit string) (int, bool) {
	if len(s)-i < len(lit) {
		return i, false
	}
	for k := 0; k < len(lit); k++ {
		if s[i+k] != lit[k] {
			return i, false
		}
	}
	return i + len(lit), true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// skipNumber follows the JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func skipNumber[T jsonText](s T, i int) (int, bool) {
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return i, false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || !isDigit(s[i]) {
			return i, false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || !isDigit(s[i]) {
			return i, false
		}
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	return i, true
}

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// skipString validates the string starting at the quote s[i]. It returns the index past the
// closing quote and whether the string is "plain": no escapes and only ASCII, so its
// raw bytes are exactly its decoded value.
func skipString[T jsonText](s T, i int) (end int, plain, ok bool) {
	i++ // opening quote
	plain = true
	for i < len(s) {
		c := s[i]
		if plainByte[c] { // the common case: one table look-up a byte
			i++
			continue
		}
		switch {
		case c == '"':
			return i + 1, plain, true
		case c == '\\':
			plain = false
			if i+1 >= len(s) {
				return i, false, false
			}
			switch s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(s) || !isHex(s[i+2]) || !isHex(s[i+3]) || !isHex(s[i+4]) || !isHex(s[i+5]) {
					return i, false, false
				}
				i += 6
			default:
				return i, false, false
			}
		case c < 0x20:
			return i, false, false
		default: // c >= 0x80
			plain = false
			i++
		}
	}
	return i, false, false
}

// plainByte[c] is true for the bytes a JSON string holds as they are and that keep it plain
// (skipString): printable ASCII other than '"' and '\\'.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func skipObject[T jsonText](s T, i, depth int) (int, bool) {
	if depth > maxJSONDepth {
		return i, false
	}
	i = skipWS(s, i+1)
	if i < len(s) && s[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(s) || s[i] != '"' {
			return i, false
		}
		var ok bool
		if i, _, ok = skipString(s, i); !ok {
			return i, false
		}
		i = skipWS(s, i)
		if i >= len(s) || s[i] != ':' {
			return i, false
		}
		if i, ok = skipValue(s, skipWS(s, i+1), depth); !ok {
			return i, false
		}
		i = skipWS(s, i)
		if i >= len(s) {
			return i, false
		}
		switch s[i] {
		case ',':
			i = skipWS(s, i+1)
		case '}':
			return i + 1, true
		default:
			return i, false
		}
	}
}

func skipArray[T jsonText](s T, i, depth int) (int, bool) {
	if depth > maxJSONDepth {
		return i, false
	}
	i = skipWS(s, i+1)
	if i < len(s) && s[i] == ']' {
		return i + 1, true
	}
	for {
		var ok bool
		if i, ok = skipValue(s, i, depth); !ok {
			return i, false
		}
		i = skipWS(s, i)
		if i >= len(s) {
			return i, false
		}
		switch s[i] {
		case ',':
			i = skipWS(s, i+1)
		case ']':
			return i + 1, true
		default:
			return i, false
		}
	}
}

// objIter walks the top-level members of a JSON object that validJSON already accepted.
// Keys and values are raw spans of the input (strings keep their quotes).
type objIter[T jsonText] struct {
	s T
	i int
}

// newObjIter returns an iterator over s, and false when s is not (whitespace and) an object.
func newObjIter[T jsonText](s T) (objIter[T], bool) {
	i := skipWS(s, 0)
	if i >= len(s) || s[i] != '{' {
		return objIter[T]{}, false
	}
	return objIter[T]{s: s, i: i + 1}, true
}

// next returns the next member; keyPlain says the key has no escapes or non-ASCII bytes.
func (it *objIter[T]) next() (key, val T, keyPlain, ok bool) {
	s := it.s
	i := skipWS(s, it.i)
	if i < len(s) && s[i] == ',' {
		i = skipWS(s, i+1)
	}
	if i >= len(s) || s[i] != '"' {
		return key, val, false, false
	}
	kend, plain, _ := skipString(s, i)
	key = s[i+1 : kend-1]
	i = skipWS(s, kend)
	i = skipWS(s, i+1) // ':'
	vend, _ := skipValue(s, i, 1)
	val = s[i:vend]
	it.i = vend
	return key, val, plain, true
}

// objMembers validates s as one JSON object, surrounded by optional whitespace (exactly
// what validJSON accepts for an object), and returns the raw values of its top-level
// members k1 and k2 (the last of each, as encoding/json keeps; nil when absent; k2 ""
// for none) in the same pass: the answer is scanned once, not validated and then walked.
// ok is false when s is not a JSON object. plain is false when a key has escapes or
// non-ASCII bytes: a key may then spell k1 or k2 differently, so the caller decodes s
// with encoding/json (which also settles its validity) and v1, v2 mean nothing.
func objMembers(s []byte, k1, k2 string) (v1, v2 []byte, plain, ok bool) {
	i := skipWS(s, 0)
	if i >= len(s) || s[i] != '{' {
		return nil, nil, true, false
	}
	i = skipWS(s, i+1)
	if i < len(s) && s[i] == '}' {
		return nil, nil, true, skipWS(s, i+1) == len(s)
	}
	for {
		if i >= len(s) || s[i] != '"' {
			return nil, nil, true, false
		}
		kend, kplain, kok := skipString(s, i)
		if !kok {
			return nil, nil, true, false
		}
		if !kplain {
			return nil, nil, false, true
		}
		key := s[i+1 : kend-1]
		i = skipWS(s, kend)
		if i >= len(s) || s[i] != ':' {
			return nil, nil, true, false
		}
		vstart := skipWS(s, i+1)
		vend, vok := skipValue(s, vstart, 1)
		if !vok {
			return nil, nil, true, false
		}
		switch string(key) {
		case k1:
			v1 = s[vstart:vend]
		case k2:
			if k2 != "" {
				v2 = s[vstart:vend]
			}
		}
		i = skipWS(s, vend)
		if i >= len(s) {
			return nil, nil, true, false
		}
		switch s[i] {
		case ',':
			i = skipWS(s, i+1)
		case '}':
			return v1, v2, true, skipWS(s, i+1) == len(s)
		default:
			return nil, nil, true, false
		}
	}
}
