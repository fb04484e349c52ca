package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ServerConfig holds the responder's options (LIM-7: all configurable, printed at start).
type ServerConfig struct {
	Listen            string
	Share, Inbox      string
	AllowPut          bool
	Allow             []string // empty: every employee
	HandshakeTimeout  time.Duration
	IdleTimeout       time.Duration
	MaxFileSize       int64
	FrameLimit        uint32
	MaxConnections    int
	MaxPendingPerAddr int
	CRLRefresh        time.Duration
}

type pendingConn struct {
	raw     net.Conn
	ip      string
	counted bool // still counted as in its handshake
	active  bool // still counted in the connection total
}

// Server is the sft-pki/1 responder.
type Server struct {
	cfg   ServerConfig
	trust *Trust
	tls   *tls.Config

	mu      sync.Mutex
	active  int
	pending []*pendingConn
	perAddr map[string]int
	temps   map[string]bool
	// p15-current-alias-field: the alias of the latest handshake
	currentAlias string
	// i26-put-names-in-progress / i26-exists-from-memory
	inflight map[string]bool
	stored   map[string]bool
}

func newServer(cfg ServerConfig, trust *Trust, id tls.Certificate) *Server {
	s := &Server{cfg: cfg, trust: trust, perAddr: map[string]int{}, temps: map[string]bool{},
		inflight: map[string]bool{}, stored: map[string]bool{}}
	protos := []string{"sft-pki/1"}
	if fault("i7-alpn-fallback-http11") {
		protos = append(protos, "http/1.1") // "for compatibility"
	}
	minV := uint16(tls.VersionTLS13)
	if fault("tls12-allowed") {
		minV = tls.VersionTLS12
	}
	s.tls = &tls.Config{
		Certificates:           []tls.Certificate{id},
		MinVersion:             minV,
		MaxVersion:             tls.VersionTLS13,
		CurvePreferences:       curves,
		NextProtos:             protos,
		ClientAuth:             clientAuth(),
		SessionTicketsDisabled: true, // a resumed session would skip the CRL check
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 && fault("request-client-cert") {
				return nil
			}
			_, _, err := trust.verifyPeer(raw, x509.ExtKeyUsageClientAuth, !fault("crl-ignored"))
			if err != nil {
				log.Printf("client certificate refused: %v", err)
			}
			return err
		},
	}
	return s
}

func (s *Server) sweepInbox() {
	ents, err := os.ReadDir(s.cfg.Inbox)
	if err != nil {
		return
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), partialPrefix) {
			_ = os.Remove(filepath.Join(s.cfg.Inbox, e.Name()))
		}
	}
}

func (s *Server) addTemp(p string) {
	s.mu.Lock()
	s.temps[p] = true
	s.mu.Unlock()
}

func (s *Server) dropTemp(p string) {
	s.mu.Lock()
	delete(s.temps, p)
	s.mu.Unlock()
	_ = os.Remove(p)
}

// removeTemps runs on SIGTERM/SIGINT (APP-STORE-3).
func (s *Server) removeTemps() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p := range s.temps {
		_ = os.Remove(p)
	}
}

func (s *Server) refreshCRL(ctx context.Context) {
	if s.cfg.CRLRefresh <= 0 {
		return
	}
	t := time.NewTicker(s.cfg.CRLRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c, cancel := context.WithTimeout(ctx, 10*time.Second)
			if err := s.trust.fetchCRL(c); err != nil {
				log.Printf("CRL refresh failed (keeping the one held): %v", err)
			}
			cancel()
		}
	}
}

func (s *Server) serve(ln net.Listener) error {
	for {
		raw, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			return err
		}
		if pc := s.admit(raw); pc != nil {
			go s.handle(pc)
		} else {
			raw.Close()
		}
	}
}

