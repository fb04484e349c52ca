package main

// The responder: accept loop with connection caps (LIM-4/8/9), one goroutine per
// connection, the handshake under its deadline, then the application layer of §3.

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ServerConfig is everything `eke4 serve` takes on its command line.
type ServerConfig struct {
	Listen           string
	Share, Inbox     string
	Store, StateDir  string
	PortFile         string
	HandshakeTimeout time.Duration
	IdleTimeout      time.Duration
	MaxFileSize      int64
	MaxConnections   int
	MaxPendingPerIP  int
	FrameLimit       uint32
	AllowPut         bool
	Throttle         ThrottleConfig
}

// PasswordStore is the server's account file: user -> hex(pw), mode 0600 (EKE-PW-2).
type PasswordStore struct {
	Users map[string]string `json:"users"`
}

func loadStore(path string) (*PasswordStore, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s PasswordStore
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("password store %s: %v", path, err)
	}
	if s.Users == nil {
		s.Users = map[string]string{}
	}
	return &s, nil
}

func (s *PasswordStore) lookup(user string) ([]byte, bool) {
	if fault("user_case_folded") {
		for k, v := range s.Users {
			if strings.EqualFold(k, user) {
				b, err := hex.DecodeString(v)
				return b, err == nil
			}
		}
		return nil, false
	}
	h, ok := s.Users[user]
	if !ok {
		return nil, false
	}
	b, err := hex.DecodeString(h)
	return b, err == nil && len(b) == 32
}

type connSlot struct {
	conn     net.Conn
	ip       string
	accepted time.Time
	pending  bool
}

// Server is one running responder.
type Server struct {
	cfg      ServerConfig
	store    *PasswordStore
	secret   []byte
	throttle *Throttle
	shareFD  int

	mu        sync.Mutex
	slots     map[*connSlot]struct{}
	pendingIP map[string]int

	tmpMu    sync.Mutex
	tmpFiles map[string]struct{}
	putNames map[string]bool // only the planted fault b16_put_name_held_after_failure
}

func loadOrCreateSecret(dir string) ([]byte, error) {
	path := filepath.Join(dir, "server_secret")
	if b, err := os.ReadFile(path); err == nil && len(b) == 32 {
		return b, nil
	}
	b := randomBytes(32)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, err
	}
	return b, nil
}

// sweepInbox removes temporary files an earlier run left (APP-STORE-3).
func sweepInbox(inbox string) {
	entries, err := os.ReadDir(inbox)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), partialPrefix) {
			_ = os.Remove(filepath.Join(inbox, e.Name()))
		}
	}
}

func newServer(cfg ServerConfig) (*Server, error) {
	store, err := loadStore(cfg.Store)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, err
	}
	secret, err := loadOrCreateSecret(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	fd, err := syscall.Open(cfg.Share, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("share %s: %v", cfg.Share, err)
	}
	if cfg.AllowPut {
		sweepInbox(cfg.Inbox)
	}
	return &Server{
		cfg: cfg, store: store, secret: secret, shareFD: fd,
		throttle:  loadThrottle(cfg.Throttle, filepath.Join(cfg.StateDir, "throttle.json")),
		slots:     map[*connSlot]struct{}{},
		pendingIP: map[string]int{},
		tmpFiles:  map[string]struct{}{},
		putNames:  map[string]bool{},
	}, nil
}

