"""sft-pki/1 INITIATOR: a control payload whose top-level value is not an object is
malformed, even when that value holds the right object (docs/SPEC.md FRM-9).

FRM-9: a receiver MUST answer `bad_frame` (fatal) to a control payload "whose top-level
value is not an object". A JSON string whose text is the object (`"{\\"name\\": ...}"`, a
sender that encoded its JSON twice) and an array holding the object (`[{...}]`, a sender
that wrapped it) are such values. A receiver that "helpfully" decodes a string payload a
second time, or takes the first element of an array, reads the object inside and goes
on: a payload that is not the frame's schema passes as if it were.

The suite's responder answers the client's get with an RSFL so wrapped (then the file and
a right DONE), or with a right RSFL and file then a DONE so wrapped. The get MUST fail
(non-zero exit, nothing kept, no temporary left) and the client MUST answer `bad_frame`
(for a DONE, `integrity_failed` too: FRM-16).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as pki_lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import control

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_RSFL = control({"name": pki_lies.NAME, "size": pki_lies.SIZE})
_DONE = control({"size": pki_lies.SIZE, "sha256": pki_lies.DIGEST})


def _as_string(payload: bytes) -> bytes:
    return json.dumps(payload.decode()).encode()


def _in_array(payload: bytes) -> bytes:
    return b"[" + payload + b"]"


_WRAPS = {"json-string": _as_string, "array": _in_array}


def _lie(frame: str, wrapped: bytes) -> pki_lies.Lie:
    def lie(r: pki_lies.LyingResponder) -> None:
        if frame == "RSFL":
            r.frame("RSFL", wrapped)
        else:
            r.rsfl()
        r.data(pki_lies.CONTENT)
        if frame == "DONE":
            r.frame("DONE", wrapped)
        else:
            r.done()
        r.await_reaction()

    return lie


@pytest.mark.req("FRM-9")
@pytest.mark.parametrize(
    ("frame", "wrap"),
    [
        ("RSFL", "json-string"),
        pytest.param("RSFL", "array", marks=pytest.mark.slow),
        pytest.param("DONE", "json-string", marks=pytest.mark.slow),
        pytest.param("DONE", "array", marks=pytest.mark.slow),
    ],
)
def test_initiator_refuses_an_object_wrapped_in_another_value(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, frame: str, wrap: str
) -> None:
    inner = _RSFL if frame == "RSFL" else _DONE
    wrapped = _WRAPS[wrap](inner)
    got = pki_lies._run_lie(target, tmp_path, transcripts, _lie(frame, wrapped))
    what = (
        f"FRM-9: the get's {frame} payload is {wrapped.decode()} ({wrap}): its top-level "
        "value is not an object, though it holds the right one; every other frame right"
    )
    owed = "bad_frame" if frame == "RSFL" else "bad_frame|integrity_failed"
    pki_lies._judge_failed_get(got, what, owed, ("FRM-9",))
