package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error codes of SPEC §2.
const (
	codeBadFrame        = 1
	codeFrameTooLarge   = 2
	codeUnexpected      = 3
	codeAuthFailed      = 4
	codeForbidden       = 5
	codeNotFound        = 6
	codeTooLarge        = 7
	codeIntegrityFailed = 8
	codeBusy            = 9
	codeTimeout         = 10
	codeInternal        = 11
	codeExists          = 12
	codeUnsupported     = 13
	codeThrottled       = 14
)

var codeNames = map[int]string{
	1: "bad_frame", 2: "frame_too_large", 3: "unexpected_frame", 4: "auth_failed",
	5: "forbidden", 6: "not_found", 7: "too_large", 8: "integrity_failed", 9: "busy",
	10: "timeout", 11: "internal", 12: "exists", 13: "unsupported", 14: "throttled",
}

var fatalCodes = map[int]bool{1: true, 2: true, 3: true, 4: true, 8: true, 9: true, 10: true, 11: true, 14: true}

const (
	maxControl   = 65536
	maxDataChunk = 1048576
	maxInt63     = "9223372036854775807"
)

var knownTypes = map[string]bool{
	"RQFL": true, "RSFL": true, "PUTF": true, "DATA": true, "DONE": true, "EROR": true, "BYE_": true,
}

// ProtoError is a protocol failure carrying its wire code.
type ProtoError struct {
	Code int
	Msg  string
}

func (e *ProtoError) Error() string { return fmt.Sprintf("%s: %s", codeNames[e.Code], e.Msg) }

func perr(code int, format string, a ...any) *ProtoError {
	return &ProtoError{Code: code, Msg: fmt.Sprintf(format, a...)}
}

// Header is a frame header that has been checked on its own (type bytes, frame limit).
type Header struct {
	Type   string
	Length uint32
}

func validTypeBytes(t []byte) bool {
	for _, c := range t {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// readHeader reads 8 bytes and applies the checks a header alone allows. An EOF before
// any byte is io.EOF (a clean end between frames); inside the header it is
// io.ErrUnexpectedEOF (FRM-7).
func readHeader(r io.Reader, frameLimit uint32) (Header, error) {
	var b [8]byte
	if fault("i7-hdr-single-read") {
		// the planted fault: one Read, its count ignored
		if _, err := r.Read(b[:]); err != nil {
			return Header{}, err
		}
	} else if _, err := io.ReadFull(r, b[:]); err != nil {
		return Header{}, err
	}
	h := Header{Type: string(b[:4]), Length: binary.BigEndian.Uint32(b[4:])}
	if !validTypeBytes(b[:4]) {
		return h, perr(codeBadFrame, "bad type bytes")
	}
	if h.Length > frameLimit && !fault("payload-first") {
		return h, perr(codeFrameTooLarge, "frame of %d bytes above the limit %d", h.Length, frameLimit)
	}
	if !knownTypes[h.Type] {
		return h, perr(codeUnexpected, "unknown frame type")
	}
	if h.Type != "DATA" && (h.Length > maxControl || h.Length == maxControl && fault("r2-control-max-off")) && !fault("payload-first") {
		return h, perr(codeFrameTooLarge, "control payload of %d bytes", h.Length)
	}
	return h, nil
}

func encodeFrame(typ string, payload []byte) []byte {
	out := make([]byte, 8+len(payload))
	copy(out, typ)
	binary.BigEndian.PutUint32(out[4:], uint32(len(payload)))
	copy(out[8:], payload)
	return out
}

func controlFrame(typ string, obj any) []byte {
	p, err := json.Marshal(obj)
	if err != nil {
		panic(err)
	}
	return encodeFrame(typ, p)
}

func erorFrame(code int, msg string) []byte {
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return controlFrame("EROR", map[string]any{"code": code, "name": codeNames[code], "message": msg})
}

// Obj is a parsed control object: member values kept as json.RawMessage so each schema
// decides the type it requires.
type Obj map[string]json.RawMessage

// parseControl checks FRM-8/9/15 on a control payload and returns its top-level members.
func parseControl(p []byte) (Obj, error) {
	if !fault("utf8-lenient") && !utf8.Valid(p) {
		return nil, perr(codeBadFrame, "payload is not UTF-8")
	}
	if !json.Valid(p) {
		return nil, perr(codeBadFrame, "payload is not JSON")
	}
	if !fault("surrogate-fffd") && hasLoneSurrogate(p) {
		return nil, perr(codeBadFrame, "lone surrogate in a string")
	}
	if !fault("json-dup-keys") && !(clientSide && fault("b17-client-dup-keys")) {
		if err := checkDuplicates(p); err != nil {
			return nil, err
		}
	}
	var o Obj
	if err := json.Unmarshal(p, &o); err != nil || o == nil {
		return nil, perr(codeBadFrame, "top-level value is not an object")
	}
	return o, nil
}

// hasLoneSurrogate scans the raw JSON text: encoding/json silently turns a lone
// surrogate escape into U+FFFD, which would then be used as a name (FRM-15).
func hasLoneSurrogate(p []byte) bool {
	inStr := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !inStr {
			if c == '"' {
				inStr = true
			}
			continue
		}
		switch c {
		case '"':
			inStr = false
		case '\\':
			if i+1 < len(p) && p[i+1] == 'u' && i+5 < len(p) {
				v, _ := strconv.ParseUint(string(p[i+2:i+6]), 16, 32)
				if v >= 0xD800 && v <= 0xDBFF {
					if i+11 < len(p) && p[i+6] == '\\' && p[i+7] == 'u' {
						w, _ := strconv.ParseUint(string(p[i+8:i+12]), 16, 32)
						if w >= 0xDC00 && w <= 0xDFFF {
							i += 11
							continue
						}
					}
					return true
				}
				if v >= 0xDC00 && v <= 0xDFFF {
					return true
				}
				i += 5
			} else {
				i++
			}
		}
	}
	return false
}

// checkDuplicates walks the token stream: encoding/json keeps the last of duplicate keys.
func checkDuplicates(p []byte) error {
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.UseNumber()
	type frame struct {
		obj  bool
		keys map[string]bool
		key  bool // next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return perr(codeBadFrame, "payload is not JSON")
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{':
				if top != nil && top.obj {
					top.key = true
				}
				stack = append(stack, &frame{obj: true, keys: map[string]bool{}, key: true})
			case '[':
				if top != nil && top.obj {
					top.key = true
				}
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		}
		if top != nil && top.obj {
			if top.key {
				k := tok.(string)
				if top.keys[k] && (len(stack) == 1 || !fault("i7-dup-keys-top-only")) {
					return perr(codeBadFrame, "duplicate key")
				}
				top.keys[k] = true
				top.key = false
			} else {
				top.key = true
			}
		}
	}
}

// get looks a member up by its exact name. The fault matches as encoding/json does when it
// decodes into a struct: case-insensitively, the last of several matches winning.
func (o Obj) get(key string) (json.RawMessage, bool) {
	if fault("json-case-fold") {
		var found json.RawMessage
		for k, v := range o {
			if strings.EqualFold(k, key) && (found == nil || k != key) {
				found = v
			}
		}
		return found, found != nil
	}
	raw, ok := o[key]
	return raw, ok
}

func (o Obj) str(key string, required bool) (string, bool, error) {
	raw, ok := o.get(key)
	if !ok {
		if required {
			return "", false, perr(codeBadFrame, "missing %s", key)
		}
		return "", false, nil
	}
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		return "", false, perr(codeBadFrame, "%s is not a string", key)
	}
	return s, true, nil
}

