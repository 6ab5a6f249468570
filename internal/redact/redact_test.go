package redact

import (
	"strings"
	"testing"
)

// The default of a ${VAR:-default} in a secret key is the secret whenever VAR is unset: it
// is redacted, the variable's name kept; defaults of other keys are left alone.
func TestTextRedactsEnvDefaultsOfSecrets(t *testing.T) {
	in := "auth:\n  app_key: ${AK:-KEYDEF1}\n  app_secret: \"${UNSET:-S3CRET}\"\n  access_token: '${A}${B:-TOKDEF2}'\n" +
		"channel: {to: \"1\", ccmessaging_token: \"${CC:-CCDEF3}\"}\n  app_secret: ${EMPTY:-}\n" +
		"target: {url: \"${URL:-http://127.0.0.1:18080}\"}\n"
	out := Text(in)
	for _, s := range []string{"KEYDEF1", "S3CRET", "TOKDEF2", "CCDEF3"} {
		if strings.Contains(out, s) {
			t.Errorf("default %s survives:\n%s", s, out)
		}
	}
	for _, want := range []string{
		"app_key: ${AK:-REDACTED}\n", `app_secret: "${UNSET:-REDACTED}"`, `access_token: '${A}${B:-REDACTED}'`,
		`ccmessaging_token: "${CC:-REDACTED}"}`, "app_secret: ${EMPTY:-}\n", `url: "${URL:-http://127.0.0.1:18080}"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in:\n%s", want, out)
		}
	}
}
