"""Memory per connection [LIM-6]: large buffers cost pages only while a transfer fills them.

Before reference.buffers, every EKE connection held about 6 MiB resident from its
handshake on (two 1 MiB plaintext buffers per direction, the record and reader
buffers: `bytearray(n)` writes its n zeros) and every PKI connection about 2 MiB.
These tests pin the bound that replaced it: an established connection costs a few
pages, and a transfer's pages go back when it ends. RSS is read from /proc; the
bound (256 KiB per connection) is far from both the old figures and the noise.
"""

from __future__ import annotations

import ctypes
import hashlib
import mmap
import os
import socket
import threading
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from reference import buffers, transfer
from reference.eke import crypto
from reference.eke.records import InnerFrame, RecordChannel
from reference.frames import DEFAULT_MAX_PAYLOAD
from reference.share import Inbox, ShareDirectory
from reference.transfer import BUFFER_SIZE, Initiator, Responder, ResponderPolicy

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads the RSS from Linux's /proc"
)

T = TypeVar("T")
KEYS = crypto.derive_keys(b"\x05" * 384, b"\x07" * 32)
CONNECTIONS = 24
BOUND_PER_CONNECTION = 256 * 1024  # bytes


class _NoStream:
    def sendall(self, data: bytes | bytearray | memoryview, /) -> None:
        raise AssertionError("not used")

    def recv_into(self, buffer: bytearray | memoryview, /) -> int:
        raise AssertionError("not used")

    def close(self) -> None:
        pass


def _resident(buffer: mmap.mmap) -> int:
    """The bytes of `buffer` that are resident, page by page (mincore(2)).

    Asked of the buffer's own pages, not of the process's RSS: in a test worker other
    threads and the allocator move the process figure by megabytes (seen in CI: +5.5 MiB
    after a release), and the kernel merges adjacent mappings, so smaps cannot tell
    this buffer's pages from its neighbours'.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    page = mmap.PAGESIZE
    pages = (len(buffer) + page - 1) // page
    vector = (ctypes.c_ubyte * pages)()
    address = ctypes.addressof(ctypes.c_char.from_buffer(buffer))
    if libc.mincore(ctypes.c_void_p(address), ctypes.c_size_t(len(buffer)), vector) != 0:
        raise OSError(ctypes.get_errno(), "mincore failed")
    return sum(flag & 1 for flag in vector) * page


def _mmaps(roots: object, depth: int = 5) -> list[mmap.mmap]:
    """Every mmap buffer reachable from `roots` through attributes and containers."""
    found: dict[int, mmap.mmap] = {}
    seen: set[int] = set()
    layer: list[object] = [roots]
    for _ in range(depth):
        nxt: list[object] = []
        for obj in layer:
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if isinstance(obj, mmap.mmap):
                if not obj.closed:
                    found[id(obj)] = obj
            elif isinstance(obj, list | tuple | set | frozenset):
                nxt.extend(obj)
            elif isinstance(obj, dict):
                nxt.extend(obj.values())
            elif hasattr(obj, "__dict__") and not isinstance(obj, type):
                nxt.extend(vars(obj).values())
        layer = nxt
    return list(found.values())


def _footprint(build: Callable[[], list[T]]) -> tuple[float, list[T]]:
    """What `build()`'s objects cost, in bytes: Python heap allocations (tracemalloc: a
    zero-filled `bytearray(n)` counts n at once) plus the resident pages of the mmap
    buffers they hold (mincore). Both are the objects' own, so the figure does not move
    with other threads of the test worker, as the process RSS does."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        objects = build()
        heap = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    resident = sum(_resident(buffer) for buffer in _mmaps(objects))
    return float(heap + resident), objects


def test_a_lazy_buffer_costs_pages_only_once_written_and_gives_them_back() -> None:
    buffer = buffers.lazy_buffer(8 * BUFFER_SIZE)
    assert _resident(buffer) == 0
    chunk = b"\x01" * BUFFER_SIZE
    for offset in range(0, len(buffer), BUFFER_SIZE):
        buffer[offset : offset + BUFFER_SIZE] = chunk
    assert _resident(buffer) == len(buffer)
    buffers.release(buffer)
    assert _resident(buffer) == 0
    assert buffer[:16] == bytes(16)  # reads as zeros after the release
    buffer.close()
    buffers.release(buffer)  # a closed buffer: nothing to give back, no error
    with pytest.raises(ValueError):
        buffers.lazy_buffer(0)


@pytest.mark.req("LIM-6")
def test_established_eke_channels_hold_a_few_pages_each() -> None:
    cost, channels = _footprint(
        lambda: [
            RecordChannel(KEYS, is_client=bool(i % 2), max_record=DEFAULT_MAX_PAYLOAD)
            for i in range(CONNECTIONS)
        ]
    )
    per_connection = cost / len(channels)
    assert per_connection <= BOUND_PER_CONNECTION, f"{per_connection / 1024:.0f} KiB each"


