package ccapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// roundTrip decodes AppendSendMsgReq's output and json.Marshal's, and reports both.
func roundTrip(t testing.TB, r *SendMsgReq) (got, want SendMsgReq) {
	t.Helper()
	body := AppendSendMsgReq(nil, r)
	if !json.Valid(body) {
		t.Fatalf("AppendSendMsgReq wrote invalid JSON: %s", body)
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	std, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(std, &want); err != nil {
		t.Fatal(err)
	}
	return got, want
}

func TestAppendSendMsgReqRoundTrip(t *testing.T) {
	full := SendMsgReq{
		Channel: "WEB", Content: "Version", ControlType: Chat, From: "u1", MediaType: Text,
		SenderNickname: "nick", SourceType: SourceCustomer, Timestamp: "1619573123199", To: "1011577355744904195",
		UserAgent: "Mozilla/5.0", SenderAvatar: "https://a/b.png", MessageID: "m1", TransData: `{"k":"v"}`,
	}
	cases := map[string]string{
		"plain":            "hello",
		"empty":            "",
		"quotes":           `say "hi"`,
		"backslash":        `C:\path\to`,
		"newlines":         "a\nb\r\nc\td",
		"control chars":    "\x00\x01\x08\x0c\x1f\x7f",
		"html":             "<a href='x'>&</a>",
		"unicode":          "héllo 世界 🎉",
		"line separators":  "a\u2028b\u2029c",
		"invalid utf8":     "a\xffb\xc3(c\xed\xa0\x80",
		"truncated rune":   "abc\xe4\xb8",
		"json in a string": docWebCard,
		"long":             strings.Repeat("x\"", 600),
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			r := full
			r.Content, r.From, r.SenderNickname, r.TransData = s, s, s, s
			got, want := roundTrip(t, &r)
			if got != want {
				t.Errorf("round trip differs:\n got  %+v\n want %+v", got, want)
			}
		})
	}
	t.Run("optional fields empty", func(t *testing.T) {
		r := SendMsgReq{Channel: "WEB", ControlType: Connect, From: "u", MediaType: Text, SourceType: SourceCustomer, To: "c"}
		body := string(AppendSendMsgReq(nil, &r))
		want := `{"channel":"WEB","content":"","controlType":"CONNECT","from":"u","mediaType":"TEXT","sourceType":"CUSTOMER","to":"c","userAgent":null,"senderAvatar":null}`
		if body != want {
			t.Errorf("got  %s\nwant %s", body, want)
		}
	})
}

func TestAppendSmallBodies(t *testing.T) {
	check := func(name string, body []byte, into, want any) {
		t.Helper()
		if err := json.Unmarshal(body, into); err != nil {
			t.Fatalf("%s: %s: %v", name, body, err)
		}
		if !reflect.DeepEqual(reflect.ValueOf(into).Elem().Interface(), want) {
			t.Errorf("%s: got %+v, want %+v", name, into, want)
		}
	}
	tok := TokenByAkSkReq{AppKey: "k\"1", AppSecret: "s\\2"}
	check("tokenByAkSk", AppendTokenByAkSkReq(nil, &tok), new(TokenByAkSkReq), tok)
	ap := ApplyTokenReq{UserID: "u1", UserName: "n", ChannelID: "c", Locale: "en"}
	check("applyToken", AppendApplyTokenReq(nil, &ap), new(ApplyTokenReq), ap)
	ap2 := ApplyTokenReq{UserID: "u1", ChannelID: "c"}
	check("applyToken minimal", AppendApplyTokenReq(nil, &ap2), new(ApplyTokenReq), ap2)
	q := QueueInfoReq{UserID: "u", ChannelConfigID: "c", Channel: "WEB"}
	check("queryQueueInfo", AppendQueueInfoReq(nil, &q), new(QueueInfoReq), q)
	up := UploadReq{FileType: "jpg", Channel: "WEB", FileStream: "aGVsbG8+/w=="}
	check("upload", AppendUploadReq(nil, &up), new(UploadReq), up)
}

func TestAppendSendMsgReqNoAlloc(t *testing.T) {
	r := validChat()
	buf := make([]byte, 0, 1024)
	if n := testing.AllocsPerRun(100, func() { buf = AppendSendMsgReq(buf[:0], &r) }); n != 0 {
		t.Errorf("AppendSendMsgReq into a large enough buffer allocates %v times", n)
	}
}

