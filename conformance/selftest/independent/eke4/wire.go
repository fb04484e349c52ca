package main

// Frames (SPEC §1), errors (§2) and the strict JSON reading control payloads need.
//
// encoding/json is lenient in ways §1 forbids: it keeps the last of duplicate keys,
// replaces invalid UTF-8 and lone surrogates with U+FFFD and hands back float64s. So a
// payload is checked first (UTF-8, surrogates), then walked token by token with
// UseNumber to find duplicate keys and keep integers exact.

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"unicode/utf8"
)

// Wire error codes (SPEC ERR-2).
const (
	CodeBadFrame        = 1
	CodeFrameTooLarge   = 2
	CodeUnexpected      = 3
	CodeAuthFailed      = 4
	CodeForbidden       = 5
	CodeNotFound        = 6
	CodeTooLarge        = 7
	CodeIntegrityFailed = 8
	CodeBusy            = 9
	CodeTimeout         = 10
	CodeInternal        = 11
	CodeExists          = 12
	CodeUnsupported     = 13
	CodeThrottled       = 14
)

var codeNames = map[int]string{
	1: "bad_frame", 2: "frame_too_large", 3: "unexpected_frame", 4: "auth_failed",
	5: "forbidden", 6: "not_found", 7: "too_large", 8: "integrity_failed", 9: "busy",
	10: "timeout", 11: "internal", 12: "exists", 13: "unsupported", 14: "throttled",
}

var fatalCodes = map[int]bool{1: true, 2: true, 3: true, 4: true, 8: true, 9: true, 10: true, 11: true, 14: true}

const (
	defaultFrameLimit = 1048576 + 256
	maxControlPayload = 65536
	maxDataPayload    = 1048576
	headerLen         = 8
)

// ProtoError is a failure that has a wire code; Fatal follows the code's table row.
type ProtoError struct {
	Code       int
	Msg        string
	RetryAfter int64 // >0: sent as retry_after
	FromPeer   bool  // the peer's EROR: never answered
}

func (e *ProtoError) Error() string { return fmt.Sprintf("%s: %s", codeNames[e.Code], e.Msg) }

// Fatal says whether the code ends the connection.
func (e *ProtoError) Fatal() bool { return fatalCodes[e.Code] || codeNames[e.Code] == "" }

