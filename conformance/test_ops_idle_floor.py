"""LIM-2 / LIM-7: the idle timeout a responder applies is the one it is configured with.

test_limits.py checks that a silent connection is closed, and within 1.5 × the idle
timeout. The other side of the same limit: a connection that is silent for LESS than the
idle timeout is not idle, and closing it cuts off a client that pauses between two
transfers (APP-2) within the limit the operator configured (LIM-7). Configuration read
as whole seconds (1.5 s applied as 1 s: an `int()` on the way from the command line, or a
duration type of whole seconds), in the wrong unit, or a watchdog that counts from the
wrong moment (the handshake, the previous request) all close early.

The case sends one request, reads its answer and then stays silent: the responder's idle
timer starts no earlier than the moment that request left the suite, so a responder that
applies its declared idle timeout cannot close before that many seconds have passed.
The case measures from just before the request was sent and allows 50 ms for clocks.
"""

from __future__ import annotations

import time

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectClose, ExpectError, ExpectFrame

__all__: list[str] = []

_CLOCKS = 0.05  # seconds of slack for the two clocks and the kernel's timers


@pytest.mark.req("LIM-2", "LIM-7")
def test_a_connection_is_not_closed_before_its_idle_timeout(
    target: Target, app_channel: AppChannel
) -> None:
    idle = target.limits.idle_timeout
    if idle > 20.0:
        pytest.skip(f"the idle timeout ({idle:g} s) is too long for this case to wait")
    channel = app_channel(timeout=idle * 2 + 5.0)
    name = fresh_name("ops-idle-floor")  # names no file: a short answer, nothing to read
    started = time.monotonic()
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
            f"LIM-2: a connection silent since its request RQFL {name!r} was answered "
            f"(declared idle timeout {idle:g} s)",
            f"the connection kept for at least {idle:g} s after the request was sent",
            f"ended after {ended:.2f} s: {outcome.describe()}",
            note="the idle timeout applied is shorter than the configured one (whole "
            "seconds, another unit, or a timer counted from an earlier moment)",
        )
        failure.violates = ("LIM-2",)
        raise failure
