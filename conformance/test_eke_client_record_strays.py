"""An sft-eke/1 CLIENT answers a record that holds no frame of the application protocol with
`unexpected_frame`, on the get's path and on the put's (SPEC FRM-5, FRM-6).

Inside a record only §3's frames have a place. Two kinds of frames a client may be
tempted to let pass there:

* [FRM-6] a login frame sealed in a record — `EKE4 {c}` or `EKE2 {b, c}`: the profile
  defines the type, but not in the record phase ("a repeated confirmation", "a re-key"
  to a client that skips them). It is not allowed in any state of §3.2: `unexpected_frame`.
* [FRM-5] a frame of a type the profile does not define (`NOOP {}`), well-formed:
  `unexpected_frame`. On the get's path (in place of RSFL) this is checked by
  test_eke_client_transfer.py; here it comes on the put's path, after the client's DONE
  and before the receipt — where a client that expects a slow responder's store to take
  a while may take it for a keep-alive.

The stray frame is followed, in the same write, by the honest frames (the get's RSFL,
DATA and DONE; the put's receipt DONE): a client that skips the stray keeps the file, or
reports the put stored. A conforming client answers `EROR unexpected_frame` (FRM-16: a
receiver that judges the payload first may answer `bad_frame`), its get or put fails, and
nothing is kept.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from conformance import test_client_put as puts
from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ReceivedFrame, control, deadline_after, frame_bytes

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_ANSWER_WITHIN = 3.0
_OWED = ("unexpected_frame", "bad_frame")
_PUT_SIZE = 3000


def _stray(kind: str) -> bytes:
    if kind == "eke4":
        return frame_bytes("EKE4", control({"c": secrets.token_hex(48)}))
    if kind == "eke2":
        return frame_bytes(
            "EKE2", control({"b": secrets.token_hex(384), "c": secrets.token_hex(48)})
        )
    return frame_bytes("NOOP", control({}))


# FRM-5: after EKE4 the handshake types are undefined types (an EKE1-EKE4 inside a record);
# FRM-6: a defined type not allowed in the state, as a reader that keeps the handshake
# table reads it. Either is the bug, so both are cited.
_REQUIREMENT = {"eke4": ("FRM-5", "FRM-6"), "eke2": ("FRM-5", "FRM-6"), "noop": ("FRM-5",)}


def _get_lie(kind: str) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        stray = _stray(kind)
        s.frame(stray[:4], stray[8:])
        s.honest()
        s.await_reaction()

    return lie


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param("eke4", marks=[pytest.mark.req("FRM-5", "FRM-6")]),
        pytest.param("eke2", marks=[pytest.mark.req("FRM-5", "FRM-6"), pytest.mark.slow]),
    ],
)
def test_client_get_refuses_a_login_frame_inside_a_record(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    """In place of RSFL, a record holding a well-formed {kind} frame, the honest RSFL, DATA
    and DONE right behind it: EROR unexpected_frame (or bad_frame), the get fails."""
    skip_slow_variant(request)
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _get_lie(kind))
    lies._judge_failed_get(
        case,
        f"{'/'.join(_REQUIREMENT[kind])}: a record holding a {kind.upper()} frame in place "
        "of RSFL, the honest answer right behind it",
        owed="|".join(_OWED),
        server=server,
        own=_REQUIREMENT[kind],
    )


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param("noop", marks=[pytest.mark.req("FRM-5")]),
        pytest.param("eke4", marks=[pytest.mark.req("FRM-5", "FRM-6"), pytest.mark.slow]),
    ],
)
def test_client_put_refuses_a_stray_record_before_its_receipt(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    kind: str,
    request: pytest.FixtureRequest,
) -> None:
    """The put accepted, every byte and the client's DONE read; then a record holding a
    {kind} frame and, right behind it, the honest receipt DONE: EROR unexpected_frame (or
    bad_frame), and the put is not reported stored."""
    skip_slow_variant(request)
    requirements = _REQUIREMENT[kind]
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
        channel.send_raw(_stray(kind))
        channel.send_frame("DONE", {"size": count, "sha256": digest})
        seen.answered += f"; a {kind.upper()} record, then the honest receipt DONE"
        box["stray"] = True
        event = channel.recv_frame(deadline_after(_ANSWER_WITHIN))
        box["answer"] = event
        if isinstance(event, ReceivedFrame):
            seen.after.append(event)
            puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)
        else:
            seen.ended = event.describe()

    put = puts._run_put(
        eke_target, tmp_path, transcripts, puts.Answer(), puts._content(_PUT_SIZE), serve=serve
    )
    if "stray" not in box:
        if not put.seen.sending:
            return  # the client never reached its DONE: judged by test_client_put.py
        raise RuntimeError(f"the suite's responder did not get to its stray: {put.describe()}")
    problems: puts.Problems = []
    if put.run.succeeded or put.run.timed_out:
        problems.extend((r, f"the client {put.run.success_evidence()}") for r in requirements)
    answer = box.get("answer")
    if not (isinstance(answer, ReceivedFrame) and answer.error_name in _OWED):
        shown = answer.describe(80) if hasattr(answer, "describe") else str(answer)
        problems.extend(
            (r, f"its answer to the {kind.upper()} record was {shown}, not EROR unexpected_frame")
            for r in requirements
        )
    puts._fail(
        put,
        problems,
        f"{'/'.join(requirements)}: the put's DONE answered by a {kind.upper()} record, then DONE",
    )
