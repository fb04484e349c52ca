"""Profile eke-legacy: how the sft-eke/0 client ends a session (docs/SPEC.md §7.3.3).

After message 22 the client sends `File delivered` (23), reads message 24 — 40 hex
digits, the SHA-1 of the file — compares, and closes. test_legacy_eke0.py's client cases
read what they need of messages 12 to 23 and judge the client by the file it keeps. A
client can pass them and still:
- write its acks the C way, with the terminating NUL of the string literal (`sizeof
  "File delivered"`), or with a newline: bytes the table does not have (LEG-EKE-FMT-1:
  acks are the exact ASCII strings, without terminator). After message 23 no message of
  the client follows, so such a byte is seen only by a server that reads on to the
  client's close; after messages 12, 17 and 20 the client must wait for the server, so
  anything beyond them is extra too;
- take a message 24 cut short for a match: the rest of one read compared as a prefix of
  its own digest (`startsWith`, `strncmp` over what came), so that 20 or 39 hex digits,
  then a close, pass, where a digest that differs from the SHA-1 of the file MUST fail
  the transfer (LEG-EKE-FMT-6).
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
from conformance.legacy.stream import ClientReader, HarnessError

pytestmark = pytest.mark.xdist_group("eke-legacy")

# How long the suite's server reads on after message 24 for the client's close: the
# client has nothing more to send; this only bounds a client that never closes.
TAIL = 10.0
# Between the messages the seed sends back to back (10+11, 18+19, 21+22): apart, so that a
# client reading one message per recv() (the seed's; LEG-EKE-11 is its own case) reads
# each alone, as test_legacy_eke0_client_reads.py does. A probe, not a synchronisation.
APART = 0.2


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


@dataclass
class _Log:
    got: dict[int, bytes] = field(default_factory=dict)
    extra: dict[int, bytes] = field(default_factory=dict)  # bytes beyond client message n
    error: str = ""
    deviation: str = ""  # a client message off the table (its format case reports it)


class _Reader(ClientReader):
    """The shared reader, and what the client sends after its last message."""

    def rest(self, seconds: float) -> bytes:
        """What else comes until the client closes (at most `seconds`)."""
        deadline = time.monotonic() + seconds
        out, self.buffer = self.buffer, b""
        while (left := deadline - time.monotonic()) > 0:
            self.conn.settimeout(left)
            try:
                data = self.conn.recv(65536)
            except (TimeoutError, OSError):
                break
            if not data:
                break
            out += data
        return out


_LITERALS = {12: b"xorServerAck", 14: b"aesAck", 17: b"send_aes_nonceNa", 20: b"LnACK",
             23: b"File delivered"}  # fmt: skip


def _serve(
    listener: socket.socket, password: bytes, content: bytes, digest: bytes | None,
    silence: float = 0.0,
) -> _Log:
    """One honest eke/0 server session by the table (a fresh exponent and Ns), with
    `digest` as message 24; then it reads on to the client's close. With no `digest`:
    no message 24 — `silence` seconds without a byte (what the client sends meanwhile
    is read and dropped), then the server's close."""
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
                if number != 14 and reader.buffer:  # 15 follows 14 unasked
                    log.extra[number] = reader.buffer
                    reader.buffer = b""

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
            if digest is None:
                reader.rest(silence)
                return log
            conn.sendall(digest)
            conn.shutdown(socket.SHUT_WR)  # message 24 is the server's last
            tail = reader.rest(TAIL)
            if tail:
                log.extra[23] = log.extra.get(23, b"") + tail
        except (OSError, ValueError) as exc:
            log.error = f"{type(exc).__name__}: {exc}"
    return log


@dataclass
class _Run:
    log: _Log
    saved: bytes | None
    succeeded: bool
    how: str
    stderr: str


def _run(target: LegacyEkeTarget, tmp_path: Path, content: bytes, digest: bytes) -> _Run:
    served, done, saved = run_eke0_client(
        target,
        tmp_path,
        lambda listener: _serve(listener, target.password.encode(), content, digest),
        serve_extra=TAIL,
    )
    log = served or _Log(error="the suite's server did not finish")
    return _Run(log, saved, done.succeeded, done.success_evidence(), done.stderr[-400:])


def _judged(run: _Run, step: int) -> None:
    """A client that deviated before (its format case reports it) or never got to `step`
    says nothing here: skipped, or a harness error when the suite's server failed."""
    if run.log.deviation:
        pytest.skip(f"the client deviates from the format ({run.log.deviation}): see its case")
    if 1 in run.log.got and 17 not in run.log.got and run.log.error:
        pytest.skip(
            f"not judged: the client stopped an honest exchange after its message "
            f"{max(run.log.got)} ({run.log.error}), before message 17 (the format cases "
            "say why)"
        )
    if step not in run.log.got:
        if run.log.error.startswith(("ValueError: message", "TimeoutError")):
            # A client that misread or stalled on an honest message before the attacked
            # step: the format cases (test_the_client_speaks_the_format) report it.
            pytest.skip(f"not judged: {run.log.error} (the format cases report it)")
        raise HarnessError(
            f"the client did not get to message {step}: the suite's server saw messages "
            f"{sorted(run.log.got)} ({run.log.error or 'no error'}); the client {run.how}; "
            f"stderr: {run.stderr!r}"
        )


def _sha1(data: bytes) -> bytes:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest().encode()


@pytest.mark.req("LEG-EKE-FMT-1")
def test_no_byte_follows_the_clients_acks(eke_legacy: LegacyEkeTarget, tmp_path: Path) -> None:
    """An honest session (a 700-byte file, its right digest): after messages 12, 17, 20
    and 23 the client waits for the server (or, after 23, closes), so nothing may follow
    them on the wire."""
    content = os.urandom(700)
    run = _run(eke_legacy, tmp_path, content, _sha1(content))
    _judged(run, 23)
    if run.log.extra:
        extra = "; ".join(
            f"after message {n} ({_LITERALS[n].decode()!r}): {data[:16]!r} ({len(data)} bytes)"
            for n, data in sorted(run.log.extra.items())
        )
        _fail(
            "LEG-EKE-FMT-1 (acks are the exact ASCII strings, without terminator; messages in "
            "the order of the table)",
            f"the client sent bytes no message of the table has, {extra}; the client {run.how}",
        )


@pytest.mark.req("LEG-EKE-FMT-6")
def test_a_digest_cut_short_is_no_match(eke_legacy: LegacyEkeTarget, tmp_path: Path) -> None:
    """Message 24 as the first 20, then the first 39, hex digits of the right SHA-1, then
    the server's close: neither is the SHA-1 of the file (40 digits); the client MUST NOT
    keep the file and MUST report the failure."""
    kept: list[str] = []
    for digits in (20, 39):
        content = os.urandom(900)
        cut = _sha1(content)[:digits]
        run = _run(eke_legacy, tmp_path / f"cut-{digits}", content, cut)
        _judged(run, 23)
        if run.succeeded or run.saved is not None:
            what = "kept the file" if run.saved == content else (
                "saved nothing" if run.saved is None else f"saved {len(run.saved)} bytes"
            )  # fmt: skip
            kept.append(f"message 24 {cut.decode()!r} ({digits} digits): the client {run.how} "
                        f"and {what}")  # fmt: skip
    assert not kept, (
        "LEG-EKE-FMT-6 (the client MUST compare message 24 with the SHA-1 of what it "
        "received — 40 hex digits — and MUST NOT keep a file whose digest differs, and "
        "report the failure): " + "; ".join(kept)
    )
