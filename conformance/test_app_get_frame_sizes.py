"""Gets at the DATA frame boundaries (docs/SPEC.md §1 FRM-13/FRM-14, §3.3 APP-GET-2).

A responder's send loop is where the boundaries go wrong: a `do { read; send } while (n ==
CHUNK)` loop sends an empty DATA frame after a file whose size is a multiple of 1 MiB; a
loop that avoids "a tiny last frame" merges the tail into the frame before it (a DATA of
1 MiB + 1, still within the frame limit, so a lenient reader takes it); a loop that
stops at the first short read drops the tail. Other cases get one small and one large
file; this one gets every known file of the share whose size sits at a DATA boundary
(0, 1 MiB − 1, 1 MiB, 1 MiB + 1, ...), and judges every frame the responder sent as a
sender's frame (FRM-14: each DATA 1 to 1 048 576 bytes) besides the bytes themselves.
Both profiles.
"""

from __future__ import annotations

import hashlib

import pytest

from conformance._wire_fixtures import AppChannel, check_well_formed, get_file, require
from conformance.target import KnownFile, Target
from conformance.wire import MAX_DATA_PAYLOAD, ConformanceFailure

_BUDGET = 12 * 1024 * 1024  # bytes fetched at most (the embedded boundary files: ~5 MiB)
_NEAR = 256  # "at a boundary": within this many bytes of a multiple of 1 MiB


def _boundary_files(target: Target) -> list[KnownFile]:
    """Known files whose size is within _NEAR bytes of a multiple of 1 MiB (0 included),
    within the max file size, smallest first, up to the byte budget."""
    chosen: list[KnownFile] = []
    spent = 0
    for file in sorted(target.files, key=lambda f: f.size):
        if file.size > target.limits.max_file_size:
            continue
        offset = file.size % MAX_DATA_PAYLOAD
        if min(offset, MAX_DATA_PAYLOAD - offset) > _NEAR:
            continue
        if spent + file.size > _BUDGET:
            break
        chosen.append(file)
        spent += file.size
    return chosen


@pytest.mark.req("FRM-13", "FRM-14", "APP-GET-2")
def test_files_at_data_frame_boundaries_are_sent_in_well_formed_frames(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "get")
    files = _boundary_files(target)
    if not any(f.size >= MAX_DATA_PAYLOAD for f in files):
        pytest.skip(
            "the target file lists no known file within 256 bytes of a multiple of 1 MiB "
            "(at least 1 MiB, within the max file size)"
        )
    channel = app_channel()
    for file in files:
        result = get_file(channel, file.name)
        context = f"get of {file.name!r} ({file.size} bytes)"
        check_well_formed(result.frames, context)
        sizes = [len(f.payload) for f in result.frames if f.type == b"DATA"]
        wrong = [n for n in sizes if not 1 <= n <= MAX_DATA_PAYLOAD]
        if wrong:
            raise ConformanceFailure.evidence(
                f"FRM-14: {context}",
                "every DATA frame carries 1 to 1 048 576 bytes (FRM-13)",
                f"DATA frames of {sizes} bytes",
            )
        if len(result.data) != file.size or hashlib.sha256(result.data).hexdigest() != file.sha256:
            raise ConformanceFailure.evidence(
                f"APP-GET-2: {context}",
                f"{file.size} bytes with SHA-256 {file.sha256}",
                f"{len(result.data)} bytes in DATA frames of {sizes} bytes",
            )
