"""LIM-2: the idle timer is not kept in whole seconds of the wall clock.

LIM-2: a responder "MUST NOT close it for idleness before the idle timeout it is
configured with (LIM-7) has passed since that byte". A server that stamps each
connection's last activity with the wall clock in whole seconds (a C `time(NULL)`, a
database column of seconds) and closes it once `now - last >= idle` closes up to a second
early: by how much depends on where in the second the last byte came.
test_ops_idle_floor.py sends its request whenever the case runs, and a request that
happens to arrive just after a whole second hides the stamp.

Here the request is sent at 0.7 s past a whole second of the wall clock (the case waits
for that moment: the stimulus, at most a second), its answer read, and the connection left
silent: a stamp floored to the second counts the idle time from 0.7 s before the request,
and the close comes that much early. The case measures from just before the request was
sent and allows 50 ms for clocks. Both profiles.
"""

from __future__ import annotations

import time

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectClose, ExpectError, ExpectFrame

__all__: list[str] = []

_PHASE = 0.7  # seconds past a whole second of the wall clock when the request is sent
_CLOCKS = 0.05  # seconds of slack for the two clocks and the kernel's timers


@pytest.mark.req("LIM-2", "LIM-7")
def test_a_request_late_in_a_second_still_gets_the_whole_idle_timeout(
    target: Target, app_channel: AppChannel
) -> None:
    idle = target.limits.idle_timeout
    if idle > 20.0:
        pytest.skip(f"the idle timeout ({idle:g} s) is too long for this case to wait")
    channel = app_channel(timeout=idle * 2 + 5.0)
    name = fresh_name("ops-idle-whole-seconds")  # names no file: a short answer
    time.sleep((_PHASE - time.time() % 1.0) % 1.0)  # the stimulus: 0.7 s past a second
    started = time.monotonic()
    phase = time.time() % 1.0
    channel.send_frame("RQFL", {"name": name})
    channel.expect([ExpectError("not_found", "forbidden"), ExpectFrame("RSFL")]).check(
        f"RQFL {name!r} (a name no file has)"
    )
    outcome = channel.expect([ExpectError("timeout"), ExpectClose()], timeout=idle * 1.5 + 5.0)
    ended = time.monotonic() - started
    if not outcome.ok:
        pytest.skip(f"the connection was not ended by the idle timeout: {outcome.describe()}")
    if ended < idle - _CLOCKS:
        failure = ConformanceFailure.evidence(
            f"LIM-2: a connection silent since its request RQFL {name!r}, sent "
            f"{phase:.2f} s past a whole second of the wall clock, was answered (declared "
            f"idle timeout {idle:g} s)",
            f"the connection kept for at least {idle:g} s after the request was sent",
            f"ended after {ended:.2f} s: {outcome.describe()}",
            note="the last activity is stamped in whole seconds (floored): the idle time "
            "is counted from the start of the second the request came in",
        )
        failure.violates = ("LIM-2",)
        raise failure
