"""Gets of one file on two connections at once stay apart (docs/SPEC.md §3.3 APP-GET-2).

Two principals at once, reading the same file: a responder that keeps one open file per
name for everyone (an "open file table", a descriptor cache, a file object memoised by
name) shares its read offset between the connections. Each get then reads from wherever
the other left the file: one announces `size` bytes and sends other bytes, or runs out
("the file shrank") and fails — but only when the two gets are in the middle of the file
at the same moment, which one get after another never is. The suite's other gets of a
known file come one at a time.

Here two connections each pipeline gets of the largest known file (more than one DATA
frame; APP-2: the responder answers them in order) until each connection's answers total
more than a loopback connection's buffers hold, so both responder threads are stopped in
the middle of a file by the suite's unread data. Then the suite reads the two
connections by turns, one frame at a time: every get MUST be RSFL, exactly `size` bytes
equal to the file (its known SHA-256) and a DONE carrying that digest. Both profiles.
"""

from __future__ import annotations

import hashlib

import pytest

from conformance._wire_fixtures import AppChannel, require
from conformance.channel import Channel
from conformance.target import KnownFile, Target
from conformance.wire import ConformanceFailure, ReceivedFrame, deadline_after

_MIN_SIZE = 1024 * 1024 + 1  # more than one DATA frame (FRM-13)
_PER_CONNECTION = 6 * 1024 * 1024  # beyond what a loopback connection's buffers hold
_MAX_GETS = 8
_READ_TIMEOUT = 10.0


class _Reader:
    """The answers of one connection's pipelined gets, read one frame at a time."""

    def __init__(self, channel: Channel, file: KnownFile, gets: int, label: str) -> None:
        self.channel = channel
        self.file = file
        self.left = gets
        self.label = label
        self.size: int | None = None  # RSFL.size of the get being read
        self.data = bytearray()
        self.done = 0

    def step(self) -> None:
        """Reads one frame and judges the get it ends."""
        index = self.done + 1
        what = f"{self.label}, get {index} of {self.file.name!r}"
        event = self.channel.recv_frame(deadline_after(_READ_TIMEOUT))
        if not isinstance(event, ReceivedFrame):
            raise self._failure(what, f"after {len(self.data)} bytes: {event.describe()}")
        if self.size is None:
            meta = event.json() if event.type == b"RSFL" else None
            size = (meta or {}).get("size")
            if type(size) is not int:
                raise self._failure(what, f"first answer {event.describe()}")
            self.size = size
            return
        if event.type == b"DATA":
            self.data += event.payload
            if len(self.data) > self.size:
                raise self._failure(what, f"{len(self.data)} bytes, RSFL announced {self.size}")
            return
        if event.type != b"DONE":
            raise self._failure(what, f"after {len(self.data)} bytes: {event.describe()}")
        digest = hashlib.sha256(self.data).hexdigest()
        meta = event.json() or {}
        problems = []
        if self.size != self.file.size or len(self.data) != self.file.size:
            problems.append(
                f"RSFL.size={self.size}, {len(self.data)} bytes received; the file has "
                f"{self.file.size}"
            )
        if digest != self.file.sha256:
            problems.append(
                f"the bytes' SHA-256 is {digest[:16]}…, the file's {self.file.sha256[:16]}…"
            )
        if meta.get("sha256") != digest or meta.get("size") != len(self.data):
            problems.append(f"DONE {meta!r} does not describe the bytes sent")
        if problems:
            raise self._failure(what, "; ".join(problems))
        self.done += 1
        self.left -= 1
        self.size = None
        self.data = bytearray()

    def _failure(self, what: str, actual: str) -> ConformanceFailure:
        failure = ConformanceFailure.evidence(
            f"APP-GET-2: {what} (another connection reads the same file at the same time)",
            f"RSFL, exactly {self.file.size} bytes of the file, DONE with their SHA-256",
            actual,
            note="a read offset shared between connections (one open file per name) mixes "
            "two gets in the middle of a file",
        )
        failure.violates = ("APP-GET-2",)
        return failure


@pytest.mark.req("APP-GET-2", "APP-2")
def test_two_connections_reading_one_file_at_once_each_get_it_whole(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "get")
    candidates = [
        f for f in target.files if _MIN_SIZE <= f.size <= target.limits.max_file_size and f.sha256
    ]
    if not candidates:
        pytest.skip(f"no known file of more than {_MIN_SIZE - 1} bytes within the size limit")
    file = max(candidates, key=lambda f: f.size)
    gets = max(2, min(_MAX_GETS, -(-_PER_CONNECTION // file.size)))
    readers = []
    for label in ("connection A", "connection B"):
        channel = app_channel(timeout=_READ_TIMEOUT)
        for _ in range(gets):
            channel.send_frame("RQFL", {"name": file.name})
        readers.append(_Reader(channel, file, gets, label))
    # By turns, one frame each: both responder threads stay in the middle of the file.
    # Bounded: every frame read either ends a get or adds at least one byte to it, and a
    # get with more bytes than announced fails; each read waits at most _READ_TIMEOUT.
    while any(r.left for r in readers):
        for reader in readers:
            if reader.left:
                reader.step()