// admit applies LIM-8 (per-address cap on unfinished handshakes), LIM-4 (total) and
// LIM-9 (a full house of unfinished handshakes gives up its oldest member).
func (s *Server) admit(raw net.Conn) *pendingConn {
	ip, _, _ := net.SplitHostPort(raw.RemoteAddr().String())
	if fault("p15-peraddr-with-port") {
		ip = raw.RemoteAddr().String()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perAddr[ip] >= s.cfg.MaxPendingPerAddr {
		return nil
	}
	if s.active >= s.cfg.MaxConnections {
		if len(s.pending) == 0 {
			return nil
		}
		old := s.pending[0]
		s.pending = s.pending[1:]
		old.counted = false
		old.active = false
		s.perAddr[old.ip]--
		s.active--
		old.raw.Close()
	}
	pc := &pendingConn{raw: raw, ip: ip, counted: true, active: true}
	s.active++
	s.perAddr[ip]++
	s.pending = append(s.pending, pc)
	return pc
}

func (s *Server) handshakeDone(pc *pendingConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !pc.counted {
		return
	}
	pc.counted = false
	s.perAddr[pc.ip]--
	if s.perAddr[pc.ip] <= 0 {
		delete(s.perAddr, pc.ip)
	}
	if fault("p15-active-double-release") && pc.active {
		s.active-- // "the handshake is over: its slot is free" (release frees it again)
	}
	for i, p := range s.pending {
		if p == pc {
			s.pending = append(s.pending[:i], s.pending[i+1:]...)
			break
		}
	}
}

func (s *Server) release(pc *pendingConn) {
	s.handshakeDone(pc)
	s.mu.Lock()
	if pc.active {
		pc.active = false
		s.active--
	}
	s.mu.Unlock()
}

func (s *Server) handle(pc *pendingConn) {
	defer s.release(pc)
	raw := pc.raw
	deadline := time.Now().Add(s.cfg.HandshakeTimeout)
	_ = raw.SetDeadline(deadline)
	var hsConn net.Conn = raw
	if fault("i7-hs-deadline-first-byte") {
		// the planted fault: sniff the first byte (TLS or not?) before the clock starts
		_ = raw.SetDeadline(time.Time{})
		one := make([]byte, 1)
		if _, err := io.ReadFull(raw, one); err != nil {
			closeRaw(raw)
			return
		}
		hsConn = &peekedConn{Conn: raw, first: one}
		deadline = time.Now().Add(s.cfg.HandshakeTimeout)
		_ = raw.SetDeadline(deadline)
	}
	if fault("hs-trickle") {
		hsConn = &refreshConn{Conn: raw, d: s.cfg.HandshakeTimeout}
	}
	c := tls.Server(hsConn, s.tls)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	if fault("hs-trickle") {
		ctx, cancel = context.WithCancel(context.Background())
	}
	err := c.HandshakeContext(ctx)
	cancel()
	s.handshakeDone(pc)
	if err != nil {
		if fault("b17-failed-hs-slot-leak") {
			// stands for release() deferred only once the handshake succeeded
			s.mu.Lock()
			pc.active = false
			s.mu.Unlock()
		}
		closeRaw(raw)
		return
	}
	_ = raw.SetDeadline(time.Time{})
	st := c.ConnectionState()
	if st.NegotiatedProtocol != "sft-pki/1" && !fault("alpn-unchecked") &&
		!(fault("i7-alpn-fallback-http11") && st.NegotiatedProtocol != "") {
		log.Printf("refused: no sft-pki/1 ALPN")
		closeTLS(c, raw)
		return
	}
	var alias string
	if len(st.PeerCertificates) == 0 {
		if !fault("request-client-cert") {
			closeTLS(c, raw)
			return
		}
	} else if alias, err = singleCN(st.PeerCertificates[0]); err != nil {
		closeTLS(c, raw)
		return
	}
	if fault("p15-current-alias-field") {
		s.mu.Lock()
		s.currentAlias = alias
		s.mu.Unlock()
	}
	ss := &session{s: s, c: c, raw: raw, alias: alias}
	ss.r = &idleReader{c: c, idle: s.cfg.IdleTimeout}
	if fault("no-idle-timeout") {
		ss.r = &idleReader{c: c}
	}
	ss.run()
	ss.abortPut()
	closeTLS(c, raw)
}

type putState struct {
	final, tmp string
	early      bool // i7-empty-put-early: already linked under its final name
	f          *os.File
	size, got  int64
	sha        string // PUTF's, optional
	h          hash.Hash
}

type session struct {
	s     *Server
	c     *tls.Conn
	raw   net.Conn
	alias string
	r     io.Reader
	put   *putState
	// i26-put-limit-per-connection: put bytes this connection has stored
	putBytes int64
}

func (ss *session) send(b []byte) error { return writeAll(ss.c, ss.s.cfg.IdleTimeout, b) }

func (ss *session) abortPut() {
	if ss.put != nil {
		ss.put.f.Close()
		ss.s.dropTemp(ss.put.tmp)
		ss.put = nil
	}
}

// notAuthorised is the answer to a request of an initiator off the allow list (PKI-ID-3).
func (ss *session) notAuthorised() error {
	if fault("i26-allow-refusal-auth-failed") {
		return perr(codeAuthFailed, "not authorised")
	}
	return perr(codeForbidden, "not authorised")
}

func (ss *session) allowed() bool {
	if len(ss.s.cfg.Allow) == 0 {
		return true
	}
	alias := ss.alias
	if fault("p15-current-alias-field") {
		ss.s.mu.Lock()
		alias = ss.s.currentAlias
		ss.s.mu.Unlock()
	}
	if fault("p15-allow-joined-contains") {
		return strings.Contains(strings.Join(ss.s.cfg.Allow, ","), alias)
	}
	if fault("p15-current-alias-field") {
		for _, a := range ss.s.cfg.Allow {
			if a == alias {
				return true
			}
		}
		return false
	}
	for _, a := range ss.s.cfg.Allow {
		if a == ss.alias || fault("alias-fold") && strings.EqualFold(a, ss.alias) {
			return true
		}
	}
	return false
}

// run processes frames until the connection ends; the caller closes it.
func (ss *session) run() {
	for {
		err := ss.step()
		if err == nil {
			continue
		}
		if errors.Is(err, errBye) {
			return
		}
		var pe *ProtoError
		if errors.As(err, &pe) {
			fatal := fatalCodes[pe.Code] && !(pe.Code == codeIntegrityFailed && fault("r2-integrity-nonfatal"))
			if fatal {
				ss.abortPut()
			} else if pe.Code == codeIntegrityFailed {
				ss.abortPut()
			}
			if ss.send(erorFrame(pe.Code, pe.Msg)) != nil {
				return
			}
			if fatal && !fault("no-close-after-fatal") {
				return
			}
			if pe.Code == codeTooLarge && fault("b17-too-large-closes") {
				return // "a client that lies about sizes: hang up"
			}
			if pe.Code == codeForbidden && (!ss.allowed() != fault("i26-forbidden-close-inverted")) && !fault("r2-forbidden-open") {
				return // PKI-ID-3: forbidden, then close
			}
			continue
		}
		if isTimeout(err) {
			ss.abortPut()
			if !fault("r2-timeout-no-eror") {
				_ = ss.send(erorFrame(codeTimeout, "idle timeout"))
			}
			return
		}
		if (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) && ss.put != nil && fault("put-eof-commit") {
			_ = ss.commit()
		}
		return // EOF, reset, peer's EROR: nothing more to say
	}
}

var errBye = errors.New("bye")

func (ss *session) readPayload(n uint32) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(ss.r, b); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return b, nil
}

