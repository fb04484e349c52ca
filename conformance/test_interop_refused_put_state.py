"""After a refused `PUTF` the connection is idle, exactly (docs/SPEC.md §3.2 APP-3, FRM-6,
ERR-3, §3.4 APP-PUT-1).

Fixtures (conformance/plugin.py): `target`, `app_channel()`. "After a non-fatal `EROR` of
the responder the connection returns to the idle state" [ERR-3]: in IDLE only `RQFL`,
`PUTF`, `BYE_` (and `EROR`) are allowed; a `DATA` or `DONE` there is `unexpected_frame`
(fatal) [FRM-6, APP-3], and a new request is served [ERR-3].

The class of bug: the state machine moved (or a put's fields set) before the `PUTF`
checks that then refuse it, and never rolled back — so that after a refusal the
connection is neither idle nor receiving: a stray `DATA` is silently swallowed ("the
refused put's data, already on its way: drop it"), or written nowhere, or the next
request is answered `unexpected_frame` because the connection still waits for data. A
suite that sends `DATA` in IDLE only on a fresh connection, or follows every refusal with
a request, lets one half of that through (found by planting both halves blind: eke6, a
Python responder, drained `DATA` after a refusal; pki6, a Node responder, moved to
receiving before the checks).

Each refusal the SPEC names for a `PUTF` (`exists`, `too_large`, `forbidden` for a bad
name and for the reserved `.sft-partial-` prefix) is tried; after it, on the same
connection, either a stray `DATA` (or `DONE`) MUST be `unexpected_frame` then the close,
or a get and a put MUST be served. Both profiles.
"""

from __future__ import annotations

import hashlib
import os

import pytest

from conformance._wire_fixtures import (
    AppChannel,
    fresh_name,
    get_file,
    known_file,
    put_file,
    require,
)
from conformance.channel import Channel
from conformance.scenario import expect_fatal
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError

_REFUSALS = ("exists", "too_large", "forbidden-name", "reserved-prefix")


def _refuse(channel: Channel, target: Target, kind: str) -> str:
    """Has the responder refuse one request (a PUTF, or an RQFL of a name it does not
    hold) with a non-fatal EROR; returns what was refused."""
    limit = target.limits.max_file_size
    if kind == "get-not_found":
        require(target, "get")
        name = fresh_name("sft-refused-absent")
        channel.send_frame("RQFL", {"name": name})
        channel.expect([ExpectError("not_found")]).check(f"RQFL {name!r} (no such file)")
        return f"RQFL {name!r} refused not_found"
    require(target, "put")
    if kind == "exists":
        name, data = fresh_name("sft-refused-state"), os.urandom(64)
        answer, final = put_file(channel, name, data)
        if answer.frame is None or answer.frame.type != b"RSFL" or final is None or (
            final.frame is None or final.frame.type != b"DONE"
        ):
            pytest.skip(f"the first put of {name!r} was not stored: {answer.describe()}")
        offer: dict[str, object] = {"name": name, "size": 64}
        code = "exists"
    elif kind == "too_large":
        if limit >= 2**63 - 1:
            pytest.skip("no finite max file size: nothing is too large")
        offer, code = {"name": fresh_name("sft-refused-big"), "size": limit + 1}, "too_large"
    elif kind == "forbidden-name":
        offer, code = {"name": "../sft-refused-escape.bin", "size": 4}, "forbidden"
    else:
        offer, code = {"name": fresh_name(".sft-partial-refused"), "size": 4}, "forbidden"
    channel.send_frame("PUTF", offer)
    channel.expect([ExpectError(code)]).check(f"PUTF {offer}")
    return f"PUTF {offer} refused {code}"


@pytest.mark.req("FRM-6", "APP-3")
@pytest.mark.parametrize("stray", ["DATA", "DONE"])
@pytest.mark.parametrize("refusal", [*_REFUSALS, "get-not_found"])
def test_stray_put_frame_after_a_refused_putf_is_unexpected(
    target: Target, app_channel: AppChannel, refusal: str, stray: str
) -> None:
    """A `PUTF` refused (non-fatal) — or a get refused `not_found` — then on the same
    connection a `DATA` of 4 bytes (or a `DONE` for them): the connection is idle, so the
    answer MUST be `EROR unexpected_frame` and the close. Catches a refused request's data
    drained or swallowed."""
    channel = app_channel()
    done = _refuse(channel, target, refusal)
    payload = b"abcd"
    if stray == "DATA":
        channel.send_frame("DATA", payload)
    else:
        channel.send_frame("DONE", {"size": 4, "sha256": hashlib.sha256(payload).hexdigest()})
    expect_fatal(
        channel,
        "unexpected_frame",
        context=f"FRM-6: {stray} on the idle connection after {done}",
        violates=("FRM-6",),
    )


@pytest.mark.req("ERR-3", "APP-2")
@pytest.mark.parametrize("refusal", _REFUSALS)
def test_requests_are_served_after_a_refused_putf(
    target: Target, app_channel: AppChannel, refusal: str
) -> None:
    """A `PUTF` refused (non-fatal), then on the same connection a get of a known file (when
    the target serves gets) and a whole put of a fresh name: both MUST be served. Catches
    a connection left waiting for the refused put's data."""
    require(target, "put")
    channel = app_channel()
    done = _refuse(channel, target, refusal)
    if target.has("get"):
        file = known_file(target)
        try:
            result = get_file(channel, file.name)
        except ConformanceFailure as exc:
            exc.violates = ("ERR-3",)
            raise
        if result.refused is not None or hashlib.sha256(result.data).hexdigest() != file.sha256:
            refused = ConformanceFailure.evidence(
                f"ERR-3: RQFL {file.name!r} on the same connection after {done}",
                f"RSFL, DATA and DONE of the file's {file.size} bytes (the connection is idle)",
                result.first.describe(),
            )
            refused.violates = ("ERR-3",)
            raise refused
        done += ", then a get"
    name, data = fresh_name("sft-after-refusal"), os.urandom(100)
    answer, final = put_file(channel, name, data)
    want = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    got = final.frame.json() if final is not None and final.frame is not None else None
    if answer.frame is None or answer.frame.type != b"RSFL" or not isinstance(got, dict) or (
        {k: got.get(k) for k in want} != want
    ):
        unserved = ConformanceFailure.evidence(
            f"ERR-3: a put of {name!r} on the same connection after {done}",
            f"RSFL {{accept: true}}, then DONE {want}",
            answer.describe() + (f"; {final.describe()}" if final is not None else ""),
        )
        unserved.violates = ("ERR-3",)
        raise unserved
