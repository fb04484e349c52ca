"""Profile eke-legacy: the sft-eke/0 client against servers the seed's own does not cover
(docs/SPEC.md §7.3).

test_legacy_eke0.py's client cases run the client against the suite's server with random
exponents (message 11 is then 38 or 39 digits, by chance) and a 1.5 KB file. A client
written against the seed's server alone can still misread what the table allows:
- message 11 has no length (LEG-EKE-FMT-2): the seed server's 5516 gives 38 digits, other
  exponents 39 (fewer for a few). A client that reads a fixed 38 (or 39) bytes misreads
  the other length. Here the server's exponent is drawn so that message 11 has 38, then
  39 digits, each time written in its own write;
- message 24 is the SHA-1 of the WHOLE file (LEG-EKE-FMT-6; §7.3.3 reads the seed's
  `sha1ofFile` as a digest of the whole file): a client that skips the comparison for an
  empty file, accepts the digest of the first 1024 bytes (the seed's extraction
  artefact) as well, or stops waiting for message 24 after a short time and keeps the
  file, keeps a file its digest does not match.
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
from conformance.legacy.stream import ClientReader, HarnessError, hexdump

pytestmark = pytest.mark.xdist_group("eke-legacy")

# Between the messages the seed sends back to back (10+11, 18+19, 21+22): apart, so that a
# client reading one message per recv() (the seed's; LEG-EKE-11 is its own case) reads
# each alone. A probe of the framing, not a synchronisation.
APART = 0.2
# How late message 24 comes in the late-digest case: longer than a timeout a programmer
# meant in seconds and wrote in milliseconds, far shorter than the client's own patience.
LATE = 2.5


def _fail(ids: str, evidence: str) -> None:
    pytest.fail(f"{ids} violated: {evidence}", pytrace=False)


@dataclass
class _Log:
    got: dict[int, bytes] = field(default_factory=dict)
    error: str = ""
    deviation: str = ""  # the client's message off the table (its format case reports it)
    # The client stopped (closed, or went silent) before message 17, in the part of the
    # exchange every plan serves honestly: what, or '' (message 11's case judges it).
    stopped: str = ""
    server_public: int = 0
    key: bytes = b""


@dataclass(frozen=True)
class _Plan:
    content: bytes
    digest: bytes  # message 24 as sent
    public_digits: int | None = None  # message 11's digits (None: any)
    late: float = 0.0  # seconds between message 23 and message 24


def _server_exponent(p: int, g: int, digits: int | None) -> int:
    for _ in range(10_000):  # bounded; about one draw in two has the wanted length
        x = secrets.randbelow(p - 3) + 2
        if digits is None or len(str(pow(g, x, p))) == digits:
            return x
    raise HarnessError(f"no server exponent with a {digits}-digit public value")


def _serve(listener: socket.socket, password: bytes, plan: _Plan) -> _Log:
    """One honest eke/0 server session by the table of §7.3.3 (a fresh exponent and Ns),
    with `plan`'s message 11 length, file, message 24 and its delay."""
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
            if client_public is None:
                log.deviation = f"message 9 ({hexdump(log.got[9], 8)}) does not reveal digits"
                return log
            exponent = _server_exponent(p, g, plan.public_digits)
            key = str(pow(client_public, exponent, p)).encode()[:32]
            if len(key) != 32:  # ~1e-6 of exponent pairs: no AES key; not the client's fault
                log.error = "the session's key has fewer than 32 digits"
                return log
            log.server_public, log.key = pow(g, exponent, p), key
            conn.sendall(b"xorAck")
            time.sleep(APART)
            conn.sendall(eke0.hide(log.server_public, password))
            log.got[12] = reader.exact(12)
            ns = secrets.token_hex(16).encode()
            conn.sendall(eke0.aes_cbc_zero_iv(key, ns))
            log.got[14] = reader.exact(6)
            log.got[15] = reader.exact(64)
            conn.sendall(b"clientAesAck")
            log.got[17] = reader.exact(16)
            na = eke0.aes_cbc_zero_iv_decrypt(key, log.got[15])[:16]
            conn.sendall(eke0.aes_cbc_zero_iv(key, na))
            time.sleep(APART)
            conn.sendall(str(len(plan.content)).encode())
            log.got[20] = reader.exact(5)
            conn.sendall(b"ok")
            time.sleep(APART)
            conn.sendall(plan.content)
            log.got[23] = reader.exact(14)
            if plan.late and _closed_within(conn, plan.late):
                log.error = f"the client closed in the {plan.late} s before message 24"
                return log
            conn.sendall(plan.digest)
        except (OSError, ValueError) as exc:
            log.error = f"{type(exc).__name__}: {exc}"
            if 1 in log.got and 17 not in log.got:
                last = max(log.got)
                log.stopped = f"after its message {last} ({log.error})"
    return log


def _closed_within(conn: socket.socket, seconds: float) -> bool:
    """Waits up to `seconds` (the late digest's delay): True if the client closed."""
    conn.settimeout(seconds)
    try:
        return conn.recv(1, socket.MSG_PEEK) == b""
    except TimeoutError:
        return False
    except OSError:
        return True
    finally:
        conn.settimeout(10)


@dataclass
class _Run:
    log: _Log
    saved: bytes | None
    succeeded: bool
    how: str
    stderr: str


def _run(target: LegacyEkeTarget, tmp_path: Path, plan: _Plan) -> _Run:
    served, done, saved = run_eke0_client(
        target,
        tmp_path,
        lambda listener: _serve(listener, target.password.encode(), plan),
        serve_extra=plan.late,
    )
    log = served or _Log(error="the suite's server did not finish")
    return _Run(log, saved, done.succeeded, done.success_evidence(), done.stderr[-400:])


