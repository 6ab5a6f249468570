package ccapi

import (
	"strings"
	"testing"
)

// What the target said is kept short and without credentials: the client's own secrets, fields
// named like a credential, and long opaque strings (a token quoted back) are replaced.
func TestRedactMessage(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{`{"errorCode":"1","exceptionInfo":"unauthorized: unknown AccessToken"}`, `{"errorCode":"1","exceptionInfo":"unauthorized: unknown AccessToken"}`},
		{`{"accessToken":"abc","resultDesc":"bad app key my-app-secret"}`, `{"accessToken":"REDACTED","resultDesc":"bad app key REDACTED"}`},
		{"token Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0 is unknown", "token REDACTED is unknown"},
		{"<html>\n  <body>Forbidden</body>\n</html>", "<html> <body>Forbidden</body> </html>"},
	} {
		if got := RedactMessage([]byte(c.body), "my-app-secret"); got != c.want {
			t.Errorf("RedactMessage(%q) = %q; want %q", c.body, got, c.want)
		}
	}
	if got := RedactMessage([]byte(strings.Repeat("é", 200))); len(got) > MessageBytes+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("a long body is not cut at %d bytes on a rune boundary: %d bytes", MessageBytes, len(got))
	}
}
