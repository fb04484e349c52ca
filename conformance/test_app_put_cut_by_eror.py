"""An `EROR` from the initiator during a put ends the put AND the connection, whatever its
code and wherever in the put it comes (docs/SPEC.md §3.2 APP-3, ERR-3, APP-STORE-3).

The §3.2 table's last row: "any | `EROR` | discard any partial file, close | CLOSED".
A responder that reads a non-fatal code during a put as "the initiator cancels this
transfer" — drops the put, removes its temporary and goes back to IDLE, where the next
request is served (ERR-3's sentence on the responder's OWN non-fatal refusals applied to
the ones it receives) — passes every case that follows the `EROR` with the rest of the
put: the `DATA` then arrives in IDLE and its `unexpected_frame` looks like the tolerated
answer to the `EROR`. So each case here puts a REQUEST behind the `EROR`, in the same
write: a get of a known file. A responder that closed never answers it; one that went
back to IDLE answers `RSFL`. A responder that commits the put at the `EROR` (its bytes
all in: "the initiator failed after sending everything") is seen by the name: on a new
connection an honest put of it must be accepted and stored, not `exists`.

Positions: right after `RSFL {accept}` (no `DATA` yet), after half the bytes, after all
the bytes (no `DONE`). Codes: every non-fatal one of ERR-2, a fatal one that is not
`internal`, and an unknown one (ERR-4). Fixtures (conformance/plugin.py): `target`,
`app_channel()`.
"""

from __future__ import annotations

import hashlib
import os
from typing import Final

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, known_file, put_file, require
from conformance.channel import Channel
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

__all__: list[str] = []

_CODES: Final = {
    5: "forbidden",
    6: "not_found",
    7: "too_large",
    12: "exists",
    13: "unsupported",
    8: "integrity_failed",
    99: "unknown",
}
_POSITIONS: Final = ("after-accept", "after-half", "after-all-data")
_SIZE: Final = 4096


def _sent_before_eror(position: str, content: bytes) -> list[bytes]:
    if position == "after-accept":
        return []
    if position == "after-half":
        return [frame_bytes("DATA", content[: len(content) // 2])]
    return [frame_bytes("DATA", content)]


@pytest.mark.req("APP-3", "ERR-3", "APP-STORE-3")
@pytest.mark.parametrize("position", _POSITIONS)
def test_eror_during_a_put_closes_whatever_its_code(
    target: Target, app_channel: AppChannel, position: str
) -> None:
    """For each code: PUTF (accepted), the put up to `position`, then in one write `EROR`
    and an `RQFL` of a known file: the close (an `EROR` of the responder first is
    tolerated), never an `RSFL`; then the name is free for an honest put."""
    require(target, "put")
    file = known_file(target)
    for code, code_name in _CODES.items():
        content = os.urandom(_SIZE)
        name = fresh_name("sft-cut-by-eror")
        channel = app_channel()
        try:
            _cut_put(channel, file.name, name, content, code, code_name, position)
        finally:
            channel.close()
        _assert_stored_afresh(app_channel, name, f"a put cut by EROR {code_name} ({position})")


def _cut_put(
    channel: Channel,
    known: str,
    name: str,
    content: bytes,
    code: int,
    code_name: str,
    position: str,
) -> None:
    channel.send_frame("PUTF", {"name": name, "size": len(content)})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(
        f"APP-3: PUTF {name!r} of {len(content)} bytes"
    )
    eror = frame_bytes(
        "EROR", control({"code": code, "name": code_name, "message": "suite: giving up"})
    )
    frames = [
        *_sent_before_eror(position, content),
        eror,
        frame_bytes("RQFL", control({"name": known})),
    ]
    send_split_frames(channel, frames, [sum(len(f) for f in frames)])
    outcome = channel.expect([ExpectClose(), ExpectError(then_close=True)])
    what = (
        f"APP-3: PUTF {name!r} accepted, the put {position.replace('-', ' ')}, then in one "
        f"write EROR {code_name} (code {code}) from the initiator and RQFL {known!r}"
    )
    answer = outcome.frame
    if answer is not None and answer.type != b"EROR":
        failure = ConformanceFailure.evidence(
            what,
            "the close (or an EROR, then the close): 'any | EROR | discard any partial "
            "file, close' — the get behind the EROR is never served",
            answer.describe(),
            "the put was dropped and the connection went back to IDLE",
        )
        failure.violates = ("APP-3", "ERR-3")
        raise failure
    try:
        outcome.check(what)
    except ConformanceFailure as exc:
        exc.violates = exc.violates or ("APP-3", "ERR-3")
        raise


def _assert_stored_afresh(app_channel: AppChannel, name: str, what: str) -> None:
    """Nothing was stored under `name` by the put the EROR ended: an honest put of it,
    on a new connection, is accepted and stored [APP-STORE-3]."""
    content = b"the honest put after a put cut by EROR"
    channel = app_channel()
    try:
        answer, final = put_file(channel, name, content)
    finally:
        channel.close()
    stored = (
        answer.frame is not None
        and answer.frame.type == b"RSFL"
        and final is not None
        and final.frame is not None
        and final.frame.type == b"DONE"
    )
    if not stored:
        got = answer.describe() if final is None else f"{answer.describe()}; {final.describe()}"
        failure = ConformanceFailure.evidence(
            f"APP-STORE-3: after {what}",
            f"an honest put of {name!r} on a new connection is accepted and stored: the "
            "EROR discarded the first put",
            got,
        )
        failure.violates = ("APP-STORE-3", "APP-3")
        raise failure
    digest = hashlib.sha256(content).hexdigest()
    if final is not None and final.frame is not None:
        receipt = final.frame.json() or {}
        if receipt.get("sha256") != digest:
            raise ConformanceFailure.evidence(
                f"APP-STORE-3: after {what}, the honest put of {name!r}",
                f"DONE sha256 {digest}",
                final.describe(),
            )
