package ccapi

import (
	"encoding/json"
	"strings"
	"testing"
)

// validChat is a CHAT that breaks no rule; cases below change one thing each.
func validChat() SendMsgReq {
	return SendMsgReq{
		Channel:        "WEB",
		Content:        "Version",
		ControlType:    Chat,
		From:           "session_1619573111751_us", // 24 characters
		MediaType:      Text,
		SenderNickname: "user_1619573111751",
		SourceType:     SourceCustomer,
		Timestamp:      "1619573123199",
		To:             "1011577355744904195",
	}
}

const docWebCard = `{"title":"Test title","description":"Test description","mediaFileId":"xxxx-xxxx-xxxx-xxxx-2e171ac78313","mediaFileType":"img","redirectUrl":"https://www.xxx.com"}`

func TestValidateSendMsgReq(t *testing.T) {
	type errs = []string // "field: rule substring"
	cases := []struct {
		name  string
		edit  func(r *SendMsgReq)
		rules Rules
		want  errs
	}{
		{"valid chat", func(r *SendMsgReq) {}, Rules{}, nil},
		{"from 0 chars", func(r *SendMsgReq) { r.From = "" }, Rules{}, errs{"from: missing, must be 1 to 24"}},
		{"from 1 char", func(r *SendMsgReq) { r.From = "u" }, Rules{}, nil},
		{"from 24 chars", func(r *SendMsgReq) { r.From = strings.Repeat("a", 24) }, Rules{}, nil},
		{"from 24 multibyte chars", func(r *SendMsgReq) { r.From = strings.Repeat("é", 24) }, Rules{}, nil},
		{"from 25 chars", func(r *SendMsgReq) { r.From = strings.Repeat("a", 25) }, Rules{}, errs{"from: 25 characters, must be 1 to 24"}},
		{"from 40 chars (doc example)", func(r *SendMsgReq) { r.From = "session_1619573111751_user_1619573111751" }, Rules{}, errs{"from: 40 characters, must be 1 to 24"}},
		{"from 40 chars lenient", func(r *SendMsgReq) { r.From = "session_1619573111751_user_1619573111751" }, Rules{Lenient: true}, nil},
		{"from empty lenient", func(r *SendMsgReq) { r.From = "" }, Rules{Lenient: true}, errs{"from: missing"}},

		{"text 1024 bytes", func(r *SendMsgReq) { r.Content = strings.Repeat("x", 1024) }, Rules{}, nil},
		{"text 1025 bytes", func(r *SendMsgReq) { r.Content = strings.Repeat("x", 1025) }, Rules{}, errs{"content: 1025 bytes, TEXT content must be at most 1024 bytes"}},
		{"text 1024 bytes of 2-byte runes is 512 chars but 1024 bytes", func(r *SendMsgReq) { r.Content = strings.Repeat("é", 512) }, Rules{}, nil},
		{"text 1026 bytes of 2-byte runes", func(r *SendMsgReq) { r.Content = strings.Repeat("é", 513) }, Rules{}, errs{"content: 1026 bytes"}},
		{"text 1025 bytes lenient", func(r *SendMsgReq) { r.Content = strings.Repeat("x", 1025) }, Rules{Lenient: true}, nil},
		{"image content over 1 KB is not TEXT", func(r *SendMsgReq) { r.MediaType = Image; r.Content = strings.Repeat("x", 2000) }, Rules{}, nil},

		{"chat without content", func(r *SendMsgReq) { r.Content = "" }, Rules{}, errs{"content: empty, required for controlType CHAT"}},
		{"input without content", func(r *SendMsgReq) { r.ControlType = Input; r.Content = "" }, Rules{}, errs{"content: empty, required for controlType INPUT"}},
		{"read without content", func(r *SendMsgReq) { r.ControlType = Read; r.Content = "" }, Rules{}, errs{"content: empty, required for controlType READ"}},
		{"connect without content", func(r *SendMsgReq) { r.ControlType = Connect; r.Content = "" }, Rules{}, nil},
		{"disconnect without content", func(r *SendMsgReq) { r.ControlType = Disconnect; r.Content = "" }, Rules{}, nil},
		{"trans2agent without content", func(r *SendMsgReq) { r.ControlType = Trans2Agent; r.Content = "" }, Rules{}, nil},

		{"messageId 32 chars", func(r *SendMsgReq) { r.MessageID = strings.Repeat("m", 32) }, Rules{}, nil},
		{"messageId 33 chars", func(r *SendMsgReq) { r.MessageID = strings.Repeat("m", 33) }, Rules{}, errs{"messageId: 33 characters, must be at most 32"}},
		{"messageId 33 chars lenient", func(r *SendMsgReq) { r.MessageID = strings.Repeat("m", 33) }, Rules{Lenient: true}, nil},
		{"messageId with comma", func(r *SendMsgReq) { r.MessageID = "a,b" }, Rules{}, errs{"messageId: contains a comma"}},
		{"messageId with comma lenient", func(r *SendMsgReq) { r.MessageID = "a,b" }, Rules{Lenient: true}, errs{"messageId: contains a comma"}},

		{"senderAvatar 1024 chars", func(r *SendMsgReq) { r.SenderAvatar = strings.Repeat("a", 1024) }, Rules{}, nil},
		{"senderAvatar 1025 chars", func(r *SendMsgReq) { r.SenderAvatar = strings.Repeat("a", 1025) }, Rules{}, errs{"senderAvatar: 1025 characters, must be at most 1024"}},
		{"senderAvatar 1025 chars lenient", func(r *SendMsgReq) { r.SenderAvatar = strings.Repeat("a", 1025) }, Rules{Lenient: true}, nil},

		{"webcard of the document", func(r *SendMsgReq) { r.MediaType = WebCardMedia; r.Content = docWebCard }, Rules{}, nil},
		{"webcard redirectUrl only", func(r *SendMsgReq) { r.MediaType = WebCardMedia; r.Content = `{"redirectUrl":"https://x"}` }, Rules{}, nil},
		{"webcard mediaFileId only", func(r *SendMsgReq) { r.MediaType = WebCardMedia; r.Content = `{"mediaFileId":"f1"}` }, Rules{}, nil},
		{"webcard escaped key", func(r *SendMsgReq) { r.MediaType = WebCardMedia; r.Content = `{"media\u0046ileId":"f1"}` }, Rules{}, nil},
		{"webcard escaped value", func(r *SendMsgReq) {
			r.MediaType = WebCardMedia
			r.Content = `{"redirectUrl":"https:\/\/x","mediaFileType":"img\/png"}`
		}, Rules{}, nil},
		{"webcard without redirectUrl and mediaFileId", func(r *SendMsgReq) { r.MediaType = WebCardMedia; r.Content = `{"title":"t"}` }, Rules{}, errs{"content: WEBCARD content has neither redirectUrl nor mediaFileId"}},
		{"webcard with empty redirectUrl and null mediaFileId", func(r *SendMsgReq) { r.MediaType = WebCardMedia; r.Content = `{"redirectUrl":"","mediaFileId":null}` }, Rules{}, errs{"content: WEBCARD content has neither"}},
		{"webcard keys are case-sensitive", func(r *SendMsgReq) { r.MediaType = WebCardMedia; r.Content = `{"RedirectUrl":"https://x"}` }, Rules{}, errs{"content: WEBCARD content has neither"}},
		{"webcard bad mediaFileType", func(r *SendMsgReq) {
			r.MediaType = WebCardMedia
			r.Content = `{"mediaFileId":"f1","mediaFileType":"gif"}`
		}, Rules{}, errs{`content: WEBCARD mediaFileType "gif" must be one of img, img/png, img/jpg`}},
		{"webcard each mediaFileType", func(r *SendMsgReq) {
			r.MediaType = WebCardMedia
			r.Content = `{"mediaFileId":"f1","mediaFileType":"img/jpg"}`
		}, Rules{}, nil},
		{"webcard empty mediaFileType means jpg", func(r *SendMsgReq) {
			r.MediaType = WebCardMedia
			r.Content = `{"mediaFileId":"f1","mediaFileType":""}`
		}, Rules{}, nil},
		{"webcard redirectUrl not a string", func(r *SendMsgReq) { r.MediaType = WebCardMedia; r.Content = `{"redirectUrl":5}` }, Rules{}, errs{"content: redirectUrl in WEBCARD content must be a string"}},
		{"webcard content a JSON array", func(r *SendMsgReq) { r.MediaType = WebCardMedia; r.Content = `["redirectUrl"]` }, Rules{}, errs{"content: not a JSON object"}},
		{"webcard content not JSON", func(r *SendMsgReq) { r.MediaType = WebCardMedia; r.Content = `redirectUrl=https://x` }, Rules{}, errs{"content: not valid JSON"}},
		{"webcard content truncated", func(r *SendMsgReq) { r.MediaType = WebCardMedia; r.Content = `{"redirectUrl":"https://x"` }, Rules{}, errs{"content: not valid JSON"}},

		{"transData object", func(r *SendMsgReq) { r.TransData = `{"k":"v","n":[1,2.5e3,true,null]}` }, Rules{}, nil},
		{"transData not JSON", func(r *SendMsgReq) { r.TransData = `{k:v}` }, Rules{}, errs{"transData: not valid JSON"}},

		{"controlType missing", func(r *SendMsgReq) { r.ControlType = "" }, Rules{}, errs{"controlType: missing, must be one of CONNECT, CHAT, TRANS2AGENT, INPUT, DISCONNECT, READ"}},
		{"controlType unknown", func(r *SendMsgReq) { r.ControlType = "chat" }, Rules{}, errs{`controlType: "chat" is not one of CONNECT`}},
		{"mediaType missing", func(r *SendMsgReq) { r.MediaType = "" }, Rules{}, errs{"mediaType: missing, must be one of TEXT, IMAGE"}},
		{"mediaType unknown", func(r *SendMsgReq) { r.MediaType = "GIF" }, Rules{}, errs{`mediaType: "GIF" is not one of TEXT`}},
		{"mediaType DOCUMENT is downlink only", func(r *SendMsgReq) { r.MediaType = Document }, Rules{}, errs{`mediaType: "DOCUMENT" is not one of`}},
		{"mediaType LOCATE on sendAsync", func(r *SendMsgReq) { r.MediaType = Locate }, Rules{}, errs{"mediaType: LOCATE is accepted only by /send"}},
		{"mediaType LOCATE allowed", func(r *SendMsgReq) { r.MediaType = Locate }, Rules{AllowLocate: true}, nil},
		{"sourceType missing", func(r *SendMsgReq) { r.SourceType = "" }, Rules{}, errs{"sourceType: missing, must be CUSTOMER"}},
		{"sourceType AGENT", func(r *SendMsgReq) { r.SourceType = SourceAgent }, Rules{}, errs{`sourceType: "AGENT" is not allowed, upstream messages must be CUSTOMER`}},
		{"channel missing", func(r *SendMsgReq) { r.Channel = "" }, Rules{}, errs{"channel: missing"}},
		{"to missing", func(r *SendMsgReq) { r.To = "" }, Rules{}, errs{"to: missing"}},
		{"every violation together", func(r *SendMsgReq) { *r = SendMsgReq{MessageID: strings.Repeat(",", 33), TransData: "{"} }, Rules{},
			errs{"channel: missing", "controlType: missing", "from: missing", "mediaType: missing", "sourceType: missing", "to: missing",
				"messageId: 33 characters", "messageId: contains a comma", "transData: not valid JSON"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := validChat()
			tc.edit(&r)
			got := r.Validate(tc.rules)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d errors %v, want %d %q", len(got), got, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i].Error(), w) {
					t.Errorf("error %d = %q, want prefix %q", i, got[i].Error(), w)
				}
			}
		})
	}
}

