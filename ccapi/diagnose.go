package ccapi

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// MessageBytes is how much of a failed answer's body Client.Messages keeps: enough for the
// target's reason ("unknown AccessToken"), not a whole page.
const MessageBytes = 160

// messages keeps, per endpoint and HTTP status, the first answer body of a non-2xx exchange,
// cut to MessageBytes and redacted: what the target said when it refused. Safe for concurrent use.
type messages struct {
	mu sync.Mutex // guards m
	m  map[string]string
}

// note records body for ep and status unless one is kept already (cheap after the first).
func (ms *messages) note(ep Endpoint, status int, body []byte, secrets ...string) {
	key := ep.String() + " " + strconv.Itoa(status)
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if _, ok := ms.m[key]; ok {
		return
	}
	if ms.m == nil {
		ms.m = map[string]string{}
	}
	ms.m[key] = RedactMessage(body, secrets...)
}

// Messages returns the first body of each endpoint's non-2xx answers by "ENDPOINT STATUS"
// ("poll 401"), cut and redacted (RedactMessage): the target's own words for a failure.
func (c *Client) Messages() map[string]string {
	c.msgs.mu.Lock()
	defer c.msgs.mu.Unlock()
	out := make(map[string]string, len(c.msgs.m))
	for k, v := range c.msgs.m {
		out[k] = v
	}
	return out
}

// secretValue matches the value of a JSON (or key=value) field whose name says it is a credential.
var secretValue = regexp.MustCompile(`(?i)("?[a-z_-]*(?:token|secret|key|password|authorization|credential)[a-z_-]*"?\s*[:=]\s*)("[^"]*"|[^\s,;&}]+)`)

// longOpaque matches a run of 24 or more token-like characters: a token or key quoted back in prose.
var longOpaque = regexp.MustCompile(`[A-Za-z0-9+/_=.-]{24,}`)

// RedactMessage returns the first MessageBytes of body as text with credentials replaced by
// REDACTED: the given secrets, the values of fields named like token, secret, key, password or
// authorization, and any run of 24 or more token-like characters. Invalid UTF-8 is dropped.
func RedactMessage(body []byte, secrets ...string) string {
	s := strings.ToValidUTF8(string(body), "")
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "REDACTED")
		}
	}
	s = secretValue.ReplaceAllString(s, `${1}"REDACTED"`)
	s = longOpaque.ReplaceAllString(s, "REDACTED")
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > MessageBytes {
		cut := MessageBytes
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
