"""sft-eke/1: a frame type the profile does not define is refused in every state of the
record phase, not only between requests (SPEC §1 FRM-5, §3.2).

A responder that handles unknown types with a per-state switch refuses them where the
switch was written with that in mind (IDLE) and lets them through where its default
branch is lenient: while a put is being received ("a keep-alive between DATA frames"),
right after a put was accepted or refused. FRM-5 is one rule for every state: a
well-formed frame of an undefined type is `unexpected_frame`, fatal (ERR-3).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance._wire_fixtures import fresh_name, known_file, require
from conformance.eke_channel import EkeChannel
from conformance.plugin import inconclusive
from conformance.scenario import expect_fatal
from conformance.target import Target
from conformance.wire import (
    ExpectError,
    ExpectFrame,
    ReceivedFrame,
    control,
    deadline_after,
    frame_bytes,
)

ChannelFactory = Callable[..., EkeChannel]

# Undefined types: a neutral one, and look-alikes of defined ones.
_TYPES = {
    "idle": "NOOP",
    "put-accepted": "DATB",
    "put-mid-data": "PING",
    "put-refused": "RQF_",
    "pipelined-after-get": "XTRA",
}


def _accepted_put(channel: EkeChannel, size: int) -> None:
    channel.send_frame("PUTF", {"name": fresh_name(), "size": size})
    outcome = channel.expect([ExpectFrame("RSFL"), ExpectError()])
    if outcome.frame is None or outcome.frame.type != b"RSFL":
        inconclusive(f"the put to start from was not accepted: {outcome.describe()}")


def _enter(state: str, channel: EkeChannel, target: Target) -> str:
    """Brings `channel` into `state`; what was done, for the evidence."""
    if state == "idle":
        return "between requests"
    require(target, "put")
    if state == "put-accepted":
        _accepted_put(channel, 100)
        return "after RSFL{accept} of a 100-byte put, before its DATA"
    if state == "put-mid-data":
        _accepted_put(channel, 100)
        channel.send_raw(frame_bytes("DATA", b"x" * 40))
        return "after 40 of the 100 bytes of a put"
    # A refused put returns to IDLE (a name the SPEC refuses: non-fatal forbidden).
    channel.send_frame("PUTF", {"name": "../x.bin", "size": 1})
    outcome = channel.expect([ExpectError("forbidden", then_close=False)])
    outcome.check("PUTF of '../x.bin'")
    return "after a PUTF refused forbidden"


@pytest.mark.req("FRM-5")
@pytest.mark.parametrize("state", list(_TYPES))
def test_undefined_type_is_refused_in_every_state(
    eke_target: Target, eke_channel_factory: ChannelFactory, state: str
) -> None:
    """A well-formed frame of an undefined type, with an empty JSON object for payload,
    sent in `state`: EROR unexpected_frame and the close."""
    channel = eke_channel_factory()
    frame_type = _TYPES[state]
    if state == "pipelined-after-get":
        _pipelined_after_get(channel, eke_target, frame_type)
        return
    where = _enter(state, channel, eke_target)
    channel.send_frame(frame_type, {})
    expect_fatal(
        channel,
        "unexpected_frame",
        context=f"an undefined frame type {frame_type} {where}",
        violates=("FRM-5",),
    )


def _pipelined_after_get(channel: EkeChannel, target: Target, frame_type: str) -> None:
    """RQFL of a known file and the undefined frame in one write: the get is answered in
    full (APP-2: requests in order), then the undefined frame is refused."""
    known = known_file(target)
    channel.raw.send_raw(
        channel.seal(frame_bytes("RQFL", control({"name": known.name})))
        + channel.seal(frame_bytes(frame_type, b"{}"))
    )
    deadline = deadline_after(channel.timeout)
    seen: list[str] = []
    while True:
        event = channel.recv_frame(deadline)
        if isinstance(event, ReceivedFrame) and event.type in (b"RSFL", b"DATA"):
            seen.append(event.type_text)
            continue
        if isinstance(event, ReceivedFrame) and event.type == b"DONE":
            break
        if isinstance(event, ReceivedFrame) and event.error_name == "unexpected_frame":
            return  # refused (before the get's answer: the order is APP-2's, judged elsewhere)
        inconclusive(
            f"RQFL {known.name!r} with an undefined {frame_type} behind it in one write: the "
            f"get was not answered ({' '.join(seen)} then {event.describe()})"
        )
    expect_fatal(
        channel,
        "unexpected_frame",
        context=f"an undefined frame type {frame_type} pipelined behind a get",
        violates=("FRM-5",),
    )
