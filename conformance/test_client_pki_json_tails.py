"""sft-pki/1 INITIATOR: a control payload is ONE JSON text, all of the frame's `length`
bytes (docs/SPEC.md FRM-8, FRM-9; RFC 8259 §2: white space only around the value).

The frame layer delimits the payload; the JSON layer must then consume all of it. A
parser that stops at the end of the first value (Python's `raw_decode`, a streaming
decoder read once, C's `strtod`-style scanners, Go's `json.Decoder.Decode` called once)
ignores what follows, and a payload that is not valid JSON passes as the object at its
start: a second object (a later duplicate of every member, which another parser reads
instead), garbage, NUL padding (a C string's buffer), a comma. FRM-9: "a control payload
that ... is not valid JSON" MUST be answered `bad_frame` (fatal).

The suite's responder answers the initiator's get (`client_cmd`) with:

- an RSFL whose JSON object, every member right, is followed inside the payload by one of
  those tails; then the whole file and a right DONE;
- a right RSFL and the file, then a DONE whose right object is followed by such a tail.

Each get MUST fail (non-zero exit, nothing under the output name, no temporary left) and
the initiator MUST answer `EROR bad_frame`. A payload whose object is followed by white
space only is valid JSON (RFC 8259 §2) and the control case: that get MUST succeed.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as pki_lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import ConformanceFailure, control

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_RSFL = control({"name": pki_lies.NAME, "size": pki_lies.SIZE})
_DONE = control({"size": pki_lies.SIZE, "sha256": pki_lies.DIGEST})

# Bytes after the object, inside the payload: none is JSON white space.
_TAILS: dict[str, bytes] = {
    "second-object": b'{"size":1}',
    "garbage": b"x-suite",
    "nul-padding": b"\x00\x00\x00\x00",
    "comma": b",",
    "closing-bracket": b"]",
}


def _tailed_rsfl(tail: bytes) -> pki_lies.Lie:
    def lie(peer: pki_lies.LyingResponder) -> None:
        peer.frame("RSFL", _RSFL + tail)
        peer.data(pki_lies.CONTENT)
        peer.done()
        peer.await_reaction()

    return lie


def _tailed_done(tail: bytes) -> pki_lies.Lie:
    def lie(peer: pki_lies.LyingResponder) -> None:
        peer.rsfl()
        peer.data(pki_lies.CONTENT)
        peer.frame("DONE", _DONE + tail)
        peer.await_reaction()

    return lie


@pytest.mark.req("FRM-9")
@pytest.mark.parametrize("frame", ["RSFL", "DONE"])
@pytest.mark.parametrize("tail", list(_TAILS))
def test_initiator_refuses_a_control_payload_with_bytes_after_its_object(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, frame: str, tail: str
) -> None:
    extra = _TAILS[tail]
    lie = _tailed_rsfl(extra) if frame == "RSFL" else _tailed_done(extra)
    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    body = (_RSFL if frame == "RSFL" else _DONE) + extra
    what = (
        f"FRM-9: the get's {frame} payload is {body!r} ({len(body)} bytes): a valid object "
        f"followed by {extra!r} ({tail}), not one JSON text; every other frame right"
    )
    pki_lies._judge_failed_get(got, what, "bad_frame", ("FRM-9",))


@pytest.mark.req("FRM-9")
def test_initiator_takes_a_control_payload_padded_with_white_space(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    """The control: white space after the object is JSON (RFC 8259 §2); the get succeeds."""
    padding = b" \t\r\n  "

    def lie(peer: pki_lies.LyingResponder) -> None:
        peer.frame("RSFL", _RSFL + padding)
        peer.data(pki_lies.CONTENT)
        peer.frame("DONE", _DONE + padding)

    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    run = got.run
    if not (run.succeeded and run.kept_file and run.out.read_bytes() == pki_lies.CONTENT):
        raise ConformanceFailure.evidence(
            "FRM-9: a get whose RSFL and DONE payloads are valid objects followed by white "
            "space (RFC 8259 §2: JSON text)",
            "the get succeeds and the file is kept",
            run.describe(),
        )
