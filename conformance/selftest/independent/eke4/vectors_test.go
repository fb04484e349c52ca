package main

// Known-answer checks against conformance/vectors/*.json (SPEC §8).

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

type vectorFile struct {
	Vectors []map[string]interface{} `json:"vectors"`
}

func loadVectors(t *testing.T, name string) []map[string]interface{} {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "vectors", name))
	if err != nil {
		t.Fatal(err)
	}
	var f vectorFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&f); err != nil {
		t.Fatal(err)
	}
	return f.Vectors
}

func hx(t *testing.T, v map[string]interface{}, key string) []byte {
	t.Helper()
	s, ok := v[key].(string)
	if !ok {
		t.Fatalf("%v: no %s", v["id"], key)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPasswordKey(t *testing.T) {
	for _, v := range loadVectors(t, "eke_password_key.json") {
		var got []byte
		switch v["kind"] {
		case "scrypt":
			got = passwordKey(hx(t, v, "password_hex"), hx(t, v, "user_hex"))
		case "fake":
			got = fakeKey(hx(t, v, "server_secret"), hx(t, v, "user_hex"))
		default:
			continue
		}
		if !bytes.Equal(got, hx(t, v, "pw")) {
			t.Errorf("%v: pw mismatch", v["id"])
		}
	}
}

func TestFeistel(t *testing.T) {
	for _, v := range loadVectors(t, "eke_feistel.json") {
		pw, pt, ct := hx(t, v, "pw"), hx(t, v, "plaintext"), hx(t, v, "ciphertext")
		if !bytes.Equal(encryptPw(pw, pt), ct) || !bytes.Equal(decryptPw(pw, ct), pt) {
			t.Errorf("%v: feistel mismatch", v["id"])
		}
	}
}

func TestPMEncoding(t *testing.T) {
	for _, v := range loadVectors(t, "eke_pm_encoding.json") {
		x, ok := recoverElement(hx(t, v, "X_prime"))
		if v["valid"] == true {
			if !ok || !bytes.Equal(i2osp(x), hx(t, v, "recovered")) {
				t.Errorf("%v: recovered mismatch", v["id"])
			}
		} else if ok {
			t.Errorf("%v: invalid X' accepted", v["id"])
		}
	}
}

func TestHandshake(t *testing.T) {
	for _, v := range loadVectors(t, "eke_handshake.json") {
		if v["valid"] != true {
			continue
		}
		user := []byte(v["user"].(string))
		a, b := hx(t, v, "A"), hx(t, v, "B")
		pw := hx(t, v, "pw")
		if !bytes.Equal(encryptPw(pw, hx(t, v, "X_prime")), a) {
			t.Errorf("%v: A mismatch", v["id"])
		}
		yv, ok := recoverElement(decryptPw(pw, b))
		if !ok || !bytes.Equal(i2osp(yv), hx(t, v, "Y")) {
			t.Fatalf("%v: Y mismatch", v["id"])
		}
		x := new(big.Int).SetBytes(hx(t, v, "x"))
		keys, zok := deriveKeys(yv, x, user, a, b)
		if !zok {
			t.Fatal("Z refused")
		}
		for _, c := range []struct {
			name string
			got  []byte
		}{{"th", keys.TH}, {"Z", keys.SharedValue}, {"PRK", keys.PRK}, {"Kcs", keys.Kcs}, {"Kcc", keys.Kcc},
			{"key_c2s", keys.KeyC2S}, {"iv_c2s", keys.IVC2S}, {"key_s2c", keys.KeyS2C}, {"iv_s2c", keys.IVS2C}} {
			if !bytes.Equal(c.got, hx(t, v, c.name)) {
				t.Errorf("%v: %s mismatch", v["id"], c.name)
			}
		}
		ns, na := hx(t, v, "Ns"), hx(t, v, "Na")
		if !bytes.Equal(seal(keys.Kcs, nonceEKE2, ns, append([]byte("EKE2"), keys.TH...)), hx(t, v, "C2")) {
			t.Errorf("C2 mismatch")
		}
		if !bytes.Equal(seal(keys.Kcc, nonceEKE3, append(append([]byte{}, na...), ns...), append([]byte("EKE3"), keys.TH...)), hx(t, v, "C3")) {
			t.Errorf("C3 mismatch")
		}
		if !bytes.Equal(seal(keys.Kcs, nonceEKE4, na, append([]byte("EKE4"), keys.TH...)), hx(t, v, "C4")) {
			t.Errorf("C4 mismatch")
		}
		// the server's view of A
		xv, ok := recoverElement(decryptPw(pw, a))
		if !ok || !bytes.Equal(i2osp(xv), hx(t, v, "X")) {
			t.Errorf("X mismatch")
		}
	}
}

func TestRecords(t *testing.T) {
	for _, v := range loadVectors(t, "eke_records.json") {
		key, iv := hx(t, v, "key"), hx(t, v, "iv")
		seq, err := strconv.ParseUint(string(v["seq"].(json.Number)), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		rec := hx(t, v, "record")
		if v["valid"] == true {
			if !bytes.Equal(recordNonce(iv, seq), hx(t, v, "nonce")) {
				t.Errorf("%v: nonce", v["id"])
			}
			got := gcm(key).Seal(append([]byte(nil), rec[:8]...), recordNonce(iv, seq), hx(t, v, "inner"), rec[:8])
			if !bytes.Equal(got, rec) {
				t.Errorf("%v: record mismatch", v["id"])
			}
			continue
		}
		ok := len(rec) >= 8
		if ok {
			_, err := gcm(key).Open(nil, recordNonce(iv, seq), rec[8:], rec[:8])
			ok = err == nil
			if ok && v["error"] == "bad_frame" {
				inner, _ := gcm(key).Open(nil, recordNonce(iv, seq), rec[8:], rec[:8])
				_, perr := parseInner(inner, defaultFrameLimit)
				ok = perr == nil
			}
		}
		if ok {
			t.Errorf("%v: invalid record accepted", v["id"])
		}
	}
}

func TestFrames(t *testing.T) {
	for _, v := range loadVectors(t, "frames.json") {
		in := bytes.NewReader(hx(t, v, pick(v)))
		limit := uint32(defaultFrameLimit)
		if l, ok := v["limit"].(json.Number); ok {
			n, _ := l.Int64()
			limit = uint32(n)
		}
		var err error
		for {
			var f *Frame
			f, err = readFrame(in, limit)
			if err != nil {
				break
			}
			err = checkFramePayload(f)
			if err != nil {
				break
			}
		}
		if v["valid"] == true {
			if err != errClosed {
				t.Errorf("%v: valid frame refused: %v", v["id"], err)
			}
			continue
		}
		want := v["error"].(string)
		var pe *ProtoError
		switch {
		case want == "truncated":
			if err != errTruncated {
				t.Errorf("%v: want truncated, got %v", v["id"], err)
			}
		case want == "unexpected_frame":
			// the type is unknown to every state: the state machine answers it
		case errors.As(err, &pe):
			if codeNames[pe.Code] != want {
				t.Errorf("%v: want %s, got %v", v["id"], want, err)
			}
		default:
			t.Errorf("%v: want %s, got %v", v["id"], want, err)
		}
	}
}

func pick(v map[string]interface{}) string {
	if _, ok := v["input"]; ok {
		return "input"
	}
	return "encoded"
}

// checkFramePayload applies the schema checks the state machine would for a frame.
func checkFramePayload(f *Frame) error {
	if !isControl(f.Type) {
		if f.Type == "DATA" && (len(f.Payload) == 0 || len(f.Payload) > maxDataPayload) {
			return perr(CodeBadFrame, "DATA size")
		}
		return nil
	}
	o, err := parseObject(f.Payload)
	if err != nil {
		return err
	}
	switch f.Type {
	case "RQFL":
		_, err = o.str("name")
	case "PUTF":
		if _, err = o.str("name"); err == nil {
			if _, err = o.integer("size"); err == nil {
				_, _, err = o.optSha("sha256")
			}
		}
	case "DONE":
		if _, err = o.integer("size"); err == nil {
			_, err = o.sha("sha256")
		}
	case "RSFL":
		if _, err = o.str("name"); err == nil {
			if _, ok := o["accept"]; !ok {
				if _, err = o.integer("size"); err == nil {
					_, _, err = o.optSha("sha256")
				}
			}
		}
	}
	return err
}
