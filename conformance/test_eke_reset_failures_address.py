"""sft-eke/1: a pending handshake ended by a TCP reset counts against its ADDRESS too (SPEC
§5.6 EKE-THR-1, EKE-THR-5).

A pending handshake "ended any other way ... MUST count as a failure against the user name
and the client address the moment it ends". test_eke_pending_resets.py ends handshakes
with a reset under one user name, from fresh addresses: only the name's count is judged.
An implementation that learns the client's address when it books the failure — from the
socket (`getpeername`, `RemoteEndPoint`, `conn.RemoteAddr()` after the fact), which fails
with ENOTCONN once the peer has reset the connection, and then files the failure under
"unknown" or skips the address — still counts the name, but an attacker who aborts every
handshake with RST (SO_LINGER 0) is never throttled by address, and guesses at many user
names from one host for free.

Each variant uses one fresh loopback address and a fresh ghost user name per connection
(only the address's count can throttle): N − 1 pending handshakes ended by a reset (right
after EKE2, or after half an EKE3), then one ended by a bad EKE3 whose `auth_failed` and
close are awaited (by then the server has long seen the resets), then an EKE1 of yet
another fresh name from that address: N failures of the address, it MUST be refused
`throttled`.
"""

from __future__ import annotations

import math
import socket
import struct
import time

import pytest

from conformance.eke_support import fail_handshake, ghost_user, sources_for, start_handshake
from conformance.plugin import inconclusive, unsupported
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame

pytestmark = pytest.mark.xdist_group("eke-victim")

_FAKE_PW = bytes(32)


def _timeout(target: Target) -> float:
    return max(3.0, min(10.0, target.limits.handshake_timeout * 2))


def _reset(sock: socket.socket) -> None:
    """Close with a TCP reset instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@pytest.mark.req("EKE-THR-1", "EKE-THR-5")
@pytest.mark.parametrize("when", ["right after EKE2", "after half an EKE3"])
def test_handshakes_ended_by_resets_count_against_their_address(
    eke_target: Target, when: str
) -> None:
    if not eke_target.has("throttling"):
        unsupported("the target does not declare the 'throttling' feature")
    n = eke_target.limits.throttle_failures
    if n < 2:
        pytest.skip(f"the target throttles after {n} failure(s): no room for resets beside one")
    sources = sources_for(eke_target)
    if not sources.loopback:
        pytest.skip("needs fresh loopback source addresses (the target is not on 127.x)")
    timeout = _timeout(eke_target)
    address = sources.fresh()
    for i in range(n - 1):
        user = ghost_user()
        hs = start_handshake(eke_target, user, _FAKE_PW, source=address, timeout=timeout)
        try:
            event = hs.receive_eke2(timeout)
            if hs.eke2 is None:
                raise ConformanceFailure(
                    f"handshake {i + 1}: Expected EKE2 for a fresh name from {address} after "
                    f"{i} failures of the address (N = {n})\nActual: {event.describe()}",
                    violates=("EKE-THR-1",),
                )
            if when == "after half an EKE3":
                eke3 = hs.client.on_eke2(hs.eke2, verify=False)
                frame = b'{"c":"' + eke3["c"].encode("ascii") + b'"}'
                header = b"EKE3" + len(frame).to_bytes(4, "big")
                hs.raw.send_raw(header + frame[: len(frame) // 2])
        finally:
            _reset(hs.raw.sock)
    refused = fail_handshake(eke_target, ghost_user(), address, timeout=timeout)
    if refused is not None:
        raise ConformanceFailure(
            f"the {n}-th handshake from {address} (after {n - 1} ended by a reset) was refused "
            f"at EKE1: {refused.describe()}",
            violates=("EKE-THR-1",),
        )
    failed_at = time.monotonic()
    probe = start_handshake(eke_target, ghost_user(), _FAKE_PW, source=address, timeout=timeout)
    try:
        answer = probe.receive_eke2(timeout)
    finally:
        probe.close()
    if isinstance(answer, ReceivedFrame) and answer.error_name == "throttled":
        return
    limits = eke_target.limits
    lock = max(1, math.ceil(min(limits.throttle_cap, limits.throttle_base)))
    if time.monotonic() - failed_at > lock - 0.1:
        inconclusive(f"the probe came too late to find the first lock ({lock} s) running")
    raise ConformanceFailure(
        f"from {address}: {n - 1} pending handshakes (each under its own fresh user name) "
        f"ended by a TCP reset {when}, then one failed EKE3: {n} failures of the address. "
        f"An EKE1 of another fresh name from it\nExpected: EROR throttled\n"
        f"Actual:   {answer.describe()}\n"
        "EKE-THR-5: a pending handshake ended any way but a valid EKE3 counts against the "
        "user name AND the client address the moment it ends — a reset included.",
        violates=("EKE-THR-1",),
    )
