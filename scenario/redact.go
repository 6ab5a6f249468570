package scenario

import (
	"fmt"
	"strings"

	"ccload/internal/redact"
)

// envTemplateError is the message for a template that is bad only once ${ENV} is expanded: it
// names the variables, never their values (which may be secrets).
func envTemplateError(raw string) string {
	var names []string
	for _, m := range redact.EnvVarRef.FindAllStringSubmatch(raw, -1) {
		names = append(names, "${"+m[1]+"}")
	}
	return fmt.Sprintf("not a valid template once %s is expanded (its value holds {{ or }}; the value is not shown); write $${ or escape the braces in the variable", strings.Join(names, ", "))
}

// Redact returns scenario text with the values of app_key, app_secret, access_token and
// ccmessaging_token, and the user info and query values of every URL, replaced by "REDACTED"
// (a ${VAR} reference is kept: it names the variable, not its value). See redact.Text.
func Redact(text string) string { return redact.Text(text) }

// RedactURL returns s with user info and query values replaced, for plans, errors and reports.
func RedactURL(s string) string { return redact.URL(s) }
