"""LIM-4: connections still in their handshake count towards max_connections too.

test_lockout.py fills the limit with ESTABLISHED connections and probes one more; with a
short idle timeout and many slots (the SPEC default of 64, which a target that declares
no `max_connections` is judged by) keeping that many sessions alive is too slow to judge,
and a responder that compares with no limit at all, or with another one than it was
configured with, or that counts established connections only, passes every case where
the held connections are silent: a silent connection is admitted either way, and LIM-9's
eviction never comes.

Here max_connections + 1 silent TCP connections are opened, each from its own loopback
address (so that LIM-8's per-address cap is never what refuses them), as fast as the
suite can. A responder with max_connections slots cannot hold them all: the last one is
refused (a close, or `EROR busy`) or the oldest is closed to make room for it (LIM-9).
Either way one of them has ended well before the first one's handshake timeout (LIM-1)
could end it; none ended by then means max_connections + 1 connections were open at once.

Both profiles; needs a target on loopback (connections from several 127.x.y.z).
"""

from __future__ import annotations

import select
import time

import pytest

from conformance._wire_fixtures import TranscriptBook
from conformance.eke_support import sources_for
from conformance.target import Target
from conformance.test_lockout import _ended, _fresh, _limits, _silent
from conformance.wire import ConformanceFailure

__all__: list[str] = []

# The slots of one server: no other case of the worker may hold or take one meanwhile.
pytestmark = pytest.mark.xdist_group("slots")

_MARGIN = 0.25  # seconds before the first connection's handshake timeout: judged by then


@pytest.mark.req("LIM-4")
def test_one_silent_connection_more_than_the_limit_is_not_held(
    target: Target, transcripts: TranscriptBook
) -> None:
    _, total = _limits(target)
    addresses = _fresh(sources_for(target), total + 1)
    if len(addresses) < total + 1:
        pytest.skip("needs a target on loopback (connections from several 127.x.y.z)")
    handshake = target.limits.handshake_timeout
    started = time.monotonic()
    with _silent(target, addresses, transcripts) as held:
        opened = time.monotonic() - started
        if opened > handshake / 2:
            pytest.skip(
                f"INCONCLUSIVE: opening {total + 1} connections took {opened:.2f} s, more "
                f"than half the handshake timeout ({handshake:g} s)"
            )
        deadline = started + handshake - _MARGIN
        ended: dict[int, str] = {}
        while not ended:
            for index, conn in enumerate(held):
                if (what := _ended(conn)) is not None:
                    ended[index] = what
            remaining = deadline - time.monotonic()
            if ended or remaining <= 0:
                break
            select.select([conn.sock for conn in held], [], [], remaining)
        if not ended:
            raise ConformanceFailure.evidence(
                f"LIM-4: {total + 1} silent connections (max_connections {total}), each from "
                f"its own loopback address, opened within {opened:.2f} s",
                "one of them refused (a close, or EROR busy) or the oldest closed to make "
                f"room (LIM-9) before the first one's handshake timeout ({handshake:g} s)",
                f"all {total + 1} still open {time.monotonic() - started:.2f} s after the "
                "first was opened: the responder holds more connections than its limit "
                "(no limit, another limit than the configured one, or pending connections "
                "not counted)",
            )
