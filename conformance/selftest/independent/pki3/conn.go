package main

import (
	"crypto/tls"
	"errors"
	"net"
	"os"
	"time"
)

// idleReader resets the read deadline before every read: a peer that sends nothing for
// the idle timeout gets a timeout error (LIM-2), a slow but live one does not.
type idleReader struct {
	c    *tls.Conn
	idle time.Duration
}

func (r *idleReader) Read(p []byte) (int, error) {
	if r.idle > 0 {
		_ = r.c.SetReadDeadline(time.Now().Add(r.idle))
	}
	return r.c.Read(p)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// writeAll writes one buffer with a deadline: a peer that stops reading cannot hold
// this goroutine forever (LIM-10).
func writeAll(c *tls.Conn, idle time.Duration, b []byte) error {
	_ = c.SetWriteDeadline(time.Now().Add(idle))
	_, err := c.Write(b)
	return err
}

// closeTLS ends an established connection: close_notify, then FIN, then a short drain of
// whatever the peer still sends (closing with unread bytes would make the kernel send a
// reset that can destroy the close_notify and EROR in flight), then the close.
func closeTLS(c *tls.Conn, raw net.Conn) {
	if fault("bare-close") {
		raw.Close()
		return
	}
	_ = c.SetWriteDeadline(time.Now().Add(2 * time.Second))
	_ = c.CloseWrite()
	closeRaw(raw)
}

func closeRaw(raw net.Conn) {
	if tc, ok := raw.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
		_ = tc.SetReadDeadline(time.Now().Add(time.Second))
		buf := make([]byte, 16384)
		for total := 0; total < 8<<20; {
			n, err := tc.Read(buf)
			total += n
			if err != nil {
				break
			}
		}
	}
	raw.Close()
}
