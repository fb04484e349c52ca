package main

// sft-eke/0 (docs/SPEC.md §7.3): no framing, one write per message, lock-step
// acks; DH in the seed's 128-bit group with the seed's fixed exponents, the
// public values XORed with the '0'-padded password, AES-CBC under the zero IV
// with the first 32 decimal digits of the shared secret as the key; then the
// file, its length and its SHA-1 in clear. Flaws kept as the seed has them.

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

var (
	ekeP  = mustInt("197221152031991558322935568090317202983")
	ekeG  = big.NewInt(2)
	ekeXa = big.NewInt(4597)
	ekeXs = big.NewInt(5516)
)

const (
	nonceNa = "11000110001100011000000000000000"
	nonceNs = "11100111011100111000000000000000"
	// readSize is the seed's recv(1024): one read, at most this much, is one
	// message where nothing else tells where a message ends.
	readSize = 1024
	// lengthReadSize is the seed's recv(16) for the file length (message 19).
	lengthReadSize = 16
	fileChunk      = 1024
)

func mustInt(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return v
}

// msgReader reads the seed's unframed messages. Messages that are "whatever
// one recv returned" take the rest of the current read (§7.3.1, LEG-EKE-FMT-2);
// literal and fixed-length messages are buffered until complete, so a peer
// whose two back-to-back sends arrive coalesced is still understood.
type msgReader struct {
	r   io.Reader
	buf []byte

	wrongTries int    // eke-r6-tries-per-conn
	m18        []byte // eke-r6-m18-per-connection
	transfers  int    // eke-r7-transfers-capped

	groupP, groupG *big.Int // eke-r18-group-per-connection
}

