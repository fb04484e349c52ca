"""A get larger than one DATA frame sends exactly its announced size, frame after frame
(docs/SPEC.md §3.3 APP-GET-4, §1 FRM-13).

A responder sends a file of more than 1 MiB in several DATA frames. Its last frame is
where a send loop goes wrong past the toy sizes: the frame taken from the read buffer
whole (the previous read's stale bytes after the file's tail), the tail rounded up to a
page or a cipher block (an O_DIRECT or block-aligned read), a loop that counts the chunk
it asked for instead of the bytes it read. A file of one frame or less never reaches that
code, and a digest check at `DONE` alone attributes the excess to the digest: this case
counts the DATA bytes of every frame against `RSFL.size` as they arrive, and any byte
beyond it FAILs APP-GET-4 (the initiator's side of the same rule is APP-GET-3's).

The files: those the target lists (`[files]`) of more than 1 MiB and at most 8 MiB, the
sizes not a multiple of 1 MiB first (at most three). Each is asked for twice on one
connection (the second transfer of a connection reuses what the first left behind).
Fixtures (conformance/plugin.py): `target`, `app_channel()`.
"""

from __future__ import annotations

import hashlib
import time
from typing import Final

import pytest

from conformance._wire_fixtures import AppChannel, require
from conformance.target import KnownFile, Target
from conformance.wire import ConformanceFailure, ExpectFrame, ReceivedFrame

__all__: list[str] = []

_FRAME: Final = 1024 * 1024
_MAX_SIZE: Final = 8 * 1024 * 1024
_MAX_FILES: Final = 3
_MAX_FRAMES: Final = 4096  # a bound on the frames of one answer


def _files(target: Target) -> list[KnownFile]:
    big = [f for f in target.files if _FRAME < f.size <= _MAX_SIZE]
    big.sort(key=lambda f: (f.size % _FRAME == 0, f.size))
    return big[:_MAX_FILES]


@pytest.mark.req("APP-GET-4")
def test_multi_frame_gets_never_send_more_than_announced(
    target: Target, app_channel: AppChannel
) -> None:
    """Each listed file of 1-8 MiB, twice on one connection: DATA totals never above
    RSFL.size, and exactly it at DONE."""
    require(target, "get")
    files = _files(target)
    if not files:
        pytest.skip("the target lists no file of more than 1 MiB and at most 8 MiB")
    budget = max(30.0, target.limits.idle_timeout)
    channel = app_channel()
    try:
        for file in files:
            for attempt in (1, 2):
                what = (
                    f"APP-GET-4: get {attempt} of {file.name!r} ({file.size} bytes) on one "
                    "connection"
                )
                channel.send_frame("RQFL", {"name": file.name})
                answer = channel.expect([ExpectFrame("RSFL")], budget)
                answer.check(what)
                assert answer.frame is not None
                size = (answer.frame.json() or {}).get("size")
                if type(size) is not int:
                    pytest.skip(f"{what}: RSFL without an integer size (APP-GET-2's business)")
                deadline = time.monotonic() + budget
                received = 0
                digest = hashlib.sha256()
                for index in range(_MAX_FRAMES):
                    frame = channel.recv_frame(deadline)
                    if not isinstance(frame, ReceivedFrame):
                        pytest.skip(f"{what}: {frame.describe()} after {received} bytes")
                    if frame.type != b"DATA":
                        break
                    received += len(frame.payload)
                    digest.update(frame.payload)
                    if received > size:
                        failure = ConformanceFailure.evidence(
                            what,
                            f"at most RSFL.size = {size} bytes of DATA",
                            f"DATA frame {index + 1} of {len(frame.payload)} bytes brings the "
                            f"total to {received}: {received - size} bytes beyond the size "
                            "announced",
                        )
                        failure.violates = ("APP-GET-4",)
                        raise failure
                else:
                    pytest.skip(f"{what}: more than {_MAX_FRAMES} DATA frames")
                if frame.type != b"DONE":
                    pytest.skip(f"{what}: {frame.describe()} (the other cases' business)")
                if received != size or received != file.size:
                    pytest.skip(
                        f"{what}: {received} bytes of RSFL.size={size} (APP-GET-2's business)"
                    )
                if (frame.json() or {}).get("sha256") != digest.hexdigest():
                    pytest.skip(f"{what}: DONE's digest differs (APP-GET-2's business)")
    finally:
        channel.close()
