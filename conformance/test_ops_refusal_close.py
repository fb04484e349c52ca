"""A connection refused before its handshake is closed at once (docs/SPEC.md ERR-3, LIM-8).

LIM-8: the responder "MUST refuse the next one from the same address promptly (close, or
`EROR busy` where possible)". `busy` is fatal (ERR-2), and ERR-3: "After sending ... an
`EROR` whose code is fatal, an endpoint MUST close the connection ... The close follows
the `EROR` at once". test_lockout.py takes an `EROR busy` as the refusal and stops
reading there. A refusal path that writes its `busy` and returns without closing (the
close forgotten on an early return; a C server leaks the descriptor) leaves the client
with a refusal and a connection that never ends — and the server with a descriptor per
refusal, which an address over its cap can multiply at will.

From one fresh loopback address the case holds as many silent connections as the target
declares for LIM-8 (`max_pending_per_address`), then opens one more from that address:
whatever it receives (nothing, an `EROR busy`, a TLS alert), the responder's close (a FIN
or a reset) must follow within 2 s, and before the handshake timeout could be the reason.
Both profiles.
"""

from __future__ import annotations

import contextlib
import select
import socket
import time

import pytest

from conformance.eke_support import sources_for
from conformance.target import Target
from conformance.wire import ConformanceFailure

__all__: list[str] = []

_MOST = 64  # at most this many silent connections are held
_ALLOWANCE = 2.0  # ERR-3: the suite allows 2 s for a close that follows at once

# The slots of one server: no other case of the worker may hold or take one meanwhile.
pytestmark = pytest.mark.xdist_group("slots")


def _read_until_end(sock: socket.socket, deadline: float) -> tuple[bytes, str | None]:
    """What arrives before the end of the stream, and how it ended (None: not ended)."""
    received = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return bytes(received), None
        readable, _, _ = select.select([sock], [], [], remaining)
        if not readable:
            return bytes(received), None
        try:
            data = sock.recv(65536)
        except OSError as exc:
            return bytes(received), f"reset ({type(exc).__name__})"
        if not data:
            return bytes(received), "closed (FIN)"
        received += data
        if len(received) > 1 << 20:
            return bytes(received), None


@pytest.mark.req("ERR-3", "LIM-8")
def test_a_connection_refused_for_its_address_is_closed_at_once(target: Target) -> None:
    cap = target.limits.max_pending_per_address
    if cap is None:
        pytest.skip("the target declares no per-address cap (limits.max_pending_per_address)")
    if cap + 2 > min(_MOST, target.limits.max_connections):
        pytest.skip(f"holding {cap + 1} connections needs more than max_connections allows")
    source = sources_for(target).fresh()
    if source is None:
        pytest.skip("needs a target on loopback (the case connects from a 127.x.y.z)")
    window = min(_ALLOWANCE, 0.75 * target.limits.handshake_timeout)
    held: list[socket.socket] = []
    try:
        for _ in range(cap):
            held.append(
                socket.create_connection(target.address, timeout=3.0, source_address=(source, 0))
            )
        probe = socket.create_connection(target.address, timeout=3.0, source_address=(source, 0))
        held.append(probe)
        started = time.monotonic()
        data, end = _read_until_end(probe, started + window)
        if end is None:
            got = f"{len(data)} bytes ({data[:40]!r})" if data else "nothing"
            failure = ConformanceFailure.evidence(
                f"connection {cap + 1} from {source}, which holds {cap} silent connections "
                f"(the declared per-address cap, LIM-8)",
                "refused promptly: a close, or an EROR busy followed by the close at once "
                f"(within {window:g} s: ERR-3, before the {target.limits.handshake_timeout:g} s "
                "handshake timeout could be the reason)",
                f"{got} received, and the connection still open after {window:g} s",
                "a refusal that sends its busy and never closes the connection"
                if data
                else "neither refused nor answered: the per-address cap was not applied",
            )
            failure.violates = ("ERR-3",) if data else ("LIM-8",)
            raise failure
    finally:
        for sock in held:
            with contextlib.suppress(OSError):
                sock.close()
