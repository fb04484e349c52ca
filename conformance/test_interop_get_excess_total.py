"""An initiator counts a get's DATA on the running total, not frame by frame [APP-GET-4].

APP-GET-4: "an initiator receiving more [DATA bytes than announced] MUST fail the
transfer with integrity_failed (fatal)"; APP-STORE-4: it MUST NOT write more bytes to
disk than the announced size. The bug this file is about compares each DATA frame with
the announced size (`length > size`: "no frame may hold more than the file") instead of
the bytes received so far plus this frame: it is caught only when ONE frame is larger
than the whole file. In the default run the only excess case of
test_pki_initiator_transfer.py announces an empty file (any byte is then a larger
frame); its non-empty variants are `slow`. Here, in the default run, the suite as the
responder (sft-pki/1) announces 5120 bytes and sends them in frames of 1000, then (the
sft-eke/1 client has the same two variants in test_eke_client_transfer.py's default run):

- `next-frame`: exactly 5120 bytes, then a further DATA frame of one byte;
- `same-frame`: the last frame carries one byte more than announced (121 bytes).

Every frame is smaller than the file; only the running total exceeds it. The client owes
`EROR integrity_failed` as its answer, before any DONE (the suite waits for it, then
finishes the lie consistently with a DONE that agrees with the bytes sent, so a client
that only checks at DONE is not also left hanging), a non-zero exit, nothing under the
final name and no temporary file (the existing judges of the two lie files).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import test_pki_initiator_transfer as pki_lies
from conformance.plugin import TranscriptBook
from conformance.target import Target

_VARIANTS = ("next-frame", "same-frame")
_OWN = ("APP-GET-4", "APP-STORE-4")


def _what(variant: str) -> str:
    where = (
        "a further one-byte DATA frame after exactly the announced 5120 bytes"
        if variant == "next-frame"
        else "the last DATA frame carrying one byte beyond the announced 5120"
    )
    return f"APP-GET-4: {where} (every frame smaller than the file)"


@pytest.mark.profile("pki")
@pytest.mark.side("initiator")
@pytest.mark.req("APP-GET-4", "APP-STORE-4", "APP-STORE-3", "FRM-14", "ERR-1")
@pytest.mark.parametrize("variant", _VARIANTS)
def test_pki_initiator_counts_data_on_the_running_total(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, variant: str
) -> None:
    lie = pki_lies._beyond(
        pki_lies.SIZE, pki_lies.CONTENT + b"!", same_frame=variant == "same-frame"
    )
    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    pki_lies._judge_failed_get(got, _what(variant), "integrity_failed", _OWN)

