package main

// sft-eke/1 cryptography (SPEC §5.1-§5.5): the ffdhe3072 group, the scrypt password
// key, the Feistel E_pw/D_pw, ±X hiding, the HKDF key schedule and AES-256-GCM records.

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"math/big"

	"golang.org/x/crypto/hkdf"
	"golang.org/x/crypto/scrypt"
	"golang.org/x/crypto/sha3"
)

const ffdhe3072Hex = "FFFFFFFFFFFFFFFFADF85458A2BB4A9AAFDC5620273D3CF1D8B9C583CE2D3695" +
	"A9E13641146433FBCC939DCE249B3EF97D2FE363630C75D8F681B202AEC4617A" +
	"D3DF1ED5D5FD65612433F51F5F066ED0856365553DED1AF3B557135E7F57C935" +
	"984F0C70E0E68B77E2A689DAF3EFE8721DF158A136ADE73530ACCA4F483A797A" +
	"BC0AB182B324FB61D108A94BB2C8E3FBB96ADAB760D7F4681D4F42A3DE394DF4" +
	"AE56EDE76372BB190B07A7C8EE0A6D709E02FCE1CDF7E2ECC03404CD28342F61" +
	"9172FE9CE98583FF8E4F1232EEF28183C3FE3B1B4C6FAD733BB5FCBC2EC22005" +
	"C58EF1837D1683B2C6F34A26C1B2EFFA886B4238611FCFDCDE355B3B6519035B" +
	"BC34F4DEF99C023861B46FC9D6E6C9077AD91D2691F7F7EE598CB0FAC186D91C" +
	"AEFE130985139270B4130C93BC437944F4FD4452E2D74DD364F2E21E71F54BFF" +
	"5CAE82AB9C9DF69EE86D2BC522363A0DABC521979B0DEADA1DBF9A42D5C4484E" +
	"0ABCD06BFA53DDEF3C1B20EE3FD59D7C25E41D2B66C62E37FFFFFFFFFFFFFFFF"

const elemLen = 384

var (
	groupP, _  = new(big.Int).SetString(ffdhe3072Hex, 16)
	groupG     = big.NewInt(2)
	bigOne     = big.NewInt(1)
	groupPm1   = new(big.Int).Sub(groupP, bigOne)
	errAuth    = errors.New("authentication failed")
	nonceEKE2  = []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}
	nonceEKE3  = []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3}
	nonceEKE4  = []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4}
	feistelTag = []byte("sft-eke/1 feistel")
)

func i2osp(n *big.Int) []byte {
	out := make([]byte, elemLen)
	return n.FillBytes(out)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return b
}

// passwordKey is EKE-PW-1's scrypt.
func passwordKey(password, user []byte) []byte {
	salt := append([]byte("sft-eke/1"), byte(len(user)>>8), byte(len(user)))
	salt = append(salt, user...)
	pw, err := scrypt.Key(password, salt, 1<<15, 8, 1, 32)
	if err != nil {
		panic(err)
	}
	return pw
}

// fakeKey is EKE-HS-3's key for an unknown user.
func fakeKey(secret, user []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("sft-eke/1 fake"))
	m.Write(user)
	return m.Sum(nil)
}

func feistelF(pw []byte, round int, h []byte) []byte {
	s := sha3.NewShake256()
	s.Write(feistelTag)
	s.Write(pw)
	s.Write([]byte{byte(round)})
	s.Write(h)
	out := make([]byte, elemLen/2)
	_, _ = s.Read(out)
	return out
}

func xorInto(dst, a, b []byte) {
	for i := range dst {
		dst[i] = a[i] ^ b[i]
	}
}

// encryptPw is E_pw (EKE-FEI-1).
func encryptPw(pw, in []byte) []byte {
	const rounds = 14
	l := append([]byte(nil), in[:elemLen/2]...)
	r := append([]byte(nil), in[elemLen/2:]...)
	for i := 0; i < rounds; i++ {
		nr := make([]byte, elemLen/2)
		xorInto(nr, l, feistelF(pw, i, r))
		l, r = r, nr
	}
	return append(l, r...)
}

// decryptPw is D_pw (EKE-FEI-2).
func decryptPw(pw, in []byte) []byte {
	const rounds = 14
	l := append([]byte(nil), in[:elemLen/2]...)
	r := append([]byte(nil), in[elemLen/2:]...)
	for i := rounds - 1; i >= 0; i-- {
		nl := make([]byte, elemLen/2)
		xorInto(nl, r, feistelF(pw, i, l))
		l, r = nl, l
	}
	return append(l, r...)
}