// fill does one read and appends what it returned.
func (m *msgReader) fill() error {
	chunk := make([]byte, readSize)
	n, err := m.r.Read(chunk)
	m.buf = append(m.buf, chunk[:n]...)
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// rest returns the rest of the current read (one new read if nothing is
// pending), at most max bytes.
func (m *msgReader) rest(max int) ([]byte, error) {
	if len(m.buf) == 0 {
		if err := m.fill(); err != nil {
			return nil, err
		}
	}
	n := len(m.buf)
	if n > max {
		n = max
	}
	msg := m.buf[:n:n]
	m.buf = m.buf[n:]
	return msg, nil
}

// exactly returns the next n bytes, reading as often as needed.
func (m *msgReader) exactly(n int) ([]byte, error) {
	for len(m.buf) < n {
		if err := m.fill(); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
	}
	msg := m.buf[:n:n]
	m.buf = m.buf[n:]
	return msg, nil
}

// expect reads the literal want and fails on anything else.
func (m *msgReader) expect(want string) error {
	got, err := m.exactly(len(want))
	if err != nil {
		return fmt.Errorf("waiting for %q: %w", want, err)
	}
	if string(got) != want {
		return fmt.Errorf("%w: expected %q, got %q", errProtocol, want, got)
	}
	return nil
}

// expectOneOf reads until the buffer starts with one of the literals, none
// of which may be a prefix of another.
func (m *msgReader) expectOneOf(options ...string) (string, error) {
	for {
		candidate := false
		for _, o := range options {
			if len(m.buf) >= len(o) && string(m.buf[:len(o)]) == o {
				m.buf = m.buf[len(o):]
				return o, nil
			}
			if len(m.buf) < len(o) && string(m.buf) == o[:len(m.buf)] {
				candidate = true
			}
		}
		if !candidate {
			return "", fmt.Errorf("%w: expected one of %q, got %q", errProtocol, options, m.buf)
		}
		if err := m.fill(); err != nil {
			return "", err
		}
	}
}

// copyN moves the next n bytes of the stream to w.
func (m *msgReader) copyN(w io.Writer, n int64) error {
	for n > 0 {
		if len(m.buf) == 0 {
			if err := m.fill(); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
		}
		take := int64(len(m.buf))
		if take > n {
			take = n
		}
		if _, err := w.Write(m.buf[:take]); err != nil {
			return err
		}
		m.buf = m.buf[take:]
		n -= take
	}
	return nil
}

// pad39 is the seed's password.ljust(39, '0'): padded, never cut.
func pad39(password string) []byte {
	if has("eke-pad-spaces") {
		return []byte(fmt.Sprintf("%-39s", password))
	}
	if has("eke-pad-left") {
		return []byte(fmt.Sprintf("%039s", password))
	}
	out := []byte(password)
	for len(out) < 39 {
		out = append(out, '0')
	}
	return out
}

// xorBytes is the seed's xor_message: over the shorter of the two lengths.
func xorBytes(a, b []byte) []byte {
	n := len(a)
	if len(b) < n {
		n = len(b)
	}
	out := make([]byte, n)
	for i := 0; i < n; i++ {
		out[i] = a[i] ^ b[i]
	}
	return out
}

// hide is xor(ASCII(v), pw39).
func hide(v *big.Int, pw39 []byte) []byte {
	return xorBytes([]byte(v.String()), pw39)
}

// parseDecimal is the seed's int(): a decimal integer.
func parseDecimal(b []byte) (*big.Int, error) {
	v, ok := new(big.Int).SetString(string(b), 10)
	if !ok {
		return nil, fmt.Errorf("%w: %q is not a decimal integer", errProtocol, b)
	}
	return v, nil
}

// modPow is the seed's modlargeNum(base, power, p): a result in [0, p).
func modPow(base, exp, p *big.Int) *big.Int {
	b := new(big.Int).Mod(base, p)
	return new(big.Int).Exp(b, exp, p)
}

// sessionKey is str(Kas)[:32]: 32 ASCII digits used as an AES-256 key.
func sessionKey(kas *big.Int) ([]byte, error) {
	digits := kas.String()
	if has("eke-key-fillbytes") {
		return kas.FillBytes(make([]byte, 32)), nil
	}
	if has("eke-key-last-digits") && len(digits) >= 32 {
		return []byte(digits[len(digits)-32:]), nil
	}
	if len(digits) < 32 {
		return nil, fmt.Errorf("shared secret has %d digits, not a 32-byte AES key", len(digits))
	}
	return []byte(digits[:32]), nil
}

// cbc is AES-CBC under the zero IV, no padding.
func cbc(key, data []byte, encrypt bool) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if len(data)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: %d bytes is not a whole number of AES blocks", errProtocol, len(data))
	}
	iv := make([]byte, aes.BlockSize)
	out := make([]byte, len(data))
	if has("eke-ecb") {
		for i := 0; i < len(data); i += aes.BlockSize {
			if encrypt {
				block.Encrypt(out[i:], data[i:])
			} else {
				block.Decrypt(out[i:], data[i:])
			}
		}
		return out, nil
	}
	if encrypt {
		cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, data)
	} else {
		cipher.NewCBCDecrypter(block, iv).CryptBlocks(out, data)
	}
	return out, nil
}

// send writes one message as one write.
func send(w io.Writer, msg []byte) error {
	_, err := w.Write(msg)
	return err
}

// sendLiteral writes one of the fixed ASCII acks.
func sendLiteral(w io.Writer, ack string) error {
	if has("eke-println-acks") {
		_, err := fmt.Fprintln(w, ack)
		return err
	}
	return send(w, []byte(ack))
}

// sendClient writes one client message.
func sendClient(w io.Writer, msg []byte) error {
	if has("eke-client-println") {
		_, err := fmt.Fprintln(w, string(msg))
		return err
	}
	return send(w, msg)
}

// ---- server ----

type ekeServer struct {
	user     string
	password string
	file     string
	idle     time.Duration
	keyCache map[string][]byte // eke-r3-key-cache-user
	loggedIn bool              // eke-r4-auth-sticky
	reader   *msgReader        // eke-r6-reader-carryover
}