func perr(code int, format string, args ...interface{}) *ProtoError {
	return &ProtoError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// errTruncated: the stream ended inside a frame (FRM-7). errClosed: it ended between frames.
var (
	errTruncated = errors.New("connection ended inside a frame")
	errClosed    = errors.New("connection closed")
)

// Frame is one decoded frame of §1.
type Frame struct {
	Type    string
	Payload []byte
}

func validType(t []byte) bool {
	if len(t) != 4 {
		return false
	}
	for _, c := range t {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func isControl(t string) bool { return t != "DATA" && t != "RECD" }

func encodeFrame(t string, payload []byte) []byte {
	out := make([]byte, headerLen+len(payload))
	copy(out, t)
	binary.BigEndian.PutUint32(out[4:], uint32(len(payload)))
	copy(out[headerLen:], payload)
	return out
}

// checkHeader applies the header-only rules: type bytes (FRM-2), the frame limit (FRM-3)
// and the control payload limit (FRM-8), before any payload is read.
func checkHeader(hdr []byte, limit uint32) (string, uint32, error) {
	n := binary.BigEndian.Uint32(hdr[4:8])
	if !validType(hdr[:4]) {
		return "", 0, perr(CodeBadFrame, "frame type is not [A-Z0-9_]{4}")
	}
	t := string(hdr[:4])
	if n > limit {
		return "", 0, perr(CodeFrameTooLarge, "frame length %d above limit %d", n, limit)
	}
	if isControl(t) && n > maxControlPayload && !fault("control_limit_unchecked") {
		return "", 0, perr(CodeFrameTooLarge, "control payload of %d bytes", n)
	}
	return t, n, nil
}

// readFrame reads one plaintext frame from r.
func readFrame(r io.Reader, limit uint32) (*Frame, error) {
	hdr := make([]byte, headerLen)
	if n, err := io.ReadFull(r, hdr); err != nil {
		if n == 0 && errors.Is(err, io.EOF) {
			return nil, errClosed
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errTruncated
		}
		return nil, err
	}
	t, n, err := checkHeader(hdr, limit)
	if err != nil {
		return nil, err
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errTruncated
		}
		return nil, err
	}
	return &Frame{Type: t, Payload: payload}, nil
}

// parseInner parses a record's plaintext, which must be exactly one frame (EKE-REC-1).
func parseInner(b []byte, limit uint32) (*Frame, error) {
	if len(b) < headerLen {
		return nil, perr(CodeBadFrame, "record holds a partial frame header")
	}
	t, n, err := checkHeader(b[:headerLen], limit)
	if err != nil {
		if fault("r3_inner_limit_bad_frame") {
			return nil, perr(CodeBadFrame, "bad record plaintext: %v", err)
		}
		return nil, err
	}
	if int(n) != len(b)-headerLen {
		return nil, perr(CodeBadFrame, "record does not hold exactly one frame")
	}
	return &Frame{Type: t, Payload: b[headerLen:]}, nil
}

// --- strict JSON ---

const maxJSONDepth = 256

// checkSurrogates refuses \u escapes that denote a lone surrogate (FRM-15, bad_frame
// reading): encoding/json would silently turn them into U+FFFD.
func checkSurrogates(b []byte) error {
	inString := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !inString {
			if c == '"' {
				inString = true
			}
			continue
		}
		switch c {
		case '"':
			inString = false
		case '\\':
			if i+1 >= len(b) {
				return errors.New("dangling escape")
			}
			if b[i+1] != 'u' {
				i++
				continue
			}
			v, ok := hex4(b, i+2)
			if !ok {
				return errors.New("bad \\u escape")
			}
			i += 5
			switch {
			case v >= 0xDC00 && v <= 0xDFFF:
				return errors.New("lone low surrogate")
			case v >= 0xD800 && v <= 0xDBFF:
				if i+6 < len(b) && b[i+1] == '\\' && b[i+2] == 'u' {
					if w, ok := hex4(b, i+3); ok && w >= 0xDC00 && w <= 0xDFFF {
						i += 6
						continue
					}
				}
				return errors.New("lone high surrogate")
			}
		}
	}
	return nil
}

func hex4(b []byte, at int) (int, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	v := 0
	for _, c := range b[at : at+4] {
		v <<= 4
		switch {
		case c >= '0' && c <= '9':
			v |= int(c - '0')
		case c >= 'a' && c <= 'f':
			v |= int(c-'a') + 10
		case c >= 'A' && c <= 'F':
			v |= int(c-'A') + 10
		default:
			return 0, false
		}
	}
	return v, true
}

func walkJSON(dec *json.Decoder, tok json.Token, depth int) (interface{}, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("nested too deeply")
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			obj := map[string]interface{}{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, errors.New("object key is not a string")
				}
				if _, dup := obj[key]; dup && !fault("json_duplicate_keys") {
					return nil, fmt.Errorf("duplicate key %.64q", key)
				}
				vt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				val, err := walkJSON(dec, vt, depth+1)
				if err != nil {
					return nil, err
				}
				obj[key] = val
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return obj, nil
		case '[':
			arr := []interface{}{}
			for dec.More() {
				vt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				val, err := walkJSON(dec, vt, depth+1)
				if err != nil {
					return nil, err
				}
				arr = append(arr, val)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return arr, nil
		}
		return nil, errors.New("unexpected delimiter")
	default:
		return v, nil
	}
}

// Object is a decoded control payload with typed accessors that raise bad_frame.
type Object map[string]interface{}

