"""APP-GET-2 against a reader that is slow to start: short writes must be retried.

Over a fast reader a server's `send()` of a 1 MiB record nearly always writes it whole,
so a server that sends each record (or DATA frame) with one `send()` call — not a loop,
not `sendall` — passes every get of the suite. Once the reader falls behind, the
kernel's buffers fill and `send()` writes only part of what it is given; a server that
does not send the rest puts a truncated record on the wire, and every byte after it is
misread. The case pipelines gets of the largest known file (more than one DATA frame;
APP-2: the responder answers them in order) until they total more than the kernel
buffers a loopback connection holds (8 MiB and more), reads nothing for a while — well
under the idle timeout, so LIM-10 does not apply — then reads every answer: RSFL,
exactly `size` bytes of DATA and a DONE whose SHA-256 is that of the bytes (APP-GET-2),
equal to the file's known digest.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

import pytest

from conformance.channel import Channel
from conformance.target import KnownFile, Target
from conformance.wire import (
    ConformanceFailure,
    ReceivedFrame,
    deadline_after,
)

# More than one DATA frame (FRM-13: at most 1 MiB each).
_MIN_SIZE = 1024 * 1024 + 1
# Each read of the answer may wait this long at most.
_READ_TIMEOUT = 10.0
# What the pipelined answers total at least: more than a loopback connection's buffers
# (Linux: a 4 MiB send buffer at most, a receive window of ~128 KiB while nobody reads).
_PIPELINED_BYTES = 8 * 1024 * 1024
_MAX_REQUESTS = 16


def _largest_file(target: Target) -> KnownFile:
    files = sorted(target.files, key=lambda f: f.size, reverse=True)
    if not files or files[0].size < _MIN_SIZE:
        pytest.skip(f"needs a known file of at least {_MIN_SIZE} bytes ([files] facts)")
    if files[0].size > target.limits.max_file_size:
        files = [f for f in files if _MIN_SIZE <= f.size <= target.limits.max_file_size]
        if not files:
            pytest.skip("no known file between 1 MiB + 1 byte and the max file size")
    return files[0]


def _stall(target: Target) -> float:
    """How long the reader waits before reading: a third of the idle timeout, at most
    1 s (the server is never idle-blocked long enough for LIM-10 to apply)."""
    return min(1.0, target.limits.idle_timeout / 3)


def _judge_gets(channel: Channel, known: KnownFile, stall: float) -> None:
    count = min(_MAX_REQUESTS, -(-_PIPELINED_BYTES // known.size))
    for _ in range(count):
        channel.send_frame("RQFL", {"name": known.name})
    time.sleep(stall)  # the behaviour under test: a reader that is late, not a sync
    for index in range(count):
        _judge_get(channel, known, stall, f"answer {index + 1} of {count} pipelined gets")


def _judge_get(channel: Channel, known: KnownFile, stall: float, which: str) -> None:
    first = channel.recv_frame(deadline_after(_READ_TIMEOUT))
    if not (isinstance(first, ReceivedFrame) and first.type == b"RSFL"):
        raise ConformanceFailure(
            f"APP-GET-2: RQFL {known.name!r} (a known file of {known.size} bytes), {which}, "
            f"read {stall:.2f} s late: expected RSFL, got {first.describe()}",
            violates=("APP-GET-2",),
        )
    digest = hashlib.sha256()
    received = 0
    while True:
        event = channel.recv_frame(deadline_after(_READ_TIMEOUT))
        if isinstance(event, ReceivedFrame) and event.type == b"DATA":
            digest.update(event.payload)
            received += len(event.payload)
            continue
        if isinstance(event, ReceivedFrame) and event.type == b"DONE":
            done = event.json() or {}
            break
        raise ConformanceFailure(
            f"APP-GET-2: a get of {known.name!r} ({known.size} bytes), {which}, whose reader "
            f"started {stall:.2f} s late broke off after {received} bytes of DATA: "
            f"{event.describe()} (a server that does not retry a short write sends a cut "
            "record or frame, and what follows it is misread)",
            violates=("APP-GET-2",),
        )
    sha = digest.hexdigest()
    problems = []
    if received != known.size or done.get("size") != known.size:
        problems.append(f"{received} bytes received, DONE.size {done.get('size')!r}")
    if sha != known.sha256 or done.get("sha256") != sha:
        problems.append(f"SHA-256 of the bytes {sha}, DONE.sha256 {done.get('sha256')!r}")
    if problems:
        raise ConformanceFailure(
            f"APP-GET-2: a get of {known.name!r} ({known.size} bytes, SHA-256 "
            f"{known.sha256}), {which}, read {stall:.2f} s late: " + "; ".join(problems),
            violates=("APP-GET-2",),
        )


@pytest.mark.req("APP-GET-2", "APP-2")
def test_get_to_a_late_reader_arrives_whole(
    app_channel: Callable[..., Channel], target: Target
) -> None:
    known = _largest_file(target)
    if not target.has("get"):
        pytest.skip("the target declares no gets")
    channel = app_channel()
    _judge_gets(channel, known, _stall(target))
