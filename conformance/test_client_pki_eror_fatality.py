"""sft-pki/1 INITIATOR: every fatal code ends the connection, whatever else the EROR
carries, and an EROR is held to the frame limits like any control frame (docs/SPEC.md
ERR-2, ERR-3, ERR-4, FRM-3, FRM-8, FRM-10, APP-PUT-10).

- [ERR-3] The suite answers the client's RQFL with an EROR of each fatal code the other
  cases do not try — `auth_failed`, `busy`, `timeout`, `throttled` (the last two with
  `retry_after`) — carrying besides the members ERR-1 names a member the schema does not
  define, `"fatal": false` (FRM-10: ignored). Then it sends nothing and keeps the
  connection open: the client must fail the get and close within PROMPT_CLOSE seconds
  (test_client_fatal_errors.py's rule). A client whose list of fatal codes stops before
  the newer ones (`throttled`), or that lets the EROR say whether it is fatal (as a TLS
  alert's level does), stays IDLE and says BYE_ instead.
- [FRM-8] An EROR of more than 65 536 bytes (a non-fatal code, padded) is refused
  `frame_too_large` like any control frame: "errors always get through" is no exception.
- [FRM-3] An EROR header announcing 4 GiB, answering the RQFL or in the middle of the get,
  is refused `frame_too_large` from its header alone: a client that exempts EROR from its
  frame limit waits for 4 GiB.
- [APP-PUT-10] In place of the responder's DONE answering a put, an EROR of code 0 (or
  of a code ERR-2 does not list: `internal`, ERR-4): the put failed. A client that reads
  code 0 as "no error" (errno style) reports it stored.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_client_put as puts
from conformance import test_pki_initiator_transfer as pki_lies
from conformance.channel import Channel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_fatal_errors import Ending, _judge_ending, _judge_pki_close, _watch
from conformance.wire import control, deadline_after, frame_bytes, header_bytes

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

# name -> (code, retry_after or None)
_FATAL = {
    "auth_failed": (4, None),
    "busy": (9, 1),
    "timeout": (10, None),
    "throttled": (14, 1),
}


def _fatal_eror(name: str) -> bytes:
    code, retry_after = _FATAL[name]
    obj: dict[str, object] = {"code": code, "name": name, "message": "suite: fatal error"}
    if retry_after is not None:
        obj["retry_after"] = retry_after
    obj["fatal"] = False  # not a member ERR-1 defines: ignored (FRM-10)
    return control(obj)


@pytest.mark.req("ERR-3", "FRM-10", "PKI-TLS-7")
@pytest.mark.parametrize("name", sorted(_FATAL))
def test_pki_initiator_closes_after_every_fatal_code(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, name: str
) -> None:
    box: dict[str, Ending] = {}

    def lie(r: pki_lies.LyingResponder) -> None:
        r.frame("EROR", _fatal_eror(name))
        box["ending"] = _watch(lambda left: r.channel.recv_frame(deadline_after(left)))
        r.ended = True

    code = _FATAL[name][0]
    what = f'EROR {name} (code {code}, with "fatal": false) answering RQFL'
    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    pki_lies._judge_failed_get(got, what, None, ("ERR-3",))
    _judge_ending(box["ending"], name, code)
    _judge_pki_close(box["ending"], what)


def _eror_over_64_kib() -> bytes:
    payload = control(
        {"code": 6, "name": "not_found", "message": "suite: not found", "pad": "x" * 65536}
    )
    assert len(payload) > 65536
    return frame_bytes("EROR", payload)


_OVERSIZE = [
    pytest.param(
        pki_lies._malformed(_eror_over_64_kib()),
        marks=pytest.mark.req("FRM-8"),
        id="eror-over-64-kib",
    ),
    pytest.param(
        pki_lies._malformed(header_bytes("EROR", 0xFFFFFFF0)),
        marks=pytest.mark.req("FRM-3"),
        id="eror-header-announces-4-gib",
    ),
    pytest.param(
        pki_lies._after_rsfl(header_bytes("EROR", 0xFFFFFFF0)),
        marks=pytest.mark.req("FRM-3"),
        id="eror-header-4-gib-mid-get",
    ),
]


@pytest.mark.parametrize("lie", _OVERSIZE)
def test_pki_initiator_holds_an_eror_to_the_frame_limits(
    target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    lie: pki_lies.Lie,
    request: pytest.FixtureRequest,
) -> None:
    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    what = f"{request.node.callspec.id}: the responder's EROR breaks the frame limits"
    pki_lies._judge_failed_get(got, what, "frame_too_large", pki_lies._lie_requirements(request))


_RECEIPT_CODES = {"code-0": 0, "code-99": 99}


def _serve_then_eror(code: int) -> puts.Serve:
    def serve(channel: Channel, seen: puts.PutSeen, answer: puts.Answer, name: str) -> None:
        puts._serve_put(channel, seen, puts.Answer(final="close"), name)
        if not seen.answered.endswith(puts._UNANSWERED):
            return  # the put never reached its DONE: judged as the other puts are
        channel.send_frame(
            "EROR", control({"code": code, "name": "internal", "message": "suite: status"})
        )
        seen.answered = seen.answered[: -len(puts._UNANSWERED)] + f"; EROR code {code}"
        seen.ended = ""
        puts._drain(channel, seen, seen.after, puts.AFTER_WAIT)

    return serve


@pytest.mark.req("APP-PUT-10", "ERR-4")
@pytest.mark.parametrize("label", sorted(_RECEIPT_CODES))
def test_pki_initiator_put_reports_an_eror_of_any_code_in_place_of_done_as_failure(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    code = _RECEIPT_CODES[label]
    put = puts._run_put(
        target, tmp_path, transcripts, puts.Answer(), puts._content(5000), _serve_then_eror(code)
    )
    problems: puts.Problems = []
    puts._judge_common(put, problems)
    puts._judge_sent_file(put, problems)
    if f"EROR code {code}" in put.seen.answered and (put.run.succeeded or put.run.timed_out):
        problems.append(
            (
                "APP-PUT-10",
                f"the responder answered the client's DONE with EROR code {code} (not a "
                "DONE: a code ERR-2 does not list is `internal`, ERR-4), yet the client "
                f"{put.run.success_evidence()}",
            )
        )
    puts._fail(put, problems, f"a put answered EROR code {code} in place of DONE")
