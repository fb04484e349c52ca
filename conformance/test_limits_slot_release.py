"""LIM-4: slots come back whatever way a connection ends — here, by the idle timeout.

LIM-4: "above it the responder MUST refuse new connections ... and MUST accept again once
connections end." A responder's slot accounting is released on the paths its authors
walk every day (BYE_, the client's close, an error) and forgotten on a rare one: a
connection that the responder itself ends with `EROR timeout` returns early and never
gives its slot back. After `max_connections` such connections the responder refuses
everyone, for good — the fleet's idle laptops lock the server out by the next morning.

The case fills every slot of the declared `max_connections` with established channels
that stay silent, lets the responder end each with its idle timeout (LIM-2), then opens
one channel more: it must be admitted and served. Runs for both profiles when the
target declares `max_connections` small enough to fill (the embedded reference: 10 for
sft-eke/1, 8 for sft-pki/1).
"""

from __future__ import annotations

import pytest

from conformance._wire_fixtures import AppChannel, get_file, known_file
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectClose, ExpectError

__all__: list[str] = []

_MOST = 64  # at most this many channels are opened to fill the slots (the SPEC's default)

# The slots of one server: no other case of the worker may hold or take one meanwhile.
pytestmark = pytest.mark.xdist_group("slots")


@pytest.mark.req("LIM-4", "LIM-2")
def test_slots_of_connections_ended_by_the_idle_timeout_come_back(
    target: Target, app_channel: AppChannel
) -> None:
    slots = target.limits.max_connections
    idle = target.limits.idle_timeout
    if slots > _MOST:
        pytest.skip(f"max_connections {slots} is above the {_MOST} channels the case opens")
    if idle > 20.0:
        pytest.skip(f"the idle timeout ({idle:g} s) is too long for this case to wait")
    file = known_file(target)
    channels: list[Channel] = []
    for index in range(slots):
        try:
            channels.append(app_channel(timeout=max(10.0, 2 * idle + 5.0)))
        except Exception as exc:  # the evidence is the exception
            raise ConformanceFailure(
                f"LIM-4: channel {index + 1} of {slots} (max_connections) could not be "
                f"opened, none of them ended yet: {type(exc).__name__}: {exc}",
                violates=("LIM-4",),
            ) from None
    # The responder ends each silent channel by its idle timeout: EROR timeout, then the
    # close (LIM-2). A channel that the timeout does not end is LIM-2's failure.
    for index, channel in enumerate(channels):
        outcome = channel.expect([ExpectError("timeout"), ExpectClose()], timeout=idle * 1.5 + 5.0)
        if not outcome.ok:
            raise ConformanceFailure(
                f"LIM-2: silent channel {index + 1} of {slots} (idle timeout {idle:g} s)\n"
                + outcome.describe(),
                violates=("LIM-2",),
            )
        channel.close()
    # Every connection has ended: each slot is free again.
    for attempt in range(2):
        try:
            channel = app_channel()
        except Exception as exc:  # the evidence is the exception
            raise ConformanceFailure(
                f"LIM-4: {slots} channels (max_connections) ended by the responder's idle "
                f"timeout; then a new channel (attempt {attempt + 1})\n"
                "Expected: admitted and served: the ended connections' slots are free\n"
                f"Actual:   {type(exc).__name__}: {exc}",
                violates=("LIM-4",),
            ) from None
        get_file(channel, file.name)
        channel.close()
