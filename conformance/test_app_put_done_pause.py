"""A put's DONE may come as late as the idle timeout allows (docs/SPEC.md §6 LIM-2, §3.4
APP-PUT-4/5).

LIM-2: a responder MUST NOT close a connection for idleness "before the idle timeout it
is configured with has passed since" its last byte — during a put too. The class of bug:
a shorter wait at one moment of a put, the moment when the responder "knows what comes
next" — once the announced bytes are in, the DONE "follows at once" (a DONE timeout of a
second, half the idle timeout, the handshake timeout); a 0-byte put, whose DONE is due as
soon as it is accepted. Other cases pause between requests (test_ops_idle_floor.py) or
trickle DATA (test_interop_live_slow_senders.py); none pauses right before the DONE.

Two puts on one connection, each paused for 0.8 x the declared idle timeout right before
its DONE: one of 0 bytes (the pause follows the acceptance) and one of 3 bytes (the pause
follows its only DATA frame). Each must be acknowledged with DONE and the connection stay
usable. Skipped when the idle timeout exceeds 10 s (the case would wait too long).

Fixtures (conformance/plugin.py): `target`, `app_channel()`.
"""

from __future__ import annotations

import hashlib
import time

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

_SHARE_OF_IDLE = 0.8


@pytest.mark.req("LIM-2", "APP-PUT-5")
def test_put_whose_done_comes_late_within_the_idle_timeout_is_stored(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "put")
    idle = target.limits.idle_timeout
    if idle > 10.0:
        pytest.skip(f"the idle timeout ({idle:g} s) is too long for this case to wait")
    pause = _SHARE_OF_IDLE * idle
    channel = app_channel(timeout=idle * 2 + 5.0)
    for data in (b"", b"abc"):
        name = fresh_name("sft-b17-done-pause")
        channel.send_frame("PUTF", {"name": name, "size": len(data)})
        channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(
            f"PUTF {name!r} size {len(data)}"
        )
        if data:
            channel.send_frame("DATA", data)
        time.sleep(pause)  # silent for less than the idle timeout, right before DONE
        channel.send_frame("DONE", {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
        outcome = channel.expect([ExpectFrame("DONE"), ExpectError("timeout")])
        if outcome.frame is None or outcome.frame.type != b"DONE":
            failure = ConformanceFailure.evidence(
                f"LIM-2: a put of {len(data)} bytes whose DONE came {pause:.2f} s after "
                f"{'its last DATA' if data else 'the acceptance'} (idle timeout {idle:g} s)",
                "DONE: silence shorter than the idle timeout is not idleness",
                outcome.describe(),
            )
            failure.violates = ("LIM-2",)
            raise failure
