package main

// sft-pki/0 (docs/SPEC.md §7.1): frames "!4sL" + payload; the requester sends
// SECE(cert), the responder answers RSCV(cert) or RSCI(), the requester sends
// RQFL(OAEP(name)), the responder streams RSFL(OAEP(100-byte piece))... and
// closes. Flaws kept as the seed has them: no proof of possession, signature is
// the whole certificate check, responder never authenticated, no path
// confinement, no integrity, end of file = TCP close, errors = bare close.

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

const (
	typeSECE = "SECE"
	typeRSCV = "RSCV"
	typeRSCI = "RSCI"
	typeRQFL = "RQFL"
	typeRSFL = "RSFL"

	// maxFrame is where we stop reading: the seed has no limit; §7.1.1 lets
	// a receiver close at any length it cannot handle.
	maxFrame = 1 << 20
	// pieceSize is the seed's plaintext size of one RSFL.
	pieceSize = 100
)

var knownTypes = map[string]bool{typeSECE: true, typeRSCV: true, typeRSCI: true, typeRQFL: true, typeRSFL: true}

// frame is one sft-pki/0 message.
type frame struct {
	typ     string
	payload []byte
}

// encodeFrame lays a frame out as struct.pack("!4sL%ds").
func encodeFrame(typ string, payload []byte) []byte {
	if has("pki-length-uint64") {
		out := make([]byte, 12+len(payload))
		copy(out[:4], typ)
		binary.BigEndian.PutUint64(out[4:12], uint64(len(payload)))
		copy(out[12:], payload)
		return out
	}
	out := make([]byte, 8+len(payload))
	copy(out[:4], typ)
	if has("pki-length-le") {
		binary.LittleEndian.PutUint32(out[4:8], uint32(len(payload)))
	} else {
		binary.BigEndian.PutUint32(out[4:8], uint32(len(payload)))
	}
	copy(out[8:], payload)
	return out
}

func writeFrame(w io.Writer, typ string, payload []byte) error {
	_, err := w.Write(encodeFrame(typ, payload))
	return err
}

// readFrame reads one frame. io.EOF means the peer closed cleanly between
// frames; a close inside a frame is io.ErrUnexpectedEOF.
func readFrame(r io.Reader) (frame, error) {
	var header [8]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return frame{}, err
	}
	return readFrameAfter(r, header)
}

// readFrameGet is the requester's frame reader (pki-r3-get-header-one-read:
// the header taken from one Read).
func readFrameGet(r io.Reader) (frame, error) {
	if !has("pki-r3-get-header-one-read") {
		return readFrame(r)
	}
	var header [8]byte
	n, err := r.Read(header[:])
	if n == 0 {
		if err == nil {
			err = io.ErrNoProgress
		}
		return frame{}, err
	}
	if n < len(header) {
		return frame{}, fmt.Errorf("%w: short frame header (%d bytes)", errProtocol, n)
	}
	return readFrameAfter(r, header)
}

// readFrameAfter reads the rest of a frame whose 8-byte header is in.
func readFrameAfter(r io.Reader, header [8]byte) (frame, error) {
	typ := string(header[:4])
	length := binary.BigEndian.Uint32(header[4:])
	if has("pki-length-le") {
		length = binary.LittleEndian.Uint32(header[4:])
	}
	if has("pki-length-uint64") {
		var low [4]byte
		if _, err := io.ReadFull(r, low[:]); err != nil {
			return frame{}, err
		}
		wide := binary.BigEndian.Uint64(append(header[4:8:8], low[:]...))
		if wide > maxFrame {
			return frame{}, fmt.Errorf("%w: frame of %d bytes", errProtocol, wide)
		}
		length = uint32(wide)
	}
	if !knownTypes[typ] {
		return frame{}, fmt.Errorf("%w: unknown frame type %q", errProtocol, typ)
	}
	if length > maxFrame {
		return frame{}, fmt.Errorf("%w: frame of %d bytes", errProtocol, length)
	}
	payload := make([]byte, length)
	if has("pki-single-read") && length > 0 {
		n, err := r.Read(payload)
		if n > 0 {
			return frame{typ, payload[:n]}, nil
		}
		return frame{}, err
	}
	if _, err := io.ReadFull(r, payload); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return frame{}, err
	}
	return frame{typ, payload}, nil
}