func ekeServeMain(args []string) error {
	fs := flag.NewFlagSet("eke-serve", flag.ExitOnError)
	host := fs.String("host", "127.0.0.1", "address to listen on")
	port := fs.Int("port", 0, "port to listen on (0 = any)")
	user := fs.String("user", "", "the account's user name (never checked, as in the seed)")
	pwPath := fs.String("password-file", "", "file holding the one password")
	file := fs.String("file", "", "the one file served")
	idle := fs.Duration("idle-timeout", 60*time.Second, "longest wait for a read (0 = forever)")
	fs.Parse(args)
	password, err := readSecretFile(*pwPath)
	if err != nil {
		return err
	}
	if _, err := os.Stat(*file); err != nil {
		return err
	}
	ln, err := listen(*host, *port)
	if err != nil {
		return err
	}
	s := &ekeServer{user: *user, password: password, file: *file, idle: *idle, keyCache: map[string][]byte{}}
	for {
		conn, err := ln.Accept()
		if err != nil {
			return err
		}
		if has("eke-goroutine-per-conn") {
			go s.serve(conn)
			continue
		}
		// One connection at a time, as the seed (LEG-EKE-12).
		s.serve(conn)
	}
}

func (s *ekeServer) serve(conn net.Conn) {
	defer conn.Close()
	in := &msgReader{r: deadlineConn{conn, s.idle}}
	if has("eke-r6-reader-carryover") {
		// "one reader for the server": only its source changes per connection
		if s.reader == nil {
			s.reader = &msgReader{}
		}
		s.reader.r = deadlineConn{conn, s.idle}
		in = s.reader
	}
	err := s.session(in, conn)
	if err != nil && !errors.Is(err, io.EOF) {
		log.Printf("eke0 %s: %v", conn.RemoteAddr(), err)
	}
}

// session serves logins on one connection until the client leaves.
func (s *ekeServer) session(in *msgReader, out io.Writer) error {
	for {
		if err := s.login(in, out); err != nil {
			return err
		}
	}
}

