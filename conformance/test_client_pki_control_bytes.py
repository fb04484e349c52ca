"""sft-pki/1 INITIATOR: FRM-8's 65 536 is counted in BYTES of the payload, not in the
characters of its text (docs/SPEC.md §1 FRM-8).

FRM-8: control payloads are "a UTF-8 encoded JSON object of at most 65 536 bytes; a longer
control payload MUST be refused with `frame_too_large`". The other FRM-8 cases pad with
ASCII, where bytes and characters agree. An initiator that measures the decoded text
(Python's len(str), Java's and JavaScript's length in UTF-16 units, a rune count) — with
the header check only bounding the worst case, 4 bytes a character — passes them and
takes a control payload of 100 000 bytes whose text is shorter than 65 536 characters.

Each case pads an answer with an unknown member (FRM-10) of raw UTF-8: 2-byte `é`,
3-byte `€` and 4-byte U+1D11E (two UTF-16 units), so that the payload is above 65 536
bytes while its character count (and its UTF-16 length) stays below. The answer is an
RSFL, or the DONE after an honest RSFL and DATA: the initiator MUST answer
`frame_too_large` and fail the get (non-zero exit, nothing kept, no temporary left).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_pki_initiator_transfer import (
    CONTENT,
    DIGEST,
    NAME,
    SIZE,
    LyingResponder,
    _judge_failed_get,
    _run_lie,
)
from conformance.wire import frame_bytes

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

LIMIT = 65_536  # FRM-8, in bytes
_PAD = {"2-byte": "\u00e9", "3-byte": "\u20ac", "4-byte": "\U0001d11e"}


def _padded(head: bytes, char: str) -> bytes:
    """`head` (a JSON object's members, no braces) and an unknown member of `char` repeated:
    more than LIMIT bytes of UTF-8, fewer than LIMIT / 1.5 characters (and UTF-16 units)."""
    count = LIMIT * 2 // (3 * len(char.encode("utf-8")) - 1) + 8
    count = max(count, LIMIT // len(char.encode("utf-8")) + 64)
    body = b"{" + head + b',"x-pad":"' + (char * count).encode("utf-8") + b'"}'
    text = body.decode("utf-8")
    units = len(text.encode("utf-16-le")) // 2
    assert len(body) > LIMIT and len(text) < LIMIT and units < LIMIT, (len(body), units)
    return body


def _rsfl_lie(char: str) -> object:
    payload = _padded(b'"name":"%s","size":%d' % (NAME.encode(), SIZE), char)

    def lie(r: LyingResponder) -> None:
        r.channel.send_raw(frame_bytes("RSFL", payload))
        r.await_reaction()

    return lie


def _done_lie(char: str) -> object:
    payload = _padded(b'"size":%d,"sha256":"%s"' % (SIZE, DIGEST.encode()), char)

    def lie(r: LyingResponder) -> None:
        r.rsfl(sha256=DIGEST)
        r.data(CONTENT)
        r.frame("DONE", payload)
        r.await_reaction()

    return lie


_CASES = [
    pytest.param("RSFL", "2-byte", id="rsfl-2-byte-characters"),
    pytest.param("DONE", "4-byte", id="done-4-byte-characters"),
    pytest.param("RSFL", "3-byte", id="rsfl-3-byte-characters", marks=pytest.mark.slow),
    pytest.param("RSFL", "4-byte", id="rsfl-4-byte-characters", marks=pytest.mark.slow),
]


@pytest.mark.req("FRM-8", "APP-STORE-3", "FRM-14", "ERR-1")
@pytest.mark.parametrize(("where", "pad"), _CASES)
def test_initiator_counts_the_control_limit_in_bytes(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, where: str, pad: str
) -> None:
    char = _PAD[pad]
    lie = _rsfl_lie(char) if where == "RSFL" else _done_lie(char)
    got = _run_lie(target, tmp_path, transcripts, lie)  # type: ignore[arg-type]
    _judge_failed_get(
        got,
        f"FRM-8: the responder's {where} payload is above 65 536 bytes of UTF-8 ({pad} "
        "characters in an unknown member) but holds fewer than 65 536 characters",
        "frame_too_large",
        ("FRM-8",),
    )
