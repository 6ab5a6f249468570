package ccapi

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// testCA is a certificate authority of the test's own, as a private platform would have.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ccload test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// leaf issues a server certificate for 127.0.0.1 (and the name dns) valid from nb to na.
func (ca *testCA) leaf(t *testing.T, dns string, nb, na time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: dns}, NotBefore: nb, NotAfter: na,
		DNSNames: []string{dns}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsServer is an httptest TLS server on loopback presenting cert, answering every poll "0".
func tlsServer(t *testing.T, cert tls.Certificate) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"resultCode":"0","downlinkMessages":[]}`)
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = nil
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// A TLS failure is named by the reason a user fixes, the same on both transports: a private CA
// the client does not trust (fixed by RootCAs, target.ca_file), a certificate for another name,
// an expired one, and a plain-HTTP server behind https://.
func TestTLSFailuresNameTheirCause(t *testing.T) {
	ca := newTestCA(t)
	now := time.Now()
	good := tlsServer(t, ca.leaf(t, "platform.test", now.Add(-time.Hour), now.Add(time.Hour)))
	expired := tlsServer(t, ca.leaf(t, "platform.test", now.Add(-2*time.Hour), now.Add(-time.Hour)))
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer plain.Close()
	// The same server by a name its certificate does not carry: localhost resolves to loopback.
	mismatch := strings.Replace(good.URL, "127.0.0.1", "localhost", 1)
	https := func(u string) string { return strings.Replace(u, "http://", "https://", 1) }
	for _, transport := range []string{"h1", "nethttp"} {
		for _, c := range []struct {
			name string
			url  string
			cas  *x509.CertPool
			want ErrKind
		}{
			{"private CA, not trusted", good.URL, nil, KindTLSUnknownAuthority},
			{"private CA, trusted by RootCAs", good.URL, ca.pool, KindOK},
			{"another host name", mismatch, ca.pool, KindTLSNameMismatch},
			{"expired", expired.URL, ca.pool, KindTLSExpired},
			{"plain HTTP behind https://", https(plain.URL), ca.pool, KindTLS},
		} {
			cl, err := NewClient(Config{BaseURL: c.url, AccessToken: "at", AppKey: testAppKey, Timeout: 10 * time.Second, RootCAs: c.cas, Transport: transport})
			if err != nil {
				t.Fatal(err)
			}
			cu := cl.NewCustomer("u")
			cu.SetToken("cm")
			_, call := cu.Poll(context.Background(), "ok", nil)
			cl.Close()
			if call.Kind != c.want {
				t.Errorf("%s, %s: kind %s (err %v); want %s", transport, c.name, call.Kind, call.Err, c.want)
			}
		}
	}
}
