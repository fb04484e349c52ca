"""Profile eke-legacy: the client waits for each answer before its next message (§7.3.3).

sft-eke/0 has no framing: the seed's server takes "whatever one recv returned" as
messages 1, 3, 5, 7 and 9, and the protocol works only because each side answers before
the other sends again (§7.3.1, lock-step with the ack strings). LEG-EKE-FMT-1: messages
MUST be sent in the order of the table — so a client's message n+2 comes after the
server's message n+1, not before it. A client that saves round trips breaks that, and
with it the seed's server, which reads the early message into the current one:
- the password sent right after the user name, before `u_ack` ("u_ack is always sent",
  LEG-EKE-2): the seed reads `name + password` as the user name and waits for a password;
- p (message 5) sent with the password, before message 4 says `Authenticated` ("the
  group does not depend on the verdict"); g with p; message 9 with g;
- `send_aes_nonceNa` with message 15, `LnACK` before message 19, `File delivered`
  before the last byte of the file;
- the answer to the second message of a pair the server sends back to back (10+11,
  18+19, 21+22) sent once the first has arrived ("11 follows 10 anyway"):
  `xorServerAck` before message 11, `LnACK` before message 19, `File delivered` before
  the file.
The other client cases' server reads each message when it expects it, so an early
message just waits in its buffer (or arrives merged, and the message is misread): the
client passes them. Here the suite's honest server, after each client message the client
must wait on (1, 3, 5, 7, 9, 12, 15, 17, 20 and 23 — 14 and 15 are sent back to back by
the table), waits TURN seconds before it answers, and holds the second message of each
back-to-back pair TURN seconds after the first (the table puts no time between them; a
client reads them as two messages either way): bytes that arrive in that time are the
client's next message sent out of turn. A split write of the same message (its bytes in
two segments: LEG-EKE-11's business) is rejoined, not counted.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conformance.legacy import eke0
from conformance.legacy.client_run import run_eke0_client
from conformance.legacy.embedded import LegacyEkeTarget
from conformance.legacy.stream import ClientReader, HarnessError, hexdump

pytestmark = pytest.mark.xdist_group("eke-legacy")

# How long the server holds each answer, watching for an early message: a client that
# pipelines sends it at once; a slower one under load is missed, never falsely judged.
# Thirteen turns: about 2 s a run.
TURN = 0.15
# The server message each watched client message waits for.
NEXT = {1: 2, 3: 4, 5: 6, 7: 8, 9: 10, 12: 13, 15: 16, 17: 18, 20: 21, 23: 24}


@dataclass
class _Log:
    got: dict[int, bytes] = field(default_factory=dict)
    early: str = ""  # the out-of-turn message, described
    error: str = ""
    deviation: str = ""


class _OutOfTurn(Exception):
    pass


def _after(conn: socket.socket, reader: ClientReader) -> bytes:
    """What the client sent beyond the message just read, within TURN seconds."""
    if reader.buffer:
        return reader.buffer
    conn.settimeout(TURN)
    try:
        data = conn.recv(65536)
    except TimeoutError:
        data = b""
    finally:
        conn.settimeout(10)
    reader.buffer += data  # b"": the client closed; the next read says so
    return data


def _complete(number: int, message: bytes, user: bytes, password: bytes) -> bool:
    """Whether `message` is already a whole message `number` (else more bytes may be the
    rest of it, written apart)."""
    if number == 1:
        return message.startswith(user)
    if number == 3:
        return message.startswith(password)
    if number == 5:
        return not str(eke0.P).encode().startswith(message) or message == str(eke0.P).encode()
    if number == 7:
        return True  # g: one digit for the seed's 2; another client's longer g is not split
    return len(message) >= 38  # 9: hide(g^Xa mod p), 38 or 39 bytes for the seed's group


def _segment(
    conn: socket.socket, reader: ClientReader, number: int, user: bytes, password: bytes
) -> bytes:
    """Client message `number` (no length: a segment, rejoined when written apart), then
    the turn: nothing more may come before the server's answer."""
    message = reader.segment()
    for _ in range(64):  # bounded: a message split into many writes
        if _complete(number, message, user, password):
            break
        more = _after(conn, reader)
        if not more:
            break
        message += reader.segment()
    # Two messages merged in one segment: the known value (the user name, the password,
    # the seed's p), or the digits of p or g, then what follows is the next message.
    known = {1: user, 3: password, 5: str(eke0.P).encode()}.get(number)
    if number in (5, 7) and not (known and message.startswith(known)):
        digits = len(message) - len(message.lstrip(b"0123456789"))
        known = message[:digits] if 0 < digits < len(message) else None
    if known is not None and message.startswith(known) and len(message) > len(known):
        reader.buffer, message = message[len(known) :] + reader.buffer, known
    _turn(conn, reader, number)
    return message


