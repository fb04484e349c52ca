"""An sft-eke/1 CLIENT bounds EVERY DATA frame of a get to 1 MiB, not only the first
(SPEC FRM-13, FRM-16).

A DATA payload is 1 to 1 048 576 bytes (FRM-13). A record may carry a little more (the
frame limit is 1 MiB + 256, FRM-3, EKE-REC-6), so a DATA frame of 1 048 577 bytes fits in
an authentic record and only the DATA bound refuses it: `bad_frame`, or `frame_too_large`
(FRM-16 accepts both). A client that learns the server's chunk size from the first DATA
frame, or validates the first frame of a transfer and trusts the rest, takes the oversize
frame when it comes second.

The suite completes an honest handshake and answers the client's RQFL with RSFL, a DATA
frame of 1 byte, then a DATA frame of 1 048 577 bytes (slow: after a full frame of 1 MiB;
the oversize frame last of three), then the honest DONE. The get must fail with one of
those codes, nothing kept, no temporary file left (APP-STORE-3).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as lies
from conformance.eke_hostile import skip_slow_variant
from conformance.plugin import TranscriptBook
from conformance.target import Target

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

MIB = 1 << 20


def _frames(sizes: list[int]) -> lies.Lie:
    content = bytes((i * 13 + i // 509) % 256 for i in range(sum(sizes)))
    digest = hashlib.sha256(content).hexdigest()

    def lie(s: lies.LyingServer) -> None:
        s.rsfl(size=len(content))
        offset = 0
        for size in sizes:
            s.frame("DATA", content[offset : offset + size])
            offset += size
        s.done(size=len(content), sha256=digest)
        s.await_reaction()

    return lie


@pytest.mark.req("FRM-13", "APP-STORE-3")
@pytest.mark.parametrize(
    "sizes",
    [
        pytest.param([1, MIB + 1], id="1-byte-then-1MiB+1"),
        pytest.param([MIB, MIB + 1], id="1MiB-then-1MiB+1", marks=pytest.mark.slow),
        pytest.param([1, 1, MIB + 1], id="1-byte-twice-then-1MiB+1", marks=pytest.mark.slow),
    ],
)
def test_client_refuses_an_oversize_data_frame_after_the_first(
    eke_target: Target,
    tmp_path: Path,
    transcripts: TranscriptBook,
    sizes: list[int],
    request: pytest.FixtureRequest,
) -> None:
    """DATA frames of the given sizes (the last one 1 048 577 bytes, in an authentic
    record), the sizes and digest announced truthfully: the get fails."""
    skip_slow_variant(request)
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _frames(sizes))
    lies._judge_failed_get(
        case,
        f"DATA frames of {sizes} bytes: one above 1 MiB after the first",
        owed="bad_frame|frame_too_large",
        server=server,
        own=("FRM-13",),
    )
