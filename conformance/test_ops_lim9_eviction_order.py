"""LIM-9: a full server makes room by closing the OLDEST unfinished connection, so a
handshake in progress outlives the silent sockets that come after it (docs/SPEC.md §6).

test_lockout.py fills the server with silent sockets and then lets an honest client in:
at that moment the newest unfinished connection is the last silent socket, so a server
that closes the NEWEST to make room (a LIFO list, `reversed()` where `iter()` belongs)
passes it. Here the honest client is in mid-handshake (EKE1 sent, EKE2 read) when more
silent sockets arrive from new addresses: it is then the newest unfinished connection,
and a server that evicts the newest closes it — "the oldest such connection" is one of
the silent ones, which have been there longer. The handshake must then complete (EKE4).

sft-eke/1 (the handshake can be held between its messages); loopback (silent sockets
from as many 127.x.y.z addresses, none near LIM-8's per-address cap).
"""

from __future__ import annotations

import contextlib
import socket
import time

import pytest

from conformance.eke_channel import password_key_cached
from conformance.eke_support import sources_for, start_handshake
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import ConformanceFailure, ReceivedFrame, deadline_after

__all__: list[str] = []

pytestmark = [pytest.mark.profile("eke"), pytest.mark.xdist_group("connection-limit")]

_MAX_HELD = 72
_LATER = 2  # silent sockets that arrive while the honest handshake is in progress


@pytest.mark.req("LIM-9")
def test_a_handshake_in_progress_outlives_later_silent_sockets(eke_target: Target) -> None:
    target = eke_target
    total = target.limits.max_connections
    if total + _LATER + 1 > _MAX_HELD:
        pytest.skip(f"max_connections {total} is too many sockets to hold here")
    if not target.host.startswith("127.") or not target.accounts:
        pytest.skip("needs a target on loopback with an account (silent sockets from many 127.x)")
    sources = sources_for(target)
    account = target.accounts[0]
    deadline = target.limits.handshake_timeout
    silent: list[socket.socket] = []
    try:
        started = time.monotonic()
        for _ in range(total):  # the server full of unfinished connections
            source = sources.fresh()
            silent.append(
                socket.create_connection(target.address, timeout=3.0, source_address=(source, 0))
            )
        hs = start_handshake(
            target,
            account.user,
            password_key_cached(account.password, account.user),
            source=sources.fresh(),
            timeout=deadline + 2.0,
        )
        try:
            event = hs.receive_eke2(deadline + 2.0)
            if hs.eke2 is None:
                raise ConformanceFailure.evidence(
                    f"LIM-9: an honest EKE1 while {total} silent connections from {total} "
                    f"addresses filled the server (max_connections {total})",
                    "EKE2: the oldest unfinished connection closed to admit it",
                    event.describe(),
                )
            for _ in range(_LATER):  # then more silent sockets: each evicts the oldest
                silent.append(
                    socket.create_connection(
                        target.address, timeout=3.0, source_address=(sources.fresh(), 0)
                    )
                )
            if time.monotonic() - started > deadline * 0.8:
                inconclusive(
                    f"opening {total + _LATER} sockets and the handshake took "
                    f"{time.monotonic() - started:.2f} s, near the {deadline:g} s handshake "
                    "deadline (LIM-1): a close now could be the deadline's"
                )
            hs.send_eke3(hs.client.on_eke2(hs.eke2))
            answer = hs.raw.recv_frame(deadline_after(deadline + 2.0))
            if not (isinstance(answer, ReceivedFrame) and answer.type == b"EKE4"):
                raise ConformanceFailure.evidence(
                    f"LIM-9: an honest handshake in progress (EKE2 read) when {_LATER} more "
                    f"silent connections from new addresses arrived at a full server "
                    f"(max_connections {total})",
                    "EKE4: the OLDEST unfinished connections (silent since before it) are "
                    "closed to make room, never the handshake that is completing",
                    answer.describe(),
                )
        finally:
            hs.close()
    finally:
        for sock in silent:
            with contextlib.suppress(OSError):
                sock.close()