def _turn(conn: socket.socket, reader: ClientReader, number: int) -> None:
    early = _after(conn, reader)
    if early:
        raise _OutOfTurn(
            f"after its message {number} the client sent {early[:40]!r} ({len(early)} bytes) "
            f"within {TURN} s, before the server's message {NEXT[number]}"
        )


def _hold(conn: socket.socket, reader: ClientReader, sent: int, held: int) -> None:
    """After the server's message `sent`, the second of a back-to-back pair held: the
    client must not answer `held` before it has it."""
    early = _after(conn, reader)
    if early:
        raise _OutOfTurn(
            f"after the server's message {sent} the client sent {early[:40]!r} "
            f"({len(early)} bytes) within {TURN} s, before the server's message {held} "
            "it answers"
        )


def _serve(listener: socket.socket, user: bytes, password: bytes, content: bytes) -> _Log:
    """One honest eke/0 server session by the table of §7.3.3 that holds each answer TURN
    seconds and records a client message sent out of turn."""
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
            log.got[1] = _segment(conn, reader, 1, user, password)
            conn.sendall(b"u_ack")
            log.got[3] = _segment(conn, reader, 3, user, password)
            conn.sendall(b"Authenticated")
            log.got[5] = _segment(conn, reader, 5, user, password)
            conn.sendall(b"pAck")
            log.got[7] = _segment(conn, reader, 7, user, password)
            conn.sendall(b"gAck")
            log.got[9] = _segment(conn, reader, 9, user, password)
            if not (log.got[5].isdigit() and log.got[7].isdigit()):
                log.deviation = f"messages 5 and 7 are {log.got[5]!r}, {log.got[7]!r}"
                return log
            p, g = int(log.got[5]), int(log.got[7])
            client_public = eke0.reveal(log.got[9], password)
            if client_public is None or p < 3:
                log.deviation = f"message 9 ({hexdump(log.got[9], 8)}) does not reveal digits"
                return log
            for _ in range(64):  # bounded: a key of fewer than 32 digits is 1 in ~10^6
                exponent = secrets.randbelow(p - 3) + 2
                key = str(pow(client_public, exponent, p)).encode()[:32]
                if len(key) == 32:
                    break
            else:
                log.error = "no server exponent gives a 32-digit key"
                return log
            conn.sendall(b"xorAck")
            _hold(conn, reader, 10, 11)
            conn.sendall(eke0.hide(pow(g, exponent, p), password))
            log.got[12] = reader.exact(12)
            _turn(conn, reader, 12)
            ns = secrets.token_hex(16).encode()
            conn.sendall(eke0.aes_cbc_zero_iv(key, ns))
            log.got[14] = reader.exact(6)
            log.got[15] = reader.exact(64)
            _turn(conn, reader, 15)
            conn.sendall(b"clientAesAck")
            log.got[17] = reader.exact(16)
            _turn(conn, reader, 17)
            na = eke0.aes_cbc_zero_iv_decrypt(key, log.got[15])[:16]
            conn.sendall(eke0.aes_cbc_zero_iv(key, na))
            _hold(conn, reader, 18, 19)
            conn.sendall(str(len(content)).encode())
            log.got[20] = reader.exact(5)
            _turn(conn, reader, 20)
            conn.sendall(b"ok")
            _hold(conn, reader, 21, 22)
            conn.sendall(content)
            log.got[23] = reader.exact(14)
            _turn(conn, reader, 23)
            conn.sendall(hashlib.sha1(content, usedforsecurity=False).hexdigest().encode())
        except _OutOfTurn as exc:
            log.early = f"{exc}"
        except (OSError, ValueError) as exc:
            log.error = f"{type(exc).__name__}: {exc}"
    return log


@pytest.mark.req("LEG-EKE-FMT-1")
def test_the_client_sends_each_message_in_its_turn(
    eke_legacy: LegacyEkeTarget, tmp_path: Path
) -> None:
    content = os.urandom(1300)
    user, password = eke_legacy.user.encode(), eke_legacy.password.encode()
    served, done, _ = run_eke0_client(
        eke_legacy, tmp_path, lambda listener: _serve(listener, user, password, content)
    )
    log = served or _Log(error="the suite's server did not finish")
    if log.early:
        pytest.fail(
            "LEG-EKE-FMT-1 (messages MUST be sent in the order of the table: the client's "
            "next message after the server's answer) violated: the suite's server held each "
            f"answer {TURN} s; {log.early} (messages seen: {sorted(log.got)}); the client "
            f"{done.success_evidence()}",
            pytrace=False,
        )
    if log.deviation:
        pytest.skip(f"the client deviates from the format ({log.deviation}): see its case")
    if 1 not in log.got:
        raise HarnessError(f"the client sent nothing: {log.error}; {done.stderr[-300:]!r}")
    if 23 not in log.got:
        pytest.skip(
            f"not judged past its message {max(log.got)}: the client stopped an honest, "
            f"slow exchange ({log.error or 'no error'}; {done.stderr[-200:]!r}); the format "
            "cases say why"
        )
