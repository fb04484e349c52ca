"""A later transfer on a connection is judged by its OWN announced size (docs/SPEC.md §3.4
APP-PUT-6, §3.6 APP-STORE-4, §3.2 APP-3's last sentence).

The excess cases beside this one (test_app_put.py, test_app_put_excess_conditions.py) send
the excess in a connection's first put. A responder whose DATA limit outlives the put
that set it — the largest size announced on the connection so far, the previous
transfer's size kept in a field that only grows, a writer allocated once per connection —
is right there by accident: its first put is the only one it has seen. Its second, smaller
put then has DATA beyond its own size written to disk and refused only at DONE (or never,
when the DONE matches what was written).

Each case first makes an earlier transfer of more than the excess on the same connection:
a completed put, a put refused `exists` (announced, never accepted), or a completed get of
a large file of the share. Then PUTF announcing 100 bytes is accepted and a DATA frame of
300 bytes goes beyond it — over sft-pki/1 only its 8-byte header (APP-PUT-6: the header
suffices, the payload is withheld), over sft-eke/1 the whole frame. The answer MUST be
`EROR integrity_failed` and the close, without a DONE from us.

Fixtures (conformance/plugin.py): `target`, `app_channel()`.
"""

from __future__ import annotations

import hashlib
import os
import time
from typing import Final

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.channel import Channel
from conformance.scenario import expect_fatal
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectError,
    ExpectFrame,
    ReceivedFrame,
    header_bytes,
)

__all__: list[str] = []

_ANNOUNCED: Final = 100
_EXCESS_FRAME: Final = 300
_EARLIER_SIZE: Final = 64 * 1024  # the earlier put's size: well above the excess
_MAX_GET_FRAMES: Final = 4096  # a bound on the frames of the earlier get


def _fail(context: str, expected: str, actual: str) -> ConformanceFailure:
    failure = ConformanceFailure.evidence(context, expected, actual)
    failure.violates = ("APP-STORE-4",)
    return failure


def _put(channel: Channel, name: str, content: bytes, what: str) -> None:
    """A whole put, answered DONE."""
    channel.send_frame("PUTF", {"name": name, "size": len(content)})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"{what}: PUTF {name!r}")
    channel.send_frame("DATA", content)
    digest = hashlib.sha256(content).hexdigest()
    channel.send_frame("DONE", {"size": len(content), "sha256": digest})
    channel.expect([ExpectFrame("DONE")]).check(f"{what}: DONE of {name!r}")


def _earlier_put(target: Target, app_channel: AppChannel, channel: Channel) -> str:
    _put(channel, fresh_name("sft-later-excess-first"), os.urandom(_EARLIER_SIZE), "earlier put")
    return f"a put of {_EARLIER_SIZE} bytes stored on the connection"


def _earlier_refused_put(target: Target, app_channel: AppChannel, channel: Channel) -> str:
    # The name is stored on another connection; this one offers it again, larger.
    name = fresh_name("sft-later-excess-taken")
    other = app_channel()
    try:
        _put(other, name, b"taken", "the name's first put (another connection)")
    finally:
        other.close()
    channel.send_frame("PUTF", {"name": name, "size": _EARLIER_SIZE})
    answer = channel.expect(
        [ExpectFrame("RSFL", {"accept": True}), ExpectError("exists", "forbidden")]
    )
    answer.check(f"PUTF of the stored name {name!r} ({_EARLIER_SIZE} bytes)")
    assert answer.frame is not None
    if answer.frame.type == b"RSFL":
        pytest.skip("the target accepted a put of a stored name (APP-PUT-3's cases judge it)")
    return f"a PUTF of {_EARLIER_SIZE} bytes refused {answer.frame.describe(60)}"


def _earlier_get(target: Target, app_channel: AppChannel, channel: Channel) -> str:
    require(target, "get")
    big = [f for f in target.files if f.size >= _ANNOUNCED + _EXCESS_FRAME]
    if not big:
        pytest.skip(f"the target lists no file of {_ANNOUNCED + _EXCESS_FRAME} bytes or more")
    file = max(big, key=lambda f: f.size)
    if file.size > 8 * 1024 * 1024:
        file = min(big, key=lambda f: f.size)
    channel.send_frame("RQFL", {"name": file.name})
    deadline = time.monotonic() + max(10.0, target.limits.idle_timeout)
    got = 0
    for _ in range(_MAX_GET_FRAMES):
        event = channel.recv_frame(deadline)
        if not isinstance(event, ReceivedFrame):
            pytest.skip(f"the get of {file.name!r} did not complete: {event.describe()}")
        if event.type == b"DATA":
            got += len(event.payload)
        elif event.type == b"DONE":
            break
        elif event.type != b"RSFL":
            pytest.skip(f"the get of {file.name!r} was answered {event.describe(80)}")
    else:
        pytest.skip(f"the get of {file.name!r} took more than {_MAX_GET_FRAMES} frames")
    return f"a get of {file.name!r} ({got} bytes) on the connection"


_EARLIER = {
    "after-a-larger-put": _earlier_put,
    "after-a-larger-put-refused": _earlier_refused_put,
    "after-a-larger-get": _earlier_get,
}


@pytest.mark.req("APP-STORE-4", "APP-PUT-6")
@pytest.mark.parametrize("earlier", sorted(_EARLIER))
def test_excess_of_a_later_put_is_judged_by_its_own_size(
    target: Target, app_channel: AppChannel, earlier: str
) -> None:
    """An earlier, larger transfer on the connection; then PUTF of 100 bytes accepted and
    DATA beyond 100: integrity_failed at once, nothing stored under the name."""
    require(target, "put")
    channel = app_channel()
    try:
        before = _EARLIER[earlier](target, app_channel, channel)
        name = fresh_name("sft-later-excess")
        channel.send_frame("PUTF", {"name": name, "size": _ANNOUNCED})
        channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(
            f"APP-STORE-4: after {before}, PUTF {name!r} of {_ANNOUNCED} bytes"
        )
        if target.profile == "pki":
            channel.send_raw(header_bytes("DATA", _EXCESS_FRAME))
            sent = f"the header of a DATA frame of {_EXCESS_FRAME} bytes (payload withheld)"
        else:
            channel.send_frame("DATA", os.urandom(_EXCESS_FRAME))
            sent = f"a DATA frame of {_EXCESS_FRAME} bytes"
        context = (
            f"APP-STORE-4: after {before}, PUTF of {_ANNOUNCED} bytes accepted; then {sent}, "
            "no DONE"
        )
        expect_fatal(
            channel, "integrity_failed", context=context, violates=("APP-STORE-4", "APP-PUT-6")
        )
    finally:
        channel.close()
    # Nothing of the refused put is stored: its name is free.
    again = app_channel()
    try:
        again.send_frame("PUTF", {"name": name, "size": 1})
        answer = again.expect([ExpectFrame("RSFL", {"accept": True})])
        if not answer.ok:
            raise _fail(
                f"{context}; then PUTF {name!r} on a new connection",
                "RSFL accept: the put refused for its excess was not stored",
                answer.describe(),
            )
    finally:
        again.close()