func (ss *session) step() error {
	if ss.put == nil && fault("p15-put-deadline-once") {
		if _, ok := ss.r.(*idleReader); !ok { // the put is over: per-read deadlines again
			ss.r = &idleReader{c: ss.c, idle: ss.s.cfg.IdleTimeout}
		}
	}
	r := ss.r
	if ss.put != nil && fault("i7-put-no-deadline") {
		_ = ss.c.SetReadDeadline(time.Time{}) // uploads may be slow
		r = ss.c
	}
	h, err := readHeader(r, ss.s.cfg.FrameLimit)
	if err != nil {
		if errors.Is(err, io.EOF) && ss.put != nil {
			return io.EOF
		}
		return err
	}
	if fault("payload-first") && (h.Length > ss.s.cfg.FrameLimit || h.Type != "DATA" && h.Length > maxControl) {
		if _, err := ss.readPayload(h.Length); err != nil {
			return err
		}
		return perr(codeFrameTooLarge, "frame above the limit")
	}
	if ss.put != nil {
		switch h.Type {
		case "DATA":
			return ss.data(h)
		case "DONE":
			p, err := ss.readPayload(h.Length)
			if err != nil {
				return err
			}
			return ss.done(p)
		case "EROR":
			return ss.peerError(h)
		case "BYE_":
			if fault("b17-bye-in-put") {
				ss.abortPut()
				_ = ss.send(controlFrame("BYE_", struct{}{}))
				return errBye
			}
		}
		return perr(codeUnexpected, "%s during a put", h.Type)
	}
	switch h.Type {
	case "RQFL", "PUTF", "BYE_", "EROR":
	default:
		return perr(codeUnexpected, "%s in idle state", h.Type)
	}
	if h.Type == "EROR" {
		return ss.peerError(h)
	}
	p, err := ss.readPayload(h.Length)
	if err != nil {
		return err
	}
	o, err := parseControl(p)
	if err != nil {
		return err
	}
	switch h.Type {
	case "BYE_":
		_ = ss.send(controlFrame("BYE_", struct{}{}))
		return errBye
	case "RQFL":
		return ss.get(o)
	default:
		return ss.startPut(o)
	}
}