@pytest.mark.req("LIM-6")
def test_established_pki_connections_hold_a_few_pages_each() -> None:
    policy = ResponderPolicy(share=None, inbox=None)

    def build() -> list[Initiator | Responder]:
        ends: list[Initiator | Responder] = [
            Initiator(_NoStream()) for _ in range(CONNECTIONS // 2)
        ]
        return ends + [Responder(_NoStream(), policy) for _ in range(CONNECTIONS // 2)]

    cost, ends = _footprint(build)
    per_connection = cost / len(ends)
    assert per_connection <= BOUND_PER_CONNECTION, f"{per_connection / 1024:.0f} KiB each"


@pytest.mark.req("LIM-6")
def test_a_full_size_eke_record_s_pages_go_back_after_the_transfer() -> None:
    pairs = [
        (RecordChannel(KEYS, is_client=True), RecordChannel(KEYS, is_client=False))
        for _ in range(4)
    ]
    payload = os.urandom(pairs[0][0].max_payload)
    for sender, receiver in pairs:
        buf = sender.payload_buffer()
        buf[: len(payload)] = payload
        record = sender.seal_payload(b"DATA", len(payload))
        done = 0
        while done < len(record):  # the adapter's recv_into path: no copy on the heap
            room = receiver.reader.get_buffer()
            n = min(len(room), len(record) - done)
            room[:n] = record[done : done + n]
            receiver.reader.buffer_updated(n)
            done += n
        frame = receiver.reader.next_frame()
        assert isinstance(frame, InnerFrame) and frame.payload == payload
        del frame
    used = sum(_resident(b) for b in _mmaps(pairs)) / len(pairs)
    assert used >= 3 * BUFFER_SIZE  # sealer plaintext + record, reader record + plaintext
    for sender, receiver in pairs:
        sender.release_buffers()
        receiver.release_buffers()
    left = sum(_resident(b) for b in _mmaps(pairs)) / len(pairs)
    assert left <= BOUND_PER_CONNECTION, f"{left / 1024:.0f} KiB left per pair"


@pytest.mark.req("LIM-6")
def test_pki_transfers_release_their_data_buffers_when_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    released: list[int] = []
    original = buffers.release

    def spy(buffer: mmap.mmap) -> None:
        released.append(id(buffer))
        original(buffer)

    monkeypatch.setattr(transfer, "release", spy)
    share, inbox = tmp_path / "share", tmp_path / "inbox"
    share.mkdir()
    inbox.mkdir()
    (share / "f").write_bytes(os.urandom(2 * BUFFER_SIZE + 5))
    left, right = socket.socketpair()
    left.settimeout(10)
    right.settimeout(10)
    policy = ResponderPolicy(ShareDirectory(share), Inbox(inbox), max_file_size=4 * BUFFER_SIZE)
    responder = Responder(right, policy)
    thread = threading.Thread(target=responder.run)
    thread.start()
    try:
        initiator = Initiator(left)
        initiator.get("f", tmp_path / "got")
        # the initiator's two DATA buffers, at DONE
        mine = {id(b) for b in initiator.channel._data_buffers}
        assert mine <= set(released)
        initiator.put(tmp_path / "got", "back")
        initiator.bye()
        thread.join(10)
        theirs = {id(b) for b in responder.channel._data_buffers}
        assert theirs <= set(released)  # after its get's DONE and its put's DONE
    finally:
        left.close()
        thread.join(10)
        right.close()
        policy.share.close()  # type: ignore[union-attr]
        policy.inbox.close()  # type: ignore[union-attr]


def test_one_hashing_thread_per_transfer_and_none_left_behind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The pipelined digest starts one helper thread per transfer (not one per chunk),
    ends it at `hexdigest`, and a digest dropped mid-transfer (a failed transfer) ends
    its thread too: no thread is left waiting."""
    started: list[threading.Thread] = []
    original_start = threading.Thread.start

    def counting_start(self: threading.Thread) -> None:
        started.append(self)
        original_start(self)

    monkeypatch.setattr(threading.Thread, "start", counting_start)
    chunks = [os.urandom(BUFFER_SIZE), os.urandom(BUFFER_SIZE)]
    digest = transfer.PipelinedSha256()
    for i in range(6):
        digest.update(memoryview(chunks[i % 2]))
    assert digest.hexdigest() == hashlib.sha256(b"".join(chunks * 3)).hexdigest()
    assert len(started) == 1
    abandoned = transfer.PipelinedSha256()
    abandoned.update(chunks[0])
    assert len(started) == 2
    del abandoned
    for thread in started:
        thread.join(5)
        assert not thread.is_alive()