// login runs messages 1-24 once (or 1-4 when the password is wrong).
func (s *ekeServer) login(in *msgReader, out io.Writer) error {
	user, err := in.rest(readSize) // 1
	if has("eke-readfull-user") && err == nil {
		whole := make([]byte, readSize)
		copy(whole, user)
		var n int
		n, err = io.ReadFull(in.r, whole[len(user):])
		user = whole[:len(user)+n]
	}
	if err != nil {
		return err
	}
	if has("eke-user-checked") && string(user) != s.user {
		return send(out, []byte("Wrong Username"))
	}
	// The seed's `if data == 'a' or 'b'` is always true (LEG-EKE-2).
	if err := sendLiteral(out, "u_ack"); err != nil { // 2
		return err
	}
	password, err := in.rest(readSize) // 3, in clear (LEG-EKE-1)
	if err != nil {
		return err
	}
	wrong := string(password) != s.password
	if has("eke-r7-pw-len-or-equal") {
		// the length test first, as a fast path (meant: ||)
		wrong = len(password) != len(s.password) && string(password) != s.password
	}
	if has("eke-r3-password-fold") {
		wrong = !strings.EqualFold(string(password), s.password)
	}
	if has("eke-r6-pw-shadowed") {
		// after a refactor that moved the log line in
		wrong = false
		if wrong := string(password) != s.password; wrong {
			log.Printf("eke0: wrong password for %q", user)
		}
	}
	if has("eke-r5-password-trimspace") {
		// "netcat and telnet clients send a newline"
		wrong = strings.TrimSpace(string(password)) != s.password
	}
	if wrong && has("eke-r5-retry-password-only") {
		// "the client retries its password": wait for message 3 again
		for wrong {
			log.Printf("eke0: wrong password for %q", user)
			if err := sendLiteral(out, "Not Authenticated"); err != nil {
				return err
			}
			if password, err = in.rest(readSize); err != nil {
				return err
			}
			wrong = string(password) != s.password
		}
	}
	if has("eke-r4-auth-sticky") {
		// "a client that logged in once is trusted"
		if wrong && s.loggedIn {
			wrong = false
		}
		if !wrong {
			s.loggedIn = true
		}
	}
	if wrong {
		log.Printf("eke0: wrong password for %q", user)
		if has("eke-r6-tries-per-conn") {
			// "at most 5 guesses": counted on the connection's reader
			in.wrongTries++
			if in.wrongTries >= 5 {
				if err := sendLiteral(out, "Not Authenticated"); err != nil {
					return err
				}
				return errors.New("too many wrong passwords on this connection")
			}
		}
		return sendLiteral(out, "Not Authenticated") // 4; no throttling (LEG-EKE-10)
	}
	if err := sendLiteral(out, "Authenticated"); err != nil { // 4
		return err
	}
	pw39 := pad39(s.password)
	pText, err := in.rest(readSize) // 5
	if err != nil {
		return err
	}
	p, err := parseDecimal(pText)
	if err != nil {
		return err
	}
	if has("eke-p-atoi") {
		small, err := strconv.ParseInt(string(pText), 10, 64)
		if err != nil {
			return err
		}
		p = big.NewInt(small)
	}
	if p.Cmp(big.NewInt(3)) < 0 {
		return fmt.Errorf("%w: modulus %s", errProtocol, p)
	}
	if has("eke-r5-pad-to-p-digits") {
		// "the password is padded to the width of the modulus" (39 for the seed's p)
		pw39 = []byte(s.password)
		for len(pw39) < len(p.String()) {
			pw39 = append(pw39, '0')
		}
	}
	if err := sendLiteral(out, "pAck"); err != nil { // 6
		return err
	}
	gText, err := in.rest(readSize) // 7
	if err != nil {
		return err
	}
	g, err := parseDecimal(gText)
	if err != nil {
		return err
	}
	if has("eke-r18-group-per-connection") {
		// "the group is the connection's": parsed once, kept for its later logins
		if in.groupP == nil {
			in.groupP, in.groupG = p, g
		}
		p, g = in.groupP, in.groupG
	}
	if err := sendLiteral(out, "gAck"); err != nil { // 8
		return err
	}
	hidden, err := in.rest(readSize) // 9
	if has("eke-r3-m9-exactly-39") && err == nil {
		// "hide() is 39 bytes long": the rest of the 39.
		var more []byte
		if more, err = in.exactly(len(pw39) - len(hidden)); err == nil {
			hidden = append(append([]byte{}, hidden...), more...)
		}
	}
	if err != nil {
		return err
	}
	clientPublic, err := parseDecimal(xorBytes(hidden, pw39))
	if err != nil {
		return err
	}
	if err := sendLiteral(out, "xorAck"); err != nil { // 10
		return err
	}
	xs := ekeXs
	if has("eke-rand-exponent") {
		if xs, err = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 256)); err != nil {
			return err
		}
	}
	keyGroup := p
	if has("eke-r3-key-seed-p") {
		keyGroup = ekeP
	}
	key, err := sessionKey(modPow(clientPublic, xs, keyGroup))
	if err != nil {
		return err
	}
	if has("eke-r3-key-cache-user") {
		if cached, ok := s.keyCache[string(user)]; ok {
			key = cached
		} else {
			s.keyCache[string(user)] = key
		}
	}
	m11 := hide(modPow(g, xs, p), pw39)
	if has("eke-r7-m11-echoes-m9") {
		serverPublic := modPow(g, xs, p)
		_ = serverPublic
		m11 = hide(clientPublic, pw39) // the wrong public value
	}
	if has("eke-r4-m11-own-g") {
		m11 = hide(modPow(ekeG, xs, p), pw39)
	}
	if has("eke-r4-m11-zero-padded") {
		// "hide() works on 39 bytes: make the value 39 digits"
		m11 = xorBytes([]byte(fmt.Sprintf("%039s", modPow(g, xs, p).String())), pw39)
	}
	if err := send(out, m11); err != nil { // 11
		return err
	}
	if err := in.expect("xorServerAck"); err != nil { // 12
		return err
	}
	ns := []byte(nonceNs)
	if has("eke-r18-m13-pkcs7") {
		// "every CBC message is padded" (PKCS#7: a whole block of 16 for 32 bytes)
		ns = append(append([]byte{}, ns...), bytes.Repeat([]byte{aes.BlockSize}, aes.BlockSize)...)
	}
	if has("eke-r2-ns-binary") {
		ns = make([]byte, 32)
		if _, err := rand.Read(ns); err != nil {
			return err
		}
	}
	m13, err := cbc(key, ns, true)
	if err != nil {
		return err
	}
	var sessionCBC cipher.BlockMode
	if has("eke-cbc-reused") {
		block, _ := aes.NewCipher(key)
		sessionCBC = cipher.NewCBCEncrypter(block, make([]byte, aes.BlockSize))
		sessionCBC.CryptBlocks(m13, []byte(nonceNs))
	}
	if err := send(out, m13); err != nil { // 13
		return err
	}
	if err := in.expect("aesAck"); err != nil { // 14
		return err
	}
	m15, err := in.exactly(64) // 15
	if err != nil {
		return err
	}
	nonces, err := cbc(key, m15, false)
	if err != nil {
		return err
	}
	// The Ns half is never compared with ours (LEG-EKE-7).
	if err := sendLiteral(out, "clientAesAck"); err != nil { // 16
		return err
	}
	if err := in.expect("send_aes_nonceNa"); err != nil { // 17
		return err
	}
	naHalf := nonces[:16]
	if has("eke-r2-m18-from-ns") {
		naHalf = nonces[32:48]
	}
	if has("eke-r3-m18-own-na") {
		naHalf = []byte(nonceNa)[:16]
	}
	m18, err := cbc(key, naHalf, true)
	if err != nil {
		return err
	}
	if has("eke-r6-m18-per-connection") {
		// "the confirmation is the same for the whole connection"
		if in.m18 == nil {
			in.m18 = m18
		}
		m18 = in.m18
	}
	if sessionCBC != nil {
		sessionCBC.CryptBlocks(m18, nonces[:16])
	}
	if err := send(out, m18); err != nil { // 18
		return err
	}
	content, err := os.ReadFile(s.file)
	if err != nil {
		return err
	}
	length := []byte(strconv.Itoa(len(content)))
	if has("eke-r2-length-hex") {
		length = []byte(strconv.FormatInt(int64(len(content)), 16))
	}
	if has("eke-length-uint32") {
		length = binary.BigEndian.AppendUint32(nil, uint32(len(content)))
	}
	if has("eke-r18-m19-newline") {
		length = []byte(fmt.Sprintf("%d\n", len(content)))
	}
	if err := send(out, length); err != nil { // 19
		return err
	}
	if err := in.expect("LnACK"); err != nil { // 20
		return err
	}
	if err := sendLiteral(out, "ok"); err != nil { // 21
		return err
	}
	for off := 0; off < len(content); off += fileChunk { // 22, in clear (LEG-EKE-8)
		end := off + fileChunk
		if end > len(content) && has("eke-last-chunk-dropped") {
			break
		}
		if end > len(content) {
			end = len(content)
		} else if has("eke-r2-chunk-overlap") && end < len(content) {
			end++
		}
		if err := send(out, content[off:end]); err != nil {
			return err
		}
	}
	if has("eke-r4-digest-eager") {
		digest := sha1.Sum(content)
		if err := send(out, []byte(hex.EncodeToString(digest[:]))); err != nil { // 24, early
			return err
		}
		return in.expect("File delivered") // 23
	}
	if err := in.expect("File delivered"); err != nil { // 23
		return err
	}
	digest := sha1.Sum(content)
	if has("eke-r2-digest-first-chunk") && len(content) > fileChunk {
		digest = sha1.Sum(content[:fileChunk])
	}
	if has("eke-digest-upper") {
		return send(out, []byte(fmt.Sprintf("%X", digest))) // 24
	}
	if err := send(out, []byte(hex.EncodeToString(digest[:]))); err != nil { // 24
		return err
	}
	if has("eke-r7-transfers-capped") {
		// "bound a connection's work: at most 4 files, then make the client reconnect"
		if in.transfers++; in.transfers > 4 {
			return errors.New("transfer limit for this connection reached")
		}
	}
	return nil
}