func (ss *session) peerError(h Header) error {
	p, err := ss.readPayload(h.Length)
	if err != nil {
		return err
	}
	if fault("i7-eror-unknown-ignored") {
		if o, err := parseControl(p); err == nil {
			if c, err := o.integer("code"); err == nil && codeNames[int(c)] == "" {
				log.Printf("ignoring an EROR with unknown code %d", c)
				return nil
			}
		}
	}
	if _, err := parseEror(p); err != nil {
		return err
	}
	ss.abortPut()
	return errBye
}

func (ss *session) get(o Obj) error {
	name, _, err := o.str("name", true)
	if err != nil {
		return err
	}
	if !fault("p15-allow-after-open") && !ss.allowed() {
		return ss.notAuthorised()
	}
	if pe := checkName(name); pe != nil {
		return pe
	}
	open := name
	if fault("p15-name-path-unescape") {
		if u, err := url.PathUnescape(name); err == nil {
			open = u // "some clients percent-encode their names"
		}
	}
	if fault("b17-name-trim-space") {
		open = strings.TrimSpace(open) // "names pasted with a trailing blank"
	}
	f, pe := openInShare(ss.s.cfg.Share, open)
	if pe != nil {
		return pe
	}
	defer f.Close()
	if fault("p15-allow-after-open") && !ss.allowed() {
		return perr(codeForbidden, "not authorised")
	}
	st, err := f.Stat()
	if err != nil {
		return perr(codeInternal, "stat failed")
	}
	size := st.Size()
	if size == ss.s.cfg.MaxFileSize && fault("b17-get-size-ge") {
		return perr(codeTooLarge, "file above the size limit")
	}
	if size > ss.s.cfg.MaxFileSize && !fault("r2-get-size-unchecked") {
		return perr(codeTooLarge, "file above the size limit")
	}
	if err := ss.send(controlFrame("RSFL", map[string]any{"name": name, "size": size})); err != nil {
		return err
	}
	hsh := sha256.New()
	if size == 0 && fault("b17-get-empty-data") {
		if err := ss.send(encodeFrame("DATA", nil)); err != nil {
			return err
		}
	}
	buf := make([]byte, 64*1024)
	var sent int64
	for sent < size {
		want := int64(len(buf))
		if size-sent < want {
			want = size - sent
		}
		n, err := io.ReadFull(f, buf[:want])
		if n > 0 {
			hsh.Write(buf[:n])
			if werr := ss.send(encodeFrame("DATA", buf[:n])); werr != nil {
				return werr
			}
			sent += int64(n)
		}
		if err != nil {
			return perr(codeInternal, "file changed while sent")
		}
	}
	return ss.send(controlFrame("DONE", map[string]any{"size": size, "sha256": hex.EncodeToString(hsh.Sum(nil))}))
}

