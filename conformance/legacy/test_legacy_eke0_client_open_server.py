"""Profile eke-legacy: the client against a server that keeps its connection (§7.3.3).

The seed's server sends message 19 (the file length, at most 16 digits) as one short
write and then waits for `LnACK`; after message 24 it waits for message 1 of a new login
on the same connection ("After 24 the server waits for message 1 again; the client
closes"). The suite's other client cases play a server that closes right after message
24, so a client can pass them and still depend on that close:
- read message 19 as a fixed 16 bytes ("at most 16 digits"), or up to a delimiter, where
  it is the rest of one read (LEG-EKE-FMT-2): it waits for bytes the server never sends,
  while the server waits for `LnACK`;
- after message 24, wait for the server's close before it keeps the file or ends
  ("nothing may follow the digest"): against the seed's server, which waits for message
  1, neither side ever moves (LEG-EKE-FMT-1: the client closes after 24; LEG-EKE-FMT-6:
  the client reports the outcome of the comparison).
Here an honest session (a fresh exponent and Ns, the right digest) is served that way:
message 19 as one short write, then a bounded wait for `LnACK`; after message 24 the
connection is held open, and the client MUST close within the bound with the file kept.
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

# How long the suite's server waits for the client's next message, or for its close after
# message 24: far longer than a client needs on loopback (a bound, not a synchronisation).
PATIENCE = 5.0
# Between the messages the seed sends back to back (10+11, 18+19, 21+22): apart, so that a
# client reading one message per recv() reads each alone. A probe, not a synchronisation.
APART = 0.2

_LITERALS = {12: b"xorServerAck", 14: b"aesAck", 17: b"send_aes_nonceNa", 20: b"LnACK",
             23: b"File delivered"}  # fmt: skip


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


@dataclass
class _Log:
    got: dict[int, bytes] = field(default_factory=dict)
    error: str = ""
    deviation: str = ""  # a client message off the table (its format case reports it)
    silent_after_19: bool = False  # no LnACK within PATIENCE of message 19
    open_after_24: float | None = None  # seconds the client held the connection after 24
    tail: bytes = b""  # what the client sent after message 23


def _serve(listener: socket.socket, password: bytes, content: bytes) -> _Log:
    log = _Log()
    try:
        conn, _ = listener.accept()
    except OSError as exc:
        log.error = f"the client never connected ({exc})"
        return log
    with conn:
        try:
            conn.settimeout(10)
            reader = ClientReader(conn)

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
            conn.sendall(str(len(content)).encode())  # 19: one short write
            conn.settimeout(PATIENCE)
            try:
                literal(20)
            except TimeoutError:
                log.silent_after_19 = True
                return log
            conn.settimeout(10)
            conn.sendall(b"ok")
            time.sleep(APART)
            conn.sendall(content)
            literal(23)
            conn.sendall(hashlib.sha1(content, usedforsecurity=False).hexdigest().encode())
            # The seed's server now waits for message 1 of a new login: the connection stays
            # open; the client closes (bounded by PATIENCE).
            start = time.monotonic()
            conn.settimeout(PATIENCE)
            tail = reader.buffer
            reader.buffer = b""
            try:
                while data := conn.recv(65536):
                    tail += data
                    if time.monotonic() - start > PATIENCE:
                        raise TimeoutError
            except TimeoutError:
                log.open_after_24 = time.monotonic() - start
            log.tail = tail
        except (OSError, ValueError) as exc:
            log.error = f"{type(exc).__name__}: {exc}"
    return log


@dataclass
class _Run:
    log: _Log
    content: bytes
    saved: bytes | None
    succeeded: bool
    how: str


def _run(target: LegacyEkeTarget, tmp_path: Path, content: bytes) -> _Run:
    served, done, saved = run_eke0_client(
        target,
        tmp_path,
        lambda listener: _serve(listener, target.password.encode(), content),
        serve_extra=2 * PATIENCE,
    )
    log = served or _Log(error="the suite's server did not finish")
    return _Run(log, content, saved, done.succeeded, done.success_evidence())


def _judged(run: _Run, step: int) -> None:
    """A client that deviated before (its format case reports it) or never got to `step`
    says nothing here (skipped)."""
    if run.log.deviation:
        pytest.skip(f"the client deviates from the format ({run.log.deviation}): see its case")
    if step not in run.log.got:
        # A client that stopped an honest exchange earlier (or a suite server that
        # failed) says nothing about this case: test_legacy_eke0*.py's format cases
        # report why the exchange stopped.
        pytest.skip(
            f"not judged: the client did not get to message {step}: the suite's server saw "
            f"messages {sorted(run.log.got)} ({run.log.error or 'no error'}); the client "
            f"{run.how}"
        )


@pytest.fixture(scope="module")
def open_run(eke_legacy: LegacyEkeTarget, tmp_path_factory: pytest.TempPathFactory) -> _Run:
    """One honest session against the seed-like server (both cases judge it)."""
    return _run(eke_legacy, tmp_path_factory.mktemp("open-server"), os.urandom(1500))


@pytest.mark.req("LEG-EKE-FMT-2")
def test_a_short_message_19_is_answered(open_run: _Run) -> None:
    """Message 19 (4 digits) in one write, then the server waits: the client takes it as
    the rest of one read and MUST answer `LnACK`."""
    if open_run.log.silent_after_19:
        _fail(
            "LEG-EKE-FMT-2 (a receiver takes message 19 as the rest of one read, at most 16 bytes)",
            f"message 19 {str(len(open_run.content)).encode()!r} came in one write after "
            f"message 18; the client sent nothing within {PATIENCE} s (no LnACK): it waited "
            f"for more than the message has; the client then {open_run.how}",
        )
    _judged(open_run, 20)


@pytest.mark.req("LEG-EKE-FMT-1", "LEG-EKE-FMT-6")
def test_the_client_closes_after_message_24(open_run: _Run) -> None:
    """After message 24 (the right digest) the server holds the connection open, as the
    seed's does (it waits for message 1): the client MUST close within the bound and keep
    the file (a non-zero exit or no file for a matching digest is the failure too)."""
    if open_run.log.silent_after_19:
        pytest.skip("not judged: the client did not answer message 19 (its case reports it)")
    _judged(open_run, 23)
    content = open_run.content
    if open_run.log.open_after_24 is not None:
        _fail(
            "LEG-EKE-FMT-1 (after message 24 the client closes), LEG-EKE-FMT-6",
            f"after message 24 (the right SHA-1) the suite's server held the connection open "
            f"as the seed's does: the client had not closed after {PATIENCE} s — it waits for "
            f"the server's close, which the seed's server never sends; once the suite closed, "
            f"the client {open_run.how}",
        )
    if not (open_run.succeeded and open_run.saved == content):
        what = "saved nothing" if open_run.saved is None else (
            f"saved {len(open_run.saved)} other bytes" if open_run.saved != content
            else "saved the file"
        )  # fmt: skip
        _fail(
            "LEG-EKE-FMT-6 (a matching digest: the client keeps the file and reports success)",
            f"an honest session ({len(content)} bytes, the right SHA-1), the connection held "
            f"open after message 24: the client closed but {open_run.how} and {what}",
        )
