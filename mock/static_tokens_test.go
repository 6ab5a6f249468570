package mock_test

import (
	"net/http"
	"testing"
	"time"

	"ccload/ccapi"
)

// A scenario's static tokens work against a mock told about them; tokens the mock never issued
// are still refused.
func TestStaticTokensAreAccepted(t *testing.T) {
	o := quickOptions()
	o.StaticAccessToken, o.StaticCCToken = "static-at", "static-cc"
	s := newMock(t, o)
	c := &client{t: t, base: s.URL(), appKey: "test-app", access: "static-at", cc: "static-cc", hc: &http.Client{Timeout: 30 * time.Second}}
	if r := c.send("static-user", ccapi.Connect, ""); r.status != 200 || r.resultCode(t) != "0" {
		t.Fatalf("CONNECT with the static tokens: %d %s", r.status, r.body)
	}
	c.cc = "never-issued"
	if r := c.send("static-user", ccapi.Chat, "hi"); r.status != http.StatusUnauthorized {
		t.Errorf("a ccmessaging-token the mock never issued: HTTP %d, want 401", r.status)
	}
}
