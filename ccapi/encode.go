package ccapi

import (
	"unicode/utf8"
)

// Hand-written JSON encoders for the request bodies. They append to a caller's buffer
// so a customer builds every body into the same reused slice; encoding/json would
// allocate for each. Their output decodes, with encoding/json, to the same value as
// json.Marshal's output does (TestAppendSendMsgReqRoundTrip, FuzzAppendSendMsgReq).

// AppendSendMsgReq appends r as the JSON body of sendAsync and send. Required fields are
// always written; userAgent and senderAvatar are written as null when empty, as the
// document's examples (and the platform's own web client) send them; the other optional
// fields are left out when empty.
func AppendSendMsgReq(dst []byte, r *SendMsgReq) []byte {
	dst = append(dst, `{"channel":`...)
	dst = AppendJSONString(dst, r.Channel)
	dst = append(dst, `,"content":`...)
	if r.ContentJSON != "" {
		dst = append(dst, '"')
		dst = append(dst, r.ContentJSON...)
		dst = append(dst, '"')
	} else {
		dst = AppendJSONString(dst, r.Content)
	}
	dst = append(dst, `,"controlType":`...)
	switch r.ControlType { // the common types without a scan
	case Chat:
		dst = append(dst, `"CHAT"`...)
	case Connect:
		dst = append(dst, `"CONNECT"`...)
	case Disconnect:
		dst = append(dst, `"DISCONNECT"`...)
	default:
		dst = AppendJSONString(dst, string(r.ControlType))
	}
	dst = append(dst, `,"from":`...)
	dst = AppendJSONString(dst, r.From)
	dst = append(dst, `,"mediaType":`...)
	if r.MediaType == Text {
		dst = append(dst, `"TEXT"`...)
	} else {
		dst = AppendJSONString(dst, string(r.MediaType))
	}
	dst = appendOptional(dst, `,"senderNickname":`, r.SenderNickname)
	dst = append(dst, `,"sourceType":`...)
	if r.SourceType == SourceCustomer {
		dst = append(dst, `"CUSTOMER"`...)
	} else {
		dst = AppendJSONString(dst, string(r.SourceType))
	}
	dst = appendOptional(dst, `,"timestamp":`, r.Timestamp)
	dst = append(dst, `,"to":`...)
	dst = AppendJSONString(dst, r.To)
	dst = appendNullable(dst, `,"userAgent":`, r.UserAgent)
	dst = appendNullable(dst, `,"senderAvatar":`, r.SenderAvatar)
	dst = appendOptional(dst, `,"messageId":`, r.MessageID)
	dst = appendOptional(dst, `,"transData":`, r.TransData)
	return append(dst, '}')
}

// AppendTokenByAkSkReq appends the body of tokenByAkSk. The result holds the app secret:
// callers must not log it.
func AppendTokenByAkSkReq(dst []byte, r *TokenByAkSkReq) []byte {
	dst = append(dst, `{"app_key":`...)
	dst = AppendJSONString(dst, r.AppKey)
	dst = append(dst, `,"app_secret":`...)
	dst = AppendJSONString(dst, r.AppSecret)
	return append(dst, '}')
}

// AppendApplyTokenReq appends the body of applyToken; userName and locale are left out when empty.
func AppendApplyTokenReq(dst []byte, r *ApplyTokenReq) []byte {
	dst = append(dst, `{"userId":`...)
	dst = AppendJSONString(dst, r.UserID)
	dst = appendOptional(dst, `,"userName":`, r.UserName)
	dst = append(dst, `,"channelId":`...)
	dst = AppendJSONString(dst, r.ChannelID)
	dst = appendOptional(dst, `,"locale":`, r.Locale)
	return append(dst, '}')
}

// AppendQueueInfoReq appends the body of queryQueueInfo.
func AppendQueueInfoReq(dst []byte, r *QueueInfoReq) []byte {
	dst = append(dst, `{"userId":`...)
	dst = AppendJSONString(dst, r.UserID)
	dst = append(dst, `,"channelConfigId":`...)
	dst = AppendJSONString(dst, r.ChannelConfigID)
	dst = append(dst, `,"channel":`...)
	dst = AppendJSONString(dst, r.Channel)
	return append(dst, '}')
}

// AppendUploadReq appends the body of uploadFileStream.
func AppendUploadReq(dst []byte, r *UploadReq) []byte {
	dst = append(dst, `{"fileType":`...)
	dst = AppendJSONString(dst, r.FileType)
	dst = append(dst, `,"channel":`...)
	dst = AppendJSONString(dst, r.Channel)
	dst = append(dst, `,"fileStream":`...)
	dst = AppendJSONString(dst, r.FileStream)
	return append(dst, '}')
}

func appendOptional(dst []byte, key, v string) []byte {
	if v == "" {
		return dst
	}
	dst = append(dst, key...)
	return AppendJSONString(dst, v)
}

func appendNullable(dst []byte, key, v string) []byte {
	dst = append(dst, key...)
	if v == "" {
		return append(dst, "null"...)
	}
	return AppendJSONString(dst, v)
}

// safeASCII[c] is true for the ASCII bytes a JSON string may hold unescaped.
var safeASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// safeWord says whether the eight bytes of x (little-endian) are all plain ASCII a JSON
// string holds as they are: none is a control character, '"', '\\' or part of a multi-byte
// rune. Each test is exact for "any byte": a borrow only carries into a byte above one that
// matched.
func safeWord(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q, b := x^(ones*'"'), x^(ones*'\\')
	return (x|(x-ones*0x20)&^x|(q-ones)&^q|(b-ones)&^b)&highs == 0
}

// AppendJSONString appends s as a quoted JSON string, escaping as encoding/json does
// (without its HTML escaping): quotes, backslashes and control characters are escaped,
// U+2028 and U+2029 too, and each byte of invalid UTF-8 becomes U+FFFD.
func AppendJSONString(dst []byte, s string) []byte {
	if len(s) <= shortString && plainASCII(s) {
		// The body's short strings (types, ids, channel): one table look-up a byte, one copy.
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	dst = append(dst, '"')
	dst = AppendJSONEscaped(dst, s)
	return append(dst, '"')
}

// shortString is the longest string AppendJSONString checks byte by byte before escaping
// (the word-at-a-time escaper pays from about there on).
const shortString = 32

// plainASCII says whether s is printable ASCII without '"' or '\\': nothing to escape.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if !plainByte[s[i]] {
			return false
		}
	}
	return true
}

// AppendJSONEscaped appends s escaped as AppendJSONString does, without the quotes, for
// templates that splice values into the middle of a JSON string (a WEBCARD's content).
func AppendJSONEscaped(dst []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) { // the common case, eight safe bytes at a time (safeWord)
			_ = s[i+7]
			if safeWord(uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56) {
				i += 8
				continue
			}
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if safeASCII[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}
