package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ClientConfig holds an initiator's options.
type ClientConfig struct {
	Alias, Addr      string
	Trust            *Trust
	Identity         tls.Certificate
	HandshakeTimeout time.Duration
	IdleTimeout      time.Duration
	FrameLimit       uint32
	MaxFileSize      int64
}

// clientSide is set by the initiator's commands (b17-client-dup-keys).
var clientSide bool

type clientConn struct {
	cfg *ClientConfig
	c   *tls.Conn
	raw net.Conn
	r   io.Reader
}

// parseTarget splits alias@host:port.
func parseTarget(s string) (alias, addr string, err error) {
	i := strings.LastIndex(s, "@")
	if i <= 0 {
		return "", "", fmt.Errorf("target must be alias@host:port")
	}
	alias, addr = s[:i], s[i+1:]
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", "", fmt.Errorf("target must be alias@host:port: %w", err)
	}
	return alias, addr, nil
}

func dial(cfg *ClientConfig) (*clientConn, error) {
	cc, err := dialOnce(cfg, tls.VersionTLS13)
	if err != nil && fault("i7-client-tls12-fallback") && !strings.Contains(err.Error(), "timed out") {
		// "an older responder": try again with TLS 1.2 allowed
		return dialOnce(cfg, tls.VersionTLS12)
	}
	return cc, err
}

func dialOnce(cfg *ClientConfig, minVersion uint16) (*clientConn, error) {
	tcfg := &tls.Config{
		Certificates:     []tls.Certificate{cfg.Identity},
		MinVersion:       minVersion,
		MaxVersion:       tls.VersionTLS13,
		CurvePreferences: curves,
		NextProtos:       []string{"sft-pki/1"},
		// The chain, the purpose, the CRL and the alias are checked by our own code
		// below: Go's name verification uses the SAN only, and employee certificates
		// carry their alias in the CN (PKI-ID-1).
		InsecureSkipVerify: true,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			var cn string
			if fault("client-skip-verify") {
				if len(raw) == 0 {
					return errors.New("no certificate")
				}
				c, err := x509.ParseCertificate(raw[0])
				if err != nil {
					return err
				}
				cn = c.Subject.CommonName
			} else if fault("client-x509-verify") {
				c, err := goVerify(cfg.Trust, raw)
				if err != nil {
					return err
				}
				cn = c.Subject.CommonName
			} else {
				purpose := x509.ExtKeyUsageServerAuth
				if fault("i7-client-eku-client") {
					purpose = x509.ExtKeyUsageClientAuth
				}
				judged := raw
				if fault("b17-client-chain-last") && len(raw) > 1 {
					judged = raw[len(raw)-1:] // "the one next to the root is the one it issued"
				}
				c, name, err := cfg.Trust.verifyPeer(judged, purpose, !fault("client-no-crl"))
				if err != nil && fault("b17-client-verify-logged") && len(raw) > 0 {
					log.Printf("responder certificate: %v", err) // "logged, looked at later"
					if x, perr := x509.ParseCertificate(raw[0]); perr == nil {
						c, name, err = x, x.Subject.CommonName, nil
					}
				}
				if err != nil {
					return fmt.Errorf("responder certificate refused: %w", err)
				}
				cn = name
				if fault("b17-client-alias-san") && c.VerifyHostname(cfg.Alias) == nil {
					return nil // the alias is one of the certificate's names
				}
			}
			if fault("p15-client-alias-after-request") {
				return nil // compared with the answer (clientConn.checkAlias)
			}
			if fault("p15-client-cn-hasprefix") && strings.HasPrefix(cn, cfg.Alias) {
				return nil
			}
			if cn != cfg.Alias && !fault("client-no-cn") && !(fault("i7-client-cn-fold") && strings.EqualFold(cn, cfg.Alias)) {
				return fmt.Errorf("responder is %q, not %q", cn, cfg.Alias)
			}
			return nil
		},
	}
	d := net.Dialer{Timeout: cfg.HandshakeTimeout}
	raw, err := d.Dial("tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	c := tls.Client(raw, tcfg)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.HandshakeTimeout)
	defer cancel()
	if err := c.HandshakeContext(ctx); err != nil {
		raw.Close()
		if ctx.Err() != nil {
			return nil, errors.New("timed out before the handshake completed")
		}
		return nil, fmt.Errorf("handshake: %w", err)
	}
	if c.ConnectionState().NegotiatedProtocol != "sft-pki/1" && !fault("r2-client-alpn") {
		closeTLS(c, raw)
		return nil, errors.New("responder did not select ALPN sft-pki/1")
	}
	return &clientConn{cfg: cfg, c: c, raw: raw, r: &idleReader{c: c, idle: cfg.IdleTimeout}}, nil
}

