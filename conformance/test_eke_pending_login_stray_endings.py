"""sft-eke/1: a pending login ended by any frame but a valid EKE3 is a failure (EKE-THR-5).

A password guess is spent when the server sends EKE2; from then on the login is pending
and "ended any other way (a bad EKE3, closed, timed out, anything but a valid EKE3) it
MUST count as a failure". The ways a client can end it are not only a bad EKE3 and a
close: it can send a frame the handshake does not allow there — a BYE_ (the polite
farewell of the record phase), a request (RQFL) as if it were logged in, a second EKE1,
or the server's own EKE2 sent back. A server that takes one of them for a client that
"changed its mind" and ends the login without booking the failure (or that books only
the endings its own error path produces) hands out a free guess per handshake: the
guess was spent at EKE2 whatever came after it.

Each case ends N pending logins of one fresh user name (N: the declared throttle
threshold) with the frame, each from its own fresh loopback address (so only the user
name's count is in play), waiting for the server's close after each (the login has then
ended, and its failure is booked: observed, not slept for); the next EKE1 of that name
must then be answered `throttled`.
"""

from __future__ import annotations

import contextlib
import socket
import time
from typing import Any

import pytest

from conformance.eke_support import (
    PartialHandshake,
    SourceAddresses,
    ghost_user,
    start_handshake,
)
from conformance.plugin import inconclusive, unsupported
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ReceivedFrame,
    TimedOut,
    deadline_after,
)

__all__: list[str] = []

# With the throttling cases: a restart of the server (test_eke_restart.py) while logins are
# held here would end them another way than the one judged.
pytestmark = pytest.mark.xdist_group("eke-victim")


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.idle_timeout * 2))


_NAMES = {
    "BYE_": "a BYE_ {}",
    "RQFL": "a request (RQFL)",
    "EKE1-again": "a second EKE1",
    "EKE2-reflected": "the server's own EKE2 sent back",
}


def _stray(ending: str, hs: PartialHandshake) -> tuple[bytes, dict[str, Any]]:
    """The frame that ends the pending login instead of EKE3."""
    if ending == "BYE_":
        return b"BYE_", {}
    if ending == "RQFL":
        return b"RQFL", {"name": "a.txt"}
    if ending == "EKE1-again":
        return b"EKE1", dict(hs.eke1)
    assert ending == "EKE2-reflected" and hs.eke2 is not None
    return b"EKE2", dict(hs.eke2)


def _end_with(target: Target, hs: PartialHandshake, ending: str) -> str:
    """Sends the stray frame and our FIN, then reads until the server closes: the login
    has ended by then, however the server judged the frame. Returns what it answered."""
    frame_type, payload = _stray(ending, hs)
    hs.raw.send_frame(frame_type, payload)
    with contextlib.suppress(OSError):
        hs.raw.sock.shutdown(socket.SHUT_WR)
    deadline = deadline_after(_timeout(target))
    seen: list[str] = []
    for _ in range(4):
        event = hs.raw.recv_frame(deadline)
        if isinstance(event, Closed):
            return ", ".join(seen) or "the close"
        if isinstance(event, TimedOut):
            raise ConformanceFailure(
                f"the server neither answered nor closed within {_timeout(target):g} s after "
                f"a {frame_type.decode()} in place of EKE3 and the client's FIN: "
                f"{event.describe()}",
                violates=("EKE-THR-5",),
            )
        seen.append(event.describe())
    return ", ".join(seen)


@pytest.mark.req("EKE-THR-5", "EKE-THR-1")
@pytest.mark.parametrize("ending", ["BYE_", "RQFL", "EKE1-again", "EKE2-reflected"])
def test_a_pending_login_ended_by_a_stray_frame_is_a_failure(
    eke_target: Target, eke_sources: SourceAddresses, ending: str
) -> None:
    """N logins of a fresh user name, each ended after EKE2 by `ending` in place of EKE3
    (and the client's FIN); then an EKE1 of that name from a fresh address: `throttled`."""
    if not eke_target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    if not eke_sources.loopback:
        pytest.skip("needs a loopback target to vary the client address")
    limits = eke_target.limits
    n = limits.throttle_failures
    timeout = _timeout(eke_target)
    user = ghost_user()
    answers: list[str] = []
    last_end = time.monotonic()
    for i in range(n):
        hs = start_handshake(
            eke_target, user, bytes(32), source=eke_sources.fresh(), timeout=timeout
        )
        try:
            event = hs.receive_eke2(timeout)
            if hs.eke2 is None:
                raise ConformanceFailure(
                    f"login {i + 1} of {n} of the fresh user name {user!r} from a fresh "
                    f"address (the {i} before it ended by {ending}): no EKE2: "
                    f"{event.describe()}",
                    violates=("EKE-THR-1",) if i == 0 else (),
                )
            answers.append(_end_with(eke_target, hs, ending))
            last_end = time.monotonic()
        finally:
            hs.close()
    probe = start_handshake(
        eke_target, user, bytes(32), source=eke_sources.fresh(), timeout=timeout
    )
    try:
        event = probe.receive_eke2(timeout)
    finally:
        probe.close()
    if isinstance(event, ReceivedFrame) and event.error_name == "throttled":
        return
    waited = time.monotonic() - last_end
    if waited >= limits.throttle_base:
        inconclusive(
            f"the probe's answer came {waited:.2f} s after the last ending, beyond the first "
            f"lock ({limits.throttle_base:g} s): too slow a run to tell ({event.describe()})"
        )
    shown = "EKE2" if probe.eke2 is not None else event.describe()
    raise ConformanceFailure.evidence(
        f"EKE-THR-5: {n} logins of {user!r} (the declared threshold N = {n}), each from its "
        f"own address, each ended after EKE2 by {_NAMES[ending]} in place of EKE3 and "
        f"the client's FIN (the server answered: {answers[-1]}); then "
        f"an EKE1 of {user!r} from a fresh address",
        f"EROR throttled: {n} guesses were spent (each at its EKE2) and none verified",
        f"{shown}: the endings were not counted as failures",
        note=f"a {ending} in place of EKE3 ends the pending login like any other ending but "
        "a valid EKE3: a failure the moment it ends",
    )
