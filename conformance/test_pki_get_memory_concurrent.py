"""LIM-6: a get is sent from bounded memory even where a garbage-collected heap keeps what
an earlier get grew it to (both profiles).

LIM-6: "A responder MUST bound the memory it spends per connection independently of file
size and of announced lengths." test_app_memory_bound.py judges a get by its second
reading of a large known file, after a first one as warm-up. A responder that reads the
file whole (`Files.readAllBytes`, `ByteBuffer.allocate(size)`, `readFileSync`,
`io.ReadAll`) in a runtime whose heap does not shrink (a JVM, Node.js, Go) has grown by
the file at the warm-up and reuses that memory for the second reading: no growth shows,
and the case passes. What such a responder cannot hide is several gets at once: each holds
its own copy of the file while it is being sent.

The case: one get of the largest known file (at least 128 MiB) in full, as warm-up, on
the first of three connections; then, the memory watched, a get of the same file on each
of the three connections, each read up to its RSFL and first DATA frame and then left
unread (the responder is blocked in its writes, the transfer in progress); the three
requests are sent before any answer is read, so that no connection waits idle. A responder
that streams holds a few buffers per connection; one that reads whole holds three copies
of the file, two more than any heap the warm-up left. Judged, as the other case, by the
largest growth of one serving process (a responder forking per connection: that child's
own copy): more than half the file is a FAIL. The connections are then closed mid-get,
which the responder takes as an initiator gone (APP-GET-5 is the initiator's).

Needs a known file ([files]) of at least 128 MiB within the max file size and the target's
process visible on this machine; SKIP otherwise (the embedded reference's 2 MiB limit makes
it SKIP in the default run).

Fixtures (conformance/plugin.py): `target`, `app_channel`.
"""

from __future__ import annotations

import hashlib
import socket

import pytest

from conformance._proc import PeakMemory, peer_processes
from conformance._wire_fixtures import AppChannel
from conformance.channel import Channel
from conformance.plugin import unsupported
from conformance.target import KnownFile, Target
from conformance.wire import ConformanceFailure, ExpectFrame, ReceivedFrame, deadline_after

__all__: list[str] = []

_MIB = 1024 * 1024
_SMALLEST_BIG = 128 * _MIB
_TIMEOUT = 60.0
_CONNECTIONS = 3


def _large_file(target: Target) -> KnownFile:
    if not target.has("get"):
        unsupported("the target does not declare feature 'get'")
    known = [f for f in target.files if _SMALLEST_BIG <= f.size <= target.limits.max_file_size]
    if not known:
        pytest.skip(f"needs a known file ([files]) of at least {_SMALLEST_BIG // _MIB} MiB")
    return max(known, key=lambda f: f.size)


def _pids(channel: Channel) -> tuple[int, ...]:
    raw = getattr(channel, "raw", channel)
    sock = getattr(raw, "sock", None)
    if not isinstance(sock, socket.socket):
        pytest.skip("the channel exposes no socket to follow to the target's process")
    pids = peer_processes(sock)
    if not pids:
        pytest.skip(
            "LIM-6: the target's process is not visible on this machine (another host or "
            "user, or no /proc): its memory cannot be read"
        )
    return pids


def _full_get(channel: Channel, file: KnownFile) -> None:
    """RSFL, DATA up to the file's size, DONE; hashed as it comes, never held."""
    first = channel.expect([ExpectFrame("RSFL")]).check(f"RQFL {file.name!r}")
    assert first.frame is not None
    digest = hashlib.sha256()
    got = 0
    deadline = deadline_after(_TIMEOUT)
    while True:  # bounded by the file's size and the deadline
        event = channel.recv_frame(deadline)
        if not isinstance(event, ReceivedFrame):
            raise ConformanceFailure(
                f"APP-GET-2: after {got} of {file.size} bytes of {file.name!r}: {event.describe()}"
            )
        if event.type == b"DATA" and got + len(event.payload) <= file.size:
            digest.update(event.payload)
            got += len(event.payload)
            continue
        if event.type == b"DONE" and got == file.size:
            break
        raise ConformanceFailure(
            f"APP-GET-2: after {got} of {file.size} bytes of {file.name!r}: {event.describe()}"
        )
    if digest.hexdigest() != file.sha256:
        raise ConformanceFailure(f"APP-GET-2: {file.name!r} arrived with another SHA-256")


def _first_data(channel: Channel, file: KnownFile, which: int) -> None:
    """The RSFL and the first DATA frame of a get in progress; nothing more is read."""
    channel.expect([ExpectFrame("RSFL")]).check(f"RQFL {file.name!r} on connection {which}")
    event = channel.recv_frame(deadline_after(_TIMEOUT))
    if not (isinstance(event, ReceivedFrame) and event.type == b"DATA"):
        raise ConformanceFailure(
            f"APP-GET-2: connection {which}, RQFL {file.name!r}: after RSFL, "
            f"{event.describe()} in place of DATA"
        )


@pytest.mark.req("LIM-6")
def test_concurrent_gets_do_not_each_hold_the_file(
    target: Target, app_channel: AppChannel
) -> None:
    file = _large_file(target)
    if target.limits.max_connections <= _CONNECTIONS:
        pytest.skip(f"needs room for {_CONNECTIONS} connections (max_connections)")
    channels = [app_channel(timeout=_TIMEOUT)]
    pids = set(_pids(channels[0]))
    channels[0].send_frame("RQFL", {"name": file.name})  # the warm-up
    _full_get(channels[0], file)
    for _ in range(_CONNECTIONS - 1):  # bounded: a few connections
        channel = app_channel(timeout=_TIMEOUT)
        pids.update(_pids(channel))
        channels.append(channel)
    memory = PeakMemory(tuple(sorted(pids)))
    if not memory.start():
        pytest.skip("LIM-6: the target's process memory cannot be read (/proc/PID/status)")
    try:
        for channel in channels:  # all requests first: no connection idles meanwhile
            channel.send_frame("RQFL", {"name": file.name})
        for which, channel in enumerate(channels, 1):
            _first_data(channel, file, which)
    finally:
        base, top = memory.stop()
        for channel in channels:
            channel.close()
    growth = (top - base) * 1024
    if growth > file.size // 2:
        how = "its high-water mark (VmHWM)" if memory.exact else "VmRSS sampled every 3 ms"
        raise ConformanceFailure.evidence(
            f"LIM-6: {_CONNECTIONS} gets of {file.name!r} ({file.size // _MIB} MiB) in "
            "progress at once, each after its first DATA frame, after one full get as "
            "warm-up",
            f"the responder's memory not following the file: less than "
            f"{file.size // 2 // _MIB} MiB of growth",
            f"process(es) {sorted(pids)} grew from {base // 1024} MiB to {top // 1024} MiB "
            f"({growth // _MIB} MiB), by {how}",
            note="a responder that reads the file whole before sending it holds one copy "
            "per get in progress; a heap that kept the warm-up's copy hides only one",
        )
