package main

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// listen binds host:port and announces the bound address on stdout.
func listen(host string, port int) (net.Listener, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	return ln, nil
}

// readPEMBlock returns the first PEM block of the file at path.
func readPEMBlock(path string) (*pem.Block, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(raw)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	return block, nil
}

// loadRSAKey reads an RSA private key in PKCS#8 or PKCS#1 PEM.
func loadRSAKey(path string) (*rsa.PrivateKey, error) {
	block, err := readPEMBlock(path)
	if err != nil {
		return nil, err
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		rsaKey, ok := key.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%s: not an RSA key", path)
		}
		return rsaKey, nil
	}
	return nil, fmt.Errorf("%s: unexpected PEM type %q", path, block.Type)
}

// loadCertPEM returns the certificate file's PEM text as stored and its parse.
func loadCertPEM(path string) ([]byte, *x509.Certificate, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	block, _ := pem.Decode(raw)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, nil, fmt.Errorf("%s: no CERTIFICATE PEM block", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(block), cert, nil
}

func marshalKeyPEM(key *rsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// readSecretFile returns a password file's content without its line ending.
func readSecretFile(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(raw), "\r\n"), nil
}

// pendingFile is a file being received: written beside its final name and
// renamed only on commit, so nothing partial ever carries the final name.
type pendingFile struct {
	*os.File
	final string
	done  bool
}

func createPending(final string) (*pendingFile, error) {
	dir := filepath.Dir(final)
	f, err := os.CreateTemp(dir, "."+filepath.Base(final)+".part-*")
	if err != nil {
		return nil, err
	}
	return &pendingFile{File: f, final: final}, nil
}

func (p *pendingFile) commit() error {
	if err := p.File.Close(); err != nil {
		return err
	}
	p.done = true
	return os.Rename(p.File.Name(), p.final)
}

// discard removes the temporary file unless it was committed.
func (p *pendingFile) discard() {
	if p.done {
		return
	}
	p.File.Close()
	os.Remove(p.File.Name())
}

// deadlineConn sets a fresh read deadline before every read when idle > 0.
type deadlineConn struct {
	net.Conn
	idle time.Duration
}

func (c deadlineConn) Read(b []byte) (int, error) {
	if c.idle > 0 {
		if err := c.Conn.SetReadDeadline(time.Now().Add(c.idle)); err != nil {
			return 0, err
		}
	}
	return c.Conn.Read(b)
}

var errProtocol = errors.New("protocol violation")
