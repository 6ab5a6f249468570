package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"ccload/ccapi"
	"ccload/mock"
)

// TestBodiesOnTheWireAreTheEscapedContent is the referee of the content escaped at load
// (scenario.Template.AppendJSON, ccapi.SendMsgReq.ContentJSON): a front that records every
// sendAsync body before the mock answers it. Each body must be byte for byte what
// ccapi.AppendSendMsgReq writes for the request it decodes to with the content escaped whole
// (the encoding before this change), and carry the content the template renders: quotes,
// backslashes, control characters, U+2028 and non-ASCII around {{seq}}, {{customer}},
// {{user}}, {{session}} and a pick; a literal content; and a card (escaped whole).
func TestBodiesOnTheWireAreTheEscapedContent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := mock.NewUnstarted(mockOptions(nil))
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var bodies [][]byte
		h := srv.Handler()
		front := memServe(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/sendAsync") {
				b, err := io.ReadAll(r.Body)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				bodies = append(bodies, b)
				mu.Unlock()
				r.Body = io.NopCloser(bytes.NewReader(b))
			}
			h.ServeHTTP(w, r)
		}))
		t.Cleanup(func() { srv.Close() })
		sc := parse(t, auth+`
load: {model: open, arrivals: uniform, rate: 4, duration: 1s}
sessions:
  - name: s
    poll: false
    steps:
      - connect
      - chat: "q\" b\\ t\t nl\n u\u2028 é 😀 {{seq}}/{{customer}}/{{user}}/{{session}} {{pick \"a\\\"\" \"ü\"}}"
      - chat: "literal \" \\ \u2029 ñ"
      - card: {title: "T \"{{seq}}\"", description: "d é", redirect_url: "https://example.com/"}
      - disconnect
`)
		rep := runOK(t, context.Background(), front.target(Config{Scenario: sc, Seed: 1}))
		if s := rep.Sessions; s.Completed != 4 {
			t.Fatalf("sessions %+v: want 4 completed", s)
		}
		if len(bodies) != 4*5 {
			t.Fatalf("the front recorded %d sendAsync bodies, want 20", len(bodies))
		}
		var chats, literal, cards int
		for _, b := range bodies {
			var req ccapi.SendMsgReq
			if err := json.Unmarshal(b, &req); err != nil {
				t.Fatalf("body %s: %v", b, err)
			}
			if want := ccapi.AppendSendMsgReq(nil, &req); !bytes.Equal(b, want) {
				t.Errorf("on the wire\n %s\nescaped whole\n %s", b, want)
			}
			switch c := req.Content; {
			case req.MediaType == ccapi.WebCardMedia:
				cards++
			case strings.HasPrefix(c, "q\" b\\ t\t nl\n u\u2028 é 😀 2/") && strings.Contains(c, "/"+req.From+"/") &&
				(strings.HasSuffix(c, ` a"`) || strings.HasSuffix(c, " ü")):
				chats++
			case c == "literal \" \\ \u2029 ñ":
				literal++
			}
		}
		if chats != 4 || literal != 4 || cards != 4 {
			t.Errorf("contents: %d templated chats, %d literal, %d cards; want 4 of each (bodies %q)", chats, literal, cards, bodies)
		}
	})
}