def _judged(run: _Run, step: int) -> None:
    """A client that deviated before (its format case reports it) or never got to `step`
    says nothing here: skipped, or a harness error when the suite's server failed."""
    if run.log.deviation:
        pytest.skip(f"the client deviates from the format ({run.log.deviation}): see its case")
    if run.log.stopped:
        pytest.skip(
            f"not judged: the client stopped an honest exchange {run.log.stopped}, before "
            "message 17 (the format cases, and message 11's, say why)"
        )
    if step not in run.log.got and run.log.error.startswith("TimeoutError"):
        # The client stalled on an honest message before the attacked step (the format
        # case, test_the_client_speaks_the_format, reports it): nothing to judge here.
        pytest.skip(f"not judged: the client stalled before message {step} ({run.log.error})")
    if step not in run.log.got:
        raise HarnessError(
            f"the client did not get to message {step}: the suite's server saw messages "
            f"{sorted(run.log.got)} ({run.log.error or 'no error'}); the client {run.how}; "
            f"stderr: {run.stderr!r}"
        )


@pytest.mark.req("LEG-EKE-FMT-2")
@pytest.mark.parametrize("digits", [38, 39])
def test_message_11_of_either_length_is_read_whole(
    eke_legacy: LegacyEkeTarget, tmp_path: Path, digits: int
) -> None:
    content = os.urandom(600)
    plan = _Plan(content, hashlib.sha1(content, usedforsecurity=False).hexdigest().encode(), digits)
    run = _run(eke_legacy, tmp_path, plan)
    if run.log.deviation:
        pytest.skip(f"the client deviates from the format ({run.log.deviation}): see its case")
    if 9 not in run.log.got:
        # Out of turn or no message 9 at all: the format cases judge it (client_turns).
        pytest.skip(
            f"the client sent no message 9 the suite's server could read: "
            f"{run.log.error or 'no error'}; {run.stderr!r} (the format cases judge it)"
        )
    if run.log.error.startswith("the session's key"):
        pytest.skip("not judged: this exponent pair gives no 32-digit key (1 in ~10^6)")
    # Message 11 was read whole iff the client's key is K: its message 15 then decrypts
    # under K to Na (32 ASCII characters) first, whatever it does after.
    if 15 in run.log.got and run.log.key:
        head = eke0.aes_cbc_zero_iv_decrypt(run.log.key, run.log.got[15])[:32]
        if head.isascii() and head.decode().isprintable():
            return
        after = f"its message 15 does not decrypt under K to text ({head!r}): its key is not K"
    else:
        seen = sorted(run.log.got)
        after = f"it sent messages {seen} and no message 15 ({run.log.error or 'no error'})"
    _fail(
        "LEG-EKE-FMT-2 (message 11 has no length: the rest of one read)",
        f"the suite's server sent message 11 of {digits} bytes (g^Xs mod p = "
        f"{run.log.server_public}, {digits} digits) in its own write, {APART} s after "
        f"xorAck: {after}; the client {run.how} and "
        + ("saved nothing" if run.saved is None else f"saved {len(run.saved)} bytes"),
    )


@pytest.mark.req("LEG-EKE-FMT-6")
def test_message_24_is_compared_whatever_the_file(
    eke_legacy: LegacyEkeTarget, tmp_path: Path
) -> None:
    """Digests a careless client takes for a match: any, for an empty file (nothing to
    check); the SHA-1 of the first 1024 bytes of a longer one; a wrong one that comes
    late (after a timeout the client took for 'no digest')."""
    big = os.urandom(3000)
    first_what = "the SHA-1 of its first 1024 bytes (the seed's sha1ofFile read literally)"
    first_digest = hashlib.sha1(big[:1024], usedforsecurity=False).hexdigest().encode()
    empty_wrong = hashlib.sha1(b"not empty", usedforsecurity=False).hexdigest().encode()
    late = os.urandom(1500)
    late_wrong = hashlib.sha1(late[:-1], usedforsecurity=False).hexdigest().encode()
    kept: list[str] = []
    for how, plan in (
        (f"an empty file (length 0), message 24 {empty_wrong.decode()} (not SHA-1(''))",
         _Plan(b"", empty_wrong)),
        (f"a {len(big)}-byte file, message 24 {first_what}", _Plan(big, first_digest)),
        (f"a {len(late)}-byte file, message 24 the SHA-1 of another content, sent {LATE} s "
         "after message 23", _Plan(late, late_wrong, late=LATE)),
    ):  # fmt: skip
        run = _run(eke_legacy, tmp_path / f"run-{len(kept)}-{len(plan.content)}", plan)
        if (
            not (run.log.deviation or run.log.stopped)
            and 23 not in run.log.got
            and (run.succeeded or run.saved is not None)
        ):
            # It ended the exchange before message 23 ("nothing to check" for an empty
            # file), so it never read message 24, and still reported success or kept a
            # file: the comparison LEG-EKE-FMT-6 demands was never made.
            kept.append(
                f"{how}: the client ended the exchange before message 23 (the suite's server "
                f"saw messages {sorted(run.log.got)}), never read message 24, {run.how} and "
                + ("saved nothing" if run.saved is None else f"saved {len(run.saved)} bytes")
            )
            continue
        _judged(run, 23)
        if run.succeeded or run.saved == plan.content:
            what = "kept the file" if run.saved == plan.content else "kept nothing"
            kept.append(f"{how}: the client {run.how} and {what}")
    assert not kept, (
        "LEG-EKE-FMT-6 (the client MUST compare message 24 with the SHA-1 of what it "
        "received; a file that differs MUST NOT be kept, and the failure reported): "
        + "; ".join(kept)
    )
