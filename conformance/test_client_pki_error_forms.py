"""sft-pki/1 INITIATOR told of an error in forms a lenient reader bends (docs/SPEC.md §2).

The suite plays the responder and answers the client's RQFL with an `EROR`:

- [ERR-4] a code ERR-2 does not list but which wraps onto a non-fatal code in a narrow
  integer: 2^8 + 6, 2^16 + 6, 2^32 + 6, 2^32 + 12 (a reader holding `code` in a uint8,
  uint16 or uint32 sees `not_found` or `exists`). Every one is unknown, so `internal`
  (fatal): the client fails the get and closes within PROMPT_CLOSE seconds, with a
  close_notify (PKI-TLS-7), as test_client_fatal_errors.py asks for the codes it lists;
- [ERR-3] a fatal `busy` or `throttled` that carries `retry_after` (which only a
  `throttled` must carry, ERR-7): still fatal. The client closes at once and sends no
  request again on that connection — "try later" is not "stay and ask again";
- [ERR-8] a malformed EROR — no `code`, `code` null, 6.0, -6, true, 2^63 or "6" in an
  array: it still ends the connection; the client answers `bad_frame` or closes, never
  goes on as after a non-fatal refusal (its BYE_, a request). (test_client_lenient_frames.py
  has the string "6".)

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance import test_pki_initiator_transfer as pki_lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_fatal_errors import (
    Ending,
    _judge_ending,
    _judge_pki_close,
    _watch,
)
from conformance.test_client_lenient_frames import _drain_pipelined, _judge
from conformance.wire import ConformanceFailure, control, deadline_after

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_REACTION = 5.0

# Unknown codes that a narrow integer wraps onto a non-fatal one (6 not_found, 12 exists).
_WRAPPED = {
    "unknown-2^8+6": (1 << 8) + 6,
    "unknown-2^16+6": (1 << 16) + 6,
    "unknown-2^32+6": (1 << 32) + 6,
    "unknown-2^32+12": (1 << 32) + 12,
}

# Frames a client must not send once a fatal EROR came: a request or a transfer's frame.
_REQUESTS = ("RQFL", "PUTF", "DATA", "DONE")


def _ending_requests(ending: Ending) -> list[str]:
    return [f for f in ending.frames if f.split(" ", 1)[0] in _REQUESTS]


@pytest.mark.req("ERR-3", "ERR-4", "PKI-TLS-7")
@pytest.mark.parametrize("label", sorted(_WRAPPED))
def test_pki_initiator_treats_a_wrapped_unknown_code_as_fatal(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    code = _WRAPPED[label]
    box: dict[str, Ending] = {}

    def lie(r: pki_lies.LyingResponder) -> None:
        r.frame("EROR", control({"code": code, "name": "internal", "message": "suite: error"}))
        box["ending"] = _watch(lambda left: r.channel.recv_frame(deadline_after(left)))
        r.ended = True

    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    what = f"EROR code {code} ({label}: unknown, so internal) answering RQFL"
    pki_lies._judge_failed_get(got, what, None, ("ERR-3", "ERR-4"))
    _judge_ending(box["ending"], label, code)
    _judge_pki_close(box["ending"], f"EROR code {code} ({label}) answering the RQFL")


_WITH_RETRY = {"busy": 9, "throttled": 14}


@pytest.mark.req("ERR-3", "PKI-TLS-7")
@pytest.mark.parametrize("label", sorted(_WITH_RETRY))
def test_pki_initiator_does_not_ask_again_after_a_fatal_error_with_retry_after(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    code = _WITH_RETRY[label]
    box: dict[str, Ending] = {}
    payload = control({"code": code, "name": label, "message": "suite: later", "retry_after": 1})

    def lie(r: pki_lies.LyingResponder) -> None:
        r.frame("EROR", payload)
        box["ending"] = _watch(lambda left: r.channel.recv_frame(deadline_after(left)))
        r.ended = True

    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    what = f"EROR {payload.decode()} (fatal) answering RQFL"
    pki_lies._judge_failed_get(got, what, None, ("ERR-3",))
    ending = box["ending"]
    again = _ending_requests(ending)
    if again:
        failure = ConformanceFailure.evidence(
            f"ERR-3: {what}",
            "the client closes the connection and sends no further request on it "
            "(retry_after does not make a fatal code non-fatal)",
            f"after the EROR it sent {', '.join(again)}",
            note=got.describe(),
        )
        failure.violates = ("ERR-3",)
        raise failure
    _judge_ending(ending, label, code)
    _judge_pki_close(ending, f"EROR {label} with retry_after answering the RQFL")


# Malformed EROR payloads (FRM-9, FRM-11): each names a non-fatal code where it names one.
_MALFORMED: dict[str, Any] = {
    "no-code": {"name": "not_found", "message": "suite: no code"},
    "code-null": {"code": None, "name": "not_found", "message": "suite: null code"},
    "code-6.0": b'{"code":6.0,"name":"not_found","message":"suite: a fraction"}',
    "code-negative": {"code": -6, "name": "not_found", "message": "suite: below zero"},
    "code-true": {"code": True, "name": "not_found", "message": "suite: a boolean"},
    "code-2^63": {"code": 1 << 63, "name": "not_found", "message": "suite: beyond 2^63-1"},
    "code-array": {"code": [6], "name": "not_found", "message": "suite: an array"},
}


def _malformed_payload(label: str) -> bytes:
    form = _MALFORMED[label]
    return form if isinstance(form, bytes) else control(form)


@pytest.mark.req("ERR-8")
@pytest.mark.parametrize("label", sorted(_MALFORMED))
def test_pki_initiator_ends_on_a_malformed_error(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    payload = _malformed_payload(label)
    box: dict[str, Any] = {}

    def lie(peer: pki_lies.LyingResponder) -> None:
        box["pipelined"] = _drain_pipelined(peer)
        peer.frame("EROR", payload)
        event = peer.channel.recv_frame(deadline_after(_REACTION))
        box["reaction"] = event
        peer.reaction = event

    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    _judge(
        box,
        requirement="ERR-8",
        what=f"ERR-8: EROR {payload.decode()} ({label}: malformed) answering the get; it "
        f"ends the connection as every EROR does (the client's answer within {_REACTION:g} s)",
        allow_close=True,
        succeeded=got.run.succeeded,
        kept=got.run.kept_file,
        note=got.describe(),
    )
