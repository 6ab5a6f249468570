package scenario

import (
	"crypto/x509"
	"encoding/pem"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// caFile reads target.ca_file, a PEM bundle of the certificate authorities a target with a
// private CA is signed by (relative to the scenario's directory), and returns them as a pool.
// A file that cannot be read, or holds no certificate, is refused at its position.
func (l *loader) caFile(v *yaml.Node) *x509.CertPool {
	file, ok := l.str(v, "target.ca_file")
	if !ok || file == "" {
		return nil
	}
	full := file
	if !filepath.IsAbs(full) {
		full = filepath.Join(l.dir, file)
	}
	data, err := readRegular(full, MaxDataBytes)
	if err != nil {
		l.errAt(v, "target.ca_file", "cannot read %s: %v", shown(v), unwrapPathErr(err))
		return nil
	}
	pool := x509.NewCertPool()
	n := 0
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			l.errAt(v, "target.ca_file", "%s: certificate %d: %v", shown(v), n+1, err)
			return nil
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		l.errAt(v, "target.ca_file", "%s holds no PEM certificate (-----BEGIN CERTIFICATE-----): give the CA bundle the target's certificate is signed by", shown(v))
		return nil
	}
	return pool
}
