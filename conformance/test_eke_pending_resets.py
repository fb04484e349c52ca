"""sft-eke/1: a pending handshake ended by a TCP reset is a failure like any other (SPEC
§5.6 EKE-THR-5, EKE-THR-1).

"A password guess is spent when the server sends `EKE2` ... ended any other way (a bad
`EKE3`, closed, timed out, anything but a valid `EKE3`) it MUST count as a failure against
the user name and the client address the moment it ends." A client that has EKE2 has its
guess: it checks C2 offline and no longer needs the server. Other cases end pending
handshakes with a FIN, a timeout, a bad or malformed EKE3, an EROR. An implementation that
files a connection reset under "the network failed, not the user" (a `ConnectionResetError`
/ `ECONNRESET` branch that skips the count) gives every guess away for free to a client
that aborts with RST (SO_LINGER 0): unlimited guesses, never throttled.

Each variant uses a fresh ghost user name (EKE-HS-3: counted like a real one) and fresh
loopback source addresses (one per connection, so only the user name's count can
throttle): N − 1 pending handshakes ended by a reset (right after EKE2, or after half an
EKE3), then one ended by a bad EKE3 whose `auth_failed` and close are awaited (by then the
server has long seen the resets), then an `EKE1` of that name: N failures, it MUST be
refused `throttled`.
"""

from __future__ import annotations

import socket
import struct

import pytest

from conformance.eke_support import fail_handshake, ghost_user, sources_for, start_handshake
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame, deadline_after

pytestmark = pytest.mark.xdist_group("eke-victim")

_FAKE_PW = bytes(32)  # a ghost user's key never matches: every handshake is a guess


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.handshake_timeout * 2))


def _reset(sock: socket.socket) -> None:
    """Close with a TCP reset instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@pytest.mark.req("EKE-THR-5", "EKE-THR-1")
@pytest.mark.parametrize("when", ["right after EKE2", "after half an EKE3"])
def test_a_pending_handshake_ended_by_a_reset_counts_as_a_failure(
    eke_target: Target, when: str
) -> None:
    n = eke_target.limits.throttle_failures
    if n < 2:
        pytest.skip(f"the target throttles after {n} failure(s): no room for resets beside one")
    sources = sources_for(eke_target)
    if not sources.loopback:
        pytest.skip("needs fresh loopback source addresses (the target is not on 127.x)")
    timeout = _timeout(eke_target)
    user = ghost_user()
    for i in range(n - 1):
        hs = start_handshake(eke_target, user, _FAKE_PW, source=sources.fresh(), timeout=timeout)
        event = hs.receive_eke2(timeout)
        if hs.eke2 is None:
            hs.close()
            raise ConformanceFailure(
                f"EKE-THR-5: handshake {i + 1} of fresh ghost user {user!r} (fewer than N = {n} "
                f"failures) was not answered EKE2: {event.describe()}"
            )
        if when == "after half an EKE3":
            eke3 = hs.client.on_eke2(hs.eke2, verify=False)
            wire = b'{"c":"' + str(eke3["c"]).encode()
            hs.raw.send_raw(b"EKE3" + struct.pack(">I", len(wire) + 2) + wire[: len(wire) // 2])
        _reset(hs.raw.sock)
    refused = fail_handshake(eke_target, user, sources.fresh(), timeout=timeout)
    if refused is not None:
        raise ConformanceFailure(
            f"EKE-THR-5: the {n}-th handshake of {user!r} (after {n - 1} ended by a reset "
            f"{when}) was refused before EKE2: {refused.describe()}"
        )
    probe = start_handshake(eke_target, user, _FAKE_PW, source=sources.fresh(), timeout=timeout)
    try:
        event = probe.raw.recv_frame(deadline_after(timeout))
        if isinstance(event, ReceivedFrame) and event.error_name == "throttled":
            return
        raise ConformanceFailure.evidence(
            f"EKE-THR-1/EKE-THR-5: ghost user {user!r} after {n - 1} pending handshakes ended "
            f"by a TCP reset {when} and one bad EKE3 (N = {n}; every connection from its own "
            "address)",
            "EROR throttled: a reset pending handshake is a spent guess, counted when it ends",
            event.describe(),
            "the resets were not counted: a client aborting with RST after EKE2 guesses for "
            "free",
        )
    finally:
        probe.close()
