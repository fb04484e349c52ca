"""sft-eke/1: a frame repeated after its exchange ended is out of place (SPEC §3.2 APP-1,
FRM-6).

"A responder receiving `RSFL` or `DONE` in IDLE MUST answer `unexpected_frame`." The
obvious probe (a DONE on a fresh connection) passes responders that remember the last
exchange and take its repetition kindly: "the client lost our receipt and sends its DONE
again — acknowledge it once more", or "an extra DATA after the DONE is a retransmission".
The state after an exchange is IDLE whatever the exchange was, so each case ends one
exchange (a stored put, a refused put, a get) and then repeats, on the same connection,
a frame that exchange legitimately carried: the answer must be `unexpected_frame` (fatal,
then the close), never a second receipt or silence.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable

import pytest

from conformance._wire_fixtures import fresh_name, get_file, put_file
from conformance.eke_channel import EkeChannel
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ReceivedFrame

ChannelFactory = Callable[..., EkeChannel]

# FRM-16: a frame not allowed in this state whose payload is also malformed may be
# bad_frame; the repeated frames here are well formed, so unexpected_frame is the code.
_UNEXPECTED = ExpectError("unexpected_frame", then_close=True)


def _repeat(
    channel: EkeChannel, frame_type: str, payload: bytes | dict[str, object], what: str
) -> None:
    channel.send_frame(frame_type, payload)
    outcome = channel.expect([_UNEXPECTED])
    if not outcome.ok:
        got = outcome.actual
        extra = ""
        if isinstance(got, ReceivedFrame) and got.type == b"DONE":
            extra = "\nThe responder acknowledged the repetition with a second DONE."
        raise ConformanceFailure(
            f"{what}: {frame_type} repeated in IDLE\n{outcome.describe()}{extra}\n"
            "APP-1 / FRM-6: once the exchange ended the responder is IDLE; a DONE, DATA or "
            "RSFL there is unexpected_frame (fatal), whatever the last exchange was.",
            violates=("APP-1",),
        )


def _stored_put(channel: EkeChannel, data: bytes) -> dict[str, object]:
    name = fresh_name("sft-stray")
    answer, final = put_file(channel, name, data)
    if final is None or final.frame is None or final.frame.type != b"DONE":
        pytest.skip(f"the put that sets the case up was not stored: {answer.describe()}")
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


@pytest.mark.req("APP-1", "FRM-6")
@pytest.mark.parametrize("repeat", ["done", "data", "done-of-another-put"])
def test_a_frame_repeated_after_a_stored_put_is_unexpected(
    eke_target: Target, eke_channel_factory: ChannelFactory, repeat: str
) -> None:
    """A put is stored (DONE answered by DONE); then on the same connection its DONE again,
    one more DATA, or a DONE of other bytes: `unexpected_frame`."""
    if not eke_target.has("put"):
        pytest.skip("the target accepts no puts")
    channel = eke_channel_factory()
    data = secrets.token_bytes(1000)
    done = _stored_put(channel, data)
    if repeat == "done":
        _repeat(channel, "DONE", done, "after a stored put, its own DONE again")
    elif repeat == "data":
        _repeat(channel, "DATA", data[:100], "after a stored put, one more DATA")
    else:
        other = secrets.token_bytes(10)
        _repeat(
            channel,
            "DONE",
            {"size": len(other), "sha256": hashlib.sha256(other).hexdigest()},
            "after a stored put, a DONE of other bytes",
        )


@pytest.mark.req("APP-1", "FRM-6")
def test_a_done_after_a_refused_put_is_unexpected(
    eke_target: Target, eke_channel_factory: ChannelFactory
) -> None:
    """A put is stored, a second PUTF of its name is refused (`exists`, non-fatal: IDLE
    again); the DONE the refused put would have sent is `unexpected_frame`."""
    if not eke_target.has("put"):
        pytest.skip("the target accepts no puts")
    channel = eke_channel_factory()
    data = secrets.token_bytes(500)
    name = fresh_name("sft-stray-refused")
    answer, final = put_file(channel, name, data)
    if final is None or final.frame is None or final.frame.type != b"DONE":
        pytest.skip(f"the put that sets the case up was not stored: {answer.describe()}")
    channel.send_frame("PUTF", {"name": name, "size": len(data)})
    channel.expect([ExpectError("exists", then_close=False)]).check(
        f"a second PUTF of {name!r} (stored a moment ago)"
    )
    _repeat(
        channel,
        "DONE",
        {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()},
        "after a PUTF refused `exists`, the DONE of its bytes",
    )


@pytest.mark.req("APP-1", "FRM-6")
@pytest.mark.parametrize("repeat", ["done", "rsfl"])
def test_a_frame_echoed_after_a_get_is_unexpected(
    eke_target: Target, eke_channel_factory: ChannelFactory, repeat: str
) -> None:
    """A get completes; the initiator then sends the get's own DONE or RSFL back:
    `unexpected_frame` (a responder never receives either in IDLE)."""
    known = eke_target.file("hello.txt") or eke_target.file()
    if known is None:
        pytest.skip("no known file in the target's share")
    channel = eke_channel_factory()
    result = get_file(channel, known.name)
    if result.done is None or result.first.frame is None:
        pytest.skip(f"the get that sets the case up was refused: {result.first.describe()}")
    frame = result.done if repeat == "done" else result.first.frame
    _repeat(
        channel,
        frame.type.decode(),
        frame.payload,
        f"after a get of {known.name!r}, its {frame.type.decode()} sent back",
    )
