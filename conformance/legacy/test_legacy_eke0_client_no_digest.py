"""Profile eke-legacy: a server that never sends message 24 (docs/SPEC.md §7.3.3, §7.3).

After message 22 the client sends `File delivered` (23) and reads message 24, the SHA-1
of the file, before it may keep the file (LEG-EKE-FMT-6). test_legacy_eke0_client_end.py
and test_legacy_eke0.py's client cases end a session with a digest (right, wrong or cut
short) and then the server's close, at once. A client can pass them and still keep the
file when message 24 does not come in time: a read timeout on message 24 taken for
"the file is complete by its length" (a short timeout armed for the digest only, or a
generic timeout handler that saves what it has). Here the suite's server serves the
whole file, reads message 23, stays silent for SILENCE seconds (no message 24, no close),
then closes without message 24: the client has nothing to compare the file with, so it
MUST NOT keep the file and MUST report the failure, whatever its timeout.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from pathlib import Path

import pytest

from conformance.legacy import eke0
from conformance.legacy.client_run import run_eke0_client
from conformance.legacy.embedded import LegacyEkeTarget
from conformance.legacy.test_legacy_eke0_client_end import (
    _LITERALS,
    APART,
    _judged,
    _Log,
    _Reader,
    _Run,
)

pytestmark = pytest.mark.xdist_group("eke-legacy")

# How long the suite's server stays silent after message 23 before it closes without
# message 24: a client that gives up on message 24 sooner and keeps the file is caught;
# bounded so that the case stays short.
SILENCE = 5.0


def _serve_without_digest(listener: socket.socket, password: bytes, content: bytes) -> _Log:
    """One honest eke/0 server session by the table (a fresh exponent and Ns) up to
    message 23; then SILENCE seconds without a byte, then the close, no message 24."""
    log = _Log()
    try:
        conn, _ = listener.accept()
    except OSError as exc:
        log.error = f"the client never connected ({exc})"
        return log
    with conn:
        try:
            conn.settimeout(10)
            reader = _Reader(conn)

            def literal(number: int) -> None:
                log.got[number] = reader.exact(len(_LITERALS[number]))
                if log.got[number] != _LITERALS[number]:
                    raise ValueError(f"message {number} is {log.got[number]!r}")

            log.got[1] = reader.segment()
            conn.sendall(b"u_ack")
            log.got[3] = reader.segment()
            conn.sendall(b"Authenticated")
            log.got[5] = reader.segment()
            conn.sendall(b"pAck")
            log.got[7] = reader.segment()
            conn.sendall(b"gAck")
            log.got[9] = reader.segment()
            if not (log.got[5].isdigit() and log.got[7].isdigit()):
                log.deviation = f"messages 5 and 7 are {log.got[5]!r}, {log.got[7]!r}"
                return log
            p, g = int(log.got[5]), int(log.got[7])
            client_public = eke0.reveal(log.got[9], password)
            if client_public is None or p < 3:
                log.deviation = f"message 9 ({log.got[9][:16]!r}) does not reveal digits"
                return log
            for _ in range(10_000):  # bounded; nearly every exponent gives a 32-digit key
                exponent = secrets.randbelow(p - 3) + 2
                key = str(pow(client_public, exponent, p)).encode()[:32]
                if len(key) == 32:
                    break
            else:
                log.error = "no exponent gives a 32-digit key"
                return log
            conn.sendall(b"xorAck")
            time.sleep(APART)
            conn.sendall(eke0.hide(pow(g, exponent, p), password))
            literal(12)
            ns = secrets.token_hex(16).encode()
            conn.sendall(eke0.aes_cbc_zero_iv(key, ns))
            literal(14)
            log.got[15] = reader.exact(64)
            conn.sendall(b"clientAesAck")
            literal(17)
            na = eke0.aes_cbc_zero_iv_decrypt(key, log.got[15])[:16]
            conn.sendall(eke0.aes_cbc_zero_iv(key, na))
            time.sleep(APART)
            conn.sendall(str(len(content)).encode())
            literal(20)
            conn.sendall(b"ok")
            time.sleep(APART)
            conn.sendall(content)
            literal(23)
            # No message 24: silence (what the client sends meanwhile is read and
            # dropped), then the close.
            reader.rest(SILENCE)
        except (OSError, ValueError) as exc:
            log.error = f"{type(exc).__name__}: {exc}"
    return log


@pytest.mark.req("LEG-EKE-FMT-6")
def test_no_message_24_is_no_match(eke_legacy: LegacyEkeTarget, tmp_path: Path) -> None:
    """The whole file (1500 bytes) and no message 24, the server silent for SILENCE
    seconds, then its close: the client MUST NOT keep the file and MUST report the
    failure (a command-line client: a non-zero exit status)."""
    content = os.urandom(1500)
    started = time.monotonic()
    served, done, saved = run_eke0_client(
        eke_legacy,
        tmp_path,
        lambda listener: _serve_without_digest(listener, eke_legacy.password.encode(), content),
        serve_extra=SILENCE,
    )
    took = time.monotonic() - started
    log = served or _Log(error="the suite's server did not finish")
    run = _Run(log, saved, done.succeeded, done.success_evidence(), done.stderr[-400:])
    _judged(run, 23)
    if run.succeeded or run.saved is not None:
        what = "kept the file" if run.saved == content else (
            "saved nothing" if run.saved is None else f"saved {len(run.saved)} bytes"
        )  # fmt: skip
        pytest.fail(
            "LEG-EKE-FMT-6 (the client MUST compare message 24 with the SHA-1 of what it "
            "received; when the connection closes before message 24 it MUST NOT keep the "
            "file and MUST report the failure) violated: the server sent the whole file "
            f"({len(content)} bytes) and no message 24 (silent {SILENCE:.0f} s, then its "
            f"close); the client {run.how} and {what} after {took:.1f} s",
            pytrace=False,
        )