func (o Obj) integer(key string) (int64, error) {
	raw, ok := o.get(key)
	if !ok {
		return 0, perr(codeBadFrame, "missing %s", key)
	}
	if fault("float-size") {
		var f float64
		if json.Unmarshal(raw, &f) != nil || f < 0 {
			return 0, perr(codeBadFrame, "%s is not a number", key)
		}
		return int64(f), nil
	}
	if fault("i26-json-number-int64") {
		v, err := json.Number(string(raw)).Int64()
		if err != nil {
			return 0, perr(codeBadFrame, "%s is not an integer", key)
		}
		return v, nil
	}
	s := string(raw)
	if fault("i7-size-string-ok") && len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1] // "5" taken as 5
	}
	if s == "" || len(s) > len(maxInt63) {
		return 0, perr(codeBadFrame, "%s is not an integer in range", key)
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, perr(codeBadFrame, "%s is not a non-negative integer", key)
		}
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, perr(codeBadFrame, "%s is not a JSON integer", key)
	}
	if len(s) == len(maxInt63) && s > maxInt63 {
		return 0, perr(codeBadFrame, "%s above 2^63-1", key)
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, perr(codeBadFrame, "%s is not an integer", key)
	}
	return v, nil
}

func isLowerHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func (o Obj) sha(key string, required bool) (string, bool, error) {
	s, ok, err := o.str(key, required)
	if err != nil || !ok {
		return s, ok, err
	}
	if fault("hex-fold") {
		lower := []byte(s)
		for i, c := range lower {
			if c >= 'A' && c <= 'F' {
				lower[i] = c + 32
			}
		}
		s = string(lower)
	}
	if !isLowerHex64(s) {
		return "", false, perr(codeBadFrame, "%s is not 64 lowercase hex digits", key)
	}
	return s, true, nil
}

// ErrorFrame is a parsed EROR.
type ErrorFrame struct {
	Code    int
	Message string
}

func parseEror(p []byte) (ErrorFrame, error) {
	o, err := parseControl(p)
	if err != nil {
		return ErrorFrame{}, err
	}
	c, err := o.integer("code")
	if err != nil {
		return ErrorFrame{}, err
	}
	if _, _, err := o.str("name", true); err != nil {
		return ErrorFrame{}, err
	}
	m, _, err := o.str("message", true)
	if err != nil {
		return ErrorFrame{}, err
	}
	code := int(c)
	if c > 100 || codeNames[code] == "" {
		code = codeInternal // ERR-4
	}
	return ErrorFrame{Code: code, Message: m}, nil
}

var errEmptyData = errors.New("empty DATA frame")
