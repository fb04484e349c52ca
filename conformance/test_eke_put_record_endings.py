"""sft-eke/1: a put ended by the record layer leaves no temporary file (SPEC §3.6
APP-STORE-3, §5.5).

"On any failure — integrity, truncation, timeout, error, crash of the peer, ... — the
receiver MUST remove the temporary file; nothing may remain under the final name." Other
cases end a put at the application layer (a bad DONE, too much data, the client's EROR,
the idle timeout, a FIN). Over sft-eke/1 a put can also end one layer lower, where the
record layer closes the connection on its own (EKE-REC-1, -4, -5, -6): a record that does
not authenticate (forged, replayed), a frame sent in clear, a record header above the
frame limit, a record whose plaintext is more than one frame, a record cut off by the
FIN. An implementation whose record-layer failure path returns (or `goto`s) past the
put's cleanup — or keeps a forged put's bytes "as evidence" — leaves its
`.sft-partial-*` file in the inbox for ever.

Each put is accepted, half its data sent; once its temporary (found in the inbox by the
bytes it holds) is there, the record-layer fault follows; the connection must end and,
within a few seconds, the temporary be gone, nothing stored under the final name.
Needs the inbox's path (target file key `inbox`): a responder on the suite's own host.
"""

from __future__ import annotations

import secrets
import socket
import struct
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance._wire_fixtures import fresh_name, require
from conformance.eke_channel import EkeChannel
from conformance.plugin import inconclusive
from conformance.target import Target
from conformance.wire import (
    Closed,
    ConformanceFailure,
    ExpectError,
    ExpectFrame,
    TimedOut,
    deadline_after,
)

ChannelFactory = Callable[..., EkeChannel]

_CHUNK = 64 * 1024
_PREFIX = ".sft-partial-"
_GONE_WITHIN = 4.0  # seconds after the fault for the temporary to go


def _temporaries_holding(inbox: Path, head: bytes) -> list[Path]:
    found = []
    for path in inbox.glob(f"{_PREFIX}*"):
        try:
            with path.open("rb") as f:
                if f.read(len(head)) == head:
                    found.append(path)
        except OSError:
            continue
    return found


def _wait_for_temporary(inbox: Path, head: bytes, within: float) -> Path | None:
    deadline = time.monotonic() + within
    while True:
        found = _temporaries_holding(inbox, head)
        if found:
            return found[0]
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.02)


def _forged(channel: EkeChannel, data: bytes, limit: int) -> None:
    record = bytearray(channel.seal(b"DATA" + struct.pack(">I", len(data)) + data))
    record[-1] ^= 0x01  # the tag no longer matches
    channel.raw.send_raw(bytes(record))


def _replayed(channel: EkeChannel, data: bytes, limit: int) -> None:
    record = channel.seal(b"DATA" + struct.pack(">I", len(data)) + data)
    channel.raw.send_raw(record)
    channel.raw.send_raw(record)  # the same record again: its sequence number is spent


def _in_clear(channel: EkeChannel, data: bytes, limit: int) -> None:
    channel.raw.send_raw(b"DATA" + struct.pack(">I", len(data)) + data)


def _oversize_header(channel: EkeChannel, data: bytes, limit: int) -> None:
    channel.raw.send_raw(b"RECD" + struct.pack(">I", limit + 1) + data[:1024])


def _two_frames(channel: EkeChannel, data: bytes, limit: int) -> None:
    half = data[: len(data) // 2]
    frame = b"DATA" + struct.pack(">I", len(half)) + half
    channel.send_raw(frame + frame)  # one record, two frames


def _cut_off(channel: EkeChannel, data: bytes, limit: int) -> None:
    record = channel.seal(b"DATA" + struct.pack(">I", len(data)) + data)
    channel.raw.send_raw(record[: len(record) // 2])
    channel.raw.sock.shutdown(socket.SHUT_WR)


_ENDINGS: dict[str, Callable[[EkeChannel, bytes, int], None]] = {
    "a record that does not authenticate (forged tag)": _forged,
    "a replayed record": _replayed,
    "a DATA frame in clear": _in_clear,
    "a record header above the frame limit": _oversize_header,
    "a record holding two frames": _two_frames,
    "half a record, then the FIN": _cut_off,
}


@pytest.mark.req("APP-STORE-3")
@pytest.mark.parametrize("ending", list(_ENDINGS))
def test_a_put_ended_by_the_record_layer_leaves_no_temporary(
    eke_target: Target, eke_channel_factory: ChannelFactory, ending: str
) -> None:
    require(eke_target, "put")
    inbox = eke_target.inbox
    if inbox is None or not inbox.is_dir():
        pytest.skip("needs the inbox's path (target file key `inbox`)")
    channel = eke_channel_factory()
    name = fresh_name("sft-rec-end")
    data = secrets.token_bytes(4 * _CHUNK)
    channel.send_frame("PUTF", {"name": name, "size": len(data)})
    answer = channel.expect([ExpectFrame("RSFL", {"accept": True}), ExpectError()])
    if answer.frame is None or answer.frame.type != b"RSFL":
        pytest.skip(f"the put was not accepted: {answer.describe()}")
    for offset in range(0, 2 * _CHUNK, _CHUNK):
        channel.send_frame("DATA", data[offset : offset + _CHUNK])
    head = data[:4096]
    if _wait_for_temporary(inbox, head, within=3.0) is None:
        inconclusive(
            f"no {_PREFIX}* file holding the put's first bytes appeared in {inbox} within 3 s "
            "of sending half of them (APP-STORE-1 is other cases' to judge)"
        )
    rest = data[2 * _CHUNK : 3 * _CHUNK]
    _ENDINGS[ending](channel, rest, eke_target.limits.frame_limit)
    # The connection ends (with or without an EROR: the record layer's choice, EKE-REC-4).
    deadline = deadline_after(3.0)
    ended = False
    for _ in range(8):
        event = channel.raw.recv_frame(deadline)
        if isinstance(event, Closed | TimedOut):
            ended = isinstance(event, Closed)
            break
    channel.close()
    gone_by = time.monotonic() + _GONE_WITHIN
    left = _temporaries_holding(inbox, head)
    while left and time.monotonic() < gone_by:
        time.sleep(0.05)
        left = _temporaries_holding(inbox, head)
    stored = (inbox / name).exists()
    if left or stored:
        raise ConformanceFailure.evidence(
            f"APP-STORE-3: a put of {len(data)} bytes ended after half of them by {ending} "
            f"(the target {'closed' if ended else 'had not closed within 3 s'}; the suite "
            "closed then)",
            f"no temporary file of the put left in the inbox within {_GONE_WITHIN:.0f} s, "
            "nothing under the final name",
            "; ".join(
                [f"{p.name} ({p.stat().st_size} bytes) still in the inbox" for p in left]
                + ([f"{name!r} stored"] if stored else [])
            ),
        )
