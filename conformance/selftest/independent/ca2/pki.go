package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // RFC 5280 §4.2.1.2 method (1) key identifier
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	mrand "math/rand"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Root is the organisation root: certificate and key.
type Root struct {
	Cert *x509.Certificate
	PEM  []byte
	Key  crypto.Signer
}

func loadRoot(dir string) (*Root, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, rootCertFile))
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, rootKeyFile))
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("root.pem holds no CERTIFICATE")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, err
	}
	key, err := parsePrivateKey(keyPEM)
	if err != nil {
		return nil, err
	}
	return &Root{Cert: cert, PEM: certPEM, Key: key}, nil
}

func parsePrivateKey(keyPEM []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, errors.New("no PEM private key")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
		return nil, errors.New("the private key cannot sign")
	}
	if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	return nil, errors.New("unsupported private key format")
}

// keyID is the SHA-1 of the subjectPublicKey BIT STRING (RFC 5280 §4.2.1.2 (1)).
func keyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, err
	}
	sum := sha1.Sum(spki.PublicKey.Bytes) //nolint:gosec
	return sum[:], nil
}

// randomSerial: positive, 127 bits of which 126 random, never more than 16 octets.
func randomSerial() (*big.Int, error) {
	if fault("serial-unixnano") {
		return big.NewInt(time.Now().UnixNano()), nil
	}
	if fault("serial-math-rand") {
		// math/rand's global source: in Go 1.19 seeded with 1 at every start
		buf := make([]byte, 16)
		_, _ = mrand.Read(buf) //nolint:gosec
		buf[0] = buf[0]&0x3f | 0x40
		return new(big.Int).SetBytes(buf), nil
	}
	if fault("r3-serial-160-bits") {
		top := new(big.Int).Lsh(big.NewInt(1), 159)
		n, err := rand.Int(rand.Reader, top)
		if err != nil {
			return nil, err
		}
		return n.Add(n, top), nil
	}
	limit := new(big.Int).Lsh(big.NewInt(1), 126)
	n, err := rand.Int(rand.Reader, limit)
	if err != nil {
		return nil, err
	}
	return n.Add(n, limit), nil
}

func signatureAlgorithmFor(key crypto.Signer) x509.SignatureAlgorithm {
	switch key.Public().(type) {
	case *ecdsa.PublicKey:
		return x509.ECDSAWithSHA256
	case *rsa.PublicKey:
		return x509.SHA256WithRSA
	}
	return x509.UnknownSignatureAlgorithm
}

// sha384For is the faults' habit of P-384 setups: SHA-384 whatever the key.
func sha384For(key crypto.Signer) x509.SignatureAlgorithm {
	if _, ok := key.Public().(*rsa.PublicKey); ok {
		return x509.SHA384WithRSA
	}
	return x509.ECDSAWithSHA384
}

// newRoot makes a fresh organisation root (PKI-CERT-8, PKI-CERT-13).
func newRoot(cn string) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	ski, err := keyID(key.Public())
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		SubjectKeyId:          ski,
		SignatureAlgorithm:    x509.ECDSAWithSHA256,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// newServerCert issues the CA's own TLS certificate: a fresh P-256 key, the CA's
// host names and addresses in the subjectAltName (CA-ENR-17), serverAuth.
func newServerCert(root *Root, names []string) ([][]byte, crypto.Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	ski, err := keyID(key.Public())
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "sft-pki/1 organisation CA (ca2)"},
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              now.AddDate(0, 0, 30),
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		SubjectKeyId:          ski,
		SignatureAlgorithm:    signatureAlgorithmFor(root.Key),
	}
	for _, name := range names {
		if ip := net.ParseIP(name); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, name)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, root.Cert, key.Public(), root.Key)
	if err != nil {
		return nil, nil, err
	}
	return [][]byte{der}, key, nil
}

var errBadCSR = errors.New("bad_csr")

var strongCSRAlgorithms = map[x509.SignatureAlgorithm]bool{
	x509.SHA256WithRSA: true, x509.SHA384WithRSA: true, x509.SHA512WithRSA: true,
	x509.SHA256WithRSAPSS: true, x509.SHA384WithRSAPSS: true, x509.SHA512WithRSAPSS: true,
	x509.ECDSAWithSHA256: true, x509.ECDSAWithSHA384: true, x509.ECDSAWithSHA512: true,
}

