"""LIM-2: a refused put leaves the idle timeout as it was configured (both profiles).

LIM-2: a responder "MUST NOT close it for idleness before the idle timeout it is
configured with (LIM-7) has passed since that byte". A refused `PUTF` (`too_large`,
`forbidden`, `exists`: non-fatal, the connection returns to IDLE, ERR-3) is a place where
a responder changes its socket's timeout for a moment — to drain, for a second or two,
the DATA an initiator may have pipelined behind the offer it refused, or to wait less for
a client "that is probably leaving" — and the success path is the one that sets it back.
The next request of an honest initiator that pauses after the refusal (a user reading
the message, a script picking another name) then finds the connection closed well before
the idle timeout it was promised.

test_ops_idle_floor.py times the idle close after a refused get; this case does the same
after a refused put: the `PUTF` is refused, then the suite stays silent, and the close (or
`EROR timeout`) must not come before the declared idle timeout has passed since the
`PUTF` was sent (50 ms allowed for the clocks). The refusal that needs no other state, a
size above the maximum file size, runs by default; a `..` name and a name already stored
run with the slow cases (each costs one idle timeout).
"""

from __future__ import annotations

import time

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, put_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectClose, ExpectError

__all__: list[str] = []

_CLOCKS = 0.05  # seconds of slack for the two clocks and the kernel's timers
_LONGEST_IDLE = 20.0  # a longer idle timeout is too long for this case to wait


def _offer(kind: str, target: Target, app_channel: AppChannel) -> dict[str, object]:
    if kind == "too-large":
        return {"name": fresh_name("sft-idle-refused"), "size": target.limits.max_file_size + 1}
    if kind == "forbidden":
        return {"name": "../" + fresh_name("sft-idle-refused"), "size": 1}
    stored = fresh_name("sft-idle-stored")
    _offer, final = put_file(app_channel(), stored, b"stored before the refused put\n")
    if final is None or final.frame is None or final.frame.type != b"DONE":
        pytest.skip(f"could not store {stored!r} to offer it again: {_offer.describe()}")
    return {"name": stored, "size": 1}


@pytest.mark.req("LIM-2", "LIM-7")
@pytest.mark.parametrize(
    "kind",
    [
        "too-large",
        pytest.param("forbidden", marks=pytest.mark.slow),
        pytest.param("exists", marks=pytest.mark.slow),
    ],
)
def test_idle_timeout_after_a_refused_put_is_the_configured_one(
    target: Target, app_channel: AppChannel, kind: str
) -> None:
    require(target, "put")
    idle = target.limits.idle_timeout
    if idle > _LONGEST_IDLE:
        pytest.skip(f"the idle timeout ({idle:g} s) is too long for this case to wait")
    offer = _offer(kind, target, app_channel)
    channel: Channel = app_channel(timeout=idle * 2 + 5.0)
    started = time.monotonic()
    channel.send_frame("PUTF", offer)
    refusal = channel.expect([ExpectError("too_large", "forbidden", "exists")])
    if not refusal.ok:
        pytest.skip(f"PUTF {offer} was not refused as this case needs: {refusal.describe()}")
    outcome = channel.expect([ExpectError("timeout"), ExpectClose()], timeout=idle * 1.5 + 5.0)
    ended = time.monotonic() - started
    if not outcome.ok:
        pytest.skip(f"the connection was not ended by the idle timeout: {outcome.describe()}")
    if ended < idle - _CLOCKS:
        failure = ConformanceFailure.evidence(
            f"LIM-2: PUTF {offer} answered {refusal.describe().splitlines()[1].strip()}; then "
            f"the connection silent (declared idle timeout {idle:g} s)",
            f"the connection kept for at least {idle:g} s after the PUTF was sent: the "
            "refusal is non-fatal and leaves the idle timeout as configured",
            f"ended after {ended:.2f} s: {outcome.describe()}",
            note="a timeout lowered on the refusal path (to drain pipelined DATA, or for a "
            "client taken to be leaving) and never set back",
        )
        failure.violates = ("LIM-2",)
        raise failure
