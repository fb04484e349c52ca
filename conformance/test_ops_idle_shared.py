"""The idle timeout is each connection's own (LIM-2), whatever the others do (LIM-5).

A responder that keeps one activity clock for the whole server (a reaper that closes idle
connections only when "the server" has been quiet, a watchdog reset by any connection's
bytes) never times out a silent connection while another client keeps talking: one busy
honest client then keeps every stalled or abandoned connection — and its slot and its
thread — alive forever. Here connection A goes silent after its handshake while
connection B sends a request every quarter of the idle timeout; A must still be closed
(with `EROR timeout` where a channel exists) within 1.5 x the idle timeout of its last
byte, the bound test_limits.py's single-connection case uses.
"""

from __future__ import annotations

import time

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    Event,
    ReceivedFrame,
    TimedOut,
    deadline_after,
)

_MAX_WAIT = 12.0  # the longest idle timeout the suite waits for (as test_limits.py)
# Answers to a get of a name nobody has that leave the connection open (non-fatal).
_NON_FATAL = ("not_found", "forbidden", "unsupported")


@pytest.mark.req("LIM-2", "LIM-5")
def test_a_silent_connection_times_out_while_another_is_busy(
    target: Target, app_channel: AppChannel
) -> None:
    limit = target.limits.idle_timeout
    if limit > _MAX_WAIT:
        pytest.skip(
            f"the target's idle timeout is {limit} s (the suite waits at most {_MAX_WAIT} s)"
        )
    a = app_channel()
    a_last_byte = time.monotonic()  # A's handshake is its last byte
    b = app_channel()
    bound = limit * 1.5 + 1.0
    interval = max(0.1, limit / 4)
    requests = 0
    a_event: Event | None = None
    while time.monotonic() - a_last_byte < bound:
        name = fresh_name("sft-idle-probe")
        b.send_frame("RQFL", {"name": name})
        requests += 1
        answer = b.recv_frame(deadline_after(max(2.0, limit)))
        if not (isinstance(answer, ReceivedFrame) and answer.error_name in _NON_FATAL):
            pytest.skip(
                f"connection B's get of {name!r} (a name nobody has) was not answered with a "
                f"non-fatal EROR, so B cannot keep talking: {answer.describe()}"
            )
        left = bound - (time.monotonic() - a_last_byte)
        a_event = a.recv_frame(deadline_after(max(0.0, min(interval, left))))
        if isinstance(a_event, TimedOut):
            continue
        if isinstance(a_event, Closed) or (
            isinstance(a_event, ReceivedFrame) and a_event.error_name == "timeout"
        ):
            return
        raise ConformanceFailure(
            f"LIM-2: silent connection A received {a_event.describe()} while idle "
            "(expected nothing, then EROR timeout or its close)"
        )
    failure = ConformanceFailure.evidence(
        f"LIM-2: connection A silent for {bound:.1f} s after its handshake (idle timeout "
        f"{limit} s) while connection B sent {requests} gets, one every {interval:.2f} s",
        "A closed (EROR timeout, then the close) within 1.5 x the idle timeout",
        f"A still open; last event on A: {a_event.describe() if a_event else 'none'}",
        "the idle timer must be per connection: another client's traffic is not A's",
    )
    failure.violates = ("LIM-2",)
    raise failure