// checkCSR applies CA-ENR-3 and CA-ENR-13: one PEM CERTIFICATE REQUEST, nothing
// around it, a well-formed PKCS#10 whose signature verifies with SHA-256 or better,
// holding a P-256 or RSA >= 2048 key.
func checkCSR(csrPEM string) (*x509.CertificateRequest, error) {
	if fault("pem-first-block") {
		block, _ := pem.Decode([]byte(csrPEM))
		if block == nil {
			return nil, fmt.Errorf("%w: not PEM", errBadCSR)
		}
		return checkCSRDER(block.Bytes)
	}
	text := strings.TrimSpace(csrPEM)
	if !strings.HasPrefix(text, "-----BEGIN CERTIFICATE REQUEST-----") {
		return nil, fmt.Errorf("%w: not a PEM CERTIFICATE REQUEST", errBadCSR)
	}
	block, rest := pem.Decode([]byte(text))
	if block == nil || block.Type != "CERTIFICATE REQUEST" || len(block.Headers) != 0 {
		return nil, fmt.Errorf("%w: not a PEM CERTIFICATE REQUEST", errBadCSR)
	}
	if len(strings.TrimSpace(string(rest))) != 0 && !fault("r2-pem-rest-ignored") {
		return nil, fmt.Errorf("%w: more than one PEM block", errBadCSR)
	}
	return checkCSRDER(block.Bytes)
}

// checkCSRDER judges the PKCS#10 request itself.
func checkCSRDER(der []byte) (*x509.CertificateRequest, error) {
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, fmt.Errorf("%w: not a PKCS#10 request", errBadCSR)
	}
	weak := !strongCSRAlgorithms[csr.SignatureAlgorithm]
	if fault("ed25519-accepted") {
		// a blocklist of the weak hashes Go knows, instead of a list of the strong ones
		switch csr.SignatureAlgorithm {
		case x509.MD5WithRSA, x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1:
			weak = true
		default:
			weak = false
		}
	}
	if !fault("sha1-csr") && weak {
		return nil, fmt.Errorf("%w: signed with %v", errBadCSR, csr.SignatureAlgorithm)
	}
	if !fault("pop-unchecked") {
		if err := csr.CheckSignature(); err != nil {
			return nil, fmt.Errorf("%w: the signature does not verify", errBadCSR)
		}
	}
	switch pub := csr.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if !fault("any-curve") && pub.Curve != elliptic.P256() {
			return nil, fmt.Errorf("%w: EC keys must be on P-256", errBadCSR)
		}
	case *rsa.PublicKey:
		if fault("rsa-size-bytes") {
			if pub.Size() < 256 {
				return nil, fmt.Errorf("%w: RSA keys must have at least 2048 bits", errBadCSR)
			}
		} else if fault("r3-rsa-2048-only") && pub.N.BitLen() != 2048 {
			return nil, fmt.Errorf("%w: RSA keys must have 2048 bits", errBadCSR)
		} else if pub.N.BitLen() < 2048 {
			return nil, fmt.Errorf("%w: RSA keys must have at least 2048 bits", errBadCSR)
		}
	default:
		if fault("ed25519-accepted") {
			break // the type switch lists the keys it checks; others pass through
		}
		return nil, fmt.Errorf("%w: the key must be ECDSA P-256 or RSA", errBadCSR)
	}
	return csr, nil
}

// issue makes an employee certificate (PKI-CERT-1, CA-ENR-4, CA-ENR-10).
func issue(root *Root, alias string, csr *x509.CertificateRequest, serial *big.Int, validity time.Duration, now time.Time) ([]byte, time.Time, error) {
	ski, err := keyID(csr.PublicKey)
	if err != nil {
		return nil, time.Time{}, err
	}
	notAfter := now.Add(validity)
	if fault("validity-skew") {
		notAfter = notAfter.Add(time.Hour)
	}
	subject := pkix.Name{CommonName: alias}
	if fault("csr-subject") {
		subject = csr.Subject
		subject.CommonName = alias
		subject.ExtraNames = nil
	}
	keyUsage := x509.KeyUsageDigitalSignature
	if fault("ku-keyencipherment") {
		keyUsage |= x509.KeyUsageKeyEncipherment
	}
	eku := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}
	if fault("eku-client-only") {
		eku = eku[:1]
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              notAfter,
		BasicConstraintsValid: !fault("r2-bc-invalid"),
		IsCA:                  false,
		KeyUsage:              keyUsage,
		ExtKeyUsage:           eku,
		SubjectKeyId:          ski,
		SignatureAlgorithm:    signatureAlgorithmFor(root.Key),
	}
	if fault("no-ski") {
		tmpl.SubjectKeyId = nil
	}
	if fault("r3-notbefore-two-hours") {
		tmpl.NotBefore = now.Add(-2 * time.Hour)
	}
	if fault("r2-notbefore-future") {
		tmpl.NotBefore = now.Add(5 * time.Minute)
	}
	if fault("r2-cert-sha384") {
		tmpl.SignatureAlgorithm = sha384For(root.Key)
	}
	if fault("csr-extensions") {
		tmpl.ExtraExtensions = csr.Extensions // "keep what was asked for"
	}
	if fault("csr-dnsnames") {
		tmpl.DNSNames = csr.DNSNames
		tmpl.IPAddresses = csr.IPAddresses
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, root.Cert, csr.PublicKey, root.Key)
	if err != nil {
		return nil, time.Time{}, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, time.Time{}, err
	}
	return der, cert.NotAfter, nil
}

