"""Gets of two different files on two connections at once stay apart (APP-GET-2).

A responder that allocates its big transfer buffers once for the process — "they are 1
MiB each" — instead of per connection (a module-level buffer, buffers kept on the server
object or the class) reads one connection's file into memory another connection is still
sending from. test_app_get_concurrent.py has two connections read the SAME file at the
same offsets by turns: the bytes one thread writes over the other's buffer are then the
very bytes it was sending, and nothing shows. Here the two connections read two
DIFFERENT files (the two largest known files of different content), each pipelining
gets until its answers exceed what a loopback connection buffers, so that both responder
threads stop in the middle of a file; the suite then reads the two connections by turns,
one frame at a time. Every get MUST be RSFL, exactly the file's bytes (its known
SHA-256) and a DONE with that digest.

The same buffers carry puts the other way: two connections put two different files of
several 1 MiB DATA frames at the same moment (one thread each). Each put MUST be stored
(DONE) with exactly its bytes: a responder whose receive buffer is shared stores, or
hashes, the other put's bytes. Where the target declares its inbox (on the suite's
host), the stored files are read back and compared. Both profiles.
"""

from __future__ import annotations

import hashlib
import threading

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, put_file, require
from conformance.target import KnownFile, Target
from conformance.test_app_get_concurrent import _Reader
from conformance.wire import ConformanceFailure

__all__: list[str] = []

_MIN_SIZE = 64 * 1024  # several TLS records / a large DATA frame per get
_PER_CONNECTION = 6 * 1024 * 1024  # beyond what a loopback connection's buffers hold
_MAX_GETS = 12
_READ_TIMEOUT = 10.0


class _OtherFileReader(_Reader):
    """`_Reader`, with the evidence of this case (another file on the other connection)."""

    other: str = ""

    def _failure(self, what: str, actual: str) -> ConformanceFailure:
        failure = ConformanceFailure.evidence(
            f"APP-GET-2: {what} (the other connection reads {self.other!r} at the same time)",
            f"RSFL, exactly {self.file.size} bytes of the file, DONE with their SHA-256",
            actual,
            note="a transfer buffer shared between connections carries the other file's "
            "bytes into this get",
        )
        failure.violates = ("APP-GET-2",)
        return failure


def _two_files(target: Target) -> tuple[KnownFile, KnownFile]:
    candidates = sorted(
        (
            f
            for f in target.files
            if _MIN_SIZE <= f.size <= target.limits.max_file_size and f.sha256
        ),
        key=lambda f: f.size,
        reverse=True,
    )
    for index, first in enumerate(candidates):
        for second in candidates[index + 1 :]:
            if second.sha256 != first.sha256:
                return first, second
    pytest.skip(f"needs two known files of different content, each of {_MIN_SIZE}+ bytes")


@pytest.mark.req("APP-GET-2", "APP-2")
def test_two_connections_reading_two_files_at_once_each_get_its_own(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "get")
    files = _two_files(target)
    readers: list[_OtherFileReader] = []
    for label, file, other in (
        ("connection A", files[0], files[1]),
        ("connection B", files[1], files[0]),
    ):
        gets = max(2, min(_MAX_GETS, -(-_PER_CONNECTION // file.size)))
        channel = app_channel(timeout=_READ_TIMEOUT)
        for _ in range(gets):
            channel.send_frame("RQFL", {"name": file.name})
        reader = _OtherFileReader(channel, file, gets, label)
        reader.other = other.name
        readers.append(reader)
    # By turns, one frame each: both responder threads stay in the middle of a file.
    # Bounded: every frame read either ends a get or adds at least one byte to it, and a
    # get with more bytes than announced fails; each read waits at most _READ_TIMEOUT.
    while any(r.left for r in readers):
        for reader in readers:
            if reader.left:
                reader.step()


_PUT_SIZE = 3 * 1024 * 1024 + 4321  # four DATA frames of at most 1 MiB
_PUT_TIMEOUT = 30.0


def _content(seed: int, size: int) -> bytes:
    block = hashlib.sha256(f"b70 put {seed}".encode()).digest() * 32  # 1 KiB
    return (block * (size // len(block) + 1))[:size]


@pytest.mark.req("APP-PUT-5", "APP-2")
def test_two_connections_putting_two_files_at_once_each_store_their_own(
    target: Target, app_channel: AppChannel
) -> None:
    require(target, "put")
    size = min(_PUT_SIZE, target.limits.max_file_size)
    if size < _MIN_SIZE:
        pytest.skip(f"the max file size ({target.limits.max_file_size}) is too small")
    puts = [(fresh_name("concurrent-put"), _content(seed, size)) for seed in (1, 2)]
    channels = [app_channel(timeout=_PUT_TIMEOUT) for _ in puts]
    results: list[str | None] = [None, None]

    def run(index: int) -> None:
        name, data = puts[index]
        try:
            answer, final = put_file(channels[index], name, data, chunk=1024 * 1024)
            if final is None:
                results[index] = f"PUTF answered {answer.describe()}"
            elif not final.ok or final.frame is None or final.frame.type != b"DONE":
                results[index] = f"DONE answered {final.describe()}"
        except Exception as exc:  # the evidence is the exception
            results[index] = f"{type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(_PUT_TIMEOUT + 5.0)  # bounded: each channel read times out itself
    problems = [f"put {puts[i][0]!r}: {r}" for i, r in enumerate(results) if r is not None] + [
        f"put {puts[i][0]!r}: did not end" for i, t in enumerate(threads) if t.is_alive()
    ]
    if target.inbox is not None and not problems:
        for name, data in puts:
            stored = target.inbox / name
            if not stored.is_file():
                problems.append(f"{name!r} answered DONE but is not in the inbox")
            elif (
                hashlib.sha256(stored.read_bytes()).hexdigest() != hashlib.sha256(data).hexdigest()
            ):
                problems.append(f"{name!r} answered DONE but stored other bytes than were sent")
    if problems:
        raise ConformanceFailure(
            f"APP-PUT-5: two connections put two different files of {size} bytes (1 MiB "
            "DATA frames) at the same moment\n"
            "Expected: each answered DONE and stored with exactly its own bytes\n"
            "Actual:   " + "; ".join(problems) + "\n"
            "A receive buffer shared between connections mixes the two puts",
            violates=("APP-PUT-5",),
        )
