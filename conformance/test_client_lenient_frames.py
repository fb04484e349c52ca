"""Clients of BOTH profiles against a server whose frames a lenient parser would take.

Each case runs against an sft-eke/1 client (test_eke_client_transfer.py's LyingServer,
after an honest handshake) and an sft-pki/1 initiator (test_pki_initiator_transfer.py's
LyingResponder); only the channel differs.

- [FRM-2] the answer to the get is an RSFL whose type bytes are in lower case (`rsfl`):
  not four bytes of `A`–`Z`, `0`–`9`, `_`, so `EROR bad_frame`. A client that upper-cases
  a type before checking it (or compares types case-blind) takes it as RSFL: if it says
  nothing within a few seconds, the data and DONE follow, and it keeps a file.
- [ERR-8] the answer to the get is `EROR {"code": "6", ...}`: `code` is a string, so
  the EROR is malformed; it still ends the connection: the client answers `bad_frame` or
  closes. A client that parses the string ("6" is `not_found`) treats it as a non-fatal
  refusal and stays: it says `BYE_`, or asks again. (test_client_lies.py's string code
  is "11", a fatal code: parsed or not, that client closes; a non-fatal code tells.)

A `BYE_` the client pipelined behind its request (APP-2) is read before the lie is sent,
so that only what the client sends in reaction to it is judged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance import test_eke_client_transfer as eke_lies
from conformance import test_pki_initiator_transfer as pki_lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    Event,
    ReceivedFrame,
    TimedOut,
    control,
    deadline_after,
)

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator")]

_PKI = pytest.mark.profile("pki")

# Frames the client may have pipelined behind its RQFL (a BYE_): read for this long first.
_PIPELINE_WAIT = 0.3
# How long the client has to answer the lie before the rest of an honest get follows.
_ANSWER_WITHIN = 2.0
_REACTION = 5.0
_BAD_RSFL = "rsfl"
_STRING_CODE = b'{"code":"6","name":"not_found","message":"suite: a string code"}'


def _drain_pipelined(peer: Any) -> list[str]:
    seen = []
    end = deadline_after(_PIPELINE_WAIT)
    for _ in range(4):
        event = peer.channel.recv_frame(end)
        if not isinstance(event, ReceivedFrame):
            break
        seen.append(event.describe(60))
    return seen


def _lowercase_rsfl(box: dict[str, Any]) -> Any:
    def lie(peer: Any) -> None:
        box["pipelined"] = _drain_pipelined(peer)
        payload = control({"name": eke_lies.NAME, "size": eke_lies.SIZE})
        peer.frame(_BAD_RSFL, payload)
        event = peer.channel.recv_frame(deadline_after(_ANSWER_WITHIN))
        if isinstance(event, TimedOut):
            box["rest"] = True
            peer.data(eke_lies.CONTENT)
            peer.done()
            event = peer.channel.recv_frame(deadline_after(_REACTION))
        box["reaction"] = event
        peer.reaction = event

    return lie


def _string_code(box: dict[str, Any]) -> Any:
    def lie(peer: Any) -> None:
        box["pipelined"] = _drain_pipelined(peer)
        peer.frame("EROR", _STRING_CODE)
        event = peer.channel.recv_frame(deadline_after(_REACTION))
        box["reaction"] = event
        peer.reaction = event

    return lie


def _judge(
    box: dict[str, Any],
    *,
    requirement: str,
    what: str,
    allow_close: bool,
    succeeded: bool,
    kept: bool,
    note: str,
) -> None:
    reaction: Event | None = box.get("reaction")
    problems = []
    good_error = isinstance(reaction, ReceivedFrame) and reaction.error_name == "bad_frame"
    if not good_error and not (allow_close and isinstance(reaction, Closed)):
        shown = reaction.describe() if reaction is not None else "(nothing recorded)"
        if box.get("rest"):
            shown += f" (nothing within {_ANSWER_WITHIN:g} s: the data and DONE then followed)"
        problems.append(f"the client's answer: {shown}")
    if succeeded:
        problems.append("the client reported success")
    if kept:
        problems.append("the client kept the file")
    if problems:
        owed = "EROR bad_frame" + (" or the close" if allow_close else "") + "; a failed get"
        raise ConformanceFailure(
            f"{what}\nExpected: {owed}\nActual:   {'; '.join(problems)}\n"
            f"Note: pipelined before the lie: {box.get('pipelined') or 'nothing'}; {note}",
            violates=(requirement,),
        )


_WHAT_FRM2 = (
    f"FRM-2: the answer to the get has the type bytes {_BAD_RSFL!r} (an RSFL in lower case)"
)
_WHAT_ERR8 = f"ERR-8: EROR {_STRING_CODE.decode()} (a string code) answering the get"


@pytest.mark.req("FRM-2")
@pytest.mark.profile("eke")
@pytest.mark.xdist_group("eke-client")
def test_eke_client_refuses_a_frame_type_in_lower_case(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    box: dict[str, Any] = {}
    case, _server = eke_lies._run_lie(eke_target, tmp_path, transcripts, _lowercase_rsfl(box))
    _judge(
        box,
        requirement="FRM-2",
        what=_WHAT_FRM2,
        allow_close=False,
        succeeded=case.result.succeeded,
        kept=case.result.kept_file,
        note=case.describe(),
    )


@_PKI
@pytest.mark.req("FRM-2")
def test_pki_initiator_refuses_a_frame_type_in_lower_case(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    box: dict[str, Any] = {}
    got = pki_lies._run_lie(target, tmp_path, transcripts, _lowercase_rsfl(box))
    _judge(
        box,
        requirement="FRM-2",
        what=_WHAT_FRM2,
        allow_close=False,
        succeeded=got.run.succeeded,
        kept=got.run.kept_file,
        note=got.describe(),
    )


@pytest.mark.req("ERR-8")
@pytest.mark.profile("eke")
@pytest.mark.xdist_group("eke-client")
def test_eke_client_ends_on_an_error_with_a_string_code(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    box: dict[str, Any] = {}
    case, _server = eke_lies._run_lie(eke_target, tmp_path, transcripts, _string_code(box))
    _judge(
        box,
        requirement="ERR-8",
        what=_WHAT_ERR8,
        allow_close=True,
        succeeded=case.result.succeeded,
        kept=case.result.kept_file,
        note=case.describe(),
    )


@_PKI
@pytest.mark.req("ERR-8")
def test_pki_initiator_ends_on_an_error_with_a_string_code(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    box: dict[str, Any] = {}
    got = pki_lies._run_lie(target, tmp_path, transcripts, _string_code(box))
    _judge(
        box,
        requirement="ERR-8",
        what=_WHAT_ERR8,
        allow_close=True,
        succeeded=got.run.succeeded,
        kept=got.run.kept_file,
        note=got.describe(),
    )
