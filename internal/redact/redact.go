// Package redact removes credentials from scenario text and URLs. It is a leaf: the scenario
// loader redacts what it stores, and the report reader redacts what older reports stored, with
// the same rules.
package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// EnvVarRef matches a ${NAME} or ${NAME:-default} reference: a value written so is no secret.
var EnvVarRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}`)

// secretKeys are the scenario keys whose values are credentials.
var secretKeys = []string{"app_key", "app_secret", "access_token", "ccmessaging_token"}

// secretLine matches `key: value` for a secret key, in block or flow style.
var secretLine = regexp.MustCompile(`(?m)((?:^|[\s{,])(?:` + strings.Join(secretKeys, "|") + `)\s*:[ \t]*)("(?:[^"\\\n]|\\.)*"|'(?:[^'\n]|'')*'|(?:\$\{[^}\n]*\}|[^\s,}#])(?:\$\{[^}\n]*\}|[^,}\n#])*)`)

// urlInText matches an http(s) URL in scenario text.
var urlInText = regexp.MustCompile(`https?://[^\s"',}\]]+`)

// Text returns scenario text with the values of app_key, app_secret, access_token and
// ccmessaging_token, and the user info and query values of every URL, replaced by "REDACTED"
// (a ${VAR} reference is kept: it names the variable, not its value; the default of a
// ${VAR:-default} in those keys is replaced, ${VAR:-REDACTED}: it is the value when VAR is unset). Every stored or shown copy
// of a scenario goes through it, so a secret written literally never reaches a report.
func Text(text string) string {
	text = secretLine.ReplaceAllStringFunc(text, func(m string) string {
		sub := secretLine.FindStringSubmatch(m)
		v := strings.TrimSpace(sub[2])
		if envOnly(strings.Trim(v, `"'`)) {
			// The variable's name is no secret, but a default written after it is the
			// secret itself whenever the variable is unset: it goes, the name stays.
			return sub[1] + EnvVarRef.ReplaceAllStringFunc(sub[2], redactDefault)
		}
		return sub[1] + `"REDACTED"`
	})
	return urlInText.ReplaceAllStringFunc(text, URL)
}

// redactDefault returns one ${NAME:-default} reference with its default, if any, replaced:
// ${NAME:-REDACTED} (an empty default, ${NAME:-}, stays as written: it holds nothing).
func redactDefault(ref string) string {
	m := EnvVarRef.FindStringSubmatch(ref)
	if len(m[2]) <= len(":-") {
		return ref
	}
	return "${" + m[1] + ":-REDACTED}"
}

// envOnly reports whether v is nothing but ${VAR} references (safe to show: names, not values).
func envOnly(v string) bool {
	return v != "" && strings.TrimSpace(EnvVarRef.ReplaceAllString(v, "")) == ""
}

// URL returns s with user info and query values replaced, for plans, errors and reports.
func URL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		if strings.ContainsAny(s, "@?#") {
			return "REDACTED-URL"
		}
		return s
	}
	changed := false
	if u.User != nil {
		u.User = url.User("REDACTED")
		changed = true
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q[k] = []string{"REDACTED"}
		}
		u.RawQuery = q.Encode()
		changed = true
	}
	if u.Fragment != "" {
		u.Fragment = "REDACTED"
		changed = true
	}
	if !changed {
		return s
	}
	return u.String()
}
