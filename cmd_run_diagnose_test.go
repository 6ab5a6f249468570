package main

// Diagnoses that name the cause, end to end: an HTTPS target signed by a private CA (an httptest
// TLS server on loopback with the test's own CA, in front of the mock), with and without
// target.ca_file and insecure_skip_verify; and static tokens the target does not know.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ccload/report"
)

// privateCATarget starts an HTTPS server on loopback, signed by a CA of its own, that forwards to
// the mock at mockURL; it returns its URL and the CA as a PEM file.
func privateCATarget(t *testing.T, mockURL string) (target, caFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "private CA"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(mockURL)
	srv := httptest.NewUnstartedServer(httputil.NewSingleHostReverseProxy(u))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		t.Fatal(err)
	}
	return srv.URL, caFile
}

const diagScenario = `name: diag
seed: 5
target: {url: TARGET EXTRA}
auth: {app_key: diag-key, app_secret: diag-secret}
channel: {to: "1011577355744904195"}
load: {arrivals: uniform, stages: [{duration: 1s, rate: 4}]}
sessions:
  - name: s
    poll: false
    steps: [connect, {chat: hi}, disconnect]
`

func diagRun(t *testing.T, target, extra string) e2eResult {
	t.Helper()
	file := filepath.Join(t.TempDir(), "diag.yaml")
	text := strings.NewReplacer("TARGET", target, "EXTRA", extra).Replace(diagScenario)
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return e2eRun(t, nil, file, "--grace", "2s")
}

func TestPrivateCATargetIsDiagnosedAsTLS(t *testing.T) {
	realTime(t)
	srv := e2eMock(t, nil)
	target, caFile := privateCATarget(t, srv.URL())

	// No CA: nothing gets an HTTP answer; the cause is TLS and the hint names target.ca_file, not the credentials.
	res := diagRun(t, target, "")
	if res.code != exitAborted || res.rep == nil {
		t.Fatalf("private CA without ca_file: exit %d; want 3 with a report\n%s", res.code, res.stderr)
	}
	out := res.stdout + res.stderr
	if res.rep.Overall.Errors["tls_unknown_authority"] == 0 || !strings.Contains(out, "UNREACHABLE: no request got an HTTP answer; TLS:") ||
		!strings.Contains(out, "target.ca_file") || strings.Contains(out, "check auth.app_key") {
		t.Errorf("private CA without ca_file: errors %v; output does not name TLS and target.ca_file (or blames the credentials):\n%s", res.rep.Overall.Errors, out)
	}
	if got := srv.Stats().Total(); got != 0 {
		t.Errorf("the mock behind the TLS front received %d requests; want none", got)
	}

	// target.ca_file: the run passes, nothing warns about verification.
	res = diagRun(t, target, ", ca_file: "+caFile)
	if res.code != exitOK || res.rep.Requests.OK == 0 || strings.Contains(res.stderr, "insecure_skip_verify") {
		t.Errorf("with target.ca_file: exit %d, %d ok\n%s", res.code, res.rep.Requests.OK, res.stderr)
	}

	// insecure_skip_verify: the run passes, and says once that nothing was verified.
	res = diagRun(t, target, ", insecure_skip_verify: true")
	if n := strings.Count(res.stderr, "insecure_skip_verify"); res.code != exitOK || n != 1 {
		t.Errorf("insecure_skip_verify: exit %d, warned %d times; want 0 and one warning\n%s", res.code, n, res.stderr)
	}
}

// Static tokens the target does not know: every request answers HTTP 401. The run says so in
// report.json, the console, report.html and junit.xml, with the target's own words and no token.
func TestUnknownStaticTokenIsDiagnosed(t *testing.T) {
	realTime(t)
	srv := e2eMock(t, nil)
	const token = "static-token-the-platform-never-issued-0123456789"
	file := filepath.Join(t.TempDir(), "static.yaml")
	text := strings.NewReplacer("TARGET", srv.URL(), "EXTRA", "").Replace(diagScenario)
	text = strings.Replace(text, "auth: {app_key: diag-key, app_secret: diag-secret}", "auth: {app_key: diag-key, access_token: "+token+"}", 1)
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	res := e2eRun(t, nil, file, "--grace", "2s")
	if res.rep == nil {
		t.Fatalf("exit %d, no report\n%s", res.code, res.stderr)
	}
	var ws *report.Wholesale
	for i := range res.rep.FailedWholesale {
		if res.rep.FailedWholesale[i].Group == "applyToken" {
			ws = &res.rep.FailedWholesale[i]
		}
	}
	if ws == nil || ws.Cause != "HTTP 401" || !strings.Contains(ws.Message, "unknown AccessToken") || !strings.Contains(ws.Hint, "auth.access_token") {
		t.Fatalf("failed_wholesale %+v; want applyToken, HTTP 401, the target's \"unknown AccessToken\" and a hint", res.rep.FailedWholesale)
	}
	out := res.stdout + res.stderr
	if !strings.Contains(out, "every request of applyToken failed") || !strings.Contains(out, "unknown AccessToken") {
		t.Errorf("the console does not say every applyToken failed in the target's words:\n%s", out)
	}
	for _, name := range []string{report.FileName, report.HTMLFileName, report.JUnitFileName} {
		b, err := os.ReadFile(filepath.Join(res.out, name))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "unknown AccessToken") {
			t.Errorf("%s does not carry the target's message", name)
		}
		if strings.Contains(string(b), token) {
			t.Errorf("%s carries the static token", name)
		}
	}
	if strings.Contains(out, token) {
		t.Error("the console shows the static token")
	}
}
