"""The blocking adapter (reference.transfer) over a plain socketpair: no TLS needed."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reference.errors import ErrorCode
from reference.frames import encode_frame
from reference.share import Inbox, ShareDirectory
from reference.transfer import (
    BUFFER_SIZE,
    Initiator,
    PipelinedSha256,
    Responder,
    ResponderPolicy,
    TransferRefused,
    send_progressing,
)


def test_pipelined_sha256_equals_hashlib() -> None:
    data = os.urandom(3 * BUFFER_SIZE + 123)
    buffers = [bytearray(BUFFER_SIZE), bytearray(BUFFER_SIZE)]
    digest = PipelinedSha256()
    for i, start in enumerate(range(0, len(data), BUFFER_SIZE)):
        piece = data[start : start + BUFFER_SIZE]
        buf = buffers[i % 2]  # the alternation transfer._Channel keeps
        buf[: len(piece)] = piece
        digest.update(memoryview(buf)[: len(piece)])
        digest.update(b"")  # small updates run inline, after the pending one
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Initiator, Path, Path, list[str]]]:
    share, inbox = tmp_path / "share", tmp_path / "inbox"
    share.mkdir()
    inbox.mkdir()
    left, right = socket.socketpair()
    left.settimeout(10)
    right.settimeout(10)
    log: list[str] = []
    policy = ResponderPolicy(ShareDirectory(share), Inbox(inbox), max_file_size=10 * BUFFER_SIZE)
    thread = threading.Thread(target=Responder(right, policy, log=log.append).run)
    thread.start()
    try:
        yield Initiator(left), share, inbox, log
    finally:
        left.close()
        thread.join(10)
        right.close()
        assert policy.share is not None and policy.inbox is not None
        policy.share.close()
        policy.inbox.close()


@pytest.mark.req("APP-2", "LIM-6")
def test_gets_and_puts_over_one_connection(
    pair: tuple[Initiator, Path, Path, list[str]], tmp_path: Path
) -> None:
    initiator, share, inbox, log = pair
    content = os.urandom(2 * BUFFER_SIZE + 5)
    (share / "f").write_bytes(content)
    seen: list[int] = []
    done = initiator.get("f", tmp_path / "got", progress=lambda d, t: seen.append(d))
    assert done.size == len(content) and (tmp_path / "got").read_bytes() == content
    assert seen == sorted(seen) and seen[-1] == len(content)
    assert initiator.put(tmp_path / "got", "dir/back") == "back"
    assert (inbox / "back").read_bytes() == content
    with pytest.raises(TransferRefused) as info:
        initiator.put(tmp_path / "got", "back")
    assert info.value.code is ErrorCode.EXISTS
    with pytest.raises(TransferRefused) as info:
        initiator.get("missing", tmp_path / "missing")
    assert info.value.code is ErrorCode.NOT_FOUND
    big = tmp_path / "big"
    with big.open("wb") as f:
        f.truncate(10 * BUFFER_SIZE + 1)
    with pytest.raises(TransferRefused) as info:
        initiator.put(big)
    assert info.value.code is ErrorCode.TOO_LARGE
    initiator.bye()
    assert any("stored" in line for line in log)


def test_a_slow_steady_reader_is_not_cut_by_one_deadline_per_frame() -> None:
    """LIM-10: the send deadline runs from the last progress. A reader that takes 128 KiB
    every 0.15 s takes over a second for a 1 MiB frame; each 64 KiB step waits far less
    than the 0.5 s timeout (one `sendall` of the frame would time out)."""
    a, b = socket.socketpair()
    with a, b:
        for sock, option in ((a, socket.SO_SNDBUF), (b, socket.SO_RCVBUF)):
            sock.setsockopt(socket.SOL_SOCKET, option, 64 * 1024)
        a.settimeout(0.5)
        frame = os.urandom(1024 * 1024)
        got = bytearray()
        started = time.monotonic()

        def read_slowly() -> None:
            b.settimeout(10)
            while len(got) < len(frame):
                time.sleep(0.15)  # the reader's pace (the scenario), not a synchronisation
                chunk = b.recv(128 * 1024)
                if not chunk:
                    return
                got.extend(chunk)

        reader = threading.Thread(target=read_slowly)
        reader.start()
        try:
            send_progressing(a, frame)
        finally:
            reader.join(timeout=30)
        assert bytes(got) == frame
        assert time.monotonic() - started > 0.5  # slower than one deadline for the frame


@pytest.mark.parametrize(
    ("frame_type", "payload"),
    [(b"DATA", b"x"), (b"RSFL", b'{"name":"a","size":1}'), (b"DONE", b'{"size":0,"sha256":"0"}')],
)
def test_a_frame_after_our_bye_is_answered_unexpected_frame(
    frame_type: bytes, payload: bytes
) -> None:
    """FRM-6: after the initiator's BYE_ only the echo or the close may come; anything else
    is answered `EROR unexpected_frame` (the old bye() swallowed it and closed silently)."""
    left, right = socket.socketpair()
    left.settimeout(5)
    right.settimeout(5)
    with left, right:
        initiator = Initiator(left)
        got = bytearray()

        def peer() -> None:
            right.recv(4096)  # our BYE_
            right.sendall(encode_frame(frame_type, payload))
            while chunk := right.recv(4096):  # until the initiator closes
                got.extend(chunk)

        thread = threading.Thread(target=peer)
        thread.start()
        initiator.bye()
        left.close()
        thread.join(5)
    assert got[:4] == b"EROR", bytes(got[:64])
    assert b'"unexpected_frame"' in got, bytes(got)
