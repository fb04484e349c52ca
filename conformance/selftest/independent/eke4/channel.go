package main

// The secure channel: plaintext frames during the handshake, RECD records after it
// (SPEC §5.5). Deadlines are per operation: the caller sets the read deadline (handshake
// or idle timeout), every write gets the idle timeout as its send timeout (LIM-10).

import (
	"bufio"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"hash"
	"io"
	"log"
	"net"
	"time"
)

// gcmBlockLimit is EKE-REC-7's 2^34 AES blocks per direction key.
const gcmBlockLimit = uint64(1) << 34

var errRecordAuth = errors.New("record failed to authenticate")
var errPlaintextAfterHandshake = errors.New("plaintext frame after the handshake")

type direction struct {
	aead   cipher.AEAD
	iv     []byte
	seq    uint64
	blocks uint64
}

// Channel is one connection of either role.
type Channel struct {
	conn        net.Conn
	r           *bufio.Reader
	limit       uint32
	sendTimeout time.Duration
	secure      bool
	send, recv  direction
	getHash     hash.Hash // only the planted fault r3_get_hash_not_reset keeps one

}

func newChannel(conn net.Conn, limit uint32, sendTimeout time.Duration) *Channel {
	return &Channel{conn: conn, r: bufio.NewReaderSize(conn, 64*1024), limit: limit, sendTimeout: sendTimeout}
}

// refreshingReader renews the read deadline on every Read: the planted fault
// handshake_deadline_per_read (a "keep-alive" wrapper many Go servers have).
type refreshingReader struct {
	conn    net.Conn
	timeout time.Duration
}

func (r *refreshingReader) Read(b []byte) (int, error) {
	if r.timeout > 0 {
		_ = r.conn.SetReadDeadline(time.Now().Add(r.timeout))
	}
	return r.conn.Read(b)
}

// establish switches to records with the given keys.
func (c *Channel) establish(sendKey, sendIV, recvKey, recvIV []byte) {
	c.secure = true
	c.send = direction{aead: gcm(sendKey), iv: sendIV}
	c.recv = direction{aead: gcm(recvKey), iv: recvIV}
}

func (c *Channel) write(b []byte) error {
	if c.sendTimeout > 0 {
		_ = c.conn.SetWriteDeadline(time.Now().Add(c.sendTimeout))
	}
	_, err := c.conn.Write(b)
	return err
}

// WriteFrame sends one frame, as a record once the channel is secure.
func (c *Channel) WriteFrame(t string, payload []byte) error {
	inner := encodeFrame(t, payload)
	if !c.secure {
		return c.write(inner)
	}
	blocks := uint64(len(inner)+15)/16 + 1
	if c.send.seq == ^uint64(0) || c.send.blocks+blocks > gcmBlockLimit {
		return errors.New("record limit reached: closing before the key wears out")
	}
	clen := len(inner) + c.send.aead.Overhead()
	hdr := make([]byte, headerLen, headerLen+clen)
	copy(hdr, "RECD")
	binary.BigEndian.PutUint32(hdr[4:], uint32(clen))
	rec := c.send.aead.Seal(hdr, recordNonce(c.send.iv, c.send.seq), inner, hdr[:headerLen])
	c.send.seq++
	c.send.blocks += blocks
	return c.write(rec)
}

// WriteError sends an EROR and reports whether it was sent.
func (c *Channel) WriteError(e *ProtoError) error {
	return c.WriteFrame("EROR", erorPayload(e))
}

// ReadFrame returns the next frame. During the handshake it is a plaintext frame; after
// it, a record's inner frame (a plaintext frame then is errPlaintextAfterHandshake, a
// record that fails to open errRecordAuth: both close without an answer).
func (c *Channel) ReadFrame() (*Frame, error) {
	if !c.secure {
		return readFrame(c.r, c.limit)
	}
	hdr := make([]byte, headerLen)
	if n, err := io.ReadFull(c.r, hdr); err != nil {
		if n == 0 && errors.Is(err, io.EOF) {
			return nil, errClosed
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errTruncated
		}
		return nil, err
	}
	if string(hdr[:4]) != "RECD" && !fault("accept_plaintext_after_handshake") {
		return nil, errPlaintextAfterHandshake
	}
	if string(hdr[:4]) != "RECD" {
		t, n, err := checkHeader(hdr, c.limit)
		if err != nil {
			return nil, err
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(c.r, p); err != nil {
			return nil, errTruncated
		}
		return &Frame{Type: t, Payload: p}, nil
	}
	n := binary.BigEndian.Uint32(hdr[4:])
	if n > c.limit && !fault("r2_record_limit_unchecked") {
		return nil, perr(CodeFrameTooLarge, "record length %d above limit %d", n, c.limit)
	}
	ct := make([]byte, n)
	if _, err := io.ReadFull(c.r, ct); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, errTruncated
		}
		return nil, err
	}
	if c.recv.seq == ^uint64(0) {
		return nil, errRecordAuth
	}
	inner, err := c.recv.aead.Open(nil, recordNonce(c.recv.iv, c.recv.seq), ct, hdr)
	if err != nil {
		if fault("r3_record_auth_skipped") {
			log.Printf("dropping a record that failed to authenticate")
			return c.ReadFrame()
		}
		return nil, errRecordAuth
	}
	blocks := uint64(len(inner)+15)/16 + 1
	if c.recv.blocks+blocks > gcmBlockLimit {
		return nil, errRecordAuth
	}
	c.recv.seq++
	c.recv.blocks += blocks
	return parseInner(inner, c.limit)
}

func (c *Channel) Close() error { return c.conn.Close() }
