"""Profile eke-legacy: every early close the sft-eke/0 client meets (docs/SPEC.md §7.3.3).

LEG-EKE-FMT-6: when "the connection closes before the announced length or before message
24" the client "MUST NOT keep the file and MUST report the failure". The other client
cases cut the session inside the file (message 22) or before message 24. A client can pass
them and still take a close at another point, or the second time round, for a success:
- a close right after message 18, before message 19 (the file length): a reader that
  turns "nothing came" into a length of 0 (`Number(null)`, `atoi("")`, `int(b"" or 0)`)
  keeps an empty file and exits 0;
- a close right after message 21 (`ok`), before any byte of message 22: "nothing more to
  read" taken as the end of the file;
- a cut inside the file, then a RECONNECT: a client that retries a cut transfer and
  appends the new session to the half-written file ("resume"), comparing message 24 with
  the second session's bytes only, keeps a file that is not the server's. The suite's
  server accepts one more connection after the cut and serves that one honestly; a
  client that reconnects may keep the file only when it is exactly the served one.
Each run is judged by what the client kept and how it ended (its success rule).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conformance.legacy import eke0
from conformance.legacy.client_run import run_eke0_client
from conformance.legacy.embedded import LegacyEkeTarget
from conformance.legacy.stream import ClientReader

pytestmark = pytest.mark.xdist_group("eke-legacy")

# Between the messages the seed sends back to back: apart, so that a client reading one
# message per recv() reads each alone (as test_legacy_eke0_client_end.py does). A probe,
# not a synchronisation.
APART = 0.2
# How long the suite's server waits for a reconnect after its cut (a client that does
# not retry has exited by then; the client's own run bounds the whole).
RECONNECT = 3.0
_LITERALS = {12: b"xorServerAck", 14: b"aesAck", 17: b"send_aes_nonceNa", 20: b"LnACK",
             23: b"File delivered"}  # fmt: skip


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


@dataclass
class _Log:
    reached: list[int] = field(default_factory=list)  # per connection: last client message
    connections: int = 0
    error: str = ""
    deviation: str = ""


class _Deviation(Exception):
    pass


def _session(conn: socket.socket, password: bytes, content: bytes, cut: str) -> int:
    """One honest eke/0 server session (a fresh exponent and Ns) that closes at `cut`
    ("after 18", "after 21", "inside 22"; "" = none: the whole session with the right
    digest). Returns the last client message read."""
    conn.settimeout(10)
    reader = ClientReader(conn)

    def literal(number: int) -> None:
        got = reader.exact(len(_LITERALS[number]))
        if got != _LITERALS[number]:
            raise _Deviation(f"message {number} is {got!r}")

    reader.segment()
    conn.sendall(b"u_ack")
    reader.segment()
    conn.sendall(b"Authenticated")
    m5 = reader.segment()
    conn.sendall(b"pAck")
    m7 = reader.segment()
    conn.sendall(b"gAck")
    m9 = reader.segment()
    if not (m5.isdigit() and m7.isdigit()):
        raise _Deviation(f"messages 5 and 7 are {m5!r}, {m7!r}")
    p, g = int(m5), int(m7)
    client_public = eke0.reveal(m9, password)
    if client_public is None or p < 3:
        raise _Deviation(f"message 9 ({m9[:16]!r}) does not reveal digits")
    for _ in range(10_000):  # bounded; nearly every exponent gives a 32-digit key
        exponent = secrets.randbelow(p - 3) + 2
        key = str(pow(client_public, exponent, p)).encode()[:32]
        if len(key) == 32:
            break
    else:
        raise OSError("no exponent gives a 32-digit key")
    conn.sendall(b"xorAck")
    time.sleep(APART)
    conn.sendall(eke0.hide(pow(g, exponent, p), password))
    literal(12)
    conn.sendall(eke0.aes_cbc_zero_iv(key, secrets.token_hex(16).encode()))
    literal(14)
    m15 = reader.exact(64)
    conn.sendall(b"clientAesAck")
    literal(17)
    conn.sendall(eke0.aes_cbc_zero_iv(key, eke0.aes_cbc_zero_iv_decrypt(key, m15)[:16]))
    if cut == "after 18":
        return 17
    time.sleep(APART)
    conn.sendall(str(len(content)).encode())
    literal(20)
    conn.sendall(b"ok")
    if cut == "after 21":
        return 20
    time.sleep(APART)
    if cut == "inside 22":
        conn.sendall(content[: len(content) // 2])
        return 20
    conn.sendall(content)
    literal(23)
    conn.sendall(_sha1(content).encode())
    conn.shutdown(socket.SHUT_WR)
    return 23


def _serve(listener: socket.socket, password: bytes, content: bytes, cut: str) -> _Log:
    """The cut session, then (for a client that reconnects) one honest session."""
    log = _Log()
    for number, how in enumerate((cut, "")):
        if number == 1:
            listener.settimeout(RECONNECT)
        try:
            conn, _ = listener.accept()
        except OSError as exc:
            if number == 0:
                log.error = f"the client never connected ({exc})"
            return log
        log.connections += 1
        with conn:
            try:
                log.reached.append(_session(conn, password, content, how))
            except _Deviation as exc:
                log.deviation = str(exc)
                return log
            except (OSError, ValueError, ConnectionError) as exc:
                log.error = f"{type(exc).__name__}: {exc}"
                return log
    return log


def _judge(target: LegacyEkeTarget, tmp_path: Path, cut: str, what: str) -> None:
    content = os.urandom(3000)
    served, done, saved = run_eke0_client(
        target,
        tmp_path,
        lambda listener: _serve(listener, target.password.encode(), content, cut),
        serve_extra=RECONNECT,
    )
    log = served or _Log(error="the suite's server did not finish")
    if log.deviation:
        pytest.skip(f"the client deviates from the format ({log.deviation}): see its case")
    if not log.reached:
        pytest.skip(
            f"not judged: the client stopped an honest exchange before message 17 "
            f"({log.error or 'no session'}; the format cases say why)"
        )
    if log.connections > 1:
        # It reconnected: keeping a file is right only when it is exactly the served one.
        if saved is not None and saved != content:
            _fail(
                "LEG-EKE-FMT-6 (a connection closed before the announced length: the "
                "file MUST NOT be kept)",
                f"the suite's server closed {what}; the client reconnected and kept "
                f"{len(saved)} bytes (SHA-1 {_sha1(saved)}), not the "
                f"{len(content)} bytes served (SHA-1 {_sha1(content)}): "
                "the cut session's bytes are in it",
            )
        return
    if done.succeeded or saved is not None:
        kept = "no file" if saved is None else f"a file of {len(saved)} bytes"
        _fail(
            "LEG-EKE-FMT-6 (a connection closed before the announced length or before "
            "message 24: the client MUST NOT keep the file and MUST report the failure)",
            f"the suite's server closed {what}; the client {done.success_evidence()} and "
            f"kept {kept}",
        )


@pytest.mark.req("LEG-EKE-FMT-6")
@pytest.mark.parametrize(
    ("cut", "what"),
    [
        ("after 18", "right after message 18, before message 19 (the file length)"),
        ("after 21", "right after message 21 (ok), before any byte of the 3000 announced"),
    ],
    ids=["before-19", "before-22"],
)
def test_a_close_before_the_file_fails_the_transfer(
    eke_legacy: LegacyEkeTarget, tmp_path: Path, cut: str, what: str
) -> None:
    _judge(eke_legacy, tmp_path, cut, what)


@pytest.mark.req("LEG-EKE-FMT-6")
def test_a_cut_transfer_is_not_resumed_into_a_wrong_file(
    eke_legacy: LegacyEkeTarget, tmp_path: Path
) -> None:
    _judge(eke_legacy, tmp_path, "inside 22", "after 1500 of the 3000 bytes of message 22")