// TestValidateDocumentExamples checks every request example of ccmessaging-sendAsync.txt:
// with from cut to 24 characters they are valid; as printed (40 characters) only lenient accepts them.
func TestValidateDocumentExamples(t *testing.T) {
	examples := []string{
		`{"content":"","controlType":"CONNECT","from":"session_1619573111751_user_1619573111751","mediaType":"TEXT","senderNickname":"user_1619573111751","sourceType":"CUSTOMER","timestamp":"1619573122352","to":"1011577355744904195","userAgent":null,"senderAvatar":null,"channel":"WEB"}`,
		`{"content":"Version","controlType":"CHAT","from":"session_1619573111751_user_1619573111751","mediaType":"TEXT","senderNickname":"user_1619573111751","sourceType":"CUSTOMER","timestamp":"1619573123199","to":"1011577355744904195","userAgent":null,"senderAvatar":null,"channel":"WEB"}`,
		`{"content":"","controlType":"TRANS2AGENT","from":"session_1619573111751_user_1619573111751","mediaType":"TEXT","senderNickname":"user_1619573111751","sourceType":"CUSTOMER","timestamp":"1619573129953","to":"1011577355744904195","userAgent":null,"senderAvatar":null,"channel":"WEB"}`,
		`{"content":"{\"title\":\"Test title\",\"description\":\"Test description\",\"mediaFileId\":\"xxxx-xxxx-xxxx-xxxx-2e171ac78313\",\"mediaFileType\":\"img\",\"redirectUrl\":\"https://www.xxx.com\"}","controlType":"CHAT","from":"session_1619573111751_user_1619573111751","mediaType":"WEBCARD","senderNickname":"user_1619573111751","sourceType":"CUSTOMER","timestamp":"1619573129953","to":"1011577355744904195","userAgent":null,"senderAvatar":null,"channel":"WEB"}`,
		`{"content":"","controlType":"DISCONNECT","from":"session_1619573842490_user_1619573842490","mediaType":"TEXT","senderNickname":"user_1619573842490","sourceType":"CUSTOMER","timestamp":"1619573854156","to":"1011577355744904195","userAgent":null,"senderAvatar":null,"channel":"WEB"}`,
	}
	for i, ex := range examples {
		var r SendMsgReq
		if err := json.Unmarshal([]byte(ex), &r); err != nil {
			t.Fatal(err)
		}
		if errs := r.Validate(Rules{}); len(errs) != 1 || errs[0].Field != "from" {
			t.Errorf("example %d as printed: %v, want only the from length error", i, errs)
		}
		if errs := r.Validate(Rules{Lenient: true}); errs != nil {
			t.Errorf("example %d lenient: %v", i, errs)
		}
		r.From = r.From[:24]
		if errs := r.Validate(Rules{}); errs != nil {
			t.Errorf("example %d with from cut to 24: %v", i, errs)
		}
	}
}

