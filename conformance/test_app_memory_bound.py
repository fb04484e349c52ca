"""LIM-6: a responder's memory per connection is bounded, whatever the file's size or the
size a peer announces (both profiles).

LIM-6: "A responder MUST bound the memory it spends per connection independently of file
size and of announced lengths." The wire does not show memory; the kernel does, for a
target on this machine: the suite finds the process holding the other end of its
connection (/proc/net/tcp's inode, then /proc/*/fd — the serving process, or the child
forked for the connection) and reads its resident memory (VmRSS sampled every few ms, and
the exact high-water mark VmHWM after resetting it, where the kernel lets the suite). A
target elsewhere, or another user's process, is not visible: SKIP, never a PASS.

The classes of bug: a put held in memory until its DONE (to check the SHA-256 before
writing, or `ByteArrayOutputStream`, `Buffer.concat`, `io.ReadAll`); a get read whole
before it is sent (`readFileSync`, `Files.readAllBytes`, `f.read()`); a buffer allocated
at the size a PUTF announces. Each grows the process by the file's size; a bounded
responder's memory does not follow it (a garbage-collected one may hold some chunks
before it collects them: the bound is half the file, far above a few records).

- put: after a 64 MiB put (the run-time's warm-up: JIT, buffers, a garbage-collected
  heap's young generation), a put of up to 256 MiB (at least 128 MiB, within the max file
  size) must be stored with the process's peak memory above its resident memory at the
  PUTF by less than half the put's size;
- get: a known file of at least 128 MiB ([files]) read twice, judged the second time;
- announced: a PUTF announcing 1 GiB (or the max file size, at least 256 MiB) is
  accepted; by its RSFL the process must not have grown by a quarter of that.
Needs a max file size of at least 128 MiB (256 MiB for the announced case): the embedded
reference's 2 MiB makes the cases SKIP in the default run; its self-test starts one with
a larger limit (conformance/selftest/mutants_lead18.py, Mutant.max_file_size).

Fixtures (conformance/plugin.py): `target`, `app_channel`.
"""

from __future__ import annotations

import hashlib
import os
import socket
import struct

import pytest

from conformance._proc import PeakMemory, peer_processes
from conformance._wire_fixtures import AppChannel, fresh_name
from conformance.channel import Channel
from conformance.plugin import unsupported
from conformance.target import KnownFile, Target
from conformance.wire import (
    ConformanceFailure,
    ExpectError,
    ExpectFrame,
    Outcome,
    ReceivedFrame,
    deadline_after,
)

__all__: list[str] = []

_MIB = 1024 * 1024
# The warm-up is large so that a garbage-collected runtime has grown its young generation
# (the chunks it has not collected yet) before the peak is taken: a streaming JVM grew by
# ~90 MiB over its first 128 MiB and not further; a responder that holds the file grows by
# the whole measured put on top of whatever the warm-up left.
_WARM_UP = 64 * _MIB
_BIG = 256 * _MIB
_SMALLEST_BIG = 128 * _MIB
_ANNOUNCED = 1024 * _MIB
_SMALLEST_ANNOUNCED = 256 * _MIB
_TIMEOUT = 60.0
_CHUNK = _MIB  # DATA payload (FRM-13's maximum)


def _socket_of(channel: Channel) -> socket.socket:
    raw = getattr(channel, "raw", channel)
    sock = getattr(raw, "sock", None)
    if not isinstance(sock, socket.socket):
        pytest.skip("the channel exposes no socket to follow to the target's process")
    return sock


def _watch(channel: Channel) -> PeakMemory:
    pids = peer_processes(_socket_of(channel))
    if not pids:
        pytest.skip(
            "LIM-6: the target's process is not visible on this machine (another host or "
            "user, or no /proc): its memory cannot be read"
        )
    return PeakMemory(pids)


def _put_streamed(channel: Channel, name: str, size: int) -> tuple[Outcome, Outcome | None]:
    """PUTF, and if accepted `size` bytes of DATA made as they are sent, then DONE."""
    channel.send_frame("PUTF", {"name": name, "size": size})
    answer = channel.expect(
        [
            ExpectFrame("RSFL", {"accept": True}),
            ExpectError("forbidden", "too_large", "exists", "unsupported"),
        ]
    )
    if answer.frame is None or answer.frame.type != b"RSFL":
        return answer, None
    block = os.urandom(_CHUNK)
    digest = hashlib.sha256()
    sent = 0
    while sent < size:  # bounded by size
        chunk = struct.pack(">Q", sent) + block[8 : min(_CHUNK, size - sent)]
        chunk = chunk[: size - sent]
        digest.update(chunk)
        if not channel.send_frame("DATA", chunk):
            break
        sent += len(chunk)
    channel.send_frame("DONE", {"size": size, "sha256": digest.hexdigest()})
    return answer, channel.expect([ExpectFrame("DONE"), ExpectError("integrity_failed")])


