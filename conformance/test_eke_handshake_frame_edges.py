"""sft-eke/1: the clear handshake frames at their edges (docs/SPEC.md §1, §2, §5.3).

Before the record phase the server reads and writes plain frames; these cases judge what
a first-draft frame loop gets wrong there, where the honest login never looks:

- FRM-7: a connection that ends inside a frame is a failed connection, never a complete
  frame. An EKE1 (or, after EKE2, the account's honest EKE3) whose header announces more
  bytes than follow, then the client's FIN: a reader whose "read exactly n" returns short
  at EOF parses what came and answers EKE2 (EKE4). Nothing but a fatal EROR or the close
  may answer it.
- ERR-8: a malformed EROR (no `code`, a string, a fraction, a negative number, not an
  object) still ends the connection. Sent before EKE1 (or before EKE3) together with the
  EKE1 (EKE3) after it: an EKE2 (EKE4) means the EROR was skipped.
- FRM-9: an EKE1 without `user`, its user name under another member (`username`,
  `name`, `login`, `User`: what older or other clients call it), is malformed: `bad_frame`
  (or `auth_failed`, FRM-16), never EKE2.
- FRM-1 / FRM-14: a frame is its header and exactly `length` bytes, no separator. A clear
  EROR (bad_frame, unexpected_frame, auth_failed, timeout) is followed by the close and
  nothing else: a CR LF written after it ("one message per line") is a broken frame.

The account's cases end with an honest login (EKE-THR-4), so the failures they may cause
do not reach the other cases.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import pytest

from conformance import eke
from conformance.eke_channel import connect_raw
from conformance.eke_support import SourceAddresses, Victim, ghost_user, start_handshake
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    RawConnection,
    ReceivedFrame,
    TimedOut,
    deadline_after,
    frame_bytes,
)

pytestmark = pytest.mark.xdist_group("eke-victim")

_FATAL_NAMES = {
    "bad_frame", "frame_too_large", "unexpected_frame", "auth_failed", "timeout", "internal",
}


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.handshake_timeout + 2.0))


def _half_close(raw: RawConnection) -> None:
    try:
        raw.sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    raw.transcript.add("event", note="the suite ended its side (FIN)")


def _refused(event: Any) -> bool:
    """A fatal EROR or the close: what may answer a broken frame."""
    if isinstance(event, Closed):
        return True
    return isinstance(event, ReceivedFrame) and event.error_name in _FATAL_NAMES


def _answered(raw: RawConnection, timeout: float) -> Any:
    """The first thing the server sends (or its close, or nothing until the deadline)."""
    return raw.recv_frame(deadline_after(timeout))


def _cut(frame_type: bytes, obj: dict[str, Any], extra: int) -> bytes:
    """`frame_type` with a header announcing `extra` bytes more than the payload sent."""
    payload = json.dumps(obj, separators=(",", ":")).encode()
    return frame_bytes(frame_type, payload, length=len(payload) + extra)


# -- FRM-7 -------------------------------------------------------------------------------


@pytest.mark.req("FRM-7")
@pytest.mark.parametrize("extra", [1, 64])
def test_eke1_cut_by_eof_is_not_a_frame(
    eke_target: Target, eke_sources: SourceAddresses, extra: int
) -> None:
    timeout = _timeout(eke_target)
    user = ghost_user()
    client = eke.ClientHandshake(user=user, pw=bytes(32))
    raw = connect_raw(
        eke_target.host, eke_target.port, timeout=timeout, name="eke1 cut by eof",
        source=eke_sources.fresh(),
    )
    try:
        raw.send_raw(_cut(b"EKE1", client.eke1(), extra))
        _half_close(raw)
        event = _answered(raw, timeout)
        if isinstance(event, ReceivedFrame) and event.type == b"EKE2":
            raise ConformanceFailure(
                f"FRM-7: an EKE1 whose header announced {extra} byte(s) more than arrived "
                "before our FIN was answered EKE2: the server took the bytes that came for "
                "a complete frame (a read that returns short at the end of the stream).\n"
                f"Transcript:\n{raw.transcript.tail()}",
                violates=("FRM-7",),
            )
        if not _refused(event) and not isinstance(event, TimedOut):
            raise ConformanceFailure(
                f"FRM-7: an EKE1 cut by EOF was answered {event.describe()}, not with a fatal "
                f"EROR or the close.\nTranscript:\n{raw.transcript.tail()}",
                violates=("FRM-7",),
            )
    finally:
        raw.close()


@pytest.mark.req("FRM-7")
def test_honest_eke3_cut_by_eof_is_not_a_frame(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses
) -> None:
    timeout = _timeout(eke_target)
    hs = start_handshake(
        eke_target, eke_victim.user, eke_victim.pw, source=eke_sources.fresh(), timeout=timeout
    )
    try:
        event = hs.receive_eke2(timeout)
        if hs.eke2 is None:
            pytest.skip(f"no EKE2 for the account's EKE1 (cannot test): {event.describe()}")
        eke3 = hs.client.on_eke2(hs.eke2)
        hs.raw.send_raw(_cut(b"EKE3", eke3, 1))
        _half_close(hs.raw)
        answer = _answered(hs.raw, timeout)
        if isinstance(answer, ReceivedFrame) and answer.type == b"EKE4":
            raise ConformanceFailure(
                "FRM-7: the account's honest EKE3 in a frame whose header announced one byte "
                "more than arrived before our FIN was answered EKE4: a frame cut by the end "
                f"of the stream was taken as complete.\nTranscript:\n{hs.raw.transcript.tail()}",
                violates=("FRM-7",),
            )
        if not _refused(answer) and not isinstance(answer, TimedOut):
            raise ConformanceFailure(
                f"FRM-7: an EKE3 cut by EOF was answered {answer.describe()}",
                violates=("FRM-7",),
            )
    finally:
        hs.close()
        eke_victim.reset(eke_sources)


# -- ERR-8 -------------------------------------------------------------------------------

_MALFORMED_ERORS: dict[str, bytes] = {
    "no code": b'{"name":"internal","message":"conformance"}',
    "code as a string": b'{"code":"11","name":"internal","message":"conformance"}',
    "code with a fraction": b'{"code":4.5,"name":"auth_failed","message":"conformance"}',
    "negative code": b'{"code":-1,"name":"internal","message":"conformance"}',
    "code true": b'{"code":true,"name":"bad_frame","message":"conformance"}',
    "not an object": b'["code",11]',
}


@pytest.mark.req("ERR-8")
@pytest.mark.parametrize("form", list(_MALFORMED_ERORS))
def test_malformed_eror_before_eke1_ends_the_login(
    eke_target: Target, eke_sources: SourceAddresses, form: str
) -> None:
    timeout = _timeout(eke_target)
    client = eke.ClientHandshake(user=ghost_user(), pw=bytes(32))
    raw = connect_raw(
        eke_target.host, eke_target.port, timeout=timeout, name=f"eror ({form}) then eke1",
        source=eke_sources.fresh(),
    )
    try:
        raw.send_raw(
            frame_bytes(b"EROR", _MALFORMED_ERORS[form])
            + frame_bytes(b"EKE1", json.dumps(client.eke1()).encode())
        )
        event = _answered(raw, timeout)
        if isinstance(event, ReceivedFrame) and event.type == b"EKE2":
            raise ConformanceFailure(
                f"ERR-8: an EROR with {form} followed by an EKE1 was answered EKE2: the "
                "malformed EROR was skipped as if it had not come (it ends the connection, "
                "answered bad_frame or not).\n"
                f"Transcript:\n{raw.transcript.tail()}",
                violates=("ERR-8",),
            )
    finally:
        raw.close()


@pytest.mark.req("ERR-8")
@pytest.mark.parametrize("form", ["no code", "code as a string"])
def test_malformed_eror_before_eke3_ends_the_login(
    eke_target: Target, eke_victim: Victim, eke_sources: SourceAddresses, form: str
) -> None:
    timeout = _timeout(eke_target)
    hs = start_handshake(
        eke_target, eke_victim.user, eke_victim.pw, source=eke_sources.fresh(), timeout=timeout
    )
    try:
        event = hs.receive_eke2(timeout)
        if hs.eke2 is None:
            pytest.skip(f"no EKE2 for the account's EKE1 (cannot test): {event.describe()}")
        eke3 = hs.client.on_eke2(hs.eke2)
        hs.raw.send_raw(
            frame_bytes(b"EROR", _MALFORMED_ERORS[form])
            + frame_bytes(b"EKE3", json.dumps(eke3).encode())
        )
        answer = _answered(hs.raw, timeout)
        if isinstance(answer, ReceivedFrame) and answer.type == b"EKE4":
            raise ConformanceFailure(
                f"ERR-8: an EROR with {form} between EKE2 and the account's honest EKE3 was "
                "skipped: the EKE3 was answered EKE4 (a malformed EROR still ends the "
                f"connection).\nTranscript:\n{hs.raw.transcript.tail()}",
                violates=("ERR-8",),
            )
    finally:
        hs.close()
        eke_victim.reset(eke_sources)


# -- FRM-9 -------------------------------------------------------------------------------


@pytest.mark.req("FRM-9")
@pytest.mark.parametrize("member", ["username", "name", "login", "User"])
def test_eke1_without_user_is_malformed(
    eke_target: Target, eke_sources: SourceAddresses, member: str
) -> None:
    timeout = _timeout(eke_target)
    client = eke.ClientHandshake(user=ghost_user(), pw=bytes(32))
    message = client.eke1()
    message = {member: message["user"], "a": message["a"]}
    raw = connect_raw(
        eke_target.host, eke_target.port, timeout=timeout, name=f"eke1 with {member}",
        source=eke_sources.fresh(),
    )
    try:
        raw.send_frame(b"EKE1", message)
        event = _answered(raw, timeout)
        ok = isinstance(event, ReceivedFrame) and event.error_name in ("bad_frame", "auth_failed")
        if not ok:
            raise ConformanceFailure(
                f"Expected: EROR bad_frame (or auth_failed, FRM-16) to an EKE1 without `user`, "
                f"its name under {member!r} (FRM-9: a required member is missing)\n"
                f"Actual:   {event.describe()}\nTranscript:\n{raw.transcript.tail()}",
                violates=("FRM-9",),
            )
    finally:
        raw.close()


# -- FRM-1 -------------------------------------------------------------------------------


def _provoke(kind: str, target: Target, raw: RawConnection) -> None:
    if kind == "bad_frame":
        raw.send_frame(b"EKE1", b"{not json")
    elif kind == "unexpected_frame":
        raw.send_frame(b"RQFL", {"name": "hello.txt"})
    elif kind == "auth_failed":
        client = eke.ClientHandshake(user=ghost_user(), pw=bytes(32))
        raw.send_frame(b"EKE1", client.eke1())
        event = raw.recv_frame(deadline_after(_timeout(target)))
        if not (isinstance(event, ReceivedFrame) and event.type == b"EKE2"):
            pytest.skip(f"no EKE2 to fail (cannot test): {event.describe()}")
        obj = event.json()
        assert obj is not None
        raw.send_frame(b"EKE3", client.on_eke2(obj, verify=False))
    # "timeout": send nothing


@pytest.mark.req("FRM-1", "FRM-14")
@pytest.mark.parametrize("kind", ["bad_frame", "unexpected_frame", "auth_failed", "timeout"])
def test_clear_eror_is_followed_by_nothing(
    eke_target: Target, eke_sources: SourceAddresses, kind: str
) -> None:
    if kind == "timeout" and eke_target.limits.handshake_timeout > 5.0:
        pytest.skip("handshake timeout above 5 s: the other clear EROR cases judge the form")
    timeout = _timeout(eke_target)
    raw = connect_raw(
        eke_target.host, eke_target.port, timeout=timeout, name=f"clear eror {kind}",
        source=eke_sources.fresh(),
    )
    try:
        _provoke(kind, eke_target, raw)
        event = raw.recv_frame(deadline_after(timeout))
        if not (isinstance(event, ReceivedFrame) and event.error_name == kind):
            pytest.skip(f"no EROR {kind} to judge: {event.describe()}")
        # What follows the EROR: the close, nothing before it (2 s: ERR-3's allowance).
        started = time.monotonic()
        after = raw.recv_frame(deadline_after(2.0))
        extra = b""
        if isinstance(after, ReceivedFrame):
            extra = after.raw
        elif isinstance(after, Closed | TimedOut):
            extra = after.partial
        if extra:
            raise ConformanceFailure(
                f"FRM-1: the clear EROR {kind} is followed by {len(extra)} byte(s) "
                f"{extra[:16]!r} before the close (after {time.monotonic() - started:.2f} s): "
                "a frame is its 8-byte header and exactly `length` bytes, with no separator "
                "(FRM-14: a sender emits no such bytes).\n"
                f"Transcript:\n{raw.transcript.tail()}",
                violates=("FRM-1",),
            )
    finally:
        raw.close()