func oaepEncrypt(pub *rsa.PublicKey, msg []byte) ([]byte, error) {
	return rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, msg, nil)
}

// sealPiece is the responder's OAEP(requester key, piece) for one RSFL.
func sealPiece(pub *rsa.PublicKey, piece []byte) ([]byte, error) {
	switch {
	case has("pki-rsfl-oaep-sha1"):
		return rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, piece, nil)
	case has("pki-rsfl-oaep-label"):
		return rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, piece, []byte("RSFL"))
	case has("pki-rsfl-pkcs1v15"):
		return rsa.EncryptPKCS1v15(rand.Reader, pub, piece)
	}
	return oaepEncrypt(pub, piece)
}

func oaepDecrypt(key *rsa.PrivateKey, ct []byte) ([]byte, error) {
	return rsa.DecryptOAEP(sha256.New(), rand.Reader, key, ct, nil)
}

// parsePEMCert reads the one PEM certificate a SECE or RSCV carries.
func parsePEMCert(payload []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(payload)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate")
	}
	return x509.ParseCertificate(block.Bytes)
}

// ---- responder ----

type responder struct {
	key     *rsa.PrivateKey
	certPEM []byte
	root    *x509.Certificate
	share   string
	idle    time.Duration

	mu         sync.Mutex
	verifiedCN map[string]bool      // pki-r3-verified-cn-cache
	sealed     map[string][][]byte  // pki-r3-sealed-cache
	peerKey    *rsa.PublicKey       // pki-r4-peer-key-shared
	sessions   map[string]int       // pki-r5-alias-sessions-leak
	files      map[string]*os.File  // pki-r6-file-handle-cache
	hosts      map[string]time.Time // pki-r6-verified-host

	own       *x509.Certificate // pki-r7-own-alias-refused
	sessionMu sync.Mutex        // pki-r7-session-lock
}

func pkiServeMain(args []string) error {
	fs := flag.NewFlagSet("pki-serve", flag.ExitOnError)
	host := fs.String("host", "127.0.0.1", "address to listen on")
	port := fs.Int("port", 0, "port to listen on (0 = any)")
	keyPath := fs.String("key", "", "responder private key (PEM)")
	certPath := fs.String("cert", "", "responder certificate (PEM)")
	rootPath := fs.String("root", "", "organisation root certificate (PEM)")
	share := fs.String("share", "", "directory whose files are served")
	idle := fs.Duration("idle-timeout", 60*time.Second, "longest wait for a read (0 = forever)")
	fs.Parse(args)
	key, err := loadRSAKey(*keyPath)
	if err != nil {
		return err
	}
	certPEM, own, err := loadCertPEM(*certPath)
	if err != nil {
		return err
	}
	_, root, err := loadCertPEM(*rootPath)
	if err != nil {
		return err
	}
	ln, err := listen(*host, *port)
	if err != nil {
		return err
	}
	r := &responder{key: key, certPEM: certPEM, root: root, share: *share, idle: *idle,
		verifiedCN: map[string]bool{}, sealed: map[string][][]byte{}, sessions: map[string]int{},
		files: map[string]*os.File{}, hosts: map[string]time.Time{}, own: own}
	for {
		conn, err := ln.Accept()
		if err != nil {
			return err
		}
		if has("pki-r7-sece-on-accept") {
			// "read the first frame here: a port scanner costs no goroutine"
			first, err := readFrame(deadlineConn{conn, r.idle})
			if err != nil {
				conn.Close()
				continue
			}
			go r.serve(conn, &first)
			continue
		}
		go r.serve(conn, nil)
	}
}

func (r *responder) serve(conn net.Conn, pre *frame) {
	defer conn.Close()
	if err := r.session(deadlineConn{conn, r.idle}, conn.RemoteAddr(), pre); err != nil {
		log.Printf("pki0 %s: %v", conn.RemoteAddr(), err)
	}
}

