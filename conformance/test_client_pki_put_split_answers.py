"""sft-pki/1 INITIATOR as a SENDER: a put's answers may arrive split across TLS records
(docs/SPEC.md §1 FRM-4, §3.4 APP-PUT-10).

FRM-4: "A receiver MUST reassemble frames independently of how the bytes are split into
TCP segments or reads: a frame delivered one byte at a time ... and a header split from
its payload MUST all be processed identically." The FRM-4 cases of the initiator split
the answers to a GET. A put's answers — RSFL {accept} and the receipt DONE — are small,
and an initiator that reads each of them with one read of the stream ("a small frame
fits one record") on the put's own code path passes them, yet fails an honest put whose
responder writes a frame in pieces (a header apart from its payload, or a byte at a
time: every piece its own TLS record, and one read returns at most one record).

The suite's responder accepts the put and acknowledges it honestly, writing each of its
two answers in pieces: the initiator MUST send the file, report the put stored (exit 0)
and send no EROR.

Fixtures (conformance/plugin.py): `target` (pki, lab mode, `client_put_cmd`),
`transcripts`, `tmp_path`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.channel import Channel
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_put import (
    AFTER_WAIT,
    Answer,
    PutSeen,
    _accept,
    _drain,
    _run_put,
    read_offer,
    read_put_data,
)
from conformance.wire import ConformanceFailure, control, frame_bytes

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

CONTENT = bytes(range(251)) * 12  # 3012 bytes


def _pieces(wire: bytes, mode: str) -> list[bytes]:
    if mode == "byte-at-a-time":
        return [wire[i : i + 1] for i in range(len(wire))]
    if mode == "header-apart":
        return [wire[:8], wire[8:]]
    # "header-cut": inside the header, then inside the payload
    return [wire[:3], wire[3:11], wire[11:]]


def _serve_split(mode: str) -> Callable[[Channel, PutSeen, Answer, str], None]:
    def serve(channel: Channel, seen: PutSeen, answer: Answer, name: str) -> None:
        offered = read_offer(channel, seen, name)
        if offered is None:
            return
        for piece in _pieces(frame_bytes("RSFL", _accept(offered)), mode):
            if not channel.send_raw(piece):
                return
        seen.answered = f"RSFL {{accept}} in pieces ({mode})"
        got = read_put_data(channel, seen)
        if got is None:
            return
        count, digest = got
        receipt = frame_bytes("DONE", control({"size": count, "sha256": digest}))
        for piece in _pieces(receipt, mode):
            if not channel.send_raw(piece):
                return
        _drain(channel, seen, seen.after, AFTER_WAIT)

    return serve


_MODES = [
    pytest.param("byte-at-a-time", id="byte-at-a-time"),
    pytest.param("header-apart", id="header-apart"),
    pytest.param("header-cut", id="header-cut", marks=pytest.mark.slow),
]


@pytest.mark.req("FRM-4", "APP-PUT-10")
@pytest.mark.parametrize("mode", _MODES)
def test_initiator_reassembles_the_answers_to_its_put(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, mode: str
) -> None:
    put = _run_put(target, tmp_path, transcripts, Answer(), CONTENT, serve=_serve_split(mode))
    seen = put.seen
    frames = [*seen.early, *seen.sending, *seen.after]
    data = b"".join(f.payload for f in seen.sending if f.type == b"DATA")
    errors = [f.describe(80) for f in frames if f.type == b"EROR"]
    if put.run.succeeded and data == CONTENT and not errors:
        return
    failure = ConformanceFailure.evidence(
        f"an honest put whose responder writes RSFL {{accept}} and the receipt DONE in "
        f"pieces ({mode}: each piece its own TLS record)",
        "the file sent in full, the put reported stored (exit 0), no EROR",
        f"{len(data)} of {len(CONTENT)} bytes sent"
        + (" (other bytes)" if data and data != CONTENT[: len(data)] else "")
        + f"; EROR {errors or 'none'}; client "
        + (put.run.success_evidence() if put.run.succeeded else "failed"),
        note=put.describe(),
    )
    failure.violates = ("FRM-4",)
    raise failure
