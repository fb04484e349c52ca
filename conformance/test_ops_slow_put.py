"""LIM-2 measured from the last byte, for a put that streams slowly (both profiles).

LIM-2: a responder "MUST NOT close it for idleness before the idle timeout ... has passed
since that byte". The class of bug: the idle timeout applied to a whole put (or request)
as one deadline — a deadline set when the put begins, an asyncio `wait_for` around the
whole receive, a socket timeout read as a total budget — instead of to the silence
between bytes. Such a responder serves every put that is fast or small, and cuts a long
put whose bytes keep coming, with `EROR timeout`, once the idle timeout has passed since
its PUTF: a large file over a slow link never arrives.

The case sends a put whose DATA frames come 0.55 idle timeouts apart, so that the put
lasts 1.65 idle timeouts while no silence comes near it: it must be accepted and stored
(DONE). Bounded by the declared idle timeout (skipped above 10 s).
"""

from __future__ import annotations

import hashlib
import time

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

__all__: list[str] = []

_GAP = 0.55  # of the idle timeout, between two DATA frames
_FRAMES = 4  # DATA frames: three gaps, 1.65 idle timeouts in all
_MAX_IDLE = 10.0


@pytest.mark.req("LIM-2")
def test_put_streaming_longer_than_the_idle_timeout_is_not_cut(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "put")
    idle = target.limits.idle_timeout
    if idle > _MAX_IDLE:
        pytest.skip(f"the idle timeout ({idle:g} s) is too long for this case to wait out")
    channel = app_channel(timeout=max(5.0, 2 * idle + 2.0))
    pieces = [bytes([65 + i]) * 1000 for i in range(_FRAMES)]
    data = b"".join(pieces)
    name = fresh_name("slow-put")
    channel.send_frame("PUTF", {"name": name, "size": len(data)})
    channel.expect(
        [ExpectFrame("RSFL", {"accept": True})],
    ).check(f"PUTF {name!r} ({len(data)} bytes)")
    started = time.monotonic()
    sent = 0
    for index, piece in enumerate(pieces):
        if index:
            # The condition under test: a pause of 0.55 idle timeouts, shorter than the
            # idle timeout, between two DATA frames of one put.
            time.sleep(_GAP * idle)
        if not channel.send_frame("DATA", piece):
            break
        sent += len(piece)
    channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
    outcome = channel.expect([ExpectFrame("DONE")], timeout=max(5.0, idle * 2))
    if not outcome.ok:
        took = time.monotonic() - started
        timed_out = ExpectError("timeout").matches(outcome.actual)
        raise ConformanceFailure(
            f"LIM-2: a put of {len(data)} bytes in {_FRAMES} DATA frames sent "
            f"{_GAP * idle:.2f} s apart (the idle timeout is {idle:g} s: no silence "
            f"reached it), {sent} bytes sent over {took:.2f} s\n"
            "Expected: DONE (the put stored): the idle timeout counts from the last byte\n"
            f"Actual:   {outcome.describe()}"
            + (
                "\nThe responder ended a put whose bytes kept coming for idleness: the "
                "idle timeout was applied to the put as a whole"
                if timed_out
                else ""
            ),
            violates=("LIM-2",),
        )