def _stored(outcome: Outcome | None) -> bool:
    return outcome is not None and outcome.frame is not None and outcome.frame.type == b"DONE"


def _judge(what: str, size: int, memory: PeakMemory, share: int) -> None:
    base, top = memory.stop()
    growth = (top - base) * 1024
    if growth > size // share:
        how = "its high-water mark (VmHWM)" if memory.exact else "VmRSS sampled every 3 ms"
        raise ConformanceFailure.evidence(
            f"LIM-6: {what}",
            f"the responder's memory not following the size: less than 1/{share} of "
            f"{size // _MIB} MiB of growth",
            f"process(es) {list(memory.pids)} grew from {base // 1024} MiB to "
            f"{top // 1024} MiB ({growth // _MIB} MiB), by {how}",
            note="a responder that holds the file (or a buffer of the announced size) in "
            "memory spends memory per connection in proportion to the file",
        )


def _need(target: Target, wanted: int, smallest: int) -> int:
    """The put size to judge with: `wanted`, within the max file size, at least `smallest`."""
    if not target.has("put"):
        unsupported("the target does not declare feature 'put'")
    size = min(wanted, target.limits.max_file_size)
    if size < smallest:
        pytest.skip(
            f"LIM-6 is judged with files of at least {smallest // _MIB} MiB; the max file "
            f"size is {target.limits.max_file_size} bytes"
        )
    return size


@pytest.mark.req("LIM-6")
def test_a_large_put_is_stored_in_bounded_memory(target: Target, app_channel: AppChannel) -> None:
    size = _need(target, _BIG, _SMALLEST_BIG)
    channel = app_channel(timeout=_TIMEOUT)
    memory = _watch(channel)
    answer, final = _put_streamed(channel, fresh_name("lim6-warm") + ".bin", _WARM_UP)
    if not _stored(final):
        pytest.skip(f"the target did not store a {_WARM_UP // _MIB} MiB put: {answer.describe()}")
    if not memory.start():
        pytest.skip("LIM-6: the target's process memory cannot be read (/proc/PID/status)")
    answer, final = _put_streamed(channel, fresh_name("lim6-put") + ".bin", size)
    if not _stored(final):
        memory.stop()
        pytest.skip(
            f"the target did not store a {size // _MIB} MiB put (other requirements judge "
            f"that): {(final or answer).describe()}"
        )
    _judge(f"a put of {size} bytes, stored (DONE)", size, memory, 2)


def _large_file(target: Target) -> KnownFile:
    known = [f for f in target.files if _SMALLEST_BIG <= f.size <= target.limits.max_file_size]
    if not known:
        pytest.skip(f"needs a known file ([files]) of at least {_SMALLEST_BIG // _MIB} MiB")
    return max(known, key=lambda f: f.size)


@pytest.mark.req("LIM-6")
def test_a_large_get_is_sent_from_bounded_memory(target: Target, app_channel: AppChannel) -> None:
    if not target.has("get"):
        unsupported("the target does not declare feature 'get'")
    file = _large_file(target)
    channel = app_channel(timeout=_TIMEOUT)
    memory = _watch(channel)
    channel.send_frame("RQFL", {"name": file.name})  # the warm-up
    _read_get(channel, file)
    if not memory.start():
        pytest.skip("LIM-6: the target's process memory cannot be read (/proc/PID/status)")
    channel.send_frame("RQFL", {"name": file.name})
    _read_get(channel, file)
    _judge(f"a get of {file.name!r} ({file.size} bytes), sent (DONE)", file.size, memory, 2)


def _read_get(channel: Channel, file: KnownFile) -> None:
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


@pytest.mark.req("LIM-6")
def test_an_announced_size_is_not_allocated(target: Target, app_channel: AppChannel) -> None:
    size = _need(target, _ANNOUNCED, _SMALLEST_ANNOUNCED)
    channel = app_channel(timeout=_TIMEOUT)
    memory = _watch(channel)
    if not memory.start():
        pytest.skip("LIM-6: the target's process memory cannot be read (/proc/PID/status)")
    channel.send_frame("PUTF", {"name": fresh_name("lim6-announced") + ".bin", "size": size})
    answer = channel.expect(
        [
            ExpectFrame("RSFL", {"accept": True}),
            ExpectError("forbidden", "too_large", "exists", "unsupported"),
        ]
    )
    if answer.frame is None or answer.frame.type != b"RSFL":
        memory.stop()
        pytest.skip(f"the target did not accept a PUTF of {size} bytes: {answer.describe()}")
    # One DATA frame: a responder that sizes its buffer at the first DATA shows it too.
    channel.send_frame("DATA", os.urandom(_CHUNK))
    channel.send_frame("DATA", os.urandom(_CHUNK))
    _judge(f"a PUTF announcing {size} bytes, accepted (RSFL), then 2 MiB", size, memory, 4)
