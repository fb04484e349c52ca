"""An `EROR` from the initiator ends the connection whatever its code (docs/SPEC.md ERR-3,
§3.2 table, last row): the responder side.

Belongs beside conformance/test_framing.py's "errors" cases, which send codes ERR-2 does
not list (ERR-4: `internal`, fatal). These send codes ERR-2 lists as NON-fatal
(`forbidden`, `not_found`, `too_large`, `exists`, `unsupported`) and a fatal one that is
not `internal`: a responder that reads the code to decide whether to close ("only a
fatal code ends it", "only `internal` ends it") keeps serving after them, although
ERR-3 says a responder closes on every `EROR` it receives — in IDLE and during a put.

Each case pipelines, in the same write as the `EROR`, what a still-listening responder
would answer (a get of a known file; the rest of a put and its `DONE`), so carrying on is
seen at once, not only through the idle timeout. Fixtures (conformance/plugin.py):
`target`, `app_channel()`.
"""

from __future__ import annotations

import hashlib
import os

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, known_file, require
from conformance.scenario import send_split_frames
from conformance.target import Target
from conformance.wire import (
    ConformanceFailure,
    ExpectClose,
    ExpectError,
    ExpectFrame,
    control,
    frame_bytes,
)

# ERR-2's codes and names. Non-fatal ones, and a fatal one that is not `internal`.
_CODES = {
    5: "forbidden",
    6: "not_found",
    7: "too_large",
    12: "exists",
    13: "unsupported",
    8: "integrity_failed",
}


def _eror(code: int) -> bytes:
    return frame_bytes(
        "EROR", control({"code": code, "name": _CODES[code], "message": "suite: giving up"})
    )


@pytest.mark.req("ERR-3")
@pytest.mark.parametrize("code", sorted(_CODES))
def test_error_of_any_listed_code_in_idle_ends_the_connection(
    target: Target, app_channel: AppChannel, code: int
) -> None:
    """An `EROR` of a code ERR-2 lists, then a get in the same write: the responder
    closes (an `EROR` before the close is tolerated) and never serves the get."""
    file = known_file(target)
    channel = app_channel()
    frames = [_eror(code), frame_bytes("RQFL", control({"name": file.name}))]
    send_split_frames(channel, frames, [sum(len(f) for f in frames)])
    outcome = channel.expect([ExpectClose(), ExpectError(then_close=True)])
    answer = outcome.frame
    if answer is not None and answer.type != b"EROR":
        failure = ConformanceFailure.evidence(
            f"ERR-3: EROR {_CODES[code]} (code {code}) from the initiator in IDLE, then RQFL "
            f"{file.name!r} in the same write",
            "the close (or an EROR, then the close): a responder closes on every EROR it "
            "receives, whatever its code; the get behind it is never served",
            answer.describe(),
        )
        failure.violates = ("ERR-3",)
        raise failure
    outcome.check(f"ERR-3: EROR {_CODES[code]} (code {code}) from the initiator in IDLE")


@pytest.mark.req("ERR-3")
@pytest.mark.parametrize("code", [5, 8])
def test_error_during_a_put_ends_the_connection(
    target: Target, app_channel: AppChannel, code: int
) -> None:
    """Half a put, then an `EROR`, the other half and the right `DONE` in one write: the
    responder closes at the `EROR` (an `EROR` of its own first is tolerated); it never
    completes the put and answers `DONE`."""
    require(target, "put")
    content = os.urandom(2048)
    digest = hashlib.sha256(content).hexdigest()
    name = fresh_name()
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": len(content)})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {name!r}")
    channel.send_frame("DATA", content[:1024])
    frames = [
        _eror(code),
        frame_bytes("DATA", content[1024:]),
        frame_bytes("DONE", control({"size": len(content), "sha256": digest})),
    ]
    send_split_frames(channel, frames, [sum(len(f) for f in frames)])
    outcome = channel.expect([ExpectClose(), ExpectError(then_close=True)])
    answer = outcome.frame
    if answer is not None and answer.type != b"EROR":
        failure = ConformanceFailure.evidence(
            f"ERR-3: EROR {_CODES[code]} (code {code}) from the initiator during a put, then "
            "the rest of the data and DONE in the same write",
            "the close (or an EROR, then the close): a responder closes on every EROR it "
            "receives; the put is abandoned",
            answer.describe(),
        )
        failure.violates = ("ERR-3",)
        raise failure
    outcome.check(f"ERR-3: EROR {_CODES[code]} (code {code}) from the initiator during a put")
