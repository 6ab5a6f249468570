package webhook

import (
	"encoding/json"
	"unicode/utf8"

	"ccload/ccapi"
)

// Callback decoding. A callback is {"messages":[{...}],"timestamp":<ms>} whose messages carry
// the reference's downlink fields as plain strings. decodeFast reads exactly that shape
// without reflection, and with one allocation for all the strings (the body is converted to a
// string once; every field is a substring of it). Anything else it does not judge: an escape,
// an unknown or differently cased key, a null, a number that is not a plain integer, invalid
// UTF-8 or a syntax error make it give up, and decode takes encoding/json, which alone says
// what is malformed. FuzzDecode checks that the two agree wherever decodeFast answers.

// decode fills b from the callback body data; ok is false when data is not a callback
// (encoding/json's verdict, or messages absent or null).
func decode(data []byte, b *body) bool {
	if decodeFast(data, b) {
		return true
	}
	*b = body{} // not b.Messages[:0]: encoding/json would decode into the old elements without zeroing them
	if err := json.Unmarshal(data, b); err != nil || b.Messages == nil {
		return false
	}
	return true
}

// decodeFast decodes the common shape into b (reusing b.Messages' capacity); false means
// "not judged", never "malformed".
func decodeFast(data []byte, b *body) bool {
	if !utf8.Valid(data) {
		return false // encoding/json replaces invalid bytes with U+FFFD: leave it to it
	}
	d := fastDec{s: string(data)}
	b.Messages, b.Timestamp = b.Messages[:0], 0
	if !d.byte('{') {
		return false
	}
	sawMessages := false
	for first := true; ; first = false {
		key, end, ok := d.field(first)
		if !ok {
			return false
		}
		if end {
			break
		}
		switch key {
		case "messages":
			b.Messages = b.Messages[:0] // a repeated key: the last list wins, as with encoding/json
			if !d.messages(b) {
				return false
			}
			sawMessages = true
		case "timestamp":
			if b.Timestamp, ok = d.int(); !ok {
				return false
			}
		default:
			return false
		}
	}
	d.ws()
	return sawMessages && d.i == len(d.s)
}

// fastDec is decodeFast's cursor over the body.
type fastDec struct {
	s string
	i int
}

func (d *fastDec) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// byte skips white space and then c, if it is next.
func (d *fastDec) byte(c byte) bool {
	d.ws()
	if d.i < len(d.s) && d.s[d.i] == c {
		d.i++
		return true
	}
	return false
}

// field reads, inside an object whose '{' was read, up to the next member's value: its key
// and ':' (after a ',' unless first), or the closing '}' (end). It reads the key itself, not
// through str: one call a member, as when each object loop had its own copy of these lines.
func (d *fastDec) field(first bool) (key string, end, ok bool) {
	if d.byte('}') {
		return "", true, true
	}
	if !first && !d.byte(',') || !d.byte('"') {
		return "", false, false
	}
	j := closeQuote(d.s, d.i)
	if j < 0 {
		return "", false, false
	}
	key, d.i = d.s[d.i:j], j+1
	return key, false, d.byte(':')
}

// str reads a string without escapes or control characters.
func (d *fastDec) str() (string, bool) {
	if !d.byte('"') {
		return "", false
	}
	j := closeQuote(d.s, d.i)
	if j < 0 {
		return "", false
	}
	v := d.s[d.i:j]
	d.i = j + 1
	return v, true
}

// closeQuote returns the index of the '"' that ends the string whose text begins at s[i], or -1
// at an escape, a control character or the end of s first.
func closeQuote(s string, i int) int {
	for ; i < len(s); i++ {
		if c := s[i]; c == '"' {
			return i
		} else if c == '\\' || c < 0x20 {
			return -1
		}
	}
	return -1
}

// int reads a JSON integer that fits an int64 with room to spare (at most 18 digits).
func (d *fastDec) int() (int64, bool) {
	d.ws()
	neg := d.i < len(d.s) && d.s[d.i] == '-'
	if neg {
		d.i++
	}
	start := d.i
	var v int64
	for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
		v = v*10 + int64(d.s[d.i]-'0')
		d.i++
	}
	n := d.i - start
	if n == 0 || n > 18 || (n > 1 && d.s[start] == '0') {
		return 0, false
	}
	if d.i < len(d.s) && (d.s[d.i] == '.' || d.s[d.i] == 'e' || d.s[d.i] == 'E') {
		return 0, false
	}
	if neg {
		v = -v
	}
	return v, true
}

// bool reads true or false.
func (d *fastDec) bool() (bool, bool) {
	d.ws()
	switch {
	case len(d.s)-d.i >= 4 && d.s[d.i:d.i+4] == "true":
		d.i += 4
		return true, true
	case len(d.s)-d.i >= 5 && d.s[d.i:d.i+5] == "false":
		d.i += 5
		return false, true
	}
	return false, false
}

// messages reads the messages array, appending to b.Messages.
func (d *fastDec) messages(b *body) bool {
	if !d.byte('[') {
		return false
	}
	if d.byte(']') {
		if b.Messages == nil {
			b.Messages = []ccapi.DownlinkMessage{} // [] is a callback with no message, not an absent list
		}
		return true
	}
	for {
		b.Messages = append(b.Messages, ccapi.DownlinkMessage{})
		if !d.message(&b.Messages[len(b.Messages)-1]) {
			return false
		}
		if d.byte(']') {
			return true
		}
		if !d.byte(',') {
			return false
		}
	}
}

// message reads one downlink message object.
func (d *fastDec) message(m *ccapi.DownlinkMessage) bool {
	if !d.byte('{') {
		return false
	}
	for first := true; ; first = false {
		key, end, ok := d.field(first)
		if !ok {
			return false
		}
		if end {
			return true
		}
		var sp *string
		switch key {
		case "channel":
			sp = &m.Channel
		case "from":
			sp = &m.From
		case "to":
			sp = &m.To
		case "content":
			sp = &m.Content
		case "senderNickname":
			sp = &m.SenderNickname
		case "messageCode":
			sp = &m.MessageCode
		case "senderAvatar":
			sp = &m.SenderAvatar
		case "callId":
			sp = &m.CallID
		case "controlType": // string kinds: the same read, through their underlying string
			sp = (*string)(&m.ControlType)
		case "mediaType":
			sp = (*string)(&m.MediaType)
		case "sourceType":
			sp = (*string)(&m.SourceType)
		case "timestamp":
			if m.Timestamp, ok = d.int(); !ok {
				return false
			}
			continue
		case "isOfflineStatus":
			if m.IsOfflineStatus, ok = d.bool(); !ok {
				return false
			}
			continue
		default:
			return false
		}
		if *sp, ok = d.str(); !ok {
			return false
		}
	}
}
