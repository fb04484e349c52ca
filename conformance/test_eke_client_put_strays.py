"""An sft-eke/1 CLIENT takes only a DONE as its put's receipt: a frame out of place before
it is an error, not noise (SPEC FRM-6, APP-PUT-10).

After its DONE the client awaits `DONE | EROR` (§3.2). A client that waits for "the" DONE
and skips whatever else comes — a repeated acceptance `RSFL {accept}` ("the server said it
twice"), a get's `RSFL`, a `BYE_` — then reports the put stored on the DONE that follows.
Any such frame is not allowed in that state: `unexpected_frame` (fatal; FRM-16 lets a
receiver that judges the payload first answer `bad_frame`), and the put fails.

The suite accepts the put, reads every byte and the client's DONE, then sends the stray
frame and, right behind it, the honest receipt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance import test_client_put as puts
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ReceivedFrame, control, deadline_after, frame_bytes

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_SIZE = 3000
_ANSWER_WITHIN = 3.0
_OWED = ("unexpected_frame", "bad_frame")


def _stray(kind: str, offered: str, count: int) -> bytes:
    if kind == "rsfl-accept-again":
        return frame_bytes("RSFL", control({"accept": True, "name": offered}))
    if kind == "rsfl-of-a-get":
        return frame_bytes("RSFL", control({"name": offered, "size": count}))
    return frame_bytes("BYE_", control({}))


_KINDS = ("rsfl-accept-again", "rsfl-of-a-get", "bye")
_DEFAULT = frozenset({"rsfl-accept-again"})


@pytest.mark.req("FRM-6")
@pytest.mark.parametrize(
    "kind", [pytest.param(k, marks=[] if k in _DEFAULT else [pytest.mark.slow]) for k in _KINDS]
)
def test_initiator_put_refuses_a_stray_frame_before_its_receipt(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    """The put's DONE answered by the stray frame of `kind`, then the honest DONE: the
    client answers EROR unexpected_frame (or bad_frame) and does not report the put
    stored."""
    skip_slow_variant(request)
    box: dict[str, object] = {}

    def serve(channel: Any, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        offered = puts.read_offer(channel, seen, name)
        if offered is None:
            return
        channel.send_frame("RSFL", puts._accept(offered))
        seen.answered = "RSFL accept"
        got = puts.read_put_data(channel, seen)
        if got is None:
            return
        count, digest = got
        channel.send_raw(_stray(kind, offered, count))
        channel.send_frame("DONE", {"size": count, "sha256": digest})
        seen.answered += f"; {kind}, then the honest receipt DONE"
        box["stray"] = True
        event = channel.recv_frame(deadline_after(_ANSWER_WITHIN))
        box["answer"] = event
        if isinstance(event, ReceivedFrame):
            seen.after.append(event)
            puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)
        else:
            seen.ended = event.describe()

    put = puts._run_put(
        eke_target, tmp_path, transcripts, puts.Answer(), puts._content(_SIZE), serve=serve
    )
    if "stray" not in box:
        if not put.seen.sending:
            return  # the client never reached its DONE: judged by test_client_put.py
        raise RuntimeError(f"the suite's responder did not get to its stray: {put.describe()}")
    problems: puts.Problems = []
    if put.run.succeeded or put.run.timed_out:
        problems.append(("FRM-6", f"the client {put.run.success_evidence()}"))
    answer = box.get("answer")
    if not (isinstance(answer, ReceivedFrame) and answer.error_name in _OWED):
        shown = answer.describe(80) if hasattr(answer, "describe") else str(answer)
        problems.append(
            ("FRM-6", f"its answer to the {kind} was {shown}, not EROR unexpected_frame")
        )
    puts._fail(put, problems, f"FRM-6: the put's DONE answered by a stray {kind}, then DONE")
