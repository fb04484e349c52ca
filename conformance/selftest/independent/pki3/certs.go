package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"
)

var oidCommonName = asn1.ObjectIdentifier{2, 5, 4, 3}

const maxCRLAge = 7 * 24 * time.Hour

// Trust is the organisation root and the CRL this endpoint holds.
type Trust struct {
	Root   *x509.Certificate
	CRLURL string
	mu     sync.RWMutex
	crl    *x509.RevocationList
	// i7-verify-cache-cn: client certificates verified lately, by CN
	verified map[string]time.Time
}

func loadRoot(path string) (*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, errors.New("root: no PEM certificate")
	}
	return x509.ParseCertificate(blk.Bytes)
}

// caClient talks to the CA: TLS 1.3 only, the organisation root as the only trust
// anchor, host name checked against the subjectAltName (Go never uses the CN).
func (t *Trust) caClient() *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(t.Root)
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{
				RootCAs:          pool,
				MinVersion:       tls.VersionTLS13,
				CurvePreferences: curves,
			},
			Proxy: nil,
		},
	}
}

// fetchCRL loads the CRL from the CA URL (an https:// URL) or a local DER/PEM file,
// and keeps it only if the root signed it.
func (t *Trust) fetchCRL(ctx context.Context) error {
	var der []byte
	if bytes.HasPrefix([]byte(t.CRLURL), []byte("https://")) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.CRLURL, nil)
		if err != nil {
			return err
		}
		resp, err := t.caClient().Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("CRL fetch: HTTP %d", resp.StatusCode)
		}
		der, err = io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		if err != nil {
			return err
		}
	} else {
		b, err := os.ReadFile(t.CRLURL)
		if err != nil {
			return err
		}
		if blk, _ := pem.Decode(b); blk != nil {
			b = blk.Bytes
		}
		der = b
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return fmt.Errorf("CRL: %w", err)
	}
	if !bytes.Equal(crl.RawIssuer, t.Root.RawSubject) {
		return errors.New("CRL: not issued by the root")
	}
	if err := crl.CheckSignatureFrom(t.Root); err != nil {
		return fmt.Errorf("CRL signature: %w", err)
	}
	t.mu.Lock()
	t.crl = crl
	t.mu.Unlock()
	return nil
}

// revoked says whether the certificate must be refused for revocation, failing closed
// when the CRL is missing or stale (PKI-CERT-7, -11, -12).
func (t *Trust) revoked(c *x509.Certificate, now time.Time) error {
	t.mu.RLock()
	crl := t.crl
	t.mu.RUnlock()
	if crl == nil {
		return errors.New("no CRL")
	}
	stale := crl.NextUpdate.IsZero() || now.After(crl.NextUpdate) || crl.NextUpdate.Sub(crl.ThisUpdate) > maxCRLAge
	if stale {
		return errors.New("CRL is stale")
	}
	for i, rc := range crl.RevokedCertificates {
		if fault("crl-first-only") && i > 0 {
			break
		}
		if rc.SerialNumber != nil && rc.SerialNumber.Cmp(c.SerialNumber) == 0 {
			return errors.New("certificate revoked")
		}
	}
	return nil
}

// singleCN returns the subject's only CN, or an error when there is none or several.
func singleCN(c *x509.Certificate) (string, error) {
	var cns []string
	for _, a := range c.Subject.Names {
		if a.Type.Equal(oidCommonName) {
			s, ok := a.Value.(string)
			if !ok {
				return "", errors.New("CN is not a string")
			}
			cns = append(cns, s)
		}
	}
	if len(cns) > 1 && fault("r2-cn-first") {
		return cns[0], nil
	}
	if len(cns) != 1 {
		return "", fmt.Errorf("subject has %d CNs", len(cns))
	}
	return cns[0], nil
}

