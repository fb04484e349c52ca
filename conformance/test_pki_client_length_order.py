"""sft-pki/1 INITIATOR: a frame's length is read big-endian, once (docs/SPEC.md FRM-1).

"A length is read in that one order and width only, never again in another when it is
too large." A receiver written to interoperate with a sender that forgot `htonl` (or a
C struct written raw on a little-endian host) reads a length that exceeds its limit a
second time, little-endian, and uses it when that fits. Every honest frame still reads
right — the fallback only fires on lengths no conforming sender writes — so a suite
that sends honest frames and a huge length (0xFFFFFFFF reads the same either way) never
sees it.

The suite plays the responder and answers the client's get honestly except for one
frame whose length field is written little-endian: the RSFL (its JSON is under 256
bytes, so big-endian the length is at least 16 MiB, above every frame limit) or the
first DATA frame (16 KiB: 4 MiB big-endian). Read as FRM-1 says, the length is too large
(FRM-3: `frame_too_large`) — or at least never that frame — and the get fails: non-zero
exit, nothing under the final name.

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import control, frame_bytes

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_OWED = "frame_too_large|bad_frame"  # FRM-3 (or FRM-16 where a stack judges otherwise)
_DATA_CHUNK = 16_384
# The file: two DATA frames of 16 KiB (0x4000: 4 MiB when read big-endian from its
# little-endian bytes), bytes that differ at every offset modulo 251.
_CONTENT = bytes(i % 251 for i in range(2 * _DATA_CHUNK))
_SIZE = len(_CONTENT)
_DIGEST = hashlib.sha256(_CONTENT).hexdigest()


def _little_endian(frame_type: bytes, payload: bytes) -> bytes:
    return frame_type + len(payload).to_bytes(4, "little") + payload


def _answer(swapped: str) -> bytes:
    rsfl_payload = control({"name": lies.NAME, "size": _SIZE, "sha256": _DIGEST})
    assert 0 < len(rsfl_payload) < 256
    chunks = [_CONTENT[o : o + _DATA_CHUNK] for o in range(0, _SIZE, _DATA_CHUNK)]
    rsfl = (
        _little_endian(b"RSFL", rsfl_payload)
        if swapped == "rsfl"
        else frame_bytes("RSFL", rsfl_payload)
    )
    data = [
        _little_endian(b"DATA", chunk) if swapped == "first-data" and i == 0
        else frame_bytes("DATA", chunk)
        for i, chunk in enumerate(chunks)
    ]
    done = frame_bytes("DONE", control({"size": _SIZE, "sha256": _DIGEST}))
    return rsfl + b"".join(data) + done


@pytest.mark.req("FRM-1")
@pytest.mark.parametrize("swapped", ["rsfl", "first-data"])
def test_initiator_never_reads_a_length_little_endian(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, swapped: str
) -> None:
    def lie(r: lies.LyingResponder) -> None:
        r.channel.send_raw(_answer(swapped))
        r.answered = True
        r.await_reaction()

    got = lies._run_lie(target, tmp_path, transcripts, lie)
    lies._judge_failed_get(
        got,
        f"FRM-1: the responder's honest answer to the get with the length of its "
        f"{'RSFL' if swapped == 'rsfl' else 'first DATA frame'} written little-endian "
        "(too large read big-endian)",
        _OWED,
        ("FRM-1",),
    )
