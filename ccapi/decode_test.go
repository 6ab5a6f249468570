package ccapi

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestParseResultCode(t *testing.T) {
	cases := []struct {
		body      string
		key       string
		code      string
		found, ok bool
	}{
		{`{"resultCode":"0","resultDesc":"send sendMessageForOpenApiAsync success."}`, "resultCode", "0", true, true},
		{` {"resultDesc":"x", "resultCode" : "13" } `, "resultCode", "13", true, true},
		{`{"resultCode":"987654"}`, "resultCode", "987654", true, true},
		{`{"resultCode":0}`, "resultCode", "0", true, true},
		{`{"returnCode":"0","objectKey":"k"}`, "returnCode", "0", true, true},
		{`{"returnCode":"0","objectKey":"k"}`, "resultCode", "", false, true},
		{`{"resultCode":null}`, "resultCode", "", false, true},
		{`{"resultCode":"0","resultCode":"12"}`, "resultCode", "12", true, true}, // last wins, as encoding/json
		{`{"result\u0043ode":"7"}`, "resultCode", "7", true, true},
		{`{"resultCode":"\u0031\u0032"}`, "resultCode", "12", true, true},
		{`{"resultCode":{"a":1}}`, "resultCode", "", false, false},
		{`{"resultCode":"0"`, "resultCode", "", false, false},
		{`<html>502</html>`, "resultCode", "", false, false},
		{``, "resultCode", "", false, false},
		{`["resultCode","0"]`, "resultCode", "", false, false},
		{`null`, "resultCode", "", false, false},
	}
	for _, tc := range cases {
		code, found, ok := ParseResultCode([]byte(tc.body), tc.key)
		if code != tc.code || found != tc.found || ok != tc.ok {
			t.Errorf("ParseResultCode(%s, %s) = %q, %v, %v; want %q, %v, %v", tc.body, tc.key, code, found, ok, tc.code, tc.found, tc.ok)
		}
	}
}

func TestParseResultCodeNoAlloc(t *testing.T) {
	for _, body := range [][]byte{
		[]byte(`{"resultCode":"0","resultDesc":"send sendMessageForOpenApiAsync success."}`),
		[]byte(`{"resultCode":"13","resultDesc":"failed"}`),
		[]byte(`{"resultCode":"0","resultDesc":"query user messages success.","downlinkMessages":[ ]}`),
	} {
		if n := testing.AllocsPerRun(100, func() { ParseResultCode(body, "resultCode") }); n != 0 {
			t.Errorf("ParseResultCode(%s) allocates %v times", body, n)
		}
		if n := testing.AllocsPerRun(100, func() { ParsePoll(body, nil) }); n != 0 {
			t.Errorf("ParsePoll(%s) allocates %v times", body, n)
		}
	}
}

func TestParsePoll(t *testing.T) {
	msg := DownlinkMessage{Channel: "WEB", From: "c1", To: "u1", ControlType: Chat, MediaType: Text,
		Content: "Hello, I am the robot", SourceType: SourceRobot, Timestamp: 1619573123199, MessageCode: "m"}
	one, _ := json.Marshal(PollRsp{ResultCode: "0", DownlinkMessages: []DownlinkMessage{msg}})
	prev := []DownlinkMessage{{Content: "earlier"}}

	code, got, err := ParsePoll(one, prev)
	if err != nil || code != "0" || len(got) != 2 || got[0].Content != "earlier" || got[1] != msg {
		t.Fatalf("ParsePoll(one message) = %q, %+v, %v", code, got, err)
	}
	for _, body := range []string{
		`{"resultCode":"0","downlinkMessages":[]}`,
		`{"resultCode":"0","downlinkMessages":null}`,
		`{"resultCode":"0"}`,
	} {
		code, got, err := ParsePoll([]byte(body), nil)
		if err != nil || code != "0" || len(got) != 0 {
			t.Errorf("ParsePoll(%s) = %q, %v, %v; want 0, no messages", body, code, got, err)
		}
	}
	for _, body := range []string{
		`{"resultCode":"0","downlinkMessages":"x"}`,
		`{"resultCode":"0","downlinkMessages":[{"timestamp":"not a number"}]}`,
		`not json`,
	} {
		if _, _, err := ParsePoll([]byte(body), nil); err != errUnparseable {
			t.Errorf("ParsePoll(%s) error = %v, want errUnparseable", body, err)
		}
	}
	if _, _, err := ParsePoll([]byte(`{"downlinkMessages":[]}`), nil); err != errNoResultCode {
		t.Errorf("ParsePoll without resultCode: %v, want errNoResultCode", err)
	}
}