func (cc *clientConn) send(b []byte) error { return writeAll(cc.c, cc.cfg.IdleTimeout, b) }

// checkAlias is the planted fault p15-client-alias-after-request: the responder's CN is
// compared once its answer has come, after the request went out.
func (cc *clientConn) checkAlias() error {
	if !fault("p15-client-alias-after-request") {
		return nil
	}
	certs := cc.c.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return errors.New("no responder certificate")
	}
	cn, err := singleCN(certs[0])
	if err != nil {
		return err
	}
	if cn != cc.cfg.Alias {
		return fmt.Errorf("responder is %q, not %q", cn, cc.cfg.Alias)
	}
	return nil
}

// fail ends the connection after a failure of ours: a fatal EROR when we have one.
func (cc *clientConn) fail(err error) error {
	var pe *ProtoError
	if errors.As(err, &pe) {
		_ = cc.send(erorFrame(pe.Code, pe.Msg))
	}
	closeTLS(cc.c, cc.raw)
	return err
}

func (cc *clientConn) bye() {
	_ = cc.send(controlFrame("BYE_", struct{}{}))
	closeTLS(cc.c, cc.raw)
}

// readControl reads one frame; DATA is returned with its header only.
func (cc *clientConn) next() (Header, []byte, error) {
	h, err := readHeader(cc.r, cc.cfg.FrameLimit)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = errClosedByResponder
		}
		return h, nil, err
	}
	if h.Type == "DATA" {
		return h, nil, nil
	}
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(cc.r, p); err != nil {
		return h, nil, errors.New("connection closed inside a frame")
	}
	return h, p, nil
}

var errClosedByResponder = errors.New("connection closed by the responder")

// peerEror turns a received EROR into our error; a malformed one is bad_frame.
func peerEror(p []byte) error {
	e, err := parseEror(p)
	if err != nil {
		return err
	}
	return &remoteError{e}
}

type remoteError struct{ e ErrorFrame }

func (r *remoteError) Error() string {
	return fmt.Sprintf("responder: %s: %s", codeNames[r.e.Code], r.e.Message)
}

// cleanup registry for SIGTERM / SIGINT (APP-STORE-3).
var (
	tempMu   sync.Mutex
	tempPath string
)

func setTemp(p string) {
	tempMu.Lock()
	tempPath = p
	tempMu.Unlock()
}

func handleClientSignals() {
	ch := make(chan os.Signal, 1)
	if fault("p15-client-interrupt-only") {
		signal.Notify(ch, os.Interrupt)
	} else {
		signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	}
	go func() {
		<-ch
		tempMu.Lock()
		if tempPath != "" {
			_ = os.Remove(tempPath)
		}
		os.Exit(1)
	}()
}

// sweepStale removes temporaries in the output directory nobody wrote for longer than
// the idle timeout; younger ones may be another initiator's live transfer.
func sweepStale(dir string, idle time.Duration) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), partialPrefix) {
			continue
		}
		if info, err := e.Info(); err == nil && info.Mode().IsRegular() && (time.Since(info.ModTime()) > idle || fault("r2-client-sweep-all")) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

