package mock

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
	"unsafe"

	"ccload/ccapi"
)

// decodeSendMsgReq decodes a sendMsgReq body into r. The common body (a flat
// object of plain strings and nulls, as every client sends) is scanned by hand
// without allocating: r's strings then point into body and are valid only
// while body is; whoever keeps one copies it (the session does). Anything
// else (escapes, numbers, nesting, odd keys) goes to encoding/json, so the
// result is always what encoding/json would give.
func decodeSendMsgReq(body []byte, r *ccapi.SendMsgReq) error {
	*r = ccapi.SendMsgReq{}
	if fastDecode(body, r) {
		return nil
	}
	*r = ccapi.SendMsgReq{}
	return json.Unmarshal(body, r)
}

// fastDecode handles the flat-object case; false means "use encoding/json".
func fastDecode(b []byte, r *ccapi.SendMsgReq) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipSpace(b, i+1) == len(b)
	}
	for {
		key, j, ok := plainString(b, i)
		if !ok {
			return false
		}
		i = skipSpace(b, j)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		var val string
		switch {
		case i < len(b) && b[i] == '"':
			val, j, ok = plainString(b, i)
			if !ok {
				return false
			}
			i = j
		case strings.HasPrefix(unsafe.String(unsafe.SliceData(b[i:]), len(b)-i), "null"):
			i += 4 // null leaves the field as it is, as encoding/json does
			if !setNull(r, key) {
				return false
			}
			goto next
		default:
			return false
		}
		if !set(r, key, val) {
			return false
		}
	next:
		i = skipSpace(b, i)
		if i >= len(b) {
			return false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return skipSpace(b, i+1) == len(b)
		default:
			return false
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plainString reads the JSON string at b[i] when it has no escapes, no control
// characters and valid UTF-8, returning a view into b.
func plainString(b []byte, i int) (s string, end int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return "", 0, false
	}
	start := i + 1
	ascii := true
	for j := start; j < len(b); j++ {
		c := b[j]
		switch {
		case c == '"':
			v := b[start:j]
			if !ascii && !utf8.Valid(v) {
				return "", 0, false
			}
			if len(v) == 0 {
				return "", j + 1, true
			}
			return unsafe.String(&v[0], len(v)), j + 1, true
		case c == '\\' || c < 0x20:
			return "", 0, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return "", 0, false
}

// field returns the address of r's field named exactly key, or nil; ok is
// false for keys encoding/json would match case-insensitively, which the fast path leaves to it.
func field(r *ccapi.SendMsgReq, key string) (p *string, ok bool) {
	switch key {
	case "channel":
		return &r.Channel, true
	case "content":
		return &r.Content, true
	case "controlType":
		return (*string)(&r.ControlType), true
	case "from":
		return &r.From, true
	case "mediaType":
		return (*string)(&r.MediaType), true
	case "senderNickname":
		return &r.SenderNickname, true
	case "sourceType":
		return (*string)(&r.SourceType), true
	case "timestamp":
		return &r.Timestamp, true
	case "to":
		return &r.To, true
	case "userAgent":
		return &r.UserAgent, true
	case "senderAvatar":
		return &r.SenderAvatar, true
	case "messageId":
		return &r.MessageID, true
	case "transData":
		return &r.TransData, true
	}
	for _, k := range sendFields {
		if strings.EqualFold(k, key) {
			return nil, false
		}
	}
	return nil, true // unknown: ignored
}

var sendFields = [...]string{"channel", "content", "controlType", "from", "mediaType", "senderNickname",
	"sourceType", "timestamp", "to", "userAgent", "senderAvatar", "messageId", "transData"}

func set(r *ccapi.SendMsgReq, key, val string) bool {
	p, ok := field(r, key)
	if p != nil {
		*p = val
	}
	return ok
}

func setNull(r *ccapi.SendMsgReq, key string) bool {
	_, ok := field(r, key)
	return ok
}