// newExponent draws x with 320 random bits and bit 320 set (EKE-X-1).
func newExponent() *big.Int {
	x := new(big.Int).SetBytes(randomBytes(40))
	return x.SetBit(x, 320, 1)
}

// hideElement is EKE-X-2: X' = X or p − X on a fresh random bit.
func hideElement(x *big.Int) []byte {
	X := new(big.Int).Exp(groupG, x, groupP)
	if randomBytes(1)[0]&1 == 1 && !fault("no_sign_flip") {
		X.Sub(groupP, X)
	}
	return i2osp(X)
}

// recoverElement is EKE-X-3. It returns the residue of ±X' and whether X' was valid; for
// an invalid X' it returns a random residue so that the caller's work (and timing) does
// not change: the failure shows only where EKE-HS-8 fails anyway.
func recoverElement(xp []byte) (*big.Int, bool) {
	v := new(big.Int).SetBytes(xp)
	valid := v.Cmp(bigOne) > 0 && v.Cmp(groupPm1) < 0
	if fault("accept_p_minus_1") {
		valid = v.Cmp(bigOne) > 0 && v.Cmp(groupP) < 0
	}
	if !valid {
		r := new(big.Int).SetBytes(randomBytes(elemLen))
		r.Mod(r, groupP)
		return r.Mul(r, r).Mod(r, groupP), false
	}
	if fault("jacobi_unblinded") {
		if big.Jacobi(v, groupP) != 1 {
			v.Sub(groupP, v)
		}
		return v, true
	}
	// Blind the Jacobi symbol so its running time does not follow X' (EKE-SEC-4).
	r := new(big.Int).SetBytes(randomBytes(elemLen))
	r.Mod(r, groupP)
	if r.Sign() == 0 {
		r.SetInt64(3)
	}
	t := new(big.Int).Mul(r, r)
	t.Mul(t, v).Mod(t, groupP)
	if big.Jacobi(t, groupP) != 1 {
		v.Sub(groupP, v)
	}
	return v, true
}

// Keys is the key schedule's output (EKE-KS-3).
type Keys struct {
	Kcs, Kcc             []byte
	KeyC2S, KeyS2C       []byte
	IVC2S, IVS2C         []byte
	TH, PRK, SharedValue []byte
}

func transcriptHash(user, a, b []byte) []byte {
	h := sha256.New()
	h.Write([]byte("sft-eke/1 transcript"))
	h.Write([]byte{byte(len(user) >> 8), byte(len(user))})
	h.Write(user)
	h.Write(a)
	h.Write(b)
	return h.Sum(nil)
}

// deriveKeys computes Z = peer^own, refuses degenerate Z (EKE-KS-2) and runs HKDF.
func deriveKeys(peer, own *big.Int, user, a, b []byte) (*Keys, bool) {
	z := new(big.Int).Exp(peer, own, groupP)
	ok := z.Cmp(bigOne) > 0 && z.Cmp(groupPm1) < 0
	th := transcriptHash(user, a, b)
	zb := i2osp(z)
	prk := hkdf.Extract(sha256.New, zb, th)
	expand := func(info string, n int) []byte {
		out := make([]byte, n)
		if _, err := io.ReadFull(hkdf.Expand(sha256.New, prk, []byte(info)), out); err != nil {
			panic(err)
		}
		return out
	}
	k := &Keys{
		Kcs: expand("sft-eke/1 confirm s", 32), Kcc: expand("sft-eke/1 confirm c", 32),
		KeyC2S: expand("sft-eke/1 key c2s", 32), IVC2S: expand("sft-eke/1 iv c2s", 12),
		KeyS2C: expand("sft-eke/1 key s2c", 32), IVS2C: expand("sft-eke/1 iv s2c", 12),
		TH: th, PRK: prk, SharedValue: zb,
	}
	return k, ok
}

func gcm(key []byte) cipher.AEAD {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return g
}

func seal(key, nonce, plaintext, ad []byte) []byte {
	return gcm(key).Seal(nil, nonce, plaintext, ad)
}

func open(key, nonce, ct, ad []byte) ([]byte, error) {
	return gcm(key).Open(nil, nonce, ct, ad)
}

// recordNonce is EKE-REC-2: iv XOR (0^4 ‖ u64be(seq)).
func recordNonce(iv []byte, seq uint64) []byte {
	n := append([]byte(nil), iv...)
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], seq)
	for i := 0; i < 8; i++ {
		n[4+i] ^= s[i]
	}
	return n
}
