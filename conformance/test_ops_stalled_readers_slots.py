"""LIM-10: a connection whose peer stopped reading is closed AND gives its slot back.

LIM-10: when a responder's writes to a connection make no progress for the idle timeout
"it MUST close the connection — no `EROR timeout` can pass a full pipe — and free its
resources". test_limits.py stalls one connection and reads again later: a close is all it
can see. A responder that answers the stalled write with `EROR timeout` sent without a
timeout ("make sure the peer learns why"), or that closes the socket but keeps the
connection's thread, slot or buffers until the peer reads, holds the connection for as
long as the peer does not read — every slot of the server, when every connection does
that.

The case opens max_connections sessions, each from its own loopback address, and on each
pipelines gets of the largest known file (12 MiB or more in all), never read, so that the
responder's writes stall on every one of them. Once 1.5 x the idle timeout and a second
have passed since the last of them was opened, new honest sessions are tried until one
is admitted and served, for at most 3 idle timeouts and 3 s from then (LIM-10 gives no
bound of its own: besides the stalled write's idle timeout, a responder may spend one
more on trying its `EROR timeout` and a second on its close): the stalled ones must have
been closed and their slots freed. The waits are the
stall itself, not synchronisation. Both profiles; needs a target on loopback.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook
from conformance.channel import Channel
from conformance.eke_support import sources_for
from conformance.target import Target
from conformance.test_lockout import _fresh, _honest_channel, _honest_get, _limits
from conformance.wire import ConformanceFailure

__all__: list[str] = []

# The slots of one server: no other case of the worker may hold or take one meanwhile.
pytestmark = pytest.mark.xdist_group("slots")

# As test_limits.py's LIM-10 case: more than the socket buffers of both ends hold on
# loopback, so that a responder's send really blocks.
_STALL_BYTES = 12 * 1024 * 1024
_STALL_REQUESTS = 64
_MOST_SLOTS = 16  # the most stalled sessions the case holds (kernel buffers add up)
_BOUND_IDLES = 3.0  # a new session is served within 3 idle timeouts and _BOUND_EXTRA s
_BOUND_EXTRA = 3.0
_MOST_ATTEMPTS = 200


@pytest.mark.req("LIM-10", "LIM-4")
def test_sessions_that_stopped_reading_give_their_slots_back(
    target: Target, transcripts: TranscriptBook, tmp_path: Path
) -> None:
    _, total = _limits(target)
    if total > _MOST_SLOTS:
        pytest.skip(f"max_connections {total} is too many stalled sessions to hold here")
    idle = target.limits.idle_timeout
    if idle > 20.0:
        pytest.skip(f"the idle timeout ({idle:g} s) is too long for this case to wait")
    file = max((f for f in target.files if f.size > 0), key=lambda f: f.size, default=None)
    if file is None:
        pytest.skip("the target file lists no known file in [files]")
    count = -(-_STALL_BYTES // file.size)
    if count > _STALL_REQUESTS:
        pytest.skip(
            f"needs a known file of at least {_STALL_BYTES // _STALL_REQUESTS} bytes to fill "
            f"the socket buffers (the largest listed, {file.name!r}, has {file.size})"
        )
    addresses = _fresh(sources_for(target), total + 1)
    if len(addresses) < total + 1:
        pytest.skip("needs a target on loopback (connections from several 127.x.y.z)")
    stalled: list[Channel] = []
    try:
        for source in addresses[:total]:
            channel = _honest_channel(target, source, tmp_path)
            transcripts.add(channel)
            stalled.append(channel)
            for _ in range(count):
                channel.send_frame("RQFL", {"name": file.name})
        last = time.monotonic()
        wait = idle * 1.5 + 1.0
        time.sleep(max(0.0, last + wait - time.monotonic()))  # the stall itself
        # LIM-10 gives no bound of its own: besides the stalled write's idle timeout, a
        # responder may spend one more trying its EROR timeout and a second on its close.
        until = last + idle * _BOUND_IDLES + _BOUND_EXTRA
        failure: ConformanceFailure | None = None
        attempts = 0
        while True:  # bounded by `until` and by _MOST_ATTEMPTS
            attempts += 1
            try:
                _honest_get(
                    target, addresses[total], tmp_path, transcripts,
                    "a new session after the stall",
                ).close()  # fmt: skip
                failure = None
                break
            except ConformanceFailure as exc:
                failure = exc
            if time.monotonic() >= until or attempts >= _MOST_ATTEMPTS:
                break
            time.sleep(0.25)  # polling the target's own cleanup, bounded
        if failure is not None:
            raise ConformanceFailure.evidence(
                f"LIM-10: {total} sessions (max_connections {total}), each with {count} gets "
                f"of {file.name!r} ({file.size} bytes) pipelined and never read; from "
                f"{wait:.1f} s to {until - last:.1f} s later (idle timeout {idle:g} s), "
                f"{attempts} new sessions tried",
                "the new session admitted and served: the responder closed the stalled "
                "sessions once their writes made no progress for the idle timeout, and "
                "freed their slots",
                str(failure)[:600],
                note="the stalled sessions still hold their slots: the responder waits on "
                "peers that do not read (a blocking write, an EROR timeout sent without a "
                "timeout, or a slot freed only when the peer reads)",
            )
    finally:
        for channel in stalled:
            channel.close()
