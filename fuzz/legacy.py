"""Fuzzing the legacy profiles (sft-pki/0, sft-eke/0), which are insecure by design.

The same oracles as for v1 — nothing secret in clear, no file from outside the share,
no hang, the next honest client served — run over the seeds' wire formats, spoken
with the conformance toolkit's legacy vocabulary (`conformance.legacy`). Against the
legacy reference they must find real failures (LEG-GEN-2): that is what
`fuzz/test_legacy.py` asserts.

A legacy case is a `Case` with profile `pki-legacy` or `eke-legacy` and stage
`connect`; its `extra` holds the logical input (the requested name, the user), so
that a replay re-encrypts it for the responder's current key.

A session does not half-close (TCP FIN after its writes) unless the case asks for it
(`extra["half_close"]`): a real requester keeps its side open and waits, so a
responder that keeps reading after a complete request (a missing file, garbage, an
oversize header) and never answers nor closes leaves it waiting forever. That is a
finding (LIM-5, LEG-PKI-8 class), found by a bounded wait. Where the case itself left
a frame incomplete, the responder may wait for the rest: that wait is no finding and
is cut short (`_OWED_NOTHING_WAIT`).
"""

from __future__ import annotations

import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from Crypto.PublicKey import RSA

from fuzz.cases import Case, Write
from fuzz.oracles import Secrets, Violation, nothing_secret_in_clear

__all__ = [
    "LegacyOutcome",
    "HANG_PATIENCE",
    "LegacyPkiIdentity",
    "owed_after",
    "run_pki_legacy",
    "run_eke_legacy",
    "judge",
]

_RECV = 65536
_MAX = 4 * 1024 * 1024
_OAEP_MAX = 190
_LEGACY_LIMIT = 65536  # the reference closes at a header announcing more (§7.4)
_OWED_NOTHING_WAIT = 2.0  # a responder still owed bytes of a frame may wait; no verdict
# A responder that owes an answer and sends nothing for this long is hung (as the
# conformance cases' PATIENCE): an honest one answers a request at once.
HANG_PATIENCE = 4.0


@dataclass
class LegacyOutcome:
    case: Case
    received: bytes = b""
    pieces: list[bytes] = field(default_factory=list)
    hung: bool = False
    closed: bool = False
    detail: str = ""
    # What the responder owed when the session went quiet: "" when the case left a frame
    # incomplete (it may wait for the rest), else what it was sent last.
    owed: str = "an answer to the request"

    def signature(self) -> str:
        end = "hang" if self.hung else ("close" if self.closed else "open")
        return f"{len(self.pieces)} pieces, {len(self.received)} bytes <{end}>"


@dataclass(frozen=True)
class LegacyPkiIdentity:
    certificate_pem: bytes
    key_pem: bytes

    @property
    def key(self) -> RSA.RsaKey:
        return RSA.import_key(self.key_pem)


def _recv_all(
    sock: socket.socket, deadline: float, out: LegacyOutcome, idle: float = HANG_PATIENCE
) -> None:
    """Until the close; hung when nothing arrives for `idle` s or the deadline passes."""
    buf = bytearray()
    while len(buf) < _MAX:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            out.hung = True
            break
        sock.settimeout(min(remaining, idle))
        try:
            data = sock.recv(_RECV)
        except TimeoutError:
            out.hung = True
            break
        except OSError:
            data = b""
        if not data:
            out.closed = True
            break
        buf += data
    out.received = bytes(buf)


def owed_after(sent: bytes) -> str:
    """What a responder owes after `sent` (the bytes after SECE): "" if the last frame
    is incomplete and announces at most the reference's limit (waiting for its rest is
    legitimate), else a description of what it was sent."""
    offset, last = 0, "a complete RQFL"
    while offset < len(sent):
        if len(sent) - offset < 8:
            return ""  # a partial header: the responder may wait for the rest
        ftype, length = struct.unpack("!4sL", sent[offset : offset + 8])
        if ftype not in (b"SECE", b"RSCV", b"RSCI", b"RQFL", b"RSFL"):
            return f"a frame of unknown type {ftype!r}"
        if length > _LEGACY_LIMIT:
            return f"a {ftype.decode()} header announcing {length} bytes (over 64 KiB)"
        if offset + 8 + length > len(sent):
            return ""
        last = f"a complete {ftype.decode()} frame"
        offset += 8 + length
    return last


def _frames(data: bytes) -> list[tuple[bytes, bytes]]:
    frames = []
    offset = 0
    while len(data) - offset >= 8:
        ftype, length = struct.unpack("!4sL", data[offset : offset + 8])
        if offset + 8 + length > len(data):
            break
        frames.append((ftype, data[offset + 8 : offset + 8 + length]))
        offset += 8 + length
    return frames


