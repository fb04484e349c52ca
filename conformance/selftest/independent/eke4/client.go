package main

// The initiator: `eke4 get` and `eke4 put` (SPEC §3.3, §3.4 from the initiator's side).

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ClientConfig is what get and put share.
type ClientConfig struct {
	Addr             string
	User             string
	Password         []byte
	HandshakeTimeout time.Duration
	IdleTimeout      time.Duration
}

// userError explains a failure to the person at the terminal.
func userError(err error) error {
	var pe *ProtoError
	switch {
	case errors.As(err, &pe):
		switch pe.Code {
		case CodeBusy:
			return fmt.Errorf("server busy (retry after %d s)", pe.RetryAfter)
		case CodeThrottled:
			return fmt.Errorf("too many failed logins: throttled, retry after %d s", pe.RetryAfter)
		case CodeAuthFailed:
			return fmt.Errorf("wrong password or unknown user")
		case CodeTimeout:
			return fmt.Errorf("server reported a timeout")
		}
		return pe
	case isTimeout(err):
		return fmt.Errorf("timed out")
	case err == errClosed || err == errTruncated:
		return fmt.Errorf("connection closed by the server")
	}
	return err
}

func dialAndHandshake(cfg ClientConfig) (*Channel, error) {
	ch, err := dialAndHandshakeOnce(cfg)
	for attempt := 0; err != nil && attempt < 3 && fault("r3_client_busy_retry_now"); attempt++ {
		if !strings.HasPrefix(err.Error(), "server busy") {
			break
		}
		ch, err = dialAndHandshakeOnce(cfg) // retry_after is advice: try again at once
	}
	return ch, err
}

func dialAndHandshakeOnce(cfg ClientConfig) (*Channel, error) {
	conn, err := net.DialTimeout("tcp", cfg.Addr, cfg.HandshakeTimeout)
	if err != nil {
		return nil, err
	}
	ch := newChannel(conn, defaultFrameLimit, cfg.IdleTimeout)
	_ = conn.SetDeadline(time.Now().Add(cfg.HandshakeTimeout))
	if err := ClientHandshake(ch, cfg.User, cfg.Password); err != nil {
		var pe *ProtoError
		if errors.As(err, &pe) && !pe.FromPeer {
			_ = ch.WriteError(pe) // a malformed or unexpected server frame (FRM-9)
		}
		_ = conn.Close()
		if isTimeout(err) {
			return nil, fmt.Errorf("timed out before the handshake completed")
		}
		return nil, userError(err)
	}
	_ = conn.SetDeadline(time.Time{})
	return ch, nil
}

// readAnswer reads the next frame of the transfer, turning a peer's EROR into an error.
func readAnswer(ch *Channel, idle time.Duration) (*Frame, error) {
	_ = ch.conn.SetReadDeadline(time.Now().Add(idle))
	f, err := ch.ReadFrame()
	if err != nil {
		return nil, err
	}
	if f.Type == "EROR" {
		pe := parseEror(f.Payload)
		if fault("r3_client_unknown_code_skipped") && pe.FromPeer && strings.HasPrefix(pe.Msg, "peer sent unknown error code") {
			fmt.Fprintf(os.Stderr, "eke4: ignoring %s\n", pe.Msg)
			return readAnswer(ch, idle)
		}
		return nil, pe
	}
	return f, nil
}

// abort tells the server why the client gives up, where the failure has a code.
func abort(ch *Channel, err error) error {
	if err == errRecordAuth && fault("b16_client_record_auth_plain_eror") {
		// "tell the server why": the keys are in doubt, so in clear
		_ = ch.write(encodeFrame("EROR", erorPayload(perr(CodeBadFrame, "record failed to authenticate"))))
	}
	var pe *ProtoError
	if errors.As(err, &pe) && !pe.FromPeer {
		_ = ch.WriteError(pe)
	}
	_ = ch.Close()
	return userError(err)
}

// tempFiles are removed on SIGTERM/SIGINT (APP-STORE-3).
var (
	tempMu    sync.Mutex
	tempFiles = map[string]struct{}{}
)

func watchSignals(cleanup func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go func() {
		<-c
		cleanup()
		os.Exit(1)
	}()
}

func removeClientTemps() {
	tempMu.Lock()
	defer tempMu.Unlock()
	if fault("client_keeps_temp_on_signal") {
		return
	}
	for p := range tempFiles {
		_ = os.Remove(p)
	}
}

