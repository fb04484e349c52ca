"""A put whose connection is reset leaves no temporary file (docs/SPEC.md §3.6 APP-STORE-3);
both profiles, when the inbox is known (the embedded reference, or a target file's
`inbox`).

"On any failure — integrity, truncation, timeout, error, crash of the peer, ... — the
receiver MUST remove the temporary file." Other cases end a put with a FIN (the initiator
closes), at the application layer (a bad DONE, the initiator's EROR) or in the record
layer. A peer that crashes, or a middlebox that gives up, ends the connection with a TCP
reset instead: the responder's next read fails with ECONNRESET, an error of the socket and
not an end of stream. A responder whose reset branch differs from its end-of-stream branch
— `except ConnectionError: return` ahead of the cleanup, an error path that keeps the
temporary "for a resume", a `goto` past the unlink — leaves its `.sft-partial-*` file in
the inbox for good (until its next start).

Each put sends fresh random bytes and is reset (SO_LINGER 0, then close) at one of the
places a crash can strike: after its first DATA frame, half way through its data, with
every announced byte sent but no DONE, and inside a frame (part of a DATA frame on the
wire: over sft-eke/1 half a record, over sft-pki/1 a DATA header and part of its payload
in the TLS stream). Once a temporary holding the put's first bytes is in the inbox (so the
case cannot pass before the put really began), the reset comes; within a few seconds no
file of the inbox may hold the put's bytes and nothing may be stored under its name.
"""

from __future__ import annotations

import os
import socket
import struct
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.channel import Channel
from conformance.eke_channel import EkeChannel
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectError, ExpectFrame

_CHUNK = 16 * 1024
_SIZE = 8 * _CHUNK
_HEAD = 64  # leading bytes that identify the put's files
_APPEAR_WITHIN = 3.0  # seconds for the temporary to show the first bytes sent
_GONE_WITHIN = 4.0  # seconds after the reset for every trace of the put to go
_MAX_ENTRIES = 5000  # bounds the inbox walk


def _holders(inbox: Path, data: bytes) -> list[Path]:
    """Regular files of the inbox (any depth) whose first bytes are the put's first bytes."""
    found: list[Path] = []
    seen = 0
    for root, _dirs, files in os.walk(inbox):
        for name in files:
            seen += 1
            if seen > _MAX_ENTRIES:
                return found
            path = Path(root) / name
            try:
                if path.is_symlink() or not path.is_file():
                    continue
                with open(path, "rb") as f:
                    head = f.read(_HEAD)
            except OSError:
                continue  # gone meanwhile, unreadable
            if len(head) == _HEAD and data.startswith(head):
                found.append(path)
    return found


def _poll(inbox: Path, data: bytes, *, present: bool, within: float) -> list[Path]:
    """Bounded polling of the inbox until holders are present (or gone), or `within` ends."""
    deadline = time.monotonic() + within
    found = _holders(inbox, data)
    while bool(found) != present and time.monotonic() < deadline:
        time.sleep(0.05)
        found = _holders(inbox, data)
    return found


def _send_data(channel: Channel, data: bytes) -> None:
    for offset in range(0, len(data), _CHUNK):
        channel.send_frame("DATA", data[offset : offset + _CHUNK])


def _tcp_socket(channel: Channel) -> socket.socket:
    if isinstance(channel, EkeChannel):
        return channel.raw.sock
    sock = vars(channel).get("sock")  # a PkiChannel: its TLS socket
    assert isinstance(sock, socket.socket), f"no socket in {type(channel).__name__}"
    return sock


def _reset(channel: Channel) -> None:
    """Ends the connection with a TCP reset: linger on, timeout 0, then close."""
    sock = _tcp_socket(channel)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    socket.socket.close(sock)  # the descriptor itself: no close_notify, no FIN


def _part_of_a_frame(channel: Channel, data: bytes) -> None:
    """Part of one more DATA frame on the wire (the put's next bytes)."""
    frame = b"DATA" + struct.pack(">I", len(data)) + data
    if isinstance(channel, EkeChannel):
        record = channel.seal(frame)
        channel.raw.send_raw(record[: len(record) // 2])
    else:
        channel.send_raw(frame[: len(frame) // 2])


# Where the reset strikes: what is sent of the put before it (after its first frame).
_POINTS: dict[str, Callable[[Channel, bytes], None]] = {
    "after-the-first-frame": lambda channel, data: None,
    "half-way": lambda channel, data: _send_data(channel, data[_CHUNK : len(data) // 2]),
    "every-byte-no-done": lambda channel, data: _send_data(channel, data[_CHUNK:]),
    "inside-a-frame": lambda channel, data: _part_of_a_frame(channel, data[_CHUNK : 2 * _CHUNK]),
}


@pytest.mark.req("APP-STORE-3")
@pytest.mark.parametrize("point", list(_POINTS))
def test_a_put_reset_by_the_peer_leaves_no_temporary(
    target: Target, app_channel: AppChannel, point: str
) -> None:
    require(target, "put")
    inbox = target.inbox
    if inbox is None or not inbox.is_dir():
        pytest.skip("needs the inbox's path (target file key `inbox`)")
    if target.limits.max_file_size < _SIZE:
        pytest.skip(f"the maximum file size is below the {_SIZE} bytes this case puts")
    data = os.urandom(_SIZE)
    name = fresh_name("sft-reset-put")
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": len(data)})
    answer = channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError()])
    if answer.frame is None or answer.frame.type != b"RSFL":
        pytest.skip(f"PUTF {name!r} of {len(data)} bytes was not accepted: {answer.describe()}")
    channel.send_frame("DATA", data[:_CHUNK])
    if not _poll(inbox, data, present=True, within=_APPEAR_WITHIN):
        inconclusive(
            f"no file of {inbox} held the put's first bytes within {_APPEAR_WITHIN:g} s of "
            "its first DATA frame (APP-STORE-1 is other cases' to judge)"
        )
    _POINTS[point](channel, data)
    _reset(channel)
    left = _poll(inbox, data, present=False, within=_GONE_WITHIN)
    stored = (inbox / name).exists()
    if left or stored:
        raise ConformanceFailure.evidence(
            f"APP-STORE-3: a put of {name!r} ({_SIZE} random bytes) accepted, its temporary "
            f"seen in the inbox, then the connection reset by the initiator ({point})",
            f"no file of the inbox holds the put's bytes within {_GONE_WITHIN:g} s of the "
            "reset, nothing under the final name: a reset is a failure like a close",
            "; ".join(
                [
                    f"{p.relative_to(inbox)} ({p.stat().st_size} bytes) still in the inbox"
                    for p in left
                    if p.exists()
                ]
                + ([f"{name!r} stored"] if stored else [])
            )
            or "a file holding the put's bytes was still there",
        )
