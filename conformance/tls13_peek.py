"""The peer's TLS 1.3 records read after our own close_notify (RFC 8446 §5.2, §6.1, §7).

A TLS 1.3 client may end its side with close_notify and still receive what the server
sends: the half-close that "ends the body" of a request. OpenSSL (so Python's `ssl`)
refuses application data once it has sent close_notify, so a case that must see the
server's answer to an ended request reads the raw records itself: the session's traffic
secret comes from the context's key log (`SSLContext.keylog_filename`, a temporary file
of the case's own, deleted with it), the records are decrypted here with pycryptodome.

Only the server's application traffic secret 0 is used (no KeyUpdate); the record
sequence number is found by trying each from 0 (records the `ssl` object consumed — the
session tickets — have used the first ones).
"""

from __future__ import annotations

import hmac
import socket
import ssl
import struct
import time
from pathlib import Path

from Crypto.Cipher import AES, ChaCha20_Poly1305

__all__ = ["Peek", "PeekError", "application_data", "server_secret"]

_SUITES = {
    # name: (key length, hash)
    "TLS_AES_128_GCM_SHA256": (16, "sha256"),
    "TLS_AES_256_GCM_SHA384": (32, "sha384"),
    "TLS_CHACHA20_POLY1305_SHA256": (32, "sha256"),
}
_MAX_SEQUENCE = 64


class PeekError(Exception):
    """The records could not be read (an unknown suite, no secret, no valid record)."""


def server_secret(keylog: Path) -> bytes:
    """The last SERVER_TRAFFIC_SECRET_0 of an NSS key log file."""
    secret = b""
    for line in keylog.read_text(encoding="ascii", errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "SERVER_TRAFFIC_SECRET_0":
            secret = bytes.fromhex(parts[2])
    if not secret:
        raise PeekError(f"no SERVER_TRAFFIC_SECRET_0 in the key log {keylog}")
    return secret


def _expand_label(secret: bytes, label: str, length: int, digest: str) -> bytes:
    full = b"tls13 " + label.encode("ascii")
    info = struct.pack(">HB", length, len(full)) + full + b"\x00"
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(secret, block + info + bytes([counter]), digest).digest()
        out += block
        counter += 1
    return out[:length]


def _open(suite: str, key: bytes, nonce: bytes, header: bytes, body: bytes) -> bytes | None:
    sealed, tag = body[:-16], body[-16:]
    cipher = (
        ChaCha20_Poly1305.new(key=key, nonce=nonce)
        if "CHACHA20" in suite
        else AES.new(key, AES.MODE_GCM, nonce=nonce)
    )
    cipher.update(header)
    try:
        return cipher.decrypt_and_verify(sealed, tag)
    except ValueError:
        return None


def application_data(data: bytes, secret: bytes, suite: str) -> tuple[bytes, bool]:
    """(the application data in `data`'s complete records, whether a close_notify alert
    came), decrypting under `secret` with the negotiated `suite` (`SSLSocket.cipher()[0]`).
    Records that are not application data (tickets, alerts) are skipped."""
    if suite not in _SUITES:
        raise PeekError(f"cipher suite {suite!r} is not a TLS 1.3 suite this reader knows")
    key_len, digest = _SUITES[suite]
    key = _expand_label(secret, "key", key_len, digest)
    iv = _expand_label(secret, "iv", 12, digest)
    out, closed, sequence, at = b"", False, 0, 0
    while at + 5 <= len(data):
        header = data[at : at + 5]
        length = struct.unpack(">H", header[3:5])[0]
        if at + 5 + length > len(data):
            break
        body = data[at + 5 : at + 5 + length]
        at += 5 + length
        if header[0] != 0x17 or length < 17:
            continue  # a change_cipher_spec or an unprotected alert
        for seq in range(sequence, _MAX_SEQUENCE):
            nonce = bytes(a ^ b for a, b in zip(iv, seq.to_bytes(12, "big"), strict=True))
            plain = _open(suite, key, nonce, header, body)
            if plain is not None:
                sequence = seq + 1
                break
        else:
            raise PeekError(f"a {length}-byte record does not open under the server's key")
        inner = plain.rstrip(b"\x00")
        if not inner:
            continue
        kind, content = inner[-1], inner[:-1]
        if kind == 0x17:
            out += content
        elif kind == 0x15 and content[1:2] == b"\x00":
            closed = True
    return out, closed




class Peek:
    """A TLS 1.3 client connection over a memory BIO (so that `ssl` reads nothing we
    did not hand it), which can end its side with close_notify and a TCP half-close and
    then read the peer's later records raw, opened with the key log's secret. `ctx` is a
    client context; its `keylog_filename` is set to `keylog` here."""

    def __init__(
        self, sock: socket.socket, ctx: ssl.SSLContext, keylog: Path, timeout: float = 10.0
    ) -> None:
        ctx.keylog_filename = str(keylog)
        self.sock = sock
        self.keylog = keylog
        self._in, self._out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self._in, self._out)
        sock.settimeout(timeout)
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                data = sock.recv(65536)
                if not data:
                    raise PeekError("the peer closed during the TLS handshake") from None
                self._in.write(data)
        self._flush()
        if self.tls.version() != "TLSv1.3":
            raise PeekError(f"the session is {self.tls.version()}, not TLS 1.3")
        suite = self.tls.cipher()
        self.suite = suite[0] if suite else ""

    def _flush(self) -> None:
        if pending := self._out.read():
            self.sock.sendall(pending)

    def send(self, data: bytes) -> None:
        """`data` as one TLS record (or as few as its size needs)."""
        self.tls.write(data)
        self._flush()

    def end_side(self, *, close_notify: bool = True) -> None:
        """close_notify (unless not asked for; the peer's is not awaited), then the TCP
        half-close."""
        if close_notify:
            try:
                self.tls.unwrap()
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                pass
            self._flush()
        self.sock.shutdown(socket.SHUT_WR)

    def read(self, timeout: float) -> tuple[bytes, bool]:
        """(the peer's application data after the handshake until it closed or `timeout`
        passed, whether its close_notify came)."""
        deadline = time.monotonic() + timeout
        data = b""
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                break
            except OSError:
                chunk = b""
            if not chunk:
                break
            data += chunk
        return application_data(data, server_secret(self.keylog), self.suite)

    def close(self) -> None:
        self.sock.close()