func TestValidateApplyTokenReq(t *testing.T) {
	cases := []struct {
		user, channel string
		rules         Rules
		want          []string
	}{
		{"u", "c1", Rules{}, nil},
		{strings.Repeat("u", 32), "c1", Rules{}, nil},
		{strings.Repeat("u", 33), "c1", Rules{}, []string{"userId: 33 characters, must be 1 to 32"}},
		{strings.Repeat("u", 33), "c1", Rules{Lenient: true}, nil},
		{"", "", Rules{}, []string{"userId: missing", "channelId: missing"}},
	}
	for _, tc := range cases {
		r := ApplyTokenReq{UserID: tc.user, ChannelID: tc.channel}
		got := r.Validate(tc.rules)
		if len(got) != len(tc.want) {
			t.Fatalf("userId %d chars: got %v, want %q", len(tc.user), got, tc.want)
		}
		for i, w := range tc.want {
			if !strings.HasPrefix(got[i].Error(), w) {
				t.Errorf("got %q, want prefix %q", got[i].Error(), w)
			}
		}
	}
}

func TestValidateUploadReq(t *testing.T) {
	ok := UploadReq{FileType: "jpg", Channel: "WEB", FileStream: "aGVsbG8="}
	if errs := ok.Validate(Rules{}); errs != nil {
		t.Fatalf("valid upload: %v", errs)
	}
	bad := UploadReq{FileType: "gif"}
	errs := bad.Validate(Rules{})
	if len(errs) != 3 || errs[0].Field != "fileType" || errs[1].Field != "channel" || errs[2].Field != "fileStream" {
		t.Fatalf("got %v, want fileType, channel, fileStream errors", errs)
	}
}

