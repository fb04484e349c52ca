"""The clear framing of the sft-eke/1 handshake, at the lengths a signed 32-bit reader
mistakes (docs/SPEC.md §1 FRM-3, §5.3).

test_framing.py sends the largest length, 2^32 − 1, only in a `RECD` header (the
application channel) and the frame limit + 1 in a clear `EKE1` header. An implementation
whose handshake reader decodes the length as a signed 32-bit integer (Java's
`DataInputStream.readInt`, a C `int32_t`) — a reader of its own, apart from the record
layer's — sees 2^31 and above as negative, passes its `length > limit` check and then
fails on a negative allocation (an `internal` answer, a crash, or a wait for bytes that
never come). FRM-3 asks `frame_too_large` for any length above the limit, judged on the
8-byte header alone, before the handshake as after it.
"""

from __future__ import annotations

import pytest

from conformance._wire_fixtures import TranscriptBook
from conformance.target import Target
from conformance.wire import ExpectError, RawConnection, header_bytes


@pytest.mark.profile("eke")
@pytest.mark.req("FRM-3")
@pytest.mark.parametrize("length", [2**31, 2**32 - 1], ids=["2^31", "2^32-1"])
def test_clear_handshake_header_of_a_huge_length_is_frame_too_large(
    target: Target, transcripts: TranscriptBook, length: int
) -> None:
    """An `EKE1` header announcing `length` bytes, above the target's frame limit, and no
    payload: `frame_too_large`, then the close."""
    if length <= target.limits.frame_limit:
        pytest.skip(f"the target's frame limit {target.limits.frame_limit} admits {length}")
    with RawConnection.connect(target.host, target.port, timeout=5.0) as conn:
        transcripts.add(conn)
        conn.send_raw(header_bytes("EKE1", length))
        conn.expect([ExpectError("frame_too_large")]).check(
            f"FRM-3: an EKE1 header announcing {length} bytes in clear, no payload sent"
        )