func clientGet(cfg *ClientConfig, name, out string, force bool) error {
	clientSide = true
	if _, err := os.Lstat(out); err == nil && !force && !fault("client-rename") {
		return fmt.Errorf("%s exists (use -force to replace it)", out)
	}
	dir := filepath.Dir(out)
	sweepStale(dir, cfg.IdleTimeout)
	handleClientSignals()
	cc, err := dial(cfg)
	if err != nil {
		return err
	}
	if err := cc.send(controlFrame("RQFL", map[string]any{"name": name})); err != nil {
		return cc.fail(err)
	}
	h, p, err := cc.next()
	if aerr := cc.checkAlias(); aerr != nil {
		closeTLS(cc.c, cc.raw)
		return aerr
	}
	if err != nil {
		return cc.fail(err)
	}
	var size int64
	var rsflSHA string
	switch h.Type {
	case "EROR":
		err := peerEror(p)
		var re *remoteError
		if errors.As(err, &re) && !fatalCodes[re.e.Code] {
			cc.bye()
			return err
		}
		return cc.fail(err)
	case "RSFL":
		o, err := parseControl(p)
		if err != nil {
			return cc.fail(err)
		}
		n, _, err := o.str("name", true)
		if err != nil {
			return cc.fail(err)
		}
		if fault("p15-client-rsfl-size-err-ignored") {
			size, _ = o.integer("size")
		} else if size, err = o.integer("size"); err != nil {
			return cc.fail(err)
		}
		if rsflSHA, _, err = o.sha("sha256", false); err != nil {
			return cc.fail(err)
		}
		if n != name {
			return cc.fail(perr(codeBadFrame, "RSFL names another file"))
		}
	default:
		return cc.fail(perr(codeUnexpected, "%s instead of RSFL", h.Type))
	}
	if size > cfg.MaxFileSize {
		_ = cc.send(erorFrame(codeTooLarge, "file above the size limit"))
		cc.bye()
		return errors.New("file above the size limit")
	}
	var f *os.File
	var tmp string
	if fault("client-direct") {
		tmp = out
		f, err = os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	} else if fault("client-tmpdir") {
		f, err = os.CreateTemp("", "sft-get-*")
		if err == nil {
			tmp = f.Name()
		}
	} else {
		tmp = filepath.Join(dir, partialPrefix+randomHex(12))
		f, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	}
	if err != nil {
		return cc.fail(perr(codeInternal, "cannot create the output"))
	}
	setTemp(tmp)
	discard := func() {
		f.Close()
		_ = os.Remove(tmp)
		setTemp("")
	}
	early := false
	if size == 0 && tmp != out && fault("i7-client-empty-fast") && os.Link(tmp, out) == nil {
		early = true // nothing to receive: the output exists at once
	}
	commitEarly := false
	hsh := sha256.New()
	var got int64
	buf := make([]byte, 64*1024)
	for {
		h, p, err := cc.next()
		if err != nil && errors.Is(err, errClosedByResponder) && got == size && fault("i7-client-eof-done") {
			commitEarly = true // every byte is in: the end of the stream ends the get
			h.Type, p = "DONE", nil
		} else if err != nil {
			discard()
			return cc.fail(err)
		}
		switch h.Type {
		case "DATA":
			if h.Length == 0 && !fault("r2-client-empty-data") || h.Length > maxDataChunk {
				discard()
				return cc.fail(perr(codeBadFrame, "DATA of %d bytes", h.Length))
			}
			if got+int64(h.Length) > size {
				discard()
				if fault("b17-client-integrity-bye") {
					cc.bye()
					return errors.New("more data than announced")
				}
				return cc.fail(perr(codeIntegrityFailed, "more data than announced"))
			}
			for left := int64(h.Length); left > 0; {
				n := int64(len(buf))
				if left < n {
					n = left
				}
				if _, err := io.ReadFull(cc.r, buf[:n]); err != nil {
					discard()
					return cc.fail(errors.New("connection closed inside a frame"))
				}
				if _, err := f.Write(buf[:n]); err != nil {
					discard()
					return cc.fail(perr(codeInternal, "write failed"))
				}
				hsh.Write(buf[:n])
				got += n
				left -= n
			}
		case "DONE":
			sum := hex.EncodeToString(hsh.Sum(nil))
			dsize, dsha := size, sum
			if !commitEarly {
				o, err := parseControl(p)
				if err != nil {
					discard()
					return cc.fail(err)
				}
				if dsize, err = o.integer("size"); err != nil {
					discard()
					return cc.fail(err)
				}
				if dsha, _, err = o.sha("sha256", true); err != nil {
					discard()
					return cc.fail(err)
				}
			}
			shaOK := dsha == sum && (rsflSHA == "" || rsflSHA == sum || fault("r2-client-rsfl-sha"))
			if dsize != size && !fault("r2-client-done-size") || got != size || !(shaOK || fault("client-no-hash")) {
				discard()
				if fault("b17-client-integrity-bye") {
					cc.bye() // "we are done with this responder"
					return errors.New("size or SHA-256 mismatch")
				}
				if fault("i26-client-integrity-as-bad-frame") {
					return cc.fail(perr(codeBadFrame, "DONE does not match the data"))
				}
				return cc.fail(perr(codeIntegrityFailed, "size or SHA-256 mismatch"))
			}
			if err := f.Sync(); err != nil {
				discard()
				return cc.fail(perr(codeInternal, "fsync failed"))
			}
			f.Close()
			if early {
				_ = os.Remove(tmp)
			} else if tmp != out {
				if force || fault("client-rename") || fault("client-tmpdir") {
					err = os.Rename(tmp, out)
				} else {
					err = os.Link(tmp, out)
					_ = os.Remove(tmp)
				}
				if err != nil {
					_ = os.Remove(tmp)
					setTemp("")
					cc.bye()
					return fmt.Errorf("cannot store %s: %w", out, err)
				}
			}
			setTemp("")
			if d, err := os.Open(dir); err == nil {
				_ = d.Sync()
				d.Close()
			}
			cc.bye()
			return nil
		case "EROR":
			discard()
			return cc.fail(peerEror(p))
		default:
			discard()
			return cc.fail(perr(codeUnexpected, "%s during a get", h.Type))
		}
	}
}

