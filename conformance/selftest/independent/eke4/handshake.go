package main

// The EKE2 handshake of SPEC §5.3, both roles.

import (
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"unicode/utf8"
)

const authFailedMessage = "authentication failed"

// validUserName is EKE-PW-1: 1-64 bytes of UTF-8 without C0, DEL or C1 controls.
func validUserName(u string) bool {
	if len(u) < 1 || len(u) > 64 || !utf8.ValidString(u) {
		return false
	}
	for _, r := range u {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
			return false
		}
	}
	return true
}

func expectHandshakeFrame(f *Frame, want string) error {
	switch f.Type {
	case want:
		return nil
	case "EROR":
		return parseEror(f.Payload)
	}
	return perr(CodeUnexpected, "expected %s, got %s", want, f.Type)
}

// hexMember reads a lowercase hex member of an exact length (FRM-12).
func hexMember(o Object, key string, n int) ([]byte, error) {
	s, err := o.str(key)
	if err != nil {
		return nil, err
	}
	if !isLowerHex(s, n) {
		return nil, perr(CodeBadFrame, "member %q is not %d lowercase hex characters", key, n)
	}
	b, _ := hex.DecodeString(s)
	return b, nil
}

// --- client ---

// ClientHandshake runs the initiator's side. Its errors are for the user: ProtoError for
// the peer's EROR, plain errors for local failures.
func ClientHandshake(ch *Channel, user string, password []byte) error {
	pw := passwordKey(password, []byte(user))
	x := newExponent()
	a := encryptPw(pw, hideElement(x))
	eke1 := jsonPayload(map[string]string{"user": user, "a": hex.EncodeToString(a)})
	if err := ch.WriteFrame("EKE1", eke1); err != nil {
		return err
	}
	f, err := ch.ReadFrame()
	if err != nil {
		return err
	}
	if err := expectHandshakeFrame(f, "EKE2"); err != nil {
		return err
	}
	o, err := parseObject(f.Payload)
	if err != nil {
		return err
	}
	b, err := hexMember(o, "b", 2*elemLen)
	if err != nil {
		return err
	}
	c2, err := hexMember(o, "c", 96)
	if err != nil {
		return err
	}
	yv, valid := recoverElement(decryptPw(pw, b))
	keys, zok := deriveKeys(yv, x, []byte(user), a, b)
	ns, err := open(keys.Kcs, nonceEKE2, c2, append([]byte("EKE2"), keys.TH...))
	bad := err != nil || !valid || !zok || len(ns) != 32
	if fault("r16_client_c2_unverified") {
		bad = !valid || !zok // open's err was shadowed in an inner block of the original
	}
	if bad {
		if !fault("r3_client_c2_silent") {
			_ = ch.WriteError(perr(CodeAuthFailed, authFailedMessage))
		}
		return fmt.Errorf("wrong password or unknown user")
	}
	na := randomBytes(32)
	c3 := seal(keys.Kcc, nonceEKE3, append(append([]byte(nil), na...), ns...), append([]byte("EKE3"), keys.TH...))
	if err := ch.WriteFrame("EKE3", jsonPayload(map[string]string{"c": hex.EncodeToString(c3)})); err != nil {
		return err
	}
	f, err = ch.ReadFrame()
	if err != nil {
		return err
	}
	if err := expectHandshakeFrame(f, "EKE4"); err != nil {
		return err
	}
	o, err = parseObject(f.Payload)
	if err != nil {
		return err
	}
	c4, err := hexMember(o, "c", 96)
	if err != nil {
		return err
	}
	got, err := open(keys.Kcs, nonceEKE4, c4, append([]byte("EKE4"), keys.TH...))
	if err != nil || (subtle.ConstantTimeCompare(got, na) != 1 && !fault("client_c4_unchecked")) {
		return fmt.Errorf("the server failed to prove it knows the password (possible impostor)")
	}
	ch.establish(keys.KeyC2S, keys.IVC2S, keys.KeyS2C, keys.IVS2C)
	return nil
}

// --- server ---

// serverHello is the state kept between EKE1 and EKE3.
type serverHello struct {
	user  string
	keys  *Keys
	ns    []byte
	valid bool
}

// serverAnswerEKE1 decrypts A, picks y and builds EKE2 (EKE-HS-2, EKE-HS-3).
func (s *Server) serverAnswerEKE1(user string, a []byte) (*serverHello, []byte) {
	lookupName := user
	if fault("b16_user_name_trimmed") {
		lookupName = strings.TrimSpace(user) // "a pasted name may carry a space"
	}
	pw, known := s.store.lookup(lookupName)
	if !known {
		pw = fakeKey(s.secret, []byte(user))
	}
	xv, valid := recoverElement(decryptPw(pw, a))
	y := newExponent()
	if fault("r16_server_y_cached") {
		y = cachedServerExponent()
	}
	b := encryptPw(pw, hideElement(y))
	keys, zok := deriveKeys(xv, y, []byte(user), a, b)
	ns := randomBytes(32)
	c2 := seal(keys.Kcs, nonceEKE2, ns, append([]byte("EKE2"), keys.TH...))
	eke2 := jsonPayload(map[string]string{"b": hex.EncodeToString(b), "c": hex.EncodeToString(c2)})
	return &serverHello{user: user, keys: keys, ns: ns, valid: valid && zok}, eke2
}

// serverCheckEKE3 verifies C3 (EKE-HS-6) and returns EKE4's payload.
func serverCheckEKE3(h *serverHello, payload []byte) ([]byte, error) {
	o, err := parseObject(payload)
	if err != nil {
		return nil, err
	}
	c3, err := hexMember(o, "c", 160)
	if err != nil {
		return nil, err
	}
	pt, err := open(h.keys.Kcc, nonceEKE3, c3, append([]byte("EKE3"), h.keys.TH...))
	ok := err == nil && len(pt) == 64
	if ok && !fault("skip_ns_check") {
		ok = subtle.ConstantTimeCompare(pt[32:], h.ns) == 1
	}
	if !ok || !h.valid {
		if fault("auth_message_debug") {
			return nil, perr(CodeAuthFailed, "%s (want Ns %x)", authFailedMessage, h.ns)
		}
		return nil, perr(CodeAuthFailed, authFailedMessage)
	}
	c4 := seal(h.keys.Kcs, nonceEKE4, pt[:32], append([]byte("EKE4"), h.keys.TH...))
	return jsonPayload(map[string]string{"c": hex.EncodeToString(c4)}), nil
}

var _ = big.NewInt

var (
	serverYOnce sync.Once
	serverY     *big.Int
)

// cachedServerExponent is the planted fault r16_server_y_cached: y drawn once per process
// ("the exponent is expensive to draw and check: keep one").
func cachedServerExponent() *big.Int {
	serverYOnce.Do(func() { serverY = newExponent() })
	return new(big.Int).Set(serverY)
}
