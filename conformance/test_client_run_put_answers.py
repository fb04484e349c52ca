"""Both initiators as SENDERS: a put's answers obey the 64 KiB control limit too (SPEC §1
FRM-8).

Round 15 (B78), lens "compound conditions": the FRM-8 cases of the get (test_client_lies.py,
test_pki_initiator_transfer.py, test_eke_client_transfer.py) send an RSFL or a DONE above
64 KiB in answer to a GET. An initiator whose limit is applied in the states of a get only
— the put's RSFL{accept} and the put's receipt DONE read by another branch — passes them
and buffers whatever a responder announces, up to the frame limit, while its put waits.
Here the suite's responder answers the client's PUTF with an acceptance padded (an unknown
member, FRM-10) to 70 000 bytes: the initiator MUST refuse it with `frame_too_large`,
send no DATA, and report the put failed (APP-PUT-10).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_put import Answer, _run_put
from conformance.wire import ConformanceFailure, control

__all__: list[str] = []

pytestmark = [pytest.mark.side("initiator")]

OVER = 70_000  # bytes of the padded acceptance: above FRM-8's 65 536, far below FRM-3's limit
CONTENT = b"the put's content\n" * 64


def _padded_accept(name: str) -> bytes:
    base = len(control({"accept": True, "name": name, "x-padding": ""}))
    return control({"accept": True, "name": name, "x-padding": "p" * (OVER - base)})


@pytest.mark.req("FRM-8")
def test_initiator_refuses_a_put_acceptance_above_the_control_limit(
    target: Target, tmp_path: Path, transcripts: TranscriptBook
) -> None:
    put = _run_put(target, tmp_path, transcripts, Answer(rsfl=_padded_accept), CONTENT)
    seen = put.seen
    frames = [*seen.early, *seen.sending, *seen.after]
    data = [f for f in frames if f.type == b"DATA"]
    errors = [f for f in frames if f.type == b"EROR"]
    refused = any(f.error_name == "frame_too_large" for f in errors)
    if data or not refused or put.run.succeeded:
        failure = ConformanceFailure.evidence(
            f"the PUTF answered with RSFL {{accept: true}} padded to {OVER} bytes (FRM-8: "
            "control payloads are at most 65 536 bytes)",
            "EROR frame_too_large, no DATA, the put reported failed (non-zero exit)",
            f"{len(data)} DATA frames; EROR {[f.describe(60) for f in errors] or 'none'}; "
            f"client {put.run.success_evidence() if put.run.succeeded else 'failed'}",
            note=put.describe(),
        )
        failure.violates = ("FRM-8",)
        raise failure