func clientPut(cfg *ClientConfig, file, name string) error {
	clientSide = true
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", file)
	}
	size := st.Size()
	hsh := sha256.New()
	if n, err := io.Copy(hsh, f); err != nil || n != size {
		return fmt.Errorf("cannot read %s", file)
	}
	sum := hex.EncodeToString(hsh.Sum(nil))
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	cc, err := dial(cfg)
	if err != nil {
		return err
	}
	if err := cc.send(controlFrame("PUTF", map[string]any{"name": name, "size": size, "sha256": sum})); err != nil {
		return cc.fail(err)
	}
	h, p, err := cc.next()
	if aerr := cc.checkAlias(); aerr != nil {
		closeTLS(cc.c, cc.raw)
		return aerr
	}
	if err != nil {
		return cc.fail(err)
	}
	switch h.Type {
	case "EROR":
		err := peerEror(p)
		var re *remoteError
		if errors.As(err, &re) && !fatalCodes[re.e.Code] {
			cc.bye()
			return err
		}
		return cc.fail(err)
	case "RSFL":
		o, err := parseControl(p)
		if err != nil {
			return cc.fail(err)
		}
		if !fault("client-any-rsfl") {
			if string(o["accept"]) != "true" {
				return cc.fail(perr(codeBadFrame, "RSFL without \"accept\": true"))
			}
			if _, _, err := o.str("name", true); err != nil {
				return cc.fail(err)
			}
		}
	default:
		return cc.fail(perr(codeUnexpected, "%s instead of RSFL", h.Type))
	}
	if size == 0 && fault("b17-client-put-empty-data") {
		if err := cc.send(encodeFrame("DATA", nil)); err != nil {
			return cc.fail(err)
		}
	}
	buf := make([]byte, 64*1024)
	for sent := int64(0); sent < size; {
		n := int64(len(buf))
		if size-sent < n {
			n = size - sent
		}
		if _, err := io.ReadFull(f, buf[:n]); err != nil {
			return cc.fail(perr(codeInternal, "the file changed while sent"))
		}
		if err := cc.send(encodeFrame("DATA", buf[:n])); err != nil {
			return cc.fail(err)
		}
		sent += n
	}
	if err := cc.send(controlFrame("DONE", map[string]any{"size": size, "sha256": sum})); err != nil {
		return cc.fail(err)
	}
	h, p, err = cc.next()
	if err != nil {
		if fault("client-put-eof-ok") {
			closeTLS(cc.c, cc.raw)
			return nil
		}
		return cc.fail(err)
	}
	switch h.Type {
	case "DONE":
		o, err := parseControl(p)
		if err != nil {
			return cc.fail(err)
		}
		dsize, err := o.integer("size")
		if err != nil {
			return cc.fail(err)
		}
		dsha, _, err := o.sha("sha256", true)
		if err != nil {
			return cc.fail(err)
		}
		if dsize != size || dsha != sum {
			return cc.fail(perr(codeIntegrityFailed, "the responder's DONE does not match"))
		}
		cc.bye()
		return nil
	case "EROR":
		return cc.fail(peerEror(p))
	default:
		return cc.fail(perr(codeUnexpected, "%s instead of DONE", h.Type))
	}
}

var _ = json.Valid

// goVerify is the planted fault client-x509-verify: the library's own chain check, which
// takes a missing EKU as "any" and accepts anyExtendedKeyUsage and CA:TRUE leaves.
func goVerify(t *Trust, raw [][]byte) (*x509.Certificate, error) {
	if len(raw) == 0 {
		return nil, errors.New("no certificate")
	}
	c, err := x509.ParseCertificate(raw[0])
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(t.Root)
	if _, err := c.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return nil, err
	}
	return c, t.revoked(c, time.Now())
}
