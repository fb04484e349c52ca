"""A transfer's frames repeated after it ended are unexpected (docs/SPEC.md §3.2 APP-1,
FRM-6).

Once a transfer is over the responder is IDLE, where only requests are allowed: a `DONE`,
an `RSFL` or a `DATA` there MUST be answered `unexpected_frame` (fatal, then the close).
test_framing.py sends such frames on a fresh connection. The class here (lens 3 of round
18, "one repeated after its state"): the frame comes right after the transfer it belongs
to, identical to one that was valid a moment ago — the put's own `DONE` sent again (a
"retransmission"), the get's `DONE` or `RSFL` echoed back, the `DATA` and `DONE` of a put
the responder had refused. A responder that remembers the last transfer and tolerates a
duplicate of it (idempotent retries), or that drains the tail of a refused put, answers
nothing or answers the next request as if nothing happened. Both profiles; one connection
per repeat, each ends with the fatal answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

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
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, control

_UNEXPECTED = ExpectError("unexpected_frame")


def _put_then_repeat_done(target: Target, channel: Channel) -> tuple[str, str, bytes]:
    require(target, "put")
    name = fresh_name("sft-b18-repeat")
    data = b"a put whose DONE comes twice\n"
    answer, final = put_file(channel, name, data)
    answer.check(f"PUTF {name!r}")
    if final is None or final.frame is None or final.frame.type != b"DONE":
        raise ConformanceFailure(f"APP-PUT-5: the honest put of {name!r}: {final}")
    done = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return "DONE", f"the put of {name!r} acknowledged, then its DONE {done} again", control(done)


def _get_then(kind: str) -> Callable[[Target, Channel], tuple[str, str, bytes]]:
    def run(target: Target, channel: Channel) -> tuple[str, str, bytes]:
        file = known_file(target)
        got = get_file(channel, file.name)
        if kind == "DONE":
            assert got.done is not None
            return "DONE", f"the get of {file.name!r} ended, then its DONE echoed", got.done.payload
        rsfl = got.frames[0]
        return "RSFL", f"the get of {file.name!r} ended, then its RSFL echoed", rsfl.payload

    return run


def _refused_put_tail(target: Target, channel: Channel) -> tuple[str, str, bytes]:
    require(target, "put")
    name = fresh_name("sft-b18-refused")
    data = b"x"
    answer, _ = put_file(channel, name, data)
    answer.check(f"PUTF {name!r}")
    answer, _ = put_file(channel, name, data)  # now `exists`: refused, non-fatal
    if answer.frame is None or answer.frame.error_name != "exists":
        raise ConformanceFailure(f"APP-PUT-3: a second PUTF of {name!r}: {answer.describe()}")
    return "DATA", f"PUTF {name!r} refused exists, then the put's DATA anyway", data


_CASES: dict[str, Callable[[Target, Channel], tuple[str, str, bytes]]] = {
    "put-done-again": _put_then_repeat_done,
    "get-done-echoed": _get_then("DONE"),
    "get-rsfl-echoed": _get_then("RSFL"),
    "refused-put-data": _refused_put_tail,
}


@pytest.mark.req("APP-1", "FRM-6")
@pytest.mark.parametrize("case", list(_CASES))
def test_frame_of_a_finished_transfer_is_unexpected(
    target: Target, app_channel: AppChannel, case: str
) -> None:
    """After a transfer ended (IDLE), a DONE, RSFL or DATA that belonged to it is answered
    EROR unexpected_frame and the connection closes; a request sent behind it is never
    answered."""
    channel = app_channel()
    frame_type, what, payload = _CASES[case](target, channel)
    channel.send_frame(frame_type, payload)
    # A request right behind it: answered only by a responder that ignored the repeat.
    channel.send_frame("RQFL", {"name": fresh_name("sft-b18-after-repeat")})
    answer = channel.expect([_UNEXPECTED])
    if not answer.ok:
        failure = ConformanceFailure.evidence(
            f"{what} (IDLE: only RQFL, PUTF, BYE_ are allowed, §3.2)",
            "EROR unexpected_frame, then the close [APP-1, FRM-6]",
            answer.describe(),
        )
        raise failure
