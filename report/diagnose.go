package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Wholesale is a group whose every request with an outcome of the target failed: a run that
// measured nothing but a refusal (unknown static tokens answering HTTP 401, a private CA), said
// with the target's own words so it is not read as a latency result.
type Wholesale struct {
	Group    string `json:"group"`
	Requests int64  `json:"requests"`
	// Cause is the commonest failure: "HTTP 401", "resultCode 13" or an error class ("tls_unknown_authority").
	Cause string `json:"cause"`
	// Count is how many of Requests failed so.
	Count int64 `json:"count"`
	// Message is the first bytes of the target's answer for an HTTP error, credentials redacted (ccapi.RedactMessage).
	Message string `json:"message,omitempty"`
	// Hint says what to check, when the cause names it.
	Hint string `json:"hint,omitempty"`
}

// DiagnoseWholesale finds the endpoint groups of r whose every request failed (tokenByAkSk aside:
// the runner warns of a failed AccessToken fetch itself) and records them in
// r.FailedWholesale and, worded for people, in r.Warnings (the console, report.html and junit.xml
// show them). messages are the target's answers by "ENDPOINT STATUS" (ccapi.Client.Messages).
func DiagnoseWholesale(r *Report, messages map[string]string) {
	for _, g := range r.Groups {
		if g.Kind != "endpoint" || g.Count == 0 || g.OK > 0 || g.Endpoint == "tokenByAkSk" {
			continue // a failed AccessToken fetch has its own warning, with its cause (the runner's)
		}
		w := Wholesale{Group: g.Name, Requests: g.Count}
		switch {
		case g.HTTPErrors >= g.AppErrors && g.HTTPErrors >= g.TransportErrors:
			st, n := commonest(g.HTTPStatus, func(k string) bool { return !strings.HasPrefix(k, "2") })
			w.Cause, w.Count, w.Message = "HTTP "+st, n, messages[g.Endpoint+" "+st]
			w.Hint = CauseHint("http_error", st)
		case g.AppErrors >= g.TransportErrors:
			code, n := commonest(g.ResultCodes, func(k string) bool { return k != "0" })
			w.Cause, w.Count = "resultCode "+code, n
		default:
			cl, n := commonest(g.Errors, func(k string) bool { return k != "app_error" && k != "http_error" })
			w.Cause, w.Count, w.Hint = cl, n, CauseHint(cl, "")
		}
		r.FailedWholesale = append(r.FailedWholesale, w)
		msg := fmt.Sprintf("every request of %s failed (%s of %s: %s)", w.Group, FormatCount(w.Count), FormatCount(w.Requests), w.Cause)
		if w.Message != "" {
			msg += fmt.Sprintf("; the target said: %q", w.Message)
		}
		if w.Hint != "" {
			msg += "; " + w.Hint
		}
		r.Warnings = append(r.Warnings, msg)
	}
}

// commonest is the key of m (among those keep accepts) with the largest count, ties by name.
func commonest(m map[string]int64, keep func(string) bool) (string, int64) {
	best, n := "", int64(0)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if keep(k) && m[k] > n {
			best, n = k, m[k]
		}
	}
	return best, n
}

// CauseHint says what to check for requests that failed with error class class (report.json's
// errors key) or, for HTTP errors, status; "" when there is nothing specific to say.
func CauseHint(class, status string) string {
	switch class {
	case "refused":
		return "connection refused: nothing listens at the target's address; check target.url (or --target) and that the platform is up"
	case "tls_unknown_authority":
		return "TLS: the target's certificate is signed by an authority ccload does not trust (a private CA): give its PEM bundle as target.ca_file"
	case "tls_name_mismatch":
		return "TLS: the target's certificate is not valid for the URL's host name: write the name the certificate carries in target.url"
	case "tls_expired":
		return "TLS: the target's certificate has expired or is not yet valid: renew it, or check this machine's clock"
	case "tls":
		return "TLS: the handshake failed (a plain-HTTP server behind https://?): check target.url's scheme and port"
	case "timeout":
		return "timeouts: the target did not answer within target.timeout"
	case "http_error":
		switch status {
		case "401", "403":
			return "the target refused the credentials: check auth.access_token (a static token the target must know), or auth.app_key, auth.app_secret and target.paths.token_by_ak_sk"
		case "404":
			return "the target has no such path: check target.url and target.paths"
		}
	}
	return ""
}

// UnreachableHint picks the cause of a run in which no request got an HTTP answer from its
// commonest transport error class (exported for the console summary, which prints it).
func UnreachableHint(r *Report) string {
	cl, _ := commonest(r.Overall.Errors, func(k string) bool { return k != "app_error" && k != "http_error" })
	return CauseHint(cl, "")
}
