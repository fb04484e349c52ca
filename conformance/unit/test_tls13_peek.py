"""The TLS 1.3 record reader of conformance/tls13_peek.py against RFC 8448 and a live
session of Python's `ssl`."""

from __future__ import annotations

import os
import socket
import ssl
import tempfile
import threading
from pathlib import Path

from conformance import tls13_peek
from conformance.tls13_peek import _expand_label
from conformance.x509 import CertificateAuthority


def test_key_schedule_matches_rfc8448() -> None:
    """RFC 8448 §3, the server's handshake traffic secret → its write key and iv."""
    secret = bytes.fromhex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38")
    assert _expand_label(secret, "key", 16, "sha256").hex() == "3fce516009c21727d0f2e4e86ee403bc"
    assert _expand_label(secret, "iv", 12, "sha256").hex() == "5d313eb2671276ee13000b30"


def test_reads_what_a_server_sends_after_our_close_notify(tmp_path: Path) -> None:
    """A loopback TLS 1.3 server answers after the client's close_notify: `ssl` refuses
    the data, the peek reads it from the raw records."""
    CertificateAuthority.create("peek").certificate.write(tmp_path, "server")
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(tmp_path / "server.pem", tmp_path / "server.key")
    listener = socket.create_server(("127.0.0.1", 0))
    answer = b"HTTP/1.1 200 OK\r\n\r\n" + os.urandom(3000).hex().encode()

    def serve() -> None:
        conn, _ = listener.accept()
        with server_ctx.wrap_socket(conn, server_side=True) as tls:
            while tls.recv(4096):
                pass
            tls.sendall(answer)
            tls.unwrap()  # its close_notify (ours came first)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.check_hostname = False
    client_ctx.verify_mode = ssl.CERT_NONE
    client_ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    with tempfile.TemporaryDirectory() as keys:
        raw = socket.create_connection(listener.getsockname(), timeout=10)
        peek = tls13_peek.Peek(raw, client_ctx, Path(keys) / "keylog")
        peek.send(b"request")
        peek.end_side()
        got, closed = peek.read(timeout=10)
        peek.close()
    thread.join(10)
    listener.close()
    assert got == answer
    assert closed  # the server's close_notify, read as an alert