// makeCRL signs the CRL of every revoked certificate (CA-ENR-8, CA-ENR-16).
func makeCRL(root *Root, certs []IssuedCert, lifetime time.Duration, now time.Time) ([]byte, error) {
	var revoked []pkix.RevokedCertificate
	for _, c := range certs {
		if c.RevokedAt.IsZero() {
			continue
		}
		serial, ok := new(big.Int).SetString(c.Serial, 10)
		if !ok {
			return nil, fmt.Errorf("bad serial %q in the store", c.Serial)
		}
		revoked = append(revoked, pkix.RevokedCertificate{SerialNumber: serial, RevocationTime: c.RevokedAt.UTC()})
	}
	thisUpdate := now.Add(-time.Minute).UTC()
	if fault("crl-30-days") {
		lifetime = 30 * 24 * time.Hour
	}
	if fault("crl-week-plus-backdate") {
		// "valid for the 7 days from now", on a thisUpdate backdated for clock skew
		lifetime = 7*24*time.Hour + now.Sub(thisUpdate)
	}
	tmpl := &x509.RevocationList{
		SignatureAlgorithm:  signatureAlgorithmFor(root.Key),
		RevokedCertificates: revoked,
		Number:              big.NewInt(now.UnixNano()),
		ThisUpdate:          thisUpdate,
		NextUpdate:          thisUpdate.Add(lifetime),
	}
	if fault("r2-crl-sha384") {
		tmpl.SignatureAlgorithm = sha384For(root.Key)
	}
	issuer := root.Cert
	if !fault("crl-issuer-reencoded") {
		var err error
		if issuer, err = issuerAsEncoded(root.Cert); err != nil {
			return nil, err
		}
	}
	return x509.CreateRevocationList(rand.Reader, tmpl, issuer, root.Key)
}

// issuerAsEncoded works around Go 1.19's CreateRevocationList, which writes the
// issuer as issuer.Subject.ToRDNSequence() — re-encoded, so a root whose subject is
// a UTF8String gets a CRL whose issuer is a PrintableString, a different name to a
// byte-exact relying party (RFC 5280 §7.1 (a)). Each attribute of the root's own
// encoding goes in as an ExtraNames entry holding its raw value, and the result is
// checked to equal RawSubject.
func issuerAsEncoded(root *x509.Certificate) (*x509.Certificate, error) {
	type rawAttribute struct {
		Type  asn1.ObjectIdentifier
		Value asn1.RawValue
	}
	type rdnSET []rawAttribute // encoding/asn1 reads a type named *SET as a SET OF
	var rdns []rdnSET
	if rest, err := asn1.Unmarshal(root.RawSubject, &rdns); err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("the root's subject does not parse: %v", err)
	}
	var name pkix.Name
	for _, rdn := range rdns {
		for _, attribute := range rdn {
			name.ExtraNames = append(name.ExtraNames, pkix.AttributeTypeAndValue{
				Type: attribute.Type, Value: asn1.RawValue{FullBytes: attribute.Value.FullBytes}})
		}
	}
	encoded, err := asn1.Marshal(name.ToRDNSequence())
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(encoded, root.RawSubject) {
		return nil, errors.New("the root's subject has multi-valued RDNs: cannot copy it into a CRL")
	}
	copied := *root
	copied.Subject = name
	return &copied, nil
}
