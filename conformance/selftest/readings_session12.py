"""Conforming variants found by the lead in the twelfth session: the whole suite must PASS
them (conformance/selftest/test_ambig_readings.py).

A lingering close: after its own fatal `EROR` the server sends its FIN at once (ERR-3:
"the close follows the EROR at once") and then reads and discards what the peer still
sends until the peer's FIN or 1.5 s, before it releases the socket — what careful servers
do so that a reset (unread bytes at close) cannot destroy the EROR on its way (Apache's
lingering close; pki7's fix in session 11). The connection stays in the server's tables
while it drains, so a case that keeps its own end open after the server's FIN, or opens
connections faster than they drain, meets a fuller server than the reference's.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

from conformance.selftest.mutant import _module
from conformance.selftest.mutants_ambig import Reading

__all__ = ["READINGS"]

_DRAIN = 1.5  # seconds at most; within ERR-3's 2 s


def _drain(sock: socket.socket) -> None:
    """FIN now, then read until the peer's FIN or _DRAIN seconds."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + _DRAIN
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            if not sock.recv(65536):
                break


def _eke_drain_after_every_fatal_eror() -> None:
    server = _module("reference.eke.server")
    handshake = _module("reference.eke.handshake")
    sent = threading.local()
    encode_error = handshake.encode_error
    original_handshake = server.EkeServer._handshake
    original_send_fatal = server.EkeServer._send_fatal

    def encode_error_(code: Any, message: str, *args: Any, **kwargs: Any) -> bytes:
        sent.fatal = bool(code.fatal)
        data: bytes = encode_error(code, message, *args, **kwargs)
        return data

    def handshake_(self: Any, sock: socket.socket, address: str) -> Any:
        sent.fatal = False
        result = original_handshake(self, sock, address)
        if result is None and getattr(sent, "fatal", False):
            _drain(sock)
        return result

    def send_fatal(self: Any, stream: Any, code: Any, message: str) -> None:
        original_send_fatal(self, stream, code, message)
        _drain(stream.sock)  # _send_fatal sends only fatal codes

    handshake.encode_error = encode_error_
    server.EkeServer._handshake = handshake_
    server.EkeServer._send_fatal = send_fatal


READINGS: tuple[Reading, ...] = (
    Reading(
        "s12-eke-drain-after-fatal-eror",
        "eke",
        ("ERR-3", "LIM-4", "LIM-8", "EKE-THR-5", "EKE-THR-6", "EKE-THR-9"),
        (
            "test_framing.py",
            "test_limits.py",
            "test_lockout.py",
            "test_eke_throttling.py",
            "test_eke_tables.py",
        ),
        "ERR-3: 'The close follows the EROR at once': FIN at once after every fatal EROR, "
        "then what the peer still sends read and dropped until its FIN or 1.5 s (a "
        "lingering close), the connection counted until then",
        _eke_drain_after_every_fatal_eror,
    ),
)