// sweepStale removes temporary files nobody has written for longer than the idle timeout.
func sweepStale(dir string, idle time.Duration) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), partialPrefix) {
			continue
		}
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > idle {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// Get fetches name into out.
func Get(cfg ClientConfig, name, out string, force bool) error {
	if fault("r16_client_signal_snapshot") {
		// the handler removes the temporaries known when it was installed
		tempMu.Lock()
		known := make([]string, 0, len(tempFiles))
		for p := range tempFiles {
			known = append(known, p)
		}
		tempMu.Unlock()
		watchSignals(func() {
			for _, p := range known {
				_ = os.Remove(p)
			}
		})
	} else {
		watchSignals(removeClientTemps)
	}
	dir := filepath.Dir(out)
	placeholder := false
	if fault("r16_client_output_placeholder") && !force {
		// claim the output name before connecting, so two runs cannot both write it
		pf, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			if errors.Is(err, os.ErrExist) {
				return fmt.Errorf("%s exists (use --force to replace it)", out)
			}
			return err
		}
		_ = pf.Close()
		placeholder = true
	}
	sweepAge := cfg.IdleTimeout
	if fault("b16_client_sweep_age_nanoseconds") {
		sweepAge = time.Duration(cfg.IdleTimeout.Seconds()) // meant as seconds: a Duration counts nanoseconds
	}
	sweepStale(dir, sweepAge)
	ch, err := dialAndHandshake(cfg)
	if err != nil {
		return err
	}
	defer ch.Close()
	if err := ch.WriteFrame("RQFL", jsonPayload(map[string]string{"name": name})); err != nil {
		return userError(err)
	}
	f, err := readAnswer(ch, cfg.IdleTimeout)
	if err != nil {
		return abort(ch, err)
	}
	if f.Type != "RSFL" {
		return abort(ch, perr(CodeUnexpected, "expected RSFL, got %s", f.Type))
	}
	o, err := parseObject(f.Payload)
	if err != nil {
		return abort(ch, err)
	}
	rname, err := o.str("name")
	if err != nil {
		return abort(ch, err)
	}
	size, err := o.integer("size")
	if err != nil {
		return abort(ch, err)
	}
	rsha, hasSha, err := o.optSha("sha256")
	if err != nil {
		return abort(ch, err)
	}
	if rname != name {
		return abort(ch, perr(CodeBadFrame, "RSFL names another file"))
	}

	tmp := filepath.Join(dir, partialPrefix+hex.EncodeToString(randomBytes(12)))
	var file *os.File
	if fault("client_temp_in_os_tempdir") {
		file, err = os.CreateTemp("", partialPrefix+"*")
		if err == nil {
			tmp = file.Name()
		}
	} else {
		file, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	}
	if err != nil {
		return abort(ch, fmt.Errorf("cannot create a temporary file: %v", err))
	}
	tempMu.Lock()
	tempFiles[tmp] = struct{}{}
	tempMu.Unlock()
	keepTemp := false
	defer func() {
		_ = file.Close()
		if keepTemp {
			return
		}
		_ = os.Remove(tmp)
		tempMu.Lock()
		delete(tempFiles, tmp)
		tempMu.Unlock()
	}()

	h := sha256.New()
	var received int64
	for {
		f, err := readAnswer(ch, cfg.IdleTimeout)
		if err != nil {
			if (err == errClosed || err == errTruncated) && fault("r2_client_eof_after_all_bytes") && received == size {
				break // every announced byte is here: DONE would add nothing
			}
			if err == errClosed || err == errTruncated {
				return fmt.Errorf("connection closed before the transfer completed")
			}
			var pe *ProtoError
			if fault("b16_client_keeps_partial_for_resume") && errors.As(err, &pe) && pe.FromPeer {
				keepTemp = true // the server gave up: keep what arrived for a later resume
			}
			return abort(ch, err)
		}
		switch f.Type {
		case "DATA":
			if (len(f.Payload) == 0 && !fault("r2_client_empty_data_ok")) || len(f.Payload) > maxDataPayload {
				return abort(ch, perr(CodeBadFrame, "DATA of %d bytes", len(f.Payload)))
			}
			if received+int64(len(f.Payload)) > size && !fault("client_writes_excess") {
				return abort(ch, perr(CodeIntegrityFailed, "more data than announced"))
			}
			if _, err := file.Write(f.Payload); err != nil {
				return abort(ch, fmt.Errorf("write failed: %v", err))
			}
			h.Write(f.Payload)
			received += int64(len(f.Payload))
			continue
		case "DONE":
		default:
			return abort(ch, perr(CodeUnexpected, "%s during a get", f.Type))
		}
		o, err := parseObject(f.Payload)
		if err != nil {
			return abort(ch, err)
		}
		dsize, err := o.integer("size")
		if err != nil {
			return abort(ch, err)
		}
		dsha, err := o.sha("sha256")
		if err != nil {
			return abort(ch, err)
		}
		got := hex.EncodeToString(h.Sum(nil))
		bad := (dsize != size && !fault("r2_client_done_size_unchecked")) || received != size || dsha != got || (hasSha && rsha != got && !fault("r2_client_rsfl_sha_unchecked"))
		if fault("client_skips_sha_check") {
			bad = received != size
		}
		if bad {
			keepTemp = fault("r3_client_temp_left_on_integrity")
			return abort(ch, perr(CodeIntegrityFailed, "size or SHA-256 mismatch"))
		}
		break
	}
	if err := file.Sync(); err != nil {
		return abort(ch, err)
	}
	if err := commit(tmp, out, force || placeholder); err != nil {
		_ = ch.WriteFrame("BYE_", []byte("{}"))
		return err
	}
	_ = ch.WriteFrame("BYE_", []byte("{}"))
	return nil
}

