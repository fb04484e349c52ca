"""LIM-9: a connection whose handshake completed is established before its first request.

LIM-9: when every slot is taken and some are still in their handshake, a new connection
is admitted by closing the oldest such connection; "established connections are never
closed for this". test_lockout.py holds established connections that were served a get.
A responder that moves a connection to "established" only once the application layer has
seen something of it — its first record decrypted, its first request parsed ("the login
is proven by the first record") — keeps a client that has logged in and not asked
anything yet among the pending ones: the oldest of them, closed first to make room.

The case completes an honest handshake from one address and sends nothing more for a
fifth of the idle timeout (a client that logged in and has not asked anything yet; a
server may finish its bookkeeping of the login — a store write — just after its last
handshake message); then max_connections + 1 silent connections arrive from as many
other addresses, so that
room has to be made (or newcomers refused) at least twice; then the logged-in client
sends its first request, well within its idle timeout, which must be answered.

Both profiles; needs a target on loopback (connections from several 127.x.y.z).
"""

from __future__ import annotations

import select
import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook, fresh_name
from conformance.eke_support import sources_for
from conformance.target import Target
from conformance.test_lockout import _ended, _fresh, _honest_channel, _limits, _silent
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

__all__: list[str] = []

# The slots of one server: no other case of the worker may hold or take one meanwhile.
pytestmark = pytest.mark.xdist_group("slots")

_SETTLE = 0.5  # seconds to wait for the responder to refuse or evict the surplus
_PAUSE = 0.2  # of the idle timeout: the logged-in client's pause before the flood


@pytest.mark.req("LIM-9")
def test_a_login_that_has_not_asked_anything_yet_is_never_closed_for_room(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    _, total = _limits(target)
    addresses = _fresh(sources_for(target), total + 2)
    if len(addresses) < total + 2:
        pytest.skip("needs a target on loopback (connections from several 127.x.y.z)")
    idle = target.limits.idle_timeout
    quiet_from, flood = addresses[0], addresses[1:]
    quiet = _honest_channel(target, quiet_from, tmp_path)  # handshake done, nothing asked
    transcripts.add(quiet)
    since = time.monotonic()
    pause = idle * _PAUSE
    quiet.transcript.add("event", note=f"established; silent for {pause:.2f} s")
    time.sleep(pause)  # the stimulus: a client logged in and not asking anything yet
    try:
        with _silent(target, flood, transcripts) as held:
            # Room is made (or newcomers refused) twice: wait for it, bounded.
            ended: dict[int, str] = {}
            until = time.monotonic() + min(_SETTLE, idle * _PAUSE)
            while len(ended) < 2:
                for index, conn in enumerate(held):
                    if index not in ended and (what := _ended(conn)) is not None:
                        ended[index] = what
                remaining = until - time.monotonic()
                if len(ended) >= 2 or remaining <= 0:
                    break
                select.select([c.sock for i, c in enumerate(held) if i not in ended], [], [],
                              remaining)  # fmt: skip
            if time.monotonic() - since > idle * 0.8:
                pytest.skip(
                    f"INCONCLUSIVE: the flood took {time.monotonic() - since:.2f} s, too close "
                    f"to the logged-in client's idle timeout ({idle:g} s)"
                )
            name = fresh_name("ops-established-quiet")  # names no file: a short answer
            quiet.send_frame("RQFL", {"name": name})
            outcome = quiet.expect([ExpectError("not_found", "forbidden"), ExpectFrame("RSFL")])
            if not outcome.ok:
                raise ConformanceFailure.evidence(
                    f"LIM-9: a client from {quiet_from} completed its handshake and asked "
                    f"nothing; then {len(flood)} silent connections from as many addresses "
                    f"(max_connections {total}; {len(ended)} of them refused or closed "
                    f"meanwhile); then its first request RQFL {name!r}, "
                    f"{time.monotonic() - since:.2f} s after its handshake",
                    "the request answered: an established connection is never closed to "
                    "make room, and it is established once its handshake completed",
                    outcome.describe(),
                    note="the connection was still counted as pending (closed for room) "
                    "because it had not sent a request yet",
                )
    finally:
        quiet.close()
