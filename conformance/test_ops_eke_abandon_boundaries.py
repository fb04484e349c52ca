"""EKE-THR-5 at every byte boundary: a handshake abandoned in the middle of its EKE3 frame.

test_eke_throttling.py abandons handshakes right after EKE2 (nothing of EKE3 sent). A
server can still lose the guess when the client hangs up *inside* EKE3: a reader that
takes "EOF inside a frame" for a client that gave up before guessing (a truncated frame
is an I/O event, not an authentication) ends the handshake without counting it. But the
guess was spent when EKE2 went out (the client could check it on C2 and need never send
a whole EKE3): EKE-THR-5 counts every pending handshake that ends any way but a valid
EKE3, the moment it ends.

Each case: N − 1 plain failures of a fresh user name, then one handshake of that name
abandoned with part of its EKE3 sent (a piece of the header, the whole header, the header
and half the payload) and a FIN, then an EKE1 of the name: it must be throttled. Every
handshake comes from a fresh loopback address, so only the user name's count is judged;
a control run of N plain failures tells a missing count (EKE-THR-1) apart.
"""

from __future__ import annotations

import contextlib
import socket

import pytest

from conformance.eke_support import SourceAddresses, ghost_user, start_handshake
from conformance.target import Target
from conformance.test_eke_throttling import (
    _assert_throttled,
    _fail_once,
    _needs_throttling,
    _plain_failures_throttle,
    _probe,
    _timeout,
)
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
    frame_bytes,
)

pytestmark = pytest.mark.xdist_group("eke-victim")

# How much of the EKE3 frame is sent before the FIN: bytes of the 8-byte header, or the
# header and half of the payload.
_BOUNDARIES = {"header-3-bytes": 3, "header-only": 8, "half-payload": -1}


def _abandon_inside_eke3(
    target: Target, user: str, source: str | None, boundary: int
) -> ReceivedFrame | None:
    """EKE1, EKE2, part of EKE3, FIN; waits for the server's close. Returns an EROR that
    refused the EKE1 (throttled, busy) instead, if one came."""
    timeout = _timeout(target)
    hs = start_handshake(target, user, bytes(32), source=source, timeout=timeout)
    try:
        event = hs.receive_eke2(timeout)
        if isinstance(event, ReceivedFrame) and event.type == b"EROR":
            return event
        if hs.eke2 is None:
            raise ConformanceFailure(
                f"no EKE2 for a handshake to abandon inside EKE3: {event.describe()}"
            )
        eke3 = frame_bytes(b"EKE3", control(hs.client.on_eke2(hs.eke2, verify=False)))
        cut = boundary if boundary > 0 else 8 + (len(eke3) - 8) // 2
        hs.raw.send_raw(eke3[:cut])
        with contextlib.suppress(OSError):
            hs.raw.sock.shutdown(socket.SHUT_WR)
        deadline = deadline_after(timeout)
        for _ in range(4):  # maybe an EROR (bad_frame), then the close
            if isinstance(hs.raw.recv_frame(deadline), (Closed, TimedOut)):
                break
        return None
    finally:
        hs.close()


@pytest.mark.req("EKE-THR-5", "EKE-THR-1")
@pytest.mark.parametrize("boundary", list(_BOUNDARIES), ids=list(_BOUNDARIES))
def test_handshake_abandoned_inside_eke3_is_counted(
    eke_target: Target, eke_sources: SourceAddresses, boundary: str
) -> None:
    """N − 1 failures, then one handshake cut inside its EKE3 frame: the next EKE1 of that
    user name is throttled (EKE-THR-5: the guess was spent when EKE2 was sent)."""
    _needs_throttling(eke_target, eke_sources)
    n = eke_target.limits.throttle_failures
    user = ghost_user()
    for i in range(n - 1):
        early = _fail_once(eke_target, user, eke_sources.fresh())
        if early is not None:
            raise ConformanceFailure(
                f"throttled after {i} failures, the declared limit is {n}: {early.describe()}"
            )
    early = _abandon_inside_eke3(eke_target, user, eke_sources.fresh(), _BOUNDARIES[boundary])
    if early is not None:
        raise ConformanceFailure(
            f"throttled after {n - 1} failures, the declared limit is {n}: {early.describe()}"
        )
    frame, _ = _probe(eke_target, user, bytes(32), eke_sources.fresh())
    _assert_throttled(
        frame,
        f"EKE1 after {n - 1} failed handshakes and one abandoned inside its EKE3 frame "
        f"({boundary}, then a FIN) of one user name: the guess was spent at EKE2 and the "
        "handshake ended without a valid EKE3, so it counts (EKE-THR-5)",
        broken="EKE-THR-5",
        control=lambda: _plain_failures_throttle(eke_target, eke_sources, "user"),
    )