// oracleCode is ParseResultCode written with encoding/json only.
func oracleCode(body []byte, key string) (code string, found, ok bool) {
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return "", false, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return "", false, false
	}
	raw, present := m[key]
	if !present || string(raw) == "null" {
		return "", false, true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true, true
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return string(raw), true, true
	}
	return "", false, false
}

// FuzzParseResponse feeds arbitrary bodies to the response decoders: they never panic,
// and ParseResultCode agrees with encoding/json. Seeds live in testdata/fuzz.
func FuzzParseResponse(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, key := range []string{"resultCode", "returnCode"} {
			code, found, ok := ParseResultCode(body, key)
			wcode, wfound, wok := oracleCode(body, key)
			if code != wcode || found != wfound || ok != wok {
				t.Fatalf("ParseResultCode(%q, %s) = %q,%v,%v; encoding/json says %q,%v,%v", body, key, code, found, ok, wcode, wfound, wok)
			}
		}
		code, msgs, err := ParsePoll(body, nil)
		if err == nil {
			wcode, _, _ := oracleCode(body, "resultCode")
			var m map[string]json.RawMessage
			var want []DownlinkMessage
			if json.Unmarshal(body, &m) != nil || (m["downlinkMessages"] != nil && json.Unmarshal(m["downlinkMessages"], &want) != nil) {
				t.Fatalf("ParsePoll accepted %q that encoding/json rejects", body)
			}
			if code != wcode || len(msgs) != len(want) {
				t.Fatalf("ParsePoll(%q) = %q, %d messages; encoding/json %q, %d", body, code, len(msgs), wcode, len(want))
			}
		}
	})
}

func BenchmarkParseResultCode(b *testing.B) {
	body := []byte(`{"resultCode":"0","resultDesc":"send sendMessageForOpenApiAsync success."}`)
	b.ReportAllocs()
	for b.Loop() {
		if code, _, _ := ParseResultCode(body, "resultCode"); code != "0" {
			b.Fatal(code)
		}
	}
}

func BenchmarkParsePollEmpty(b *testing.B) {
	body := []byte(`{"resultCode":"0","resultDesc":"query user messages success.","downlinkMessages":[]}`)
	b.ReportAllocs()
	for b.Loop() {
		ParsePoll(body, nil)
	}
}

// TestAnswerMemoIsParseResultCode runs a lane's answer memo over answers that repeat, change
// by one byte, change key, break, and outgrow it: each outcome must be ParseResultCode's.
func TestAnswerMemoIsParseResultCode(t *testing.T) {
	ok0 := `{"resultCode":"0","resultDesc":"send sendMessageForOpenApiAsync success."}`
	long := `{"resultCode":"7","pad":"` + strings.Repeat("x", maxMemoBody) + `"}`
	seq := []struct{ body, key string }{
		{ok0, "resultCode"}, {ok0, "resultCode"}, {ok0, "returnCode"},
		{`{"resultCode":"1","resultDesc":"send sendMessageForOpenApiAsync success."}`, "resultCode"},
		{ok0, "resultCode"}, {ok0[:len(ok0)-1], "resultCode"}, {ok0[:len(ok0)-1], "resultCode"},
		{`{"resultCode":"0","resultCode":"160004"}`, "resultCode"}, {long, "resultCode"}, {long, "resultCode"},
		{`{"resultCode":null}`, "resultCode"}, {`[]`, "resultCode"}, {"", "resultCode"}, {ok0, "resultCode"},
	}
	var m answerMemo
	for i, s := range seq {
		code, found, ok := m.resultCode([]byte(s.body), s.key)
		wcode, wfound, wok := ParseResultCode([]byte(s.body), s.key)
		if code != wcode || found != wfound || ok != wok {
			t.Errorf("answer %d (%.40s, %s): memo says %q,%v,%v; ParseResultCode %q,%v,%v", i, s.body, s.key, code, found, ok, wcode, wfound, wok)
		}
	}
	// The memo keeps its own copy: a caller reusing its buffer cannot change what it remembers.
	buf := []byte(ok0)
	m.resultCode(buf, "resultCode")
	copy(buf, `{"resultCode":"9"`)
	if code, _, _ := m.resultCode(buf, "resultCode"); code != "9" {
		t.Errorf("after the buffer changed the memo said %q, want 9", code)
	}
}
