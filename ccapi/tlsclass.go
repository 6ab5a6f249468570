package ccapi

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
)

// tlsConfigOf is the TLS configuration cfg asks for, the same for both transports: nil (the
// system's roots, verified) unless RootCAs or InsecureSkipVerify is set.
func tlsConfigOf(cfg *Config) *tls.Config {
	if !cfg.InsecureSkipVerify && cfg.RootCAs == nil {
		return nil
	}
	return &tls.Config{RootCAs: cfg.RootCAs, InsecureSkipVerify: cfg.InsecureSkipVerify} //nolint:gosec // the user asked for it
}

// classifyTLS names why a TLS handshake failed, the same on both transports (they wrap the
// crypto/tls and crypto/x509 errors); ok is false when err is no TLS failure.
func classifyTLS(err error) (ErrKind, bool) {
	var (
		unknown  x509.UnknownAuthorityError
		host     x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
		alert    tls.AlertError
		insecure x509.InsecureAlgorithmError
	)
	switch {
	case errors.As(err, &unknown):
		return KindTLSUnknownAuthority, true
	case errors.As(err, &host):
		return KindTLSNameMismatch, true
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return KindTLSExpired, true
	case errors.As(err, &invalid), errors.As(err, &verify), errors.As(err, &record), errors.As(err, &alert), errors.As(err, &insecure):
		return KindTLS, true
	}
	if strings.Contains(err.Error(), "tls: ") {
		return KindTLS, true // a handshake failure without a typed cause
	}
	return 0, false
}
