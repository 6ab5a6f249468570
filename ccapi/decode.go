package ccapi

import (
	"encoding/json"
	"errors"
)

// Response decoding. Every answer of this API is a small JSON object of which the client
// needs one or two members (resultCode, returnCode, downlinkMessages). The fast path
// validates the body and walks its top-level members with the allocation-free scanner
// of jsonscan.go, and returns the common codes as interned constants; anything unusual
// (escaped keys or values, non-ASCII) takes encoding/json. FuzzParseResponse checks the
// two agree.

// errUnparseable is the Call.Err of a 2xx answer whose body does not decode.
var errUnparseable = errors.New("response body is not the expected JSON object")

// errNoResultCode is the Call.Err of a 2xx JSON answer that lacks its resultCode (returnCode).
var errNoResultCode = errors.New("response body has no resultCode")

// internedCodes maps the result codes the platform commonly answers to constant strings,
// so recording them allocates nothing.
var internedCodes = func() map[string]string {
	m := map[string]string{}
	for _, c := range []string{
		"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15",
		"160001", "160004", "160021", "160022", "-1",
	} {
		m[c] = c
	}
	return m
}()

// internCode returns b as a string, without allocating when it is a common code.
func internCode(b []byte) string {
	if s, ok := internedCodes[string(b)]; ok {
		return s
	}
	return string(b)
}

// ParseResultCode returns the string (or number) member key of the JSON object body,
// such as "resultCode" or "returnCode". found is false when the member is absent or null;
// ok is false when body is not a JSON object or the member is neither a string nor a number.
// The common codes ("0", "1", ..., "160004") are returned without allocating.
func ParseResultCode(body []byte, key string) (code string, found, ok bool) {
	val, _, plain, ok := objMembers(body, key, "")
	if !ok {
		return "", false, false
	}
	if !plain {
		return parseResultCodeSlow(body, key)
	}
	return codeValue(val)
}

// codeValue decodes a resultCode member's raw value.
func codeValue(val []byte) (code string, found, ok bool) {
	switch {
	case val == nil || string(val) == "null":
		return "", false, true
	case val[0] == '"':
		if _, plain, _ := skipString(val, 0); plain {
			return internCode(val[1 : len(val)-1]), true, true
		}
		var s string
		if err := json.Unmarshal(val, &s); err != nil {
			return "", false, false
		}
		return s, true, true
	case val[0] == '-' || isDigit(val[0]):
		return internCode(val), true, true
	}
	return "", false, false
}

// parseResultCodeSlow is ParseResultCode for objects with escaped or non-ASCII keys.
func parseResultCodeSlow(body []byte, key string) (code string, found, ok bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return "", false, false
	}
	return codeValue(m[key])
}

// pollFields returns the resultCode and the raw downlinkMessages member of a poll answer.
// msgs is nil when the list is absent, null or empty, so an idle poll decodes nothing more.
func pollFields(body []byte) (code string, msgs []byte, found, ok bool) {
	val, msgs, plain, ok := objMembers(body, "resultCode", "downlinkMessages")
	if !ok {
		return "", nil, false, false
	}
	if !plain {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return "", nil, false, false
		}
		val, msgs = m["resultCode"], m["downlinkMessages"]
	}
	if len(msgs) > 0 && (msgs[0] == 'n' || (msgs[0] == '[' && skipWS(msgs, 1) == len(msgs)-1)) {
		msgs = nil // null or []
	}
	code, found, ok = codeValue(val)
	return code, msgs, found, ok
}

// ParsePoll decodes a poll answer's body: its resultCode, and its downlink messages
// appended to dst. An answer with an empty list costs no decoding beyond the scan.
func ParsePoll(body []byte, dst []DownlinkMessage) (code string, msgs []DownlinkMessage, err error) {
	code, raw, found, ok := pollFields(body)
	if !ok {
		return "", dst, errUnparseable
	}
	if !found {
		return "", dst, errNoResultCode
	}
	if raw == nil {
		return code, dst, nil
	}
	var list []DownlinkMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return code, dst, errUnparseable
	}
	return code, append(dst, list...), nil
}
