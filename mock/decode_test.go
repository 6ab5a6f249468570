package mock

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"ccload/ccapi"
)

var decodeSeeds = []string{
	`{"channel":"WEB","content":"hi","controlType":"CHAT","from":"u1","mediaType":"TEXT","sourceType":"CUSTOMER","to":"c"}`,
	`{"content":"","controlType":"CONNECT","from":"u","userAgent":null,"senderAvatar":null,"channel":"WEB"}`,
	` { "from" : "u" , "to":"c" } `,
	`{}`,
	`{"content":"{\"title\":\"t\",\"redirectUrl\":\"https://x\"}","mediaType":"WEBCARD"}`,
	`{"From":"upper","from":"lower"}`,
	`{"from":"lower","FROM":"upper"}`,
	`{"from":"a","from":"b"}`,
	`{"unknown":"x","from":"a"}`,
	`{"unknown":{"nested":[1,2]},"from":"a"}`,
	`{"from":1}`,
	`{"from":"a",}`,
	`{"from":"a"} trailing`,
	`{"from":"caf` + "\xc3\xa9" + `"}`,
	`{"from":"bad` + "\xff" + `"}`,
	`{"from":"tab` + "\t" + `"}`,
	`{"from":nullx}`,
	`{"from":null}`,
	`[]`,
	``,
	`{"from":"\u00e9"}`,
	`{"transData":"{\"k\":1}","messageId":"m1","timestamp":"1619573122352"}`,
}

func TestDecodeSendMsgReqMatchesEncodingJSON(t *testing.T) {
	b, err := os.ReadFile("testdata/sendasync_examples.txt")
	if err != nil {
		t.Fatal(err)
	}
	seeds := append(decodeSeeds, strings.Split(string(b), "\n\n")...)
	for _, s := range seeds {
		checkDecode(t, []byte(s))
	}
}

func FuzzDecodeSendMsgReq(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkDecode(t, b) })
}

func checkDecode(t *testing.T, b []byte) {
	t.Helper()
	var got, want ccapi.SendMsgReq
	gerr := decodeSendMsgReq(b, &got)
	werr := json.Unmarshal(b, &want)
	if (gerr != nil) != (werr != nil) {
		t.Fatalf("%q: error %v, encoding/json says %v", b, gerr, werr)
	}
	if werr == nil && got != want {
		t.Fatalf("%q:\n got %+v\nwant %+v", b, got, want)
	}
}

func TestFastDecodeTakesTheCommonBody(t *testing.T) {
	var r ccapi.SendMsgReq
	body := []byte(decodeSeeds[0])
	if !fastDecode(body, &r) {
		t.Fatal("the common body fell back to encoding/json")
	}
	if n := testing.AllocsPerRun(100, func() { _ = decodeSendMsgReq(body, &r) }); n != 0 {
		t.Errorf("%v allocations per decode, want 0", n)
	}
}