// commit gives the verified temporary file its final name, never replacing a file unless
// the user asked for it (APP-GET-6, APP-STORE-2).
func commit(tmp, out string, force bool) error {
	if force || fault("client_overwrites_output") {
		if err := os.Rename(tmp, out); err != nil {
			return err
		}
	} else if err := os.Link(tmp, out); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s exists (use --force to replace it)", out)
		}
		return err
	}
	if d, err := os.Open(filepath.Dir(out)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// Put sends the local file as name.
func Put(cfg ClientConfig, local, name string) error {
	file, err := os.Open(local)
	if err != nil {
		return err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", local)
	}
	size := st.Size()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(file, size)); err != nil {
		return err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	ch, err := dialAndHandshake(cfg)
	if err != nil {
		return err
	}
	defer ch.Close()
	putf := map[string]interface{}{"name": name, "size": size, "sha256": sum}
	if err := ch.WriteFrame("PUTF", jsonPayload(putf)); err != nil {
		return userError(err)
	}
	f, err := readAnswer(ch, cfg.IdleTimeout)
	if err != nil {
		var pe *ProtoError
		if fault("r3_client_put_refusal_ok") && errors.As(err, &pe) && pe.FromPeer && !pe.Fatal() {
			fmt.Fprintf(os.Stderr, "eke4: the server answered %v\n", pe)
			_ = ch.WriteFrame("BYE_", []byte("{}"))
			return nil
		}
		return abort(ch, err)
	}
	if f.Type != "RSFL" {
		return abort(ch, perr(CodeUnexpected, "expected RSFL, got %s", f.Type))
	}
	o, err := parseObject(f.Payload)
	if err != nil {
		return abort(ch, err)
	}
	acceptValue, _ := o.member("accept")
	if accept, ok := acceptValue.(bool); !ok || !accept {
		if !fault("client_put_any_rsfl") {
			return abort(ch, perr(CodeBadFrame, "RSFL does not accept the put"))
		}
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return abort(ch, err)
	}
	h = sha256.New()
	buf := make([]byte, maxDataPayload)
	var sent int64
	for sent < size {
		want := int64(len(buf))
		if size-sent < want {
			want = size - sent
		}
		n, err := io.ReadFull(file, buf[:want])
		if err != nil {
			return abort(ch, fmt.Errorf("%s changed while sending: %v", local, err))
		}
		h.Write(buf[:n])
		if err := ch.WriteFrame("DATA", buf[:n]); err != nil {
			return userError(err)
		}
		sent += int64(n)
	}
	sentSum := hex.EncodeToString(h.Sum(nil))
	if err := ch.WriteFrame("DONE", jsonPayload(map[string]interface{}{"size": size, "sha256": sentSum})); err != nil {
		return userError(err)
	}
	f, err = readAnswer(ch, cfg.IdleTimeout)
	if err != nil {
		if (err == errClosed || err == errTruncated) && fault("client_put_eof_is_success") {
			return nil
		}
		return abort(ch, err)
	}
	if f.Type != "DONE" {
		return abort(ch, perr(CodeUnexpected, "expected DONE, got %s", f.Type))
	}
	o, err = parseObject(f.Payload)
	if err != nil {
		return abort(ch, err)
	}
	dsize, err := o.integer("size")
	if err != nil {
		return abort(ch, err)
	}
	dsha, err := o.sha("sha256")
	if err != nil {
		return abort(ch, err)
	}
	if dsize != size || dsha != sentSum {
		return abort(ch, perr(CodeIntegrityFailed, "the server stored other bytes"))
	}
	_ = ch.WriteFrame("BYE_", []byte("{}"))
	return nil
}
