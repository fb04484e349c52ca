"""sft-pki/1 INITIATOR told of an error whose code is out of range but wraps onto a
non-fatal one (docs/SPEC.md §2, ERR-8).

A `code` outside 0 … 2^63−1 makes an EROR malformed (FRM-11): it still ends the
connection (ERR-8). A reader that holds the code in a fixed-width integer without
checking the range turns some of those codes into good ones: Java's
`BigInteger.longValue()` or Jackson's `asLong()` keep the low 64 bits (2^64 + 6 is 6),
Go's or C's conversion to an unsigned 64-bit integer makes −2^64 + 6 into 6, an `(int)`
cast or `asInt()` keeps 32 bits (−2^32 + 6 is 6). Such a client reads `not_found` or
`exists`, a non-fatal refusal, and stays on the connection (its BYE_, another request).
test_client_pki_error_forms.py sends 2^63, −6 and non-integers, none of which wraps
onto a non-fatal code; test_client_pki_error_forms.py's ERR-4 case sends in-range
codes.

The suite plays the responder and answers the client's RQFL with an EROR whose code is
one of these; the client answers `bad_frame` or closes, never goes on as after a
non-fatal refusal (the same judgement as test_client_pki_error_forms.py).

Fixtures (conformance/plugin.py): `target` (pki, lab mode), `transcripts`, `tmp_path`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance import test_pki_initiator_transfer as pki_lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.test_client_lenient_frames import _drain_pipelined, _judge
from conformance.wire import control, deadline_after

__all__: list[str] = []

pytestmark = [pytest.mark.profile("pki"), pytest.mark.side("initiator")]

_REACTION = 5.0

# Out-of-range codes whose low 32 or 64 bits, signed or not, are 6 (not_found) or 12
# (exists).
_WRAPPING = {
    "2^64+6": (1 << 64) + 6,
    "-2^64+6": -(1 << 64) + 6,
    "-2^32+6": -(1 << 32) + 6,
    "2^128+12": (1 << 128) + 12,
}


@pytest.mark.req("ERR-8")
@pytest.mark.parametrize("label", sorted(_WRAPPING))
def test_pki_initiator_ends_on_an_out_of_range_code_that_wraps(
    target: Target, tmp_path: Path, transcripts: TranscriptBook, label: str
) -> None:
    code = _WRAPPING[label]
    name = "exists" if code % 64 == 12 else "not_found"
    payload = control({"code": code, "name": name, "message": "suite: out of range"})
    box: dict[str, Any] = {}

    def lie(peer: pki_lies.LyingResponder) -> None:
        box["pipelined"] = _drain_pipelined(peer)
        peer.frame("EROR", payload)
        event = peer.channel.recv_frame(deadline_after(_REACTION))
        box["reaction"] = event
        peer.reaction = event

    got = pki_lies._run_lie(target, tmp_path, transcripts, lie)
    _judge(
        box,
        requirement="ERR-8",
        what=f"ERR-8: EROR {payload.decode()} ({label}: outside 0..2^63-1, malformed) "
        f"answering the get; it ends the connection as every EROR does (the client's "
        f"answer within {_REACTION:g} s)",
        allow_close=True,
        succeeded=got.run.succeeded,
        kept=got.run.kept_file,
        note=got.describe(),
    )