// ---- client ----

func ekeGetMain(args []string) error {
	if len(args) != 5 {
		return errors.New("usage: leggo eke-get HOST PORT USER PASSWORD_FILE OUT")
	}
	host, portText, user, pwPath, outPath := args[0], args[1], args[2], args[3], args[4]
	port, err := strconv.Atoi(portText)
	if err != nil {
		return fmt.Errorf("bad port %q", portText)
	}
	password, err := readSecretFile(pwPath)
	if err != nil {
		return err
	}
	if has("eke-r6-client-out-probe") {
		// "fail before bothering the server when OUT cannot be written"
		probe, err := os.OpenFile(outPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		probe.Close()
	}
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), 10*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	in := &msgReader{r: deadlineConn{conn, 30 * time.Second}}
	return ekeFetch(in, conn, user, password, outPath)
}

func ekeFetch(in *msgReader, out io.Writer, user, password, outPath string) error {
	if err := sendClient(out, []byte(user)); err != nil { // 1
		return err
	}
	if err := in.expect("u_ack"); err != nil { // 2
		return err
	}
	if err := sendClient(out, []byte(password)); err != nil { // 3
		return err
	}
	early := has("eke-r6-client-p-early")
	if early {
		// "save a round trip: the group does not depend on the verdict"
		if err := sendClient(out, []byte(ekeP.String())); err != nil { // 5
			return err
		}
	}
	verdict, err := in.expectOneOf("Authenticated", "Not Authenticated") // 4
	if err != nil {
		return err
	}
	if verdict != "Authenticated" {
		return errors.New("the server refused the password")
	}
	pw39 := pad39(password)
	if !early {
		if err := sendClient(out, []byte(ekeP.String())); err != nil { // 5
			return err
		}
	}
	if err := in.expect("pAck"); err != nil { // 6
		return err
	}
	if err := sendClient(out, []byte(ekeG.String())); err != nil { // 7
		return err
	}
	if err := in.expect("gAck"); err != nil { // 8
		return err
	}
	if err := sendClient(out, hide(modPow(ekeG, ekeXa, ekeP), pw39)); err != nil { // 9
		return err
	}
	if err := in.expect("xorAck"); err != nil { // 10
		return err
	}
	ackEarly := has("eke-r18-client-ack12-early")
	if ackEarly {
		// "11 follows 10 anyway": acknowledge it at once
		if err := sendClient(out, []byte("xorServerAck")); err != nil { // 12
			return err
		}
	}
	hidden, err := in.rest(readSize) // 11
	if err != nil {
		return err
	}
	serverPublic, err := parseDecimal(xorBytes(hidden, pw39))
	if err != nil {
		return err
	}
	key, err := sessionKey(modPow(serverPublic, ekeXa, ekeP))
	if err != nil {
		return err
	}
	if !ackEarly {
		if err := sendClient(out, []byte("xorServerAck")); err != nil { // 12
			return err
		}
	}
	m13, err := in.exactly(32) // 13
	if err != nil {
		return err
	}
	ns, err := cbc(key, m13, false)
	if err != nil {
		return err
	}
	if err := sendClient(out, []byte("aesAck")); err != nil { // 14
		return err
	}
	if has("eke-r3-client-ns-constant") {
		ns = []byte(nonceNs)
	}
	m15plain := append([]byte(nonceNa), ns...)
	if has("eke-r4-client-m15-swapped") {
		m15plain = append(append([]byte{}, ns...), nonceNa...)
	}
	m15, err := cbc(key, m15plain, true)
	if err != nil {
		return err
	}
	if err := sendClient(out, m15); err != nil { // 15
		return err
	}
	if err := in.expect("clientAesAck"); err != nil { // 16
		return err
	}
	if err := sendClient(out, []byte("send_aes_nonceNa")); err != nil { // 17
		return err
	}
	if _, err := in.exactly(16); err != nil { // 18, never checked (LEG-EKE-7)
		return err
	}
	lengthText, err := in.rest(lengthReadSize) // 19
	if err != nil {
		return err
	}
	length, err := strconv.ParseInt(string(lengthText), 10, 64)
	if err != nil || length < 0 {
		return fmt.Errorf("%w: file length %q", errProtocol, lengthText)
	}
	if err := sendClient(out, []byte("LnACK")); err != nil { // 20
		return err
	}
	if err := in.expect("ok"); err != nil { // 21
		return err
	}
	file, err := createPending(outPath)
	if err != nil {
		return err
	}
	if has("eke-r5-client-part-left") {
		defer func() {
			if !file.done {
				file.File.Close() // closed, never removed
			}
		}()
	} else {
		defer file.discard()
	}
	digest := sha1.New()
	if err := in.copyN(io.MultiWriter(file, digest), length); err != nil { // 22
		if has("eke-client-eof-ok") && errors.Is(err, io.ErrUnexpectedEOF) {
			return file.commit()
		}
		return fmt.Errorf("file cut short: %w", err)
	}
	if err := sendClient(out, []byte("File delivered")); err != nil { // 23
		return err
	}
	return checkDigestAndKeep(in, digest, file)
}