func (ss *session) startPut(o Obj) error {
	name, _, err := o.str("name", true)
	if err != nil {
		return err
	}
	size, err := o.integer("size")
	if err != nil {
		return err
	}
	var sha string
	if fault("p15-putf-sha-err-dropped") {
		sha, _, _ = o.sha("sha256", false) // optional: absent or unusable, no digest
	} else if sha, _, err = o.sha("sha256", false); err != nil {
		return err
	}
	if !ss.allowed() {
		return ss.notAuthorised()
	}
	if !ss.s.cfg.AllowPut {
		return perr(codeUnsupported, "put is disabled")
	}
	if pe := checkName(name); pe != nil {
		return pe
	}
	base := baseName(name)
	if strings.HasPrefix(base, partialPrefix) && !fault("r2-put-reserved-ok") {
		return perr(codeForbidden, "reserved name")
	}
	if size > ss.s.cfg.MaxFileSize || size == ss.s.cfg.MaxFileSize && fault("r2-put-size-ge") {
		return perr(codeTooLarge, "size above the limit")
	}
	if fault("i26-put-limit-per-connection") && ss.putBytes+size > ss.s.cfg.MaxFileSize {
		return perr(codeTooLarge, "size above the limit")
	}
	if fault("i26-put-names-in-progress") {
		ss.s.mu.Lock()
		busy := ss.s.inflight[base]
		ss.s.inflight[base] = true
		ss.s.mu.Unlock()
		if busy {
			return perr(codeExists, "a put of that name is in progress")
		}
	}
	final := filepath.Join(ss.s.cfg.Inbox, base)
	if fault("b17-exists-after-temp") {
		// the temporary first ("reserve the slot"), then the exists check
		tmp := filepath.Join(ss.s.cfg.Inbox, partialPrefix+randomHex(12))
		if f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
			f.Close()
			if _, err := os.Lstat(final); err == nil {
				return perr(codeExists, "file exists")
			}
			_ = os.Remove(tmp)
		}
	}
	if fault("i7-put-full-path") {
		final = filepath.Join(ss.s.cfg.Inbox, name)
	}
	lstat := os.Lstat
	if fault("p15-put-exists-stat") {
		lstat = os.Stat
	}
	if fault("i26-exists-from-memory") {
		ss.s.mu.Lock()
		known := ss.s.stored[base]
		ss.s.mu.Unlock()
		if known {
			return perr(codeExists, "file exists")
		}
	} else if _, err := lstat(final); err == nil && !fault("put-overwrite") {
		return perr(codeExists, "file exists")
	}
	var f *os.File
	var tmp string
	for i := 0; i < 8; i++ {
		tmp = filepath.Join(ss.s.cfg.Inbox, partialPrefix+randomHex(12))
		if fault("tmp-create") {
			f, err = os.Create(tmp)
		} else {
			f, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		}
		if err == nil || !errors.Is(err, os.ErrExist) {
			break
		}
	}
	if err != nil {
		return perr(codeInternal, "cannot create a temporary file")
	}
	ss.s.addTemp(tmp)
	if fault("p15-put-deadline-once") {
		// one deadline for the whole upload, set here and read by every frame of the put
		_ = ss.c.SetReadDeadline(time.Now().Add(ss.s.cfg.IdleTimeout))
		ss.r = ss.c
	}
	ss.put = &putState{final: final, tmp: tmp, f: f, size: size, sha: sha, h: sha256.New()}
	if size == 0 && fault("i7-empty-put-early") && os.Link(tmp, final) == nil {
		ss.put.early = true // nothing to receive: stored at once
	}
	return ss.send(controlFrame("RSFL", map[string]any{"accept": true, "name": base}))
}