def run_pki_legacy(
    host: str, port: int, identity: LegacyPkiIdentity, case: Case, deadline: float
) -> LegacyOutcome:
    """SECE, wait for RSCV, then the case's writes (RQFL built for `extra["name"]` when
    the write is empty), half-close only if `extra["half_close"]`, and read every RSFL
    until the close or the deadline."""
    from conformance.legacy.pki0 import oaep_encrypt, read_certificate

    out = LegacyOutcome(case)
    with socket.create_connection((host, port), timeout=deadline) as sock:
        sock.sendall(struct.pack("!4sL", b"SECE", len(identity.certificate_pem)))
        sock.sendall(identity.certificate_pem)
        head = _read_frame(sock, time.monotonic() + deadline)
        if head is None or head[0] != b"RSCV":
            out.detail = "no RSCV"
            out.closed = True
            return out
        responder = read_certificate(head[1])
        sent = bytearray()
        for write in case.writes:
            data = write.data
            if not data:
                name = str(case.extra.get("name", ""))
                # RSA-2048 OAEP-SHA256 carries at most 190 bytes: the seed's own limit.
                plain = name.encode("utf-8", "replace")[:_OAEP_MAX]
                ciphertext = oaep_encrypt(responder.public_key, plain)
                data = struct.pack("!4sL", b"RQFL", len(ciphertext)) + ciphertext
            try:
                sock.sendall(data)
            except OSError:
                break
            sent += data
        out.owed = owed_after(bytes(sent))
        if case.extra.get("half_close"):
            out.owed = out.owed or "an answer or a close after our FIN"
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        idle = HANG_PATIENCE if out.owed else _OWED_NOTHING_WAIT
        _recv_all(sock, time.monotonic() + deadline, out, min(idle, deadline))
    key = identity.key
    from conformance.legacy.pki0 import oaep_decrypt

    for ftype, payload in _frames(out.received):
        if ftype == b"RSFL":
            try:
                out.pieces.append(oaep_decrypt(key, payload))
            except ValueError:
                out.detail = "an RSFL piece did not decrypt"
    return out


def _read_frame(sock: socket.socket, deadline: float) -> tuple[bytes, bytes] | None:
    buf = bytearray()
    while True:
        if len(buf) >= 8:
            ftype, length = struct.unpack("!4sL", buf[:8])
            if length > _MAX:
                return None
            if len(buf) >= 8 + length:
                return bytes(ftype), bytes(buf[8 : 8 + length])
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        sock.settimeout(remaining)
        try:
            data = sock.recv(_RECV)
        except OSError:
            return None
        if not data:
            return None
        buf += data


def run_eke_legacy(
    host: str, port: int, password: str, case: Case, deadline: float
) -> LegacyOutcome:
    """The seed's client exchange; `extra` may replace the user, the password sent, or
    skip steps; the case's writes are then sent raw (as extra messages), then EOF."""
    from conformance.legacy.eke0 import EkeClient
    from conformance.legacy.stream import Closed, LegacyStream, TimedOut

    out = LegacyOutcome(case)
    extra: dict[str, Any] = dict(case.extra)
    stream = LegacyStream(host, port, deadline)
    try:
        client = EkeClient(stream, password.encode())
        sent_password = extra.get("password")
        answer = client.login(
            str(extra.get("user", "yash101")).encode(),
            None if sent_password is None else str(sent_password).encode(),
        )
        steps = int(extra.get("steps", 4))
        if answer == b"Authenticated" and steps >= 2:
            client.group()
            if steps >= 3:
                client.exchange()
            if steps >= 4:
                client.confirm()
                client.transfer()
        for write in case.writes:
            stream.send(write.data)
        out.closed = True
    except Closed:
        out.closed = True
    except TimedOut:
        out.hung = True
    except (OSError, ValueError, KeyError) as exc:
        out.detail = f"{type(exc).__name__}: {exc}"
        out.closed = True
    finally:
        out.received = bytes(stream.received)
        stream.close()
    return out


def judge(out: LegacyOutcome, secrets: Secrets, deadline: float) -> list[Violation]:
    """The v1 oracles that apply to a legacy session."""
    found: list[Violation] = []
    if out.hung and out.owed:
        name = out.case.extra.get("name")
        about = f" (requested {name!r})" if name is not None else ""
        found.append(
            Violation(
                "LIM-5",
                f"after {out.owed}{about} the responder sent nothing and did not close for "
                f"{min(HANG_PATIENCE, deadline):.1f} s: a requester that waits is stuck forever",
            )
        )
    # Everything a legacy target sends is outside any secure channel.
    clear = Case(out.case.profile, "connect", (Write(b""),))
    from fuzz.runner import Outcome

    found += nothing_secret_in_clear(Outcome(clear, clear_bytes=out.received), secrets)
    content = b"".join(out.pieces)
    if secrets.canary and secrets.canary[:32] in content:
        name = out.case.extra.get("name")
        found.append(
            Violation("APP-NAME-4", f"requested {name!r} and received a file outside the share")
        )
    return found
