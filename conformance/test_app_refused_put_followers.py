"""The DATA or DONE of a refused put is `unexpected_frame` (docs/SPEC.md §3.2 APP-3, FRM-6,
APP-1); both profiles.

A refused `PUTF` (`too_large`, `forbidden`, `exists`: non-fatal) returns the responder to
IDLE (ERR-3), where `DATA` and `DONE` are not allowed: "any other (state, type) pair is
`unexpected_frame`" (APP-3, FRM-6), fatal. An initiator that sends them anyway did not
wait for the answer APP-PUT-1 makes it wait for. A responder that "tolerates" them —
skipping the rest of a put it refused until the next request, to be kind to clients that
stream without waiting — passes every case that sends DATA on a fresh connection and
lets such a client believe the bytes went somewhere; one left in RECEIVING after the
refusal even takes them as a put.

Each refusal the target can be led to (a size above the limit, a `..` component, a name
already stored), each on its own connection: the refusal is read, then one `DATA` (or a
`DONE` that matches it) is sent; the answer MUST be `EROR unexpected_frame` and the close.
"""

from __future__ import annotations

import hashlib
from typing import Literal

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, put_file, require
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

_PAYLOAD = b"x"


def _offers(target: Target, app_channel: AppChannel) -> list[tuple[str, dict[str, object]]]:
    offers: list[tuple[str, dict[str, object]]] = [
        (
            "a put above the max file size (too_large)",
            {"name": fresh_name("sft-refused-big"), "size": target.limits.max_file_size + 1},
        ),
        (
            "a put named with a '..' component (forbidden)",
            {"name": "../" + fresh_name(), "size": 1},
        ),
    ]
    stored = fresh_name("sft-refused-exists")
    _offer, final = put_file(app_channel(), stored, b"stored")
    if final is not None and final.frame is not None and final.frame.type == b"DONE":
        offers.append(("a put of a name already stored (exists)", {"name": stored, "size": 1}))
    return offers


@pytest.mark.req("FRM-6", "APP-3")
@pytest.mark.parametrize("follower", ["DATA", "DONE"])
def test_the_frames_of_a_refused_put_are_unexpected(
    target: Target, app_channel: AppChannel, follower: Literal["DATA", "DONE"]
) -> None:
    require(target, "put")
    probed = 0
    for what, offer in _offers(target, app_channel):
        channel = app_channel()
        channel.send_frame("PUTF", offer)
        answer = channel.expect(
            [ExpectError("too_large", "forbidden", "exists"), ExpectFrame("RSFL", {"accept": True})]
        )
        if answer.frame is None or answer.frame.type != b"EROR":
            continue  # accepted (or worse): other cases judge the refusal itself
        probed += 1
        if follower == "DATA":
            channel.send_frame("DATA", _PAYLOAD)
        else:
            channel.send_frame(
                "DONE", {"size": len(_PAYLOAD), "sha256": hashlib.sha256(_PAYLOAD).hexdigest()}
            )
        outcome = channel.expect([ExpectError("unexpected_frame")], timeout=3.0)
        if not outcome.ok:
            failure = ConformanceFailure.evidence(
                f"FRM-6/APP-3: {what}: PUTF {offer}, answered {answer.frame.describe()}; then "
                f"a {follower} frame on the same connection",
                "EROR unexpected_frame, then the close: after a refused PUTF the responder "
                f"is IDLE, where {follower} is not allowed",
                outcome.describe(),
                "the frames of a put the responder refused are neither skipped nor taken",
            )
            failure.violates = ("FRM-6", "APP-3")
            raise failure
    if not probed:
        pytest.skip("the target refused none of the offers (too large, '..', exists)")