func parseObject(payload []byte) (Object, error) {
	if !utf8.Valid(payload) && !fault("json_lenient_utf8") {
		return nil, perr(CodeBadFrame, "control payload is not UTF-8")
	}
	if err := checkSurrogates(payload); err != nil && !fault("json_lone_surrogate") {
		return nil, perr(CodeBadFrame, "control payload: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, perr(CodeBadFrame, "control payload is not JSON")
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, perr(CodeBadFrame, "control payload is not a JSON object")
	}
	v, err := walkJSON(dec, tok, 1)
	if err != nil {
		return nil, perr(CodeBadFrame, "control payload: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, perr(CodeBadFrame, "trailing bytes after the JSON object")
	}
	return Object(v.(map[string]interface{})), nil
}

// member looks a member up by its exact key. The planted fault json_keys_case_insensitive
// matches keys as encoding/json does when it decodes into a struct: case-insensitively.
func (o Object) member(key string) (interface{}, bool) {
	v, ok := o[key]
	if !ok && (fault("json_keys_case_insensitive") || fault("client_json_keys_case_insensitive") ||
		fault("client_json_keys_case_get")) {
		for k, kv := range o {
			if strings.EqualFold(k, key) {
				return kv, true
			}
		}
	}
	return v, ok
}

// strictMembers is the planted fault r3_unknown_members_refused: a decoder with
// DisallowUnknownFields, so any member the schema does not name is bad_frame.
func (o Object) strictMembers(keys ...string) error {
	if !fault("r3_unknown_members_refused") {
		return nil
	}
	for k := range o {
		known := false
		for _, want := range keys {
			known = known || k == want
		}
		if !known {
			return perr(CodeBadFrame, "json: unknown field %.64q", k)
		}
	}
	return nil
}

func (o Object) str(key string) (string, error) {
	v, ok := o.member(key)
	if !ok {
		return "", perr(CodeBadFrame, "member %q missing", key)
	}
	s, ok := v.(string)
	if !ok {
		return "", perr(CodeBadFrame, "member %q is not a string", key)
	}
	return s, nil
}

var maxInt63 = new(big.Int).SetUint64(1<<63 - 1)

func (o Object) integer(key string) (int64, error) {
	v, ok := o.member(key)
	if !ok {
		return 0, perr(CodeBadFrame, "member %q missing", key)
	}
	num, ok := v.(json.Number)
	if !ok {
		return 0, perr(CodeBadFrame, "member %q is not an integer", key)
	}
	s := string(num)
	if fault("int_accepts_fraction") {
		f, err := num.Float64()
		if err != nil || f < 0 {
			return 0, perr(CodeBadFrame, "member %q out of range", key)
		}
		return int64(f), nil
	}
	if strings.ContainsAny(s, ".eE") {
		return 0, perr(CodeBadFrame, "member %q is not an integer", key)
	}
	if fault("b16_size_via_float64") {
		// "no fraction, no exponent: Float64 is exact enough for a size"
		f, err := num.Float64()
		if err != nil || f < 0 {
			return 0, perr(CodeBadFrame, "member %q out of range", key)
		}
		return int64(f), nil
	}
	s = strings.TrimPrefix(s, "-")
	n, ok := new(big.Int).SetString(s, 10)
	if !ok || (string(num)[0] == '-' && n.Sign() != 0) || n.Cmp(maxInt63) > 0 {
		return 0, perr(CodeBadFrame, "member %q out of range", key)
	}
	return n.Int64(), nil
}

func (o Object) optStr(key string) (string, bool, error) {
	if _, ok := o.member(key); !ok {
		return "", false, nil
	}
	s, err := o.str(key)
	return s, true, err
}

func isLowerHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	if fault("hex_decode_lenient") {
		_, err := hex.DecodeString(s)
		return err == nil
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func (o Object) sha(key string) (string, error) {
	s, err := o.str(key)
	if err != nil {
		return "", err
	}
	if !isLowerHex(s, 64) {
		return "", perr(CodeBadFrame, "member %q is not 64 lowercase hex characters", key)
	}
	return s, nil
}

func (o Object) optSha(key string) (string, bool, error) {
	if _, ok := o.member(key); !ok {
		return "", false, nil
	}
	s, err := o.sha(key)
	return s, true, err
}

func jsonPayload(v interface{}) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func erorPayload(e *ProtoError) []byte {
	name := codeNames[e.Code]
	msg := e.Msg
	if len(msg) > 200 {
		msg = msg[:200]
	}
	m := map[string]interface{}{"code": e.Code, "name": name, "message": strings.ToValidUTF8(msg, "?")}
	if e.RetryAfter > 0 {
		m["retry_after"] = e.RetryAfter
	}
	return jsonPayload(m)
}

// parseEror reads a peer's EROR; an unknown code is internal (ERR-4).
func parseEror(payload []byte) *ProtoError {
	o, err := parseObject(payload)
	if err != nil {
		return perr(CodeBadFrame, "malformed EROR")
	}
	code, err := o.integer("code")
	if err != nil {
		return perr(CodeBadFrame, "malformed EROR")
	}
	if _, err := o.str("name"); err != nil {
		return perr(CodeBadFrame, "malformed EROR")
	}
	if _, err := o.str("message"); err != nil {
		return perr(CodeBadFrame, "malformed EROR")
	}
	if codeNames[int(code)] == "" {
		return &ProtoError{Code: CodeInternal, Msg: fmt.Sprintf("peer sent unknown error code %d", code), FromPeer: true}
	}
	e := &ProtoError{Code: int(code), Msg: "peer: " + codeNames[int(code)], FromPeer: true}
	if ra, err := o.integer("retry_after"); err == nil {
		e.RetryAfter = ra
	}
	return e
}