// checkDigestAndKeep reads message 24 and keeps the file only when it is the
// SHA-1 of what arrived (LEG-EKE-FMT-6).
func checkDigestAndKeep(in *msgReader, digest hash.Hash, file *pendingFile) error {
	theirs, err := in.exactly(2 * sha1.Size) // 24
	if err != nil && has("eke-r2-client-no-digest-commits") {
		return file.commit()
	}
	if err != nil {
		return fmt.Errorf("no digest: %w", err)
	}
	ours := hex.EncodeToString(digest.Sum(nil))
	if has("eke-client-commit-early") {
		if err := file.commit(); err != nil {
			return err
		}
	}
	if has("eke-r5-client-digest-decode-open") {
		// compare the digests as bytes; one that does not decode is not checked
		want, decErr := hex.DecodeString(string(theirs))
		if decErr != nil {
			log.Printf("eke0: message 24 is not hex (%v): digest not checked", decErr)
			theirs = []byte(ours)
		} else if !bytes.Equal(want, digest.Sum(nil)) {
			return fmt.Errorf("SHA-1 mismatch: server %q, received %q", theirs, ours)
		}
	}
	if has("eke-r6-client-check-deferred") {
		// "keep the file first, then say whether it matched"
		var mismatch error
		defer func() {
			if string(theirs) != ours {
				mismatch = fmt.Errorf("SHA-1 mismatch: server %q, received %q", theirs, ours)
				log.Printf("eke0: %v", mismatch)
			}
		}()
		return file.commit()
	}
	if has("eke-r2-client-digest-prefix") {
		theirs, ours = theirs[:20], ours[:20]
	}
	if string(theirs) != ours && has("eke-r3-client-digest-fallback") {
		// The seed's sha1ofFile returns inside its loop: accept its digest too.
		first := make([]byte, fileChunk)
		n, _ := file.File.ReadAt(first, 0)
		if sum := sha1.Sum(first[:n]); hex.EncodeToString(sum[:]) == string(theirs) {
			ours = string(theirs)
		}
	}
	if string(theirs) != ours {
		return fmt.Errorf("SHA-1 mismatch: server %q, received %q", theirs, ours)
	}
	if has("eke-client-commit-early") {
		return nil
	}
	return file.commit()
}
