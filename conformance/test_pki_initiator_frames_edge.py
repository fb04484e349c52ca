"""An sft-pki/1 INITIATOR given a DATA frame above 1 MiB that the announced size allows
(docs/SPEC.md FRM-13, FRM-16); belongs beside test_pki_initiator_transfer.py
(`test_initiator_answers_a_malformed_frame_with_the_error_the_spec_names`).

test_pki_initiator_transfer.py's `data-header-1-mib-plus-1` announces 5120 bytes in
RSFL, then a DATA header of 1 048 577: the size check of APP-GET-4 refuses that header
whatever the initiator's DATA limit is, so an initiator that bounds DATA frames by the
frame limit (1 048 832) instead of FRM-13's 1 048 576 passes it. Here RSFL announces
more than the oversize frame holds, the frame comes whole, and the rest of the file and
a right DONE follow: only the DATA limit of FRM-13 makes the get fail. The oversize
frame comes first, or second after a valid one (a check made on the first frame only).

The get must fail: non-zero exit, nothing under the final name, no temporary file left.
Which EROR the initiator sends is not judged here (FRM-16 allows `bad_frame` or
`frame_too_large`; an initiator that answers from the header may close while the frame
is still arriving, and the reset can overtake its EROR): test_pki_initiator_transfer.py
judges the EROR from a header alone.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conformance._wire_fixtures import TranscriptBook
from conformance.target import Target
from conformance.test_pki_initiator_transfer import (
    Lie,
    LyingResponder,
    _judge_failed_get,
    _run_lie,
)
from conformance.wire import MAX_DATA_PAYLOAD, TimedOut, control

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_OVERSIZE = MAX_DATA_PAYLOAD + 1  # within the frame limit (1 048 832), above FRM-13's


def _content(size: int) -> bytes:
    return bytes((i * 7 + i // 251) % 256 for i in range(size))


def _oversize_data(first: int) -> Lie:
    """RSFL for `first` + 1 048 577 + 100 bytes; DATA of `first` bytes (if any), one DATA
    of 1 048 577, one of 100, a right DONE: a well-formed get but for one frame."""
    body = _content(first + _OVERSIZE + 100)
    digest = hashlib.sha256(body).hexdigest()

    def lie(r: LyingResponder) -> None:
        r.frame("RSFL", control({"name": "offered.bin", "size": len(body), "sha256": digest}))
        if first:
            r.frame("DATA", body[:first])
        r.frame("DATA", body[first : first + _OVERSIZE])
        r.frame("DATA", body[first + _OVERSIZE :])
        r.frame("DONE", control({"size": len(body), "sha256": digest}))
        if isinstance(r.await_reaction(), TimedOut):
            r.reaction = None

    return lie


@pytest.mark.req("FRM-13", "APP-STORE-3")
@pytest.mark.parametrize("first", [0, 1000], ids=["first-frame", "second-frame"])
def test_initiator_fails_a_get_with_a_data_frame_above_1_mib(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, first: int
) -> None:
    got = _run_lie(target, tmp_path, transcripts, _oversize_data(first))
    where = "the first DATA frame" if not first else "the second DATA frame (after 1000 bytes)"
    _judge_failed_get(
        got,
        f"FRM-13: {where} holds 1 048 577 bytes (within the frame limit, above 1 MiB); "
        "RSFL's size, the rest of the data and DONE all agree with it",
        None,
        ("FRM-13",),
    )
