"""An sft-pki/1 initiator's get whose DONE alone lies about the size (SPEC §3.3, APP-GET-3).

Belongs beside test_pki_initiator_transfer.py (same lying responder, same judge). There,
the lie that only DONE.size betrays ("done-size-smaller") is a slow variant, so a default
run never shows an initiator that compares its byte count with RSFL.size and the digest
with DONE.sha256 but never looks at DONE.size. Here the RSFL, the data and DONE.sha256
all agree, and DONE.size says one byte more (or 0): APP-GET-3 asks the initiator to check
at DONE that the bytes received equal the size announced, and DONE announces a size
too — the get must fail with `integrity_failed`, nothing kept, no temporary file left.
Fixtures (conformance/plugin.py): `target`, `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as pki_lies
from conformance.plugin import TranscriptBook
from conformance.target import Target

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]


@pytest.mark.req("APP-GET-3", "APP-STORE-3", "FRM-14", "ERR-1")
@pytest.mark.parametrize("done_size", [pki_lies.SIZE + 1, 0], ids=["one-more", "zero"])
def test_initiator_fails_a_get_whose_done_size_alone_differs(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, done_size: int
) -> None:
    lie = pki_lies._answer(done_size=done_size)
    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    pki_lies._judge_failed_get(
        got,
        f"RSFL.size {pki_lies.SIZE}, {pki_lies.SIZE} bytes with the right DONE.sha256, "
        f"DONE.size {done_size}",
        "integrity_failed",
        ("APP-GET-3",),
    )