func (ss *session) data(h Header) error {
	p := ss.put
	if h.Length == 0 || h.Length > maxDataChunk || h.Length == maxDataChunk && fault("r2-data-max-off") {
		return perr(codeBadFrame, "DATA of %d bytes", h.Length)
	}
	over := p.got+int64(h.Length) > p.size
	if over && !fault("late-excess") {
		return perr(codeIntegrityFailed, "more data than announced")
	}
	buf := make([]byte, 64*1024)
	left := int64(h.Length)
	for left > 0 {
		n := int64(len(buf))
		if left < n {
			n = left
		}
		if fault("i7-data-read-ignores-n") {
			// the planted fault: one Read, n bytes taken whatever it returned
			if _, err := ss.r.Read(buf[:n]); err != nil {
				if errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
		} else if _, err := io.ReadFull(ss.r, buf[:n]); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		room := p.size - p.got
		w := n
		if w > room {
			w = room // never more than announced on disk (APP-STORE-4)
		}
		if w > 0 {
			if _, err := p.f.Write(buf[:w]); err != nil {
				return perr(codeInternal, "write failed")
			}
			p.h.Write(buf[:w])
		}
		p.got += n
		left -= n
	}
	return nil
}

func (ss *session) done(payload []byte) error {
	o, err := parseControl(payload)
	if err != nil {
		return err
	}
	size, err := o.integer("size")
	if err != nil {
		return err
	}
	p := ss.put
	got := hex.EncodeToString(p.h.Sum(nil))
	sha, _, err := o.sha("sha256", true)
	if err != nil {
		if !fault("i7-done-sha-fallback") {
			return err
		}
		sha = got // no usable digest: the size decides
	}
	want := got
	if fault("i26-done-sha-vs-putf") && p.sha != "" {
		want = p.sha // "the digest the initiator announced"
	}
	if size != p.size || p.got != p.size || sha != want || (p.sha != "" && p.sha != got && !fault("i26-done-sha-vs-putf")) {
		return perr(codeIntegrityFailed, "size or SHA-256 mismatch")
	}
	if err := ss.commit(); err != nil {
		return err
	}
	return ss.send(controlFrame("DONE", map[string]any{"size": p.size, "sha256": got}))
}

// commit makes the verified temporary file durable under its final name without
// replacing anything (APP-STORE-2, APP-PUT-8).
func (ss *session) commit() error {
	p := ss.put
	ss.put = nil
	defer ss.s.dropTemp(p.tmp)
	if err := p.f.Sync(); err != nil {
		p.f.Close()
		return perr(codeInternal, "fsync failed")
	}
	p.f.Close()
	if p.early {
		return nil
	}
	if fault("put-overwrite") {
		if err := os.Rename(p.tmp, p.final); err != nil {
			return perr(codeInternal, "rename failed")
		}
	} else if err := os.Link(p.tmp, p.final); err != nil {
		if errors.Is(err, os.ErrExist) {
			return perr(codeExists, "stored meanwhile by another put")
		}
		return perr(codeInternal, "link failed")
	}
	if d, err := os.Open(filepath.Dir(p.final)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	ss.putBytes += p.size
	ss.s.mu.Lock()
	delete(ss.s.inflight, filepath.Base(p.final))
	ss.s.stored[filepath.Base(p.final)] = true
	ss.s.mu.Unlock()
	return nil
}

func printLimits(cfg ServerConfig) {
	fmt.Printf("limits: handshake_timeout=%gs idle_timeout=%gs max_file_size=%d frame_limit=%d max_connections=%d max_pending_per_address=%d crl_refresh=%gs\n",
		cfg.HandshakeTimeout.Seconds(), cfg.IdleTimeout.Seconds(), cfg.MaxFileSize, cfg.FrameLimit,
		cfg.MaxConnections, cfg.MaxPendingPerAddr, cfg.CRLRefresh.Seconds())
}

func clientAuth() tls.ClientAuthType {
	if fault("request-client-cert") {
		return tls.RequestClientCert
	}
	return tls.RequireAnyClientCert
}

// peekedConn replays the byte read by the planted fault i7-hs-deadline-first-byte.
type peekedConn struct {
	net.Conn
	first []byte
}

func (p *peekedConn) Read(b []byte) (int, error) {
	if len(p.first) > 0 {
		n := copy(b, p.first)
		p.first = p.first[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// refreshConn is the planted fault hs-trickle: every read during the handshake pushes
// the deadline back, so a byte now and then keeps a half-open handshake alive.
type refreshConn struct {
	net.Conn
	d time.Duration
}

func (r *refreshConn) Read(p []byte) (int, error) {
	_ = r.Conn.SetReadDeadline(time.Now().Add(r.d))
	return r.Conn.Read(p)
}
