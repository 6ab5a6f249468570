package scenario

import (
	"strings"
	"testing"
)

// ParseSessions compiles sessions as the file's own: they inherit its channel defaults, and a
// rule a literal breaks is reported at its file, line and key.
func TestParseSessions(t *testing.T) {
	sc, err := Parse("base.yaml", []byte("target: {url: \"http://127.0.0.1:1\"}\nauth: {app_key: k, app_secret: s}\nchannel: {to: \"777\", channel: WEB}\nload: {rate: 1, duration: 1s}\nsessions: [{steps: [connect]}]\n"), ".", nil)
	if err != nil {
		t.Fatal(err)
	}
	ss, err := sc.ParseSessions("log line 5", []byte("sessions:\n  - name: replay\n    poll: {interval: 250ms}\n    steps: [connect, {chat: hi}, disconnect]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 1 || len(ss[0].Steps) != 3 || ss[0].PollInterval.Milliseconds() != 250 || len(sc.Sessions) != 1 {
		t.Fatalf("sessions %+v (the scenario now has %d)", ss, len(sc.Sessions))
	}
	if to, _ := ss[0].Steps[1].Send.To.Literal(); to != "777" {
		t.Errorf("chat to = %q, want the file's channel.to 777", to)
	}
	_, err = sc.ParseSessions("log line 9", []byte("sessions:\n  - channel: {user_id: \"abcdefghijklmnopqrstuvwxyz0123\"}\n    steps: [connect]\n"))
	if err == nil || !strings.Contains(err.Error(), "log line 9:2:") || !strings.Contains(err.Error(), "user_id") {
		t.Errorf("a from of 30 characters: %v", err)
	}
	if _, err := sc.ParseSessions("x", []byte("load: {rate: 1}\n")); err == nil {
		t.Errorf("a document with other keys than sessions was accepted")
	}
}