// admit applies LIM-4, LIM-8 and LIM-9 to a new connection.
func (s *Server) admit(conn net.Conn) (*connSlot, bool) {
	ip := conn.RemoteAddr().String()
	if ta, ok := conn.RemoteAddr().(*net.TCPAddr); ok && !fault("pending_ip_with_port") {
		ip = ta.IP.String()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	perAddress := s.cfg.MaxPendingPerIP
	if fault("b16_lim8_uses_pending_q") {
		perAddress = s.cfg.Throttle.PendingPerAddr // the other "pending per address" option
	}
	if s.pendingIP[ip] >= perAddress && !fault("no_per_address_cap") {
		return nil, false
	}
	if len(s.slots) >= s.cfg.MaxConnections {
		var oldest *connSlot
		for sl := range s.slots {
			if sl.pending && (oldest == nil || sl.accepted.Before(oldest.accepted)) {
				oldest = sl
			}
		}
		if oldest == nil || fault("no_pending_eviction") {
			return nil, false
		}
		s.dropLocked(oldest)
		_ = oldest.conn.Close()
	}
	sl := &connSlot{conn: conn, ip: ip, accepted: time.Now(), pending: true}
	s.slots[sl] = struct{}{}
	s.pendingIP[ip]++
	return sl, true
}

func (s *Server) dropLocked(sl *connSlot) {
	if _, ok := s.slots[sl]; !ok {
		return
	}
	delete(s.slots, sl)
	if sl.pending {
		s.pendingIP[sl.ip]--
		if s.pendingIP[sl.ip] <= 0 {
			delete(s.pendingIP, sl.ip)
		}
	}
}

func (s *Server) established(sl *connSlot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.slots[sl]; ok && sl.pending {
		sl.pending = false
		s.pendingIP[sl.ip]--
		if s.pendingIP[sl.ip] <= 0 {
			delete(s.pendingIP, sl.ip)
		}
	}
}

func (s *Server) release(sl *connSlot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropLocked(sl)
}

// Serve runs the accept loop until the listener fails.
func (s *Server) Serve(ln net.Listener) error {
	for {
		conn, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		sl, ok := s.admit(conn)
		if !ok {
			go refuseBusy(conn)
			continue
		}
		go s.handle(sl)
	}
}

func refuseBusy(conn net.Conn) {
	_ = conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
	_, _ = conn.Write(encodeFrame("EROR", erorPayload(&ProtoError{Code: CodeBusy, Msg: "server busy", RetryAfter: 1})))
	_ = conn.Close()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// fail answers err where it has a code and says whether the connection must end.
func failConn(ch *Channel, err error) bool {
	var pe *ProtoError
	switch {
	case errors.As(err, &pe):
		_ = ch.WriteError(pe)
		if fault("r2_too_large_closes") && pe.Code == CodeTooLarge {
			return true
		}
		if fault("r2_not_found_closes") && pe.Code == CodeNotFound {
			return true
		}
		if fault("r3_forbidden_closes") && pe.Code == CodeForbidden {
			return true
		}
		return pe.Fatal()
	case isTimeout(err):
		_ = ch.WriteError(perr(CodeTimeout, "timed out"))
	}
	return true
}

func (s *Server) handle(sl *connSlot) {
	conn := sl.conn
	keepSlot := false
	defer func() {
		if !keepSlot {
			s.release(sl)
		}
	}()
	defer conn.Close()
	ch := newChannel(conn, s.cfg.FrameLimit, s.cfg.IdleTimeout)
	deadline := sl.accepted.Add(s.cfg.HandshakeTimeout)
	if fault("b16_handshake_deadline_idle") {
		deadline = sl.accepted.Add(s.cfg.IdleTimeout)
	}
	// Every read goes through a reader that can renew the deadline: never during the
	// handshake (LIM-9: bytes trickling in do not extend it), at every byte afterwards
	// (LIM-2: the idle timeout counts from the peer's last byte, not its last frame).
	refreshing := &refreshingReader{conn: conn}
	if fault("handshake_deadline_per_read") {
		refreshing.timeout = s.cfg.HandshakeTimeout
	}
	ch.r = bufio.NewReaderSize(refreshing, 64*1024)
	_ = conn.SetReadDeadline(deadline)
	if !s.serverHandshake(ch, conn.RemoteAddr(), deadline) {
		// b16_slot_kept_on_failed_handshake: the release lived in serveApp's defer
		keepSlot = fault("b16_slot_kept_on_failed_handshake")
		return
	}
	refreshing.timeout = 0
	if !fault("b14_idle_deadline_per_frame") && !fault("r16_idle_deadline_once") {
		refreshing.timeout = s.cfg.IdleTimeout
	}
	if !fault("b16_established_not_marked") {
		s.established(sl)
	}
	s.serveApp(ch)
}

// readHandshake reads a handshake frame: a peer's EROR ends the connection silently.
func (s *Server) readHandshake(ch *Channel, want string, deadline time.Time) (*Frame, bool) {
	_ = ch.conn.SetReadDeadline(deadline)
	f, err := ch.ReadFrame()
	if err != nil {
		if isTimeout(err) && fault("hs_timeout_silent") {
			return nil, false
		}
		if err != errClosed && err != errTruncated {
			failConn(ch, err)
		}
		return nil, false
	}
	if f.Type == "EROR" {
		return nil, false
	}
	if f.Type != want {
		_ = ch.WriteError(perr(CodeUnexpected, "expected %s, got %s", want, f.Type))
		return nil, false
	}
	return f, true
}

func (s *Server) serverHandshake(ch *Channel, remote net.Addr, deadline time.Time) bool {
	f, ok := s.readHandshake(ch, "EKE1", deadline)
	if !ok {
		return false
	}
	o, err := parseObject(f.Payload)
	if err != nil {
		failConn(ch, err)
		return false
	}
	user, err := o.str("user")
	if err != nil {
		failConn(ch, err)
		return false
	}
	a, err := hexMember(o, "a", 2*elemLen)
	if err != nil {
		failConn(ch, err)
		return false
	}
	if !validUserName(user) {
		failConn(ch, perr(CodeBadFrame, "not a valid user name"))
		return false
	}
	addr := addressKey(remote)
	lateAdmit := fault("r16_eke2_before_throttle")
	if !lateAdmit {
		if pe := s.throttle.Admit(user, addr); pe != nil {
			_ = ch.WriteError(pe)
			return false
		}
	}
	admitted := !lateAdmit
	admittedAt := nowSeconds()
	succeeded := false
	eke3Judged := false
	defer func() {
		if !admitted {
			return
		}
		if fault("r3_abandoned_not_counted") && !succeeded && !eke3Judged {
			s.throttle.ReleasePending(user, addr)
			return
		}
		s.throttle.ReleaseAt(user, addr, succeeded, admittedAt)
	}()
	hello, eke2 := s.serverAnswerEKE1(user, a)
	if err := ch.WriteFrame("EKE2", eke2); err != nil {
		return false
	}
	if lateAdmit {
		// "the answer is computed anyway: send it, then ask the throttle"
		if pe := s.throttle.Admit(user, addr); pe != nil {
			_ = ch.WriteError(pe)
			return false
		}
		admitted = true
	}
	f, ok = s.readHandshake(ch, "EKE3", deadline)
	if !ok {
		return false
	}
	eke4, err := serverCheckEKE3(hello, f.Payload)
	eke3Judged = true
	if err != nil {
		if fault("r16_eke3_failure_counted_twice") {
			s.throttle.RecordFailure(user, addr) // and the deferred Release counts it again
		}
		failConn(ch, err)
		return false
	}
	succeeded = true
	if err := ch.WriteFrame("EKE4", eke4); err != nil {
		return false
	}
	ch.establish(hello.keys.KeyS2C, hello.keys.IVS2C, hello.keys.KeyC2S, hello.keys.IVC2S)
	_ = ch.conn.SetReadDeadline(time.Time{})
	return true
}

// --- application layer (§3) ---

const partialPrefix = ".sft-partial-"

// tempSuffix is the planted fault r16_temp_suffix_once: the random part drawn once, at
// start, as a package-level var.
var tempSuffix = hex.EncodeToString(randomBytes(12))

// checkName is APP-NAME-1/2/8 (and APP-NAME-9 for the last component).
func checkName(name string) *ProtoError {
	if name == "" || len(name) > 4096 && !fault("r16_name_total_unchecked") || fault("r2_name_bound_off_by_one") && len(name) >= 4096 {
		return perr(CodeForbidden, "name length not acceptable")
	}
	if strings.HasPrefix(name, "/") {
		return perr(CodeForbidden, "absolute name")
	}
	if len(name) >= 2 && name[1] == ':' && (name[0] >= 'A' && name[0] <= 'Z' || name[0] >= 'a' && name[0] <= 'z') {
		return perr(CodeForbidden, "drive letter")
	}
	for _, r := range name {
		switch {
		case r < 0x20, r == 0x7f, r == '\\':
			return perr(CodeForbidden, "forbidden character in name")
		case fault("r16_bidi_on_raw_payload"):
			// C1 and bidi are looked for in the raw payload (rawNameCheck) instead
		case r >= 0x80 && r <= 0x9f && !fault("c1_allowed"):
			return perr(CodeForbidden, "forbidden character in name")
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069 && !fault("bidi_isolates_missed"):
			return perr(CodeForbidden, "forbidden character in name")
		}
	}
	if fault("r3_c1_on_bytes") {
		for i := 0; i < len(name); i++ {
			if name[i] >= 0x80 && name[i] <= 0x9f {
				return perr(CodeForbidden, "forbidden character in name")
			}
		}
	}
	parts := strings.Split(name, "/")
	for _, p := range parts {
		if p == "" || (p == "." && !fault("r2_dot_component_allowed")) || p == ".." || len(p) > 255 {
			return perr(CodeForbidden, "bad name component")
		}
	}
	if strings.HasPrefix(parts[len(parts)-1], partialPrefix) && !fault("r2_partial_prefix_whole_name") || fault("r2_partial_prefix_whole_name") && strings.HasPrefix(name, partialPrefix) {
		return perr(CodeForbidden, "reserved name")
	}
	return nil
}

// rawNameCheck is the planted fault r16_bidi_on_raw_payload: the C1 and bidi characters
// are searched as UTF-8 byte sequences in the frame's payload, before JSON decoding, so a
// \u escape of them is never seen.
func rawNameCheck(payload []byte) *ProtoError {
	for i := 0; i+1 < len(payload); i++ {
		if payload[i] == 0xc2 && payload[i+1] >= 0x80 && payload[i+1] <= 0x9f {
			return perr(CodeForbidden, "forbidden character in name")
		}
		if i+2 < len(payload) && payload[i] == 0xe2 &&
			(payload[i+1] == 0x80 && payload[i+2] >= 0xaa && payload[i+2] <= 0xae ||
				payload[i+1] == 0x81 && payload[i+2] >= 0xa6 && payload[i+2] <= 0xa9) {
			return perr(CodeForbidden, "forbidden character in name")
		}
	}
	return nil
}

// openInShare walks name component by component from the share's descriptor, never
// following a symbolic link (APP-NAME-4/5: every link is refused).
func (s *Server) openInShare(name string) (*os.File, *ProtoError) {
	parts := strings.Split(name, "/")
	dirfd := s.shareFD
	closeDir := func() {
		if dirfd != s.shareFD {
			_ = syscall.Close(dirfd)
		}
	}
	defer closeDir()
	noFollow := syscall.O_NOFOLLOW
	if fault("follow_symlinks") {
		noFollow = 0
	}
	for i, p := range parts {
		flags := syscall.O_RDONLY | syscall.O_CLOEXEC | noFollow
		if i < len(parts)-1 {
			flags |= syscall.O_DIRECTORY
		} else {
			flags |= syscall.O_NONBLOCK
		}
		fd, err := syscall.Openat(dirfd, p, flags, 0)
		if err == syscall.ENOTDIR && i < len(parts)-1 {
			// O_DIRECTORY|O_NOFOLLOW on a symbolic link is ENOTDIR, not ELOOP: tell
			// a link (refused) from a file used as a directory (not found).
			st, lerr := os.Lstat(filepath.Join(append([]string{s.cfg.Share}, parts[:i+1]...)...))
			if lerr == nil && st.Mode()&os.ModeSymlink != 0 {
				err = syscall.ELOOP
			}
		}
		if err != nil {
			switch err {
			case syscall.ELOOP:
				return nil, perr(CodeForbidden, "symbolic links are not served")
			case syscall.ENOENT, syscall.ENOTDIR:
				return nil, perr(CodeNotFound, "no such file")
			case syscall.EACCES:
				return nil, perr(CodeForbidden, "not readable")
			}
			return nil, perr(CodeNotFound, "no such file")
		}
		if i < len(parts)-1 {
			closeDir()
			dirfd = fd
			continue
		}
		f := os.NewFile(uintptr(fd), p)
		st, err := f.Stat()
		if err != nil || (!st.Mode().IsRegular() && !fault("dir_not_checked")) {
			f.Close()
			return nil, perr(CodeNotFound, "not a regular file")
		}
		_ = syscall.SetNonblock(fd, false)
		return f, nil
	}
	return nil, perr(CodeNotFound, "no such file")
}

func (s *Server) trackTemp(path string, on bool) {
	s.tmpMu.Lock()
	defer s.tmpMu.Unlock()
	if on {
		s.tmpFiles[path] = struct{}{}
	} else {
		delete(s.tmpFiles, path)
	}
}

// removeTemps is for the signal handler (APP-STORE-3).
func (s *Server) removeTemps() {
	s.tmpMu.Lock()
	defer s.tmpMu.Unlock()
	for p := range s.tmpFiles {
		_ = os.Remove(p)
	}
}

type putState struct {
	file      *os.File
	name      string
	tmpPath   string
	final     string
	size      int64
	received  int64
	announced string
	hash      interface {
		io.Writer
		Sum([]byte) []byte
	}
}

func (s *Server) discard(p *putState) {
	if p == nil {
		return
	}
	_ = p.file.Close()
	_ = os.Remove(p.tmpPath)
	s.trackTemp(p.tmpPath, false)
}

func (s *Server) serveApp(ch *Channel) {
	var put *putState
	defer func() { s.discard(put) }()
	idleOnce := fault("r16_idle_deadline_once")
	if idleOnce {
		_ = ch.conn.SetReadDeadline(time.Now().Add(s.cfg.IdleTimeout)) // set at login, never renewed
	}
	for {
		if !idleOnce {
			_ = ch.conn.SetReadDeadline(time.Now().Add(s.cfg.IdleTimeout))
		}
		f, err := ch.ReadFrame()
		if err != nil {
			if err == errRecordAuth && fault("r3_record_auth_plain_eror") {
				_ = ch.write(encodeFrame("EROR", erorPayload(perr(CodeBadFrame, "record failed to authenticate"))))
				return
			}
			if (err == errClosed || err == errTruncated) && put != nil && fault("r3_put_commit_on_eof") &&
				put.received == put.size {
				// a deferred "finish what we have" that commits without DONE
				_ = put.file.Sync()
				if os.Link(put.tmpPath, put.final) == nil {
					log.Printf("put: peer left after %d bytes, stored", put.received)
				}
				return
			}
			if err == errRecordAuth || err == errPlaintextAfterHandshake || err == errClosed || err == errTruncated {
				return
			}
			if isTimeout(err) {
				if !fault("idle_timeout_silent") {
					_ = ch.WriteError(perr(CodeTimeout, "idle timeout"))
				}
				return
			}
			failConn(ch, err)
			return
		}
		if put == nil {
			err = s.idleFrame(ch, f, &put)
		} else {
			err = s.receivingFrame(ch, f, &put)
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			if failConn(ch, err) {
				return
			}
		}
	}
}

func (s *Server) idleFrame(ch *Channel, f *Frame, put **putState) error {
	switch f.Type {
	case "RQFL":
		o, err := parseObject(f.Payload)
		if err != nil {
			return err
		}
		name, err := o.str("name")
		if err != nil {
			return err
		}
		if err := o.strictMembers("name"); err != nil {
			return err
		}
		if fault("r16_bidi_on_raw_payload") {
			if pe := rawNameCheck(f.Payload); pe != nil {
				return pe
			}
		}
		return s.get(ch, name)
	case "PUTF":
		p, err := s.startPut(ch, f)
		if err != nil {
			return err
		}
		*put = p
		return nil
	case "BYE_":
		if _, err := parseObject(f.Payload); err != nil {
			return err
		}
		_ = ch.WriteFrame("BYE_", []byte("{}"))
		return io.EOF
	case "EROR":
		return io.EOF
	case "DATA":
		if len(f.Payload) == 0 || len(f.Payload) > maxDataPayload {
			return perr(CodeBadFrame, "DATA payload of %d bytes", len(f.Payload))
		}
	}
	if fault("unknown_type_bad_frame") && !knownTypes[f.Type] {
		return perr(CodeBadFrame, "unknown frame type %s", f.Type)
	}
	return perr(CodeUnexpected, "%s not allowed between transfers", f.Type)
}

var knownTypes = map[string]bool{"RQFL": true, "RSFL": true, "PUTF": true, "DATA": true, "DONE": true,
	"EROR": true, "BYE_": true, "EKE1": true, "EKE2": true, "EKE3": true, "EKE4": true, "RECD": true}

func (s *Server) get(ch *Channel, name string) error {
	lookup := name
	if fault("name_path_clean") {
		lookup = path.Clean(name)
	}
	if pe := checkName(lookup); pe != nil {
		return pe
	}
	file, pe := s.openInShare(lookup)
	if pe != nil {
		return pe
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return perr(CodeInternal, "stat failed")
	}
	size := st.Size()
	if size > s.cfg.MaxFileSize && !fault("r2_get_size_unchecked") {
		return perr(CodeTooLarge, "file above the size limit")
	}
	rsflName := name
	if fault("r3_rsfl_basename") {
		rsflName = path.Base(name)
	}
	if err := ch.WriteFrame("RSFL", jsonPayload(map[string]interface{}{"name": rsflName, "size": size})); err != nil {
		return io.EOF
	}
	if fault("r3_empty_file_internal") {
		if _, err := io.ReadAtLeast(file, make([]byte, 1), 1); err != nil {
			log.Printf("get %.64q: read failed: %v", name, err)
			return perr(CodeInternal, "read failed")
		}
		if _, err := file.Seek(0, io.SeekStart); err != nil {
			return perr(CodeInternal, "read failed")
		}
	}
	var h hash.Hash = sha256.New()
	if fault("r3_get_hash_not_reset") {
		if ch.getHash == nil {
			ch.getHash = sha256.New()
		}
		h = ch.getHash
	}
	buf := make([]byte, maxDataPayload)
	var sent int64
	for sent < size {
		want := int64(len(buf))
		if size-sent < want {
			want = size - sent
		}
		if fault("half_close_drops_answers") && peerHasClosed(ch.conn) {
			// a reader goroutine that cancels the connection's context at EOF
			return io.EOF
		}
		n, err := io.ReadFull(file, buf[:want])
		if n > 0 {
			h.Write(buf[:n])
			if werr := ch.WriteFrame("DATA", buf[:n]); werr != nil {
				return io.EOF
			}
			sent += int64(n)
		}
		if err != nil {
			log.Printf("get %.64q: file shrank while sending: %v", name, err)
			return perr(CodeInternal, "read failed")
		}
	}
	done := map[string]interface{}{"size": size, "sha256": hex.EncodeToString(h.Sum(nil))}
	if err := ch.WriteFrame("DONE", jsonPayload(done)); err != nil {
		return io.EOF
	}
	return nil
}

func (s *Server) startPut(ch *Channel, f *Frame) (*putState, error) {
	o, err := parseObject(f.Payload)
	if err != nil {
		return nil, err
	}
	name, err := o.str("name")
	if err != nil {
		return nil, err
	}
	size, err := o.integer("size")
	if err != nil {
		return nil, err
	}
	announced, _, err := o.optSha("sha256")
	if err != nil {
		return nil, err
	}
	if err := o.strictMembers("name", "size", "sha256"); err != nil {
		return nil, err
	}
	if !s.cfg.AllowPut {
		return nil, perr(CodeUnsupported, "put is disabled")
	}
	var early *os.File
	earlyPath := ""
	if fault("r16_temp_before_checks") {
		// "open the temporary first so a full disk is reported before anything else"
		earlyPath = filepath.Join(s.cfg.Inbox, partialPrefix+hex.EncodeToString(randomBytes(12)))
		early, err = os.OpenFile(earlyPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, perr(CodeInternal, "cannot store")
		}
	}
	if fault("r16_bidi_on_raw_payload") {
		if pe := rawNameCheck(f.Payload); pe != nil {
			return nil, pe
		}
	}
	if pe := checkName(name); pe != nil {
		return nil, pe
	}
	if size > s.cfg.MaxFileSize {
		return nil, perr(CodeTooLarge, "announced size above the limit")
	}
	parts := strings.Split(name, "/")
	base := parts[len(parts)-1]
	final := filepath.Join(s.cfg.Inbox, base)
	statFn := os.Lstat
	if fault("r2_put_exists_stat_follows") {
		statFn = os.Stat
	}
	if _, err := statFn(final); err == nil && !fault("put_exists_at_done") {
		return nil, perr(CodeExists, "a file of that name exists")
	}
	if fault("b16_put_name_held_after_failure") {
		// "a name being put is taken": cleared when the put is stored
		s.tmpMu.Lock()
		held := s.putNames[base]
		s.putNames[base] = true
		s.tmpMu.Unlock()
		if held {
			return nil, perr(CodeExists, "a put of that name is in progress")
		}
	}
	tmpPath := filepath.Join(s.cfg.Inbox, partialPrefix+hex.EncodeToString(randomBytes(12)))
	if fault("r16_temp_suffix_once") {
		tmpPath = filepath.Join(s.cfg.Inbox, partialPrefix+tempSuffix)
	}
	mode := os.FileMode(0o600)
	if fault("temp_mode_0644") {
		mode = 0o666 // os.Create's mode
	}
	var file *os.File
	if early != nil {
		file, tmpPath = early, earlyPath
	} else {
		file, err = os.OpenFile(tmpPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	}
	if err != nil {
		log.Printf("put: cannot create temporary file: %v", err)
		return nil, perr(CodeInternal, "cannot store")
	}
	s.trackTemp(tmpPath, true)
	p := &putState{file: file, name: name, tmpPath: tmpPath, final: final, size: size, announced: announced, hash: sha256.New()}
	if err := ch.WriteFrame("RSFL", jsonPayload(map[string]interface{}{"accept": true, "name": base})); err != nil {
		s.discard(p)
		return nil, io.EOF
	}
	return p, nil
}

func (s *Server) receivingFrame(ch *Channel, f *Frame, put **putState) error {
	p := *put
	switch f.Type {
	case "DATA":
		if (len(f.Payload) == 0 && !fault("data_empty_accepted")) || len(f.Payload) > maxDataPayload {
			return perr(CodeBadFrame, "DATA payload of %d bytes", len(f.Payload))
		}
		excess := p.received+int64(len(f.Payload)) > p.size
		if fault("r16_excess_per_frame") {
			excess = int64(len(f.Payload)) > p.size // each frame held to the size, not their sum
		}
		if excess && !fault("put_excess_at_done") {
			return perr(CodeIntegrityFailed, "more data than announced")
		}
		if _, err := p.file.Write(f.Payload); err != nil {
			log.Printf("put: write failed: %v", err)
			return perr(CodeInternal, "cannot store")
		}
		p.hash.Write(f.Payload)
		p.received += int64(len(f.Payload))
		return nil
	case "DONE":
		o, err := parseObject(f.Payload)
		if err != nil {
			return err
		}
		size, err := o.integer("size")
		if err != nil {
			return err
		}
		sum, err := o.sha("sha256")
		if err != nil {
			return err
		}
		if err := o.strictMembers("size", "sha256"); err != nil {
			return err
		}
		got := hex.EncodeToString(p.hash.Sum(nil))
		if (size != p.size && !fault("r2_done_size_unchecked")) || p.received != p.size || sum != got || (p.announced != "" && p.announced != got && !fault("r2_announced_sha_unchecked")) {
			return perr(CodeIntegrityFailed, "size or SHA-256 mismatch")
		}
		if err := p.file.Sync(); err != nil {
			return perr(CodeInternal, "cannot store")
		}
		_ = p.file.Close()
		commit := os.Link
		if fault("commit_with_rename") {
			commit = os.Rename
		}
		target := p.final
		if fault("r16_commit_full_name") {
			target = filepath.Join(s.cfg.Inbox, filepath.FromSlash(p.name)) // recomputed from the offered name
		}
		if err := commit(p.tmpPath, target); err != nil {
			_ = os.Remove(p.tmpPath)
			s.trackTemp(p.tmpPath, false)
			if !fault("b16_exists_at_done_stays_receiving") {
				*put = nil
			}
			if errors.Is(err, os.ErrExist) {
				return perr(CodeExists, "a file of that name exists")
			}
			return perr(CodeInternal, "cannot store")
		}
		_ = os.Remove(p.tmpPath)
		s.trackTemp(p.tmpPath, false)
		*put = nil
		if fault("b16_put_name_held_after_failure") {
			s.tmpMu.Lock()
			delete(s.putNames, filepath.Base(p.final))
			s.tmpMu.Unlock()
		}
		if d, err := os.Open(s.cfg.Inbox); err == nil {
			_ = d.Sync()
			_ = d.Close()
		}
		if err := ch.WriteFrame("DONE", jsonPayload(map[string]interface{}{"size": size, "sha256": got})); err != nil {
			return err
		}
		if fault("r3_one_put_per_connection") {
			return io.EOF
		}
		return nil
	case "EROR":
		if fault("r2_put_eror_ignored") {
			return nil // an "abort" from the peer: keep waiting for its next frame
		}
		return io.EOF
	}
	return perr(CodeUnexpected, "%s not allowed during a put", f.Type)
}

// peerHasClosed peeks at the socket for the peer's FIN (only the planted fault
// half_close_drops_answers asks).
func peerHasClosed(conn net.Conn) bool {
	tc, ok := conn.(*net.TCPConn)
	if !ok {
		return false
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return false
	}
	closed := false
	_ = raw.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, rerr := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		closed = n == 0 && rerr == nil
		return true
	})
	return closed
}