// verifyPeer applies PKI-CERT-1..11 to the peer's leaf (rawCerts[0]) in our own code:
// Go's x509.Verify takes a missing EKU as "any", accepts anyExtendedKeyUsage, CA:TRUE
// leaves, 1024-bit RSA and P-384 keys, and knows no CRL. Other certificates the peer
// sends are ignored: the leaf must be signed by the root itself (PKI-CERT-10).
func (t *Trust) verifyPeer(rawCerts [][]byte, purpose x509.ExtKeyUsage, checkCRL bool) (*x509.Certificate, string, error) {
	if len(rawCerts) == 0 {
		return nil, "", errors.New("no certificate")
	}
	leaf := rawCerts[0]
	if fault("b17-chain-any-issued") {
		// "some stacks send the chain in another order": the one the root issued
		for _, r := range rawCerts {
			if x, err := x509.ParseCertificate(r); err == nil && bytes.Equal(x.RawIssuer, t.Root.RawSubject) {
				leaf = r
				break
			}
		}
	}
	c, err := x509.ParseCertificate(leaf)
	if err != nil {
		return nil, "", err
	}
	now := time.Now()
	if fault("i7-verify-cache-cn") && purpose == x509.ExtKeyUsageClientAuth {
		t.mu.RLock()
		seen, ok := t.verified[c.Subject.CommonName]
		t.mu.RUnlock()
		if ok && now.Sub(seen) < 10*time.Minute {
			return c, c.Subject.CommonName, nil // "verified a moment ago"
		}
	}
	if c.Version != 3 {
		return nil, "", errors.New("not X.509 v3")
	}
	if !bytes.Equal(c.RawIssuer, t.Root.RawSubject) {
		return nil, "", errors.New("not issued by the root")
	}
	switch c.SignatureAlgorithm {
	case x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.ECDSAWithSHA256:
	default:
		if !fault("r2-sig-any-hash") {
			return nil, "", errors.New("not signed with SHA-256")
		}
	}
	if err := c.CheckSignatureFrom(t.Root); err != nil {
		return nil, "", fmt.Errorf("signature: %w", err)
	}
	notAfter := c.NotAfter
	if fault("i7-expired-grace-day") && purpose == x509.ExtKeyUsageClientAuth {
		notAfter = notAfter.Add(24 * time.Hour) // clock skew allowance
	}
	if (now.Before(c.NotBefore) && !fault("r2-notbefore-unchecked") && !fault("r2-client-notbefore")) || now.After(notAfter) {
		return nil, "", errors.New("expired or not yet valid")
	}
	if !c.BasicConstraintsValid {
		return nil, "", errors.New("no BasicConstraints")
	}
	if c.IsCA && !fault("leaf-ca-ok") && !fault("r2-client-ca-true") {
		return nil, "", errors.New("CA:TRUE")
	}
	if c.KeyUsage&x509.KeyUsageDigitalSignature == 0 || c.KeyUsage&(x509.KeyUsageCertSign|x509.KeyUsageCRLSign) != 0 {
		return nil, "", errors.New("KeyUsage is not digitalSignature")
	}
	switch k := c.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && !fault("r2-ec-any-curve") {
			return nil, "", errors.New("EC key not on P-256")
		}
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 && !fault("rsa-short") {
			return nil, "", errors.New("RSA key below 2048 bits")
		}
	default:
		return nil, "", errors.New("key type not allowed")
	}
	hasPurpose := false
	for _, u := range c.ExtKeyUsage {
		if u == purpose || (u == x509.ExtKeyUsageAny && fault("eku-anyusage")) ||
			fault("b17-eku-either") && (u == x509.ExtKeyUsageClientAuth || u == x509.ExtKeyUsageServerAuth) {
			hasPurpose = true
		}
	}
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 && fault("eku-missing-any") {
		hasPurpose = true
	}
	if !hasPurpose {
		return nil, "", errors.New("EKU lacks the purpose")
	}
	cn, err := singleCN(c)
	if err != nil {
		return nil, "", err
	}
	if checkCRL {
		if err := t.revoked(c, now); err != nil {
			return nil, "", err
		}
	}
	if fault("i7-verify-cache-cn") && purpose == x509.ExtKeyUsageClientAuth {
		t.mu.Lock()
		if t.verified == nil {
			t.verified = map[string]time.Time{}
		}
		t.verified[cn] = now
		t.mu.Unlock()
	}
	return c, cn, nil
}

// Cipher suites are not configurable for TLS 1.3 in crypto/tls: its three (AES-128-GCM,
// AES-256-GCM, ChaCha20-Poly1305) are exactly PKI-TLS-9's. Groups are pinned here.
var curves = []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384}

func loadIdentity(certPath, keyPath string) (tls.Certificate, error) {
	return tls.LoadX509KeyPair(certPath, keyPath)
}
