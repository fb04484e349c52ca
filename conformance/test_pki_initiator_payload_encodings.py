"""An sft-pki/1 INITIATOR reading control payloads in another Unicode encoding than UTF-8
(docs/SPEC.md §1 FRM-8, FRM-9).

The initiator's twin of test_app_payload_encodings.py (which sends the responder a
request in UTF-16 and UTF-32). A control payload "MUST be a UTF-8 encoded JSON object"
(FRM-8), and one that is not valid JSON in UTF-8 is `bad_frame`, fatal (FRM-9). The class
of bug: the JSON library is handed the payload's BYTES and picks their encoding itself —
Python's `json.loads(bytes)` detects UTF-16 and UTF-32, with or without a byte order
mark, from the pattern of NUL bytes; Jackson's `readTree(byte[])` and .NET's readers do
the same — so an answer in UTF-16 or UTF-32 is read as what it spells, where a reader
that decodes UTF-8 first sees NUL bytes between the characters. (A UTF-8 byte order mark
is not in the family: RFC 8259 §8.1 lets a parser ignore it.)

The suite plays the responder (test_pki_initiator_transfer.py's LyingResponder) and
answers the get with an `RSFL` so encoded (the file is otherwise served honestly: a
lenient reader keeps it), or with an honest `RSFL` and `DATA` and a `DONE` so encoded (a
lenient reader verifies and keeps the file). Either way the get must fail: `EROR
bad_frame`, non-zero exit, nothing under the final name, no temporary file
(`_judge_failed_get`, as every malformed frame of test_pki_initiator_transfer.py).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as pki_lies
from conformance.plugin import TranscriptBook
from conformance.target import Target

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

# case -> (codec, byte order mark written before the text: b"" for none)
_ENCODINGS = {
    "utf-16-le": ("utf-16-le", b""),
    "utf-16-be-bom": ("utf-16-be", b"\xfe\xff"),
    "utf-32-le": ("utf-32-le", b""),
    "utf-32-be-bom": ("utf-32-be", b"\x00\x00\xfe\xff"),
}


def _encoded(obj: dict[str, object], case: str) -> bytes:
    codec, bom = _ENCODINGS[case]
    return bom + json.dumps(obj, separators=(",", ":")).encode(codec)


def _encoded_answer(frame: str, case: str) -> pki_lies.Lie:
    """The get answered honestly, but its `frame` (RSFL or DONE) encoded in `case`."""

    def lie(r: pki_lies.LyingResponder) -> None:
        rsfl = {"name": pki_lies.NAME, "size": pki_lies.SIZE, "sha256": pki_lies.DIGEST}
        if frame == "RSFL":
            r.frame("RSFL", _encoded(rsfl, case))
        else:
            r.rsfl(sha256=pki_lies.DIGEST)
        r.data(pki_lies.CONTENT)
        done = {"size": pki_lies.SIZE, "sha256": pki_lies.DIGEST}
        if frame == "DONE":
            r.frame("DONE", _encoded(done, case))
        else:
            r.done()
        r.await_reaction()

    return lie


_CASES = [
    pytest.param("RSFL", "utf-16-le", id="rsfl-utf-16-le"),
    pytest.param("DONE", "utf-32-be-bom", id="done-utf-32-be-bom"),
    pytest.param("RSFL", "utf-32-le", id="rsfl-utf-32-le", marks=pytest.mark.slow),
    pytest.param("DONE", "utf-16-be-bom", id="done-utf-16-be-bom", marks=pytest.mark.slow),
]


@pytest.mark.req("FRM-9", "FRM-8", "APP-STORE-3", "FRM-14", "ERR-1")
@pytest.mark.parametrize(("frame", "case"), _CASES)
def test_initiator_refuses_an_answer_in_utf16_or_utf32(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, frame: str, case: str
) -> None:
    got = pki_lies._run_lie(target, tmp_path, transcripts, _encoded_answer(frame, case))
    pki_lies._judge_failed_get(
        got,
        f"FRM-8/FRM-9: the get answered honestly but for its {frame}, encoded in {case}: "
        "not a UTF-8 JSON text (a reader that lets its JSON library detect the encoding "
        "takes it)",
        "bad_frame",
        ("FRM-9", "FRM-8"),
    )