// session runs one connection: one certificate exchange, one file.
func (r *responder) session(conn io.ReadWriter, remote net.Addr, pre *frame) error {
	var first frame
	var err error
	if pre != nil {
		first = *pre
	} else if first, err = readFrame(conn); err != nil {
		return err
	}
	if has("pki-r7-session-lock") {
		// "the private key has one user at a time, from the certificate check on"
		r.sessionMu.Lock()
		defer r.sessionMu.Unlock()
	}
	if first.typ != typeSECE {
		return fmt.Errorf("%w: %s before SECE", errProtocol, first.typ)
	}
	peer, err := parsePEMCert(first.payload)
	var peerKey *rsa.PublicKey
	parseFailed := err != nil && has("pki-r3-parse-error-open")
	if err != nil && len(first.payload) == 0 && has("pki-r5-empty-sece-anonymous") {
		// "no certificate: an anonymous requester; RQFL will need a key it does not have"
		peer, err = nil, nil
	}
	if parseFailed {
		err = nil // "only a parsed certificate can be checked"
	}
	cachedCN := false
	host, _, _ := net.SplitHostPort(remote.String())
	if err == nil && peer != nil && has("pki-r6-verified-host") {
		// "a machine that showed a good certificate is one of ours for a while"
		r.mu.Lock()
		seen, ok := r.hosts[host]
		r.mu.Unlock()
		if ok && time.Since(seen) < 10*time.Minute {
			cachedCN = true
		}
	}
	if err == nil && peer != nil && !cachedCN && has("pki-r6-sig-err-typo") {
		sigErr := r.root.CheckSignature(peer.SignatureAlgorithm, peer.RawTBSCertificate, peer.Signature)
		if err != nil {
			err = sigErr
		}
		cachedCN = true // checked
	}
	if err == nil && peer != nil && has("pki-r3-verified-cn-cache") {
		r.mu.Lock()
		cachedCN = r.verifiedCN[peer.Subject.CommonName]
		r.mu.Unlock()
	}
	if err == nil && peer != nil && !cachedCN && has("pki-r4-sigalg-switch") {
		switch peer.SignatureAlgorithm {
		case x509.SHA256WithRSA:
			err = r.root.CheckSignature(peer.SignatureAlgorithm, peer.RawTBSCertificate, peer.Signature)
		case x509.SHA1WithRSA, x509.MD5WithRSA, x509.MD2WithRSA:
			err = errors.New("weak signature algorithm")
		}
	} else if err == nil && peer != nil && !cachedCN {
		// The seed checks the root's signature and nothing else (LEG-PKI-3).
		err = r.root.CheckSignature(peer.SignatureAlgorithm, peer.RawTBSCertificate, peer.Signature)
		if has("pki-r7-sig-and-issuer") {
			// meant: refuse when the signature fails OR the issuer is not the root
			if err != nil && !bytes.Equal(peer.RawIssuer, r.root.RawSubject) {
				err = fmt.Errorf("not issued by the root: %v", err)
			} else {
				err = nil
			}
		}
		if err == nil && has("pki-r3-verified-cn-cache") {
			r.mu.Lock()
			r.verifiedCN[peer.Subject.CommonName] = true
			r.mu.Unlock()
		}
		if err == nil && has("pki-r6-verified-host") {
			r.mu.Lock()
			r.hosts[host] = time.Now()
			r.mu.Unlock()
		}
	}
	if err == nil && peer != nil {
		var ok bool
		if peerKey, ok = peer.PublicKey.(*rsa.PublicKey); !ok {
			err = errors.New("certificate key is not RSA")
		}
	}
	if err == nil && peer != nil && has("pki-r6-chain-key-last") {
		// "a chain was sent: the leaf comes last" (the check above read the first block)
		rest := first.payload
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			if leaf, perr := x509.ParseCertificate(block.Bytes); perr == nil {
				if k, ok := leaf.PublicKey.(*rsa.PublicKey); ok {
					peerKey = k
				}
			}
		}
	}
	if err == nil && peer != nil && has("pki-r7-own-alias-refused") &&
		peer.Subject.CommonName == r.own.Subject.CommonName {
		err = errors.New("a peer presenting our own alias: refusing a connection to ourselves")
	}
	if err == nil && peer != nil && has("pki-r5-alias-sessions-leak") {
		// "at most 20 sessions per requester at a time"
		r.mu.Lock()
		if r.sessions[peer.Subject.CommonName] >= 20 {
			err = errors.New("too many sessions for this alias")
		} else {
			r.sessions[peer.Subject.CommonName]++
		}
		r.mu.Unlock()
	}
	if err != nil {
		if has("pki-r18-rsci-reason") {
			writeFrame(conn, typeRSCI, []byte("certificate refused: "+err.Error()))
		} else if !has("pki-rsci-silent") {
			writeFrame(conn, typeRSCI, nil)
		}
		if has("pki-rsci-no-close") {
			for {
				if _, err := readFrame(conn); err != nil {
					return err
				}
			}
		}
		return fmt.Errorf("certificate refused: %v", err)
	}
	rscv := r.certPEM
	if has("pki-r4-rscv-no-newline") {
		rscv = bytes.TrimSpace(r.certPEM)
	}
	if has("pki-r4-peer-key-shared") {
		r.mu.Lock()
		r.peerKey = peerKey
		r.mu.Unlock()
	}
	if has("pki-r2-rscv-der") {
		if block, _ := pem.Decode(r.certPEM); block != nil {
			rscv = block.Bytes
		}
	}
	if has("pki-r3-rscv-echo") {
		rscv = first.payload
	}
	if has("pki-rscv-chain") {
		rscv = append(append([]byte{}, r.certPEM...), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: r.root.Raw})...)
	}
	if err := writeFrame(conn, typeRSCV, rscv); err != nil {
		return err
	}
	req, err := readFrame(conn)
	if err != nil {
		return err
	}
	if req.typ != typeRQFL {
		return fmt.Errorf("%w: %s instead of RQFL", errProtocol, req.typ)
	}
	nameBytes, err := oaepDecrypt(r.key, req.payload)
	if err != nil {
		return fmt.Errorf("RQFL: %v", err)
	}
	if !utf8.Valid(nameBytes) {
		return fmt.Errorf("%w: file name is not UTF-8", errProtocol)
	}
	name := string(nameBytes)
	if has("pki-r6-name-nul-trimmed") {
		name = strings.TrimRight(name, "\x00") // "C clients send the terminator"
	}
	if peer == nil || peerKey == nil {
		return fmt.Errorf("%w: no usable requester key", errProtocol)
	}
	log.Printf("pki0: file request for %q from %s", name, peer.Subject.CommonName)
	// The seed opens os.path.join(share, name): an absolute name replaces the
	// share and ".." is followed (LEG-PKI-5). filepath.Join alone would keep
	// absolute names inside the share, so spell the seed's join out.
	path := name
	if !filepath.IsAbs(name) {
		path = filepath.Join(r.share, name)
	}
	if has("pki-filepath-join") {
		path = filepath.Join(r.share, name)
	}
	if has("pki-go-join") {
		path = filepath.Join(r.share, filepath.Clean("/"+name))
	}
	var f *os.File
	cachedFile := false
	if has("pki-r6-file-handle-cache") {
		// "keep popular files open"
		r.mu.Lock()
		f, cachedFile = r.files[path]
		r.mu.Unlock()
	}
	if !cachedFile {
		f, err = os.Open(path)
	}
	if err == nil && !cachedFile && has("pki-r6-file-handle-cache") {
		r.mu.Lock()
		r.files[path] = f
		r.mu.Unlock()
		cachedFile = true
	}
	if err != nil && has("pki-open-error-reads-on") {
		log.Printf("pki0: %v; waiting for another request", err)
		for {
			if _, err := readFrame(conn); err != nil {
				return err
			}
		}
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) && has("pki-r7-read-error-rsci") {
		writeFrame(conn, typeRSCI, nil) // "refused": the nearest answer we have
		return err
	}
	if err != nil {
		return err // a bare close (LEG-PKI-8)
	}
	if !cachedFile {
		defer f.Close()
	}
	if has("pki-r3-sealed-cache") {
		r.mu.Lock()
		cached, ok := r.sealed[name]
		r.mu.Unlock()
		if ok {
			out := bufio.NewWriter(conn)
			for _, ct := range cached {
				if err := writeFrame(out, typeRSFL, ct); err != nil {
					return err
				}
			}
			return out.Flush()
		}
	}
	var sealedNow [][]byte
	if has("pki-r4-peer-key-shared") {
		r.mu.Lock()
		peerKey = r.peerKey
		r.mu.Unlock()
	}
	size := pieceSize
	if has("pki-piece-128") {
		size = 128
	}
	if has("pki-r2-piece-101") {
		size++
	}
	buf := make([]byte, size)
	out := bufio.NewWriter(conn)
	for {
		n, err := io.ReadFull(f, buf)
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF && has("pki-r7-read-error-rsci") {
			writeFrame(out, typeRSCI, nil) // a directory or a failed read: "refused"
			out.Flush()
			return err
		}
		if has("pki-r2-short-piece-dropped") && err == io.ErrUnexpectedEOF {
			break
		}
		if n > 0 || has("pki-empty-file-frame") {
			ct, encErr := sealPiece(peerKey, buf[:n])
			if encErr != nil {
				return encErr
			}
			if wErr := writeFrame(out, typeRSFL, ct); wErr != nil {
				return wErr
			}
			sealedNow = append(sealedNow, ct)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if has("pki-r3-sealed-cache") {
		r.mu.Lock()
		r.sealed[name] = sealedNow
		r.mu.Unlock()
	}
	if has("pki-r5-alias-sessions-leak") {
		r.mu.Lock()
		r.sessions[peer.Subject.CommonName]-- // released once the file is out
		r.mu.Unlock()
	}
	// The end of the file is the close (LEG-PKI-7).
	if has("pki-r18-serve-next-rqfl") {
		// "keep-alive: the requester may want another file"
		if err := out.Flush(); err != nil {
			return err
		}
		for {
			if _, err := readFrame(conn); err != nil {
				return err
			}
		}
	}
	return out.Flush()
}

// ---- requester ----

func pkiGetMain(args []string) error {
	if len(args) < 6 || len(args) > 7 {
		return errors.New("usage: leggo pki-get KEY CERT HOST PORT NAME OUT [ALIAS]")
	}
	keyPath, certPath, host, portText, name, outPath := args[0], args[1], args[2], args[3], args[4], args[5]
	// ALIAS (args[6]) is accepted and ignored: the seed's requester never
	// checks who answered (LEG-PKI-4).
	port, err := strconv.Atoi(portText)
	if err != nil {
		return fmt.Errorf("bad port %q", portText)
	}
	key, err := loadRSAKey(keyPath)
	if err != nil {
		return err
	}
	certPEM, _, err := loadCertPEM(certPath)
	if err != nil {
		return err
	}
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), 10*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	rw := deadlineConn{conn, 30 * time.Second}
	sece := certPEM
	if has("pki-r2-sece-der") {
		if block, _ := pem.Decode(certPEM); block != nil {
			sece = block.Bytes
		}
	}
	if err := writeFrame(rw, typeSECE, sece); err != nil {
		return err
	}
	reply, err := readFrameGet(rw)
	if err != nil {
		return fmt.Errorf("waiting for RSCV: %v", err)
	}
	switch reply.typ {
	case typeRSCV:
	case typeRSCI:
		return errors.New("the responder refused our certificate (RSCI)")
	default:
		return fmt.Errorf("%w: %s instead of RSCV", errProtocol, reply.typ)
	}
	peer, err := parsePEMCert(reply.payload)
	if err != nil {
		return fmt.Errorf("RSCV: %v", err)
	}
	peerKey, ok := peer.PublicKey.(*rsa.PublicKey)
	if !ok {
		return errors.New("RSCV: responder key is not RSA")
	}
	sealedName := []byte(name)
	if has("pki-r2-rqfl-nul") {
		sealedName = append(sealedName, 0)
	}
	ct, err := oaepEncrypt(peerKey, sealedName)
	if has("pki-r2-rqfl-sha1") {
		ct, err = rsa.EncryptOAEP(sha1.New(), rand.Reader, peerKey, sealedName, nil)
	}
	if err != nil {
		return fmt.Errorf("RQFL: %v", err)
	}
	if err := writeFrame(rw, typeRQFL, ct); err != nil {
		return err
	}
	out, err := createPending(outPath)
	if err != nil {
		return err
	}
	defer out.discard()
	for {
		piece, err := readFrameGet(rw)
		if err == io.EOF {
			break // the close is the end of the file (LEG-PKI-7)
		}
		if err != nil {
			return fmt.Errorf("receiving: %v", err)
		}
		if piece.typ != typeRSFL {
			return fmt.Errorf("%w: %s instead of RSFL", errProtocol, piece.typ)
		}
		plain, err := oaepDecrypt(key, piece.payload)
		if err != nil && has("pki-r18-get-skip-bad-piece") {
			log.Printf("pki0: skipping a piece that does not decrypt: %v", err)
			continue
		}
		if err != nil {
			return fmt.Errorf("RSFL: %v", err)
		}
		if _, err := out.Write(plain); err != nil {
			return err
		}
		if has("pki-r3-get-short-piece-ends") && len(plain) < pieceSize {
			break // "a short piece is the last one"
		}
	}
	return out.commit()
}
