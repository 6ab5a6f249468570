package webhook

import (
	"encoding/json"
	"reflect"
	"testing"
)

// reference is what encoding/json makes of a callback body: the receiver's contract.
func reference(data []byte) (body, bool) {
	var b body
	if err := json.Unmarshal(data, &b); err != nil || b.Messages == nil {
		return body{}, false
	}
	return b, true
}

var decodeCases = []struct {
	body string
	fast bool // the common shape: decoded without encoding/json
}{
	{`{"messages":[` + msg("c1s1", "ROBOT") + `],"timestamp":1733580000000}`, true},
	{`{"messages":[{"channel":"WEB","from":"cfg","to":"u1","controlType":"DISCONNECT","mediaType":"TEXT","content":"bye","senderNickname":"Ann","sourceType":"AGENT","timestamp":-5,"messageCode":"m1","isOfflineStatus":true,"senderAvatar":"a.png","callId":"c9"},` + msg("u2", "SYSTEM") + `], "timestamp" : 0 }`, true},
	{" \n{ \"timestamp\":7,\t\"messages\" : [ ] }\r\n", true},
	{`{"messages":[{"to":"é日本","content":"x","isOfflineStatus":false}]}`, true},
	{`{"messages":[{"to":"a"}],"messages":[{"to":"b"}]}`, true}, // the last list wins
	{`{"messages":[{"to":"a","to":"b"}]}`, true},
	// Left to encoding/json, with the same result:
	{`{"messages":[{"to":"a\"b","content":"line\nbreak \u00e9"}]}`, false},
	{`{"Messages":[{"TO":"u1"}]}`, false}, // encoding/json matches keys case-insensitively
	{`{"messages":[{"to":"u1","extra":{"deep":[1,2,{"x":null}]}}],"other":true}`, false},
	{`{"messages":[{"to":"u1","timestamp":1.5e3}]}`, false},
	{`{"messages":[{"to":"u1","timestamp":12345678901234567890}]}`, false},
	{`{"messages":[{"to":"u1","content":null}]}`, false},
	{`{"messages":[null]}`, false},
	{"{\"messages\":[{\"to\":\"\xff\xfe\"}]}", false}, // invalid UTF-8 becomes U+FFFD
	// Not callbacks:
	{`{"messages":null}`, false},
	{`{"timestamp":1}`, false},
	{`{"messages":[` + msg("c1s1", "ROBOT") + `]`, false},
	{`{"messages":[` + msg("c1s1", "ROBOT") + `]}x`, false},
	{`{"messages":[{"to":"u1","timestamp":01}]}`, false},
	{`{"messages":[{"to":"u1",}]}`, false},
	{`{"messages":{"to":"u1"}}`, false},
	{`[]`, false},
	{``, false},
}

// TestDecodeAgreesWithEncodingJSON: the receiver's decoder makes of every body what
// encoding/json makes of it, reusing a buffer dirtied by earlier callbacks, and takes the
// common shape on its fast path.
func TestDecodeAgreesWithEncodingJSON(t *testing.T) {
	var b body // reused, as the pool does
	for _, c := range decodeCases {
		want, wantOK := reference([]byte(c.body))
		b.Messages = b.Messages[:0] // dirty elements beyond len, as a reused buffer may hold
		ok := decode([]byte(c.body), &b)
		if ok != wantOK || ok && !sameBody(b, want) {
			t.Errorf("decode(%s) = %+v, %v; encoding/json: %+v, %v", c.body, b, ok, want, wantOK)
		}
		var fb body
		if fast := decodeFast([]byte(c.body), &fb); fast != c.fast {
			t.Errorf("decodeFast(%s) answered %v, want %v", c.body, fast, c.fast)
		}
	}
}

func sameBody(a, b body) bool {
	if len(a.Messages) == 0 && len(b.Messages) == 0 {
		return a.Timestamp == b.Timestamp && (a.Messages == nil) == (b.Messages == nil)
	}
	return reflect.DeepEqual(a, b)
}

// FuzzDecode: wherever the fast path answers, encoding/json agrees; and decode as a whole
// always does.
func FuzzDecode(f *testing.F) {
	for _, c := range decodeCases {
		f.Add([]byte(c.body))
	}
	var b body
	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantOK := reference(data)
		if cap(b.Messages) > 64 {
			b.Messages = nil
		}
		b.Messages = b.Messages[:0]
		if ok := decode(data, &b); ok != wantOK || ok && !sameBody(b, want) {
			t.Fatalf("decode(%q) = %+v, %v; encoding/json: %+v, %v", data, b, ok, want, wantOK)
		}
	})
}
