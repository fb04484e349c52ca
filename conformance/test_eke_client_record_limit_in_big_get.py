"""An sft-eke/1 CLIENT keeps its frame limit for the records of a large get (SPEC FRM-3).

[FRM-3] "A receiver MUST reject a frame whose announced length exceeds its limit ... with
`frame_too_large` as soon as the 8-byte header has arrived". The limit is the receiver's
own (default 1 048 832), not the size of the file in flight. test_eke_client_get_crossings
sends an oversize RECD header in place of RSFL, when no size is known yet. A client that
writes the rule twice — the fixed limit before the answer, and "records of a big file may
be big" (a limit raised to the announced size, a buffer sized from RSFL) once the get is
under way — passes that case and waits for a megabyte that never comes here.

The suite answers the client's RQFL with an honest RSFL announcing 4 MiB, then sends a
sealed-record header announcing one byte above the default frame limit: right after the
RSFL, or after the first DATA records. The client must answer EROR frame_too_large (sealed)
at once and fail the get (non-zero exit, nothing kept).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conformance import test_eke_client_transfer as lies
from conformance.plugin import TranscriptBook
from conformance.target import Target
from conformance.wire import header_bytes

__all__: list[str] = []

pytestmark = [
    pytest.mark.profile("eke"),
    pytest.mark.side("initiator"),
    pytest.mark.xdist_group("eke-client"),
]

_BIG = 4 << 20  # well above the frame limit, well below the default maximum file size (LIM-3)
_DIGEST = hashlib.sha256(b"\x00" * _BIG).hexdigest()  # never reached


def _oversize_after(data_records: int) -> lies.Lie:
    def lie(s: lies.LyingServer) -> None:
        s.rsfl(size=_BIG, sha256=_DIGEST)
        if data_records:
            s.data(b"\x00" * (lies.CHUNK * data_records))
        s.raw(header_bytes("RECD", lies._FRAME_LIMIT + 1))

    return lie


_WHERE = {"after-rsfl": 0, "after-data": 3}


@pytest.mark.req("FRM-3")
@pytest.mark.parametrize("where", list(_WHERE))
def test_client_keeps_its_frame_limit_in_a_large_get(
    eke_target: Target, tmp_path: Path, transcripts: TranscriptBook, where: str
) -> None:
    """RSFL announces 4 MiB; a record header of frame limit + 1 follows ({where}). The
    client answers EROR frame_too_large and fails the get."""
    case, server = lies._run_lie(eke_target, tmp_path, transcripts, _oversize_after(_WHERE[where]))
    lies._judge_failed_get(
        case,
        f"FRM-3: RSFL announced {_BIG} bytes, then ({where}) a record header of "
        f"{lies._FRAME_LIMIT + 1} bytes (the default frame limit + 1)",
        owed="frame_too_large",
        server=server,
        own=("FRM-3",),
    )
