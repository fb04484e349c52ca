"""The 64 KiB control-payload limit holds DURING a put too (docs/SPEC.md §1 FRM-8).

FRM-8: control frames carry a JSON object "of at most 65 536 bytes; a longer control
payload MUST be refused with `frame_too_large`". The cases of the limit send oversize
requests in IDLE. A responder that applies the limit where it parses requests only —
while a put's DATA arrive (RECEIVING) the frame limit (1 MiB + 256) is the only bound, or
only requests (RQFL, PUTF, BYE_) are bounded — reads and parses a `DONE` of 70 000
bytes (an extension member pads it, FRM-10) and stores the put.

The class: a put (of 0 bytes, and of 1000 bytes sent in one DATA) is accepted, then
its `DONE` — right size and digest, padded by an undefined member to 70 000 bytes — is
sent: the answer MUST be `EROR frame_too_large` (fatal), never the receipt `DONE`. A
second case sends an `RQFL` of 70 000 bytes in the middle of the put: `frame_too_large`
or `unexpected_frame` (FRM-16: both rules are broken). Both profiles.
"""

from __future__ import annotations

import hashlib
import json
import secrets

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

_OVERSIZE = 70_000


def _padded(payload: dict[str, object], total: int) -> bytes:
    base = json.dumps({**payload, "x-pad": ""}, separators=(",", ":")).encode()
    body = json.dumps({**payload, "x-pad": "p" * (total - len(base))}, separators=(",", ":"))
    encoded = body.encode()
    assert len(encoded) == total
    return encoded


def _accepted(app_channel: AppChannel, target: Target, data: bytes) -> Channel:
    require(target, "put")
    channel = app_channel()
    name = fresh_name("sft-b23b-ctl")
    channel.send_frame(
        "PUTF", {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    )
    outcome = channel.expect([ExpectFrame("RSFL")])
    outcome.check(f"PUTF {name!r} of {len(data)} bytes")
    if data:
        channel.send_frame("DATA", data)
    return channel


@pytest.mark.req("FRM-8")
@pytest.mark.parametrize("size", [0, 1000])
def test_oversize_done_in_a_put_is_frame_too_large(
    target: Target, app_channel: AppChannel, size: int
) -> None:
    data = secrets.token_bytes(size)
    channel = _accepted(app_channel, target, data)
    done = _padded({"size": size, "sha256": hashlib.sha256(data).hexdigest()}, _OVERSIZE)
    channel.send_frame("DONE", done)
    outcome = channel.expect([ExpectError("frame_too_large"), ExpectFrame("DONE")])
    channel.close()
    if outcome.frame is not None and outcome.frame.type == b"DONE":
        raise ConformanceFailure.evidence(
            f"FRM-8: a put of {size} bytes, then its DONE (right size and digest) padded "
            f"by an undefined member to {_OVERSIZE} bytes",
            "EROR frame_too_large (a control payload above 65 536 bytes), never the receipt",
            outcome.describe(),
        )
    outcome.check(f"DONE of {_OVERSIZE} bytes during a put")


@pytest.mark.req("FRM-8", "FRM-16")
def test_oversize_request_in_a_put_is_refused(target: Target, app_channel: AppChannel) -> None:
    data = secrets.token_bytes(1000)
    channel = _accepted(app_channel, target, data)
    channel.send_frame("RQFL", _padded({"name": "hello.txt"}, _OVERSIZE))
    outcome = channel.expect(
        [ExpectError("frame_too_large", "unexpected_frame")]
    )
    channel.close()
    outcome.check(f"RQFL of {_OVERSIZE} bytes in the middle of a put")