// FuzzAppendSendMsgReq checks the encoder against encoding/json on arbitrary field values.
// One input string is split on \x1e into up to four values, which fill the fields.
func FuzzAppendSendMsgReq(f *testing.F) {
	f.Add("WEB\x1eVersion\x1eu1\x1e{\"k\":1}")
	f.Add("\x1ea\x00\"\\\u2028\x1e\xff\x1e")
	f.Add("x\x1e" + docWebCard + "\x1eé\x1enull")
	f.Fuzz(func(t *testing.T, in string) {
		v := strings.SplitN(in, "\x1e", 4)
		for len(v) < 4 {
			v = append(v, "")
		}
		channel, content, from, trans := v[0], v[1], v[2], v[3]
		r := SendMsgReq{Channel: channel, Content: content, ControlType: ControlType(from), From: from,
			MediaType: Text, SenderNickname: content, SourceType: SourceCustomer, To: channel,
			UserAgent: trans, SenderAvatar: from, MessageID: channel, TransData: trans}
		got, want := roundTrip(t, &r)
		if got != want {
			t.Fatalf("round trip differs:\n got  %+v\n want %+v", got, want)
		}
		// The content escaped beforehand (ContentJSON) puts the same bytes on the wire.
		plain := AppendSendMsgReq(nil, &r)
		r.ContentJSON = string(AppendJSONEscaped(nil, r.Content))
		if pre := AppendSendMsgReq(nil, &r); !bytes.Equal(pre, plain) {
			t.Fatalf("with ContentJSON the body is\n %s\nwithout\n %s", pre, plain)
		}
	})
}

func BenchmarkAppendSendMsgReq(b *testing.B) {
	r := validChat()
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendSendMsgReq(buf[:0], &r)
	}
	b.SetBytes(int64(len(buf)))
}

// TestAppendJSONStringMatchesEncodingJSON puts each byte that needs escaping (and a
// multi-byte rune, an invalid byte, U+2028) at every position of strings of 1 to 24 bytes, so
// each lands in every lane of the eight-byte fast path and in the tail: the output must be
// encoding/json's (without its HTML escaping).
func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	specials := []string{"\"", "\\", "\x00", "\x1f", "\n", "\t", "\x7f", "é", "\xff", "\u2028", " ", "~"}
	for n := 1; n <= 24; n++ {
		for at := range n {
			for _, sp := range specials {
				s := strings.Repeat("a", at) + sp + strings.Repeat("b", n-at-1)
				var want bytes.Buffer
				enc := json.NewEncoder(&want)
				enc.SetEscapeHTML(false)
				if err := enc.Encode(s); err != nil {
					t.Fatal(err)
				}
				if got := string(AppendJSONString(nil, s)); got != strings.TrimSuffix(want.String(), "\n") {
					t.Fatalf("%q: got %s, want %s", s, got, want.String())
				}
			}
		}
	}
}

// TestAppendSendMsgReqEveryType: the type fields written from constants (CHAT, TEXT,
// CUSTOMER, ...) encode as encoding/json encodes every control, media and source type.
func TestAppendSendMsgReqEveryType(t *testing.T) {
	for _, ct := range append(ControlTypes, "") {
		for _, mt := range append(MediaTypes, Locate, Document, "") {
			for _, st := range []SourceType{SourceCustomer, SourceRobot, SourceAgent, SourceSystem, ""} {
				r := validChat()
				r.ControlType, r.MediaType, r.SourceType = ct, mt, st
				var want bytes.Buffer
				enc := json.NewEncoder(&want)
				enc.SetEscapeHTML(false)
				if err := enc.Encode(struct {
					C ControlType `json:"controlType"`
					M MediaType   `json:"mediaType"`
					S SourceType  `json:"sourceType"`
				}{ct, mt, st}); err != nil {
					t.Fatal(err)
				}
				var w struct {
					C, M, S json.RawMessage
				}
				if err := json.Unmarshal(want.Bytes(), &struct {
					C *json.RawMessage `json:"controlType"`
					M *json.RawMessage `json:"mediaType"`
					S *json.RawMessage `json:"sourceType"`
				}{&w.C, &w.M, &w.S}); err != nil {
					t.Fatal(err)
				}
				body := string(AppendSendMsgReq(nil, &r))
				for _, kv := range []string{`"controlType":` + string(w.C) + `,`, `"mediaType":` + string(w.M) + `,`, `"sourceType":` + string(w.S) + `,`} {
					if !strings.Contains(body, kv) {
						t.Errorf("%s/%s/%s: body %s lacks %s", ct, mt, st, body, kv)
					}
				}
			}
		}
	}
}