func TestValidateNoAllocWhenValid(t *testing.T) {
	chat := validChat()
	chat.TransData = `{"a":[1,2,{"b":null}]}`
	card := validChat()
	card.MediaType = WebCardMedia
	card.Content = docWebCard
	for _, r := range []*SendMsgReq{&chat, &card} {
		if n := testing.AllocsPerRun(100, func() { _ = r.Validate(Rules{}) }); n != 0 {
			t.Errorf("Validate of a valid %s allocates %v times per call", r.MediaType, n)
		}
	}
}

func TestValidJSONMatchesEncodingJSON(t *testing.T) {
	for _, s := range jsonSeeds {
		if got, want := validJSON(s), json.Valid([]byte(s)); got != want {
			t.Errorf("validJSON(%q) = %v, json.Valid says %v", s, got, want)
		}
	}
}

var jsonSeeds = []string{
	``, ` `, `{}`, `[]`, `{"a":1}`, `{"a":}`, `{"a" 1}`, `{"a":1,}`, `[1,]`, `[,1]`, `01`, `-0`, `-`, `1.`, `1.5e`, `1e+5`,
	`1E-05`, `"\u12"`, `"\u1234"`, `"\x"`, "\"\x01\"", "\"\xff\"", `tru`, `true`, `nullx`, ` null `, `{"a":{"b":[{}]}}`,
	`"abc`, `{"a":"b"}}`, `[[[[]]]]`, "\t{\"k\" :\n\"v\"}\r\n", `{"a":1}{`, `.5`, `+1`, `1 2`,
}

func FuzzJSONValid(f *testing.F) {
	for _, s := range jsonSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validJSON(s), json.Valid([]byte(s)); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid says %v", s, got, want)
		}
	})
}

func BenchmarkValidate(b *testing.B) {
	chat := validChat()
	card := validChat()
	card.MediaType = WebCardMedia
	card.Content = docWebCard
	b.Run("chat", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = chat.Validate(Rules{})
		}
	})
	b.Run("webcard", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = card.Validate(Rules{})
		}
	})
}
