"""A put whose DATA and DONE arrive split any way (SPEC §1 FRM-4, §3.4).

test_framing.py splits requests (an `RQFL`, small control frames) across writes. A put's
`DATA` payload is read by other code — a loop over a file-sized buffer — and that is
where "one read returns the whole payload" hides: Go's `r.Read(buf[:n])` (a `tls.Conn`
returns at most one TLS record per call), C's single `recv()` without `MSG_WAITALL`, a
`SSL_read` taken for the frame. A receiver that uses `n` bytes when fewer came desyncs:
it stores stale bytes and then parses file content as a frame header.

Each case offers a put, sends its `DATA` frame(s) and its `DONE` pipelined in one stream,
cut into pieces (sft-pki/1: each piece its own TLS record; sft-eke/1: the sealed records'
bytes cut across TCP segments, EKE-REC-1 keeps a frame in one record), and expects the
put's `DONE` with the right digest, and — when the target declares its inbox — the bytes
stored. Every way of cutting is legal on the wire, so a conforming responder answers each
exactly as it answers the unsplit put [FRM-4].

The cuts above are sent back to back, and a receiver may still find the pieces joined
in its buffer when it reads (the kernel keeps what arrived); `paced` leaves 50 ms between
its first pieces — inside the first frame's header, then inside its payload — so that a
receiver that takes one `recv()` for a header or a record does see the short read.

The content holds bytes outside `A`–`Z`, `0`–`9`, `_`: a responder that has lost its place
in the stream sees bad type bytes there (`bad_frame`), not a plausible frame.
"""

from __future__ import annotations

import hashlib
import time
from itertools import cycle, islice

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.channel import Channel
from conformance.scenario import send_split_frames, transport_of
from conformance.target import Target
from conformance.wire import ConformanceFailure, ExpectFrame, control, frame_bytes

# split -> (content size, DATA frame size, write sizes: None = byte by byte)
_ODD = [1, 2, 3, 5, 7, 11, 13, 17, 19, 23]
_SPLITS: dict[str, tuple[int, int, list[int] | None]] = {
    # every byte its own write (its own TLS record / TCP segment)
    "bytewise": (700, 700, None),
    # the 8-byte header of each piece of the stream apart from the rest
    "header-then-payload": (3000, 3000, [8]),
    # odd sizes over the whole stream: cuts inside headers and payloads
    "odd-chunks": (3000, 1500, list(islice(cycle(_ODD), 600))),
    # a 40 KiB DATA frame in 1000-byte writes: 41 reads for one payload
    "small-writes": (40 * 1024, 40 * 1024, [1000] * 60),
    # a 256 KiB DATA frame in one write: TLS cuts it into 16 KiB records on its own
    "one-large-frame": (256 * 1024, 256 * 1024, []),
    # 3 + 5 bytes of the first header, then 4 and 9 bytes of its payload, 50 ms apart
    "paced": (3000, 3000, [3, 5, 4, 9]),
}
_PACE = 0.05  # seconds between the pieces of the `paced` split


def _send_paced(channel: Channel, frames: list[bytes], pieces: list[int]) -> bool:
    """The stream of `frames` in `pieces`, _PACE apart, then the rest in one write."""
    conn, data = transport_of(channel, frames)
    if conn is not channel:
        for frame in frames:
            channel.transcript.add("send", frame, "inner frame (plaintext)")
    offset = 0
    for size in pieces:
        if not conn.send_raw(data[offset : offset + size]):
            return False
        offset += size
        time.sleep(_PACE)  # the pieces reach the receiver apart: not a synchronisation
    return conn.send_raw(data[offset:])


def _content(size: int) -> bytes:
    # bytes 0..255: control bytes and lower case, never a valid frame type for long
    return (bytes(range(256)) * (size // 256 + 1))[:size]


@pytest.mark.req("FRM-4")
@pytest.mark.parametrize("split", sorted(_SPLITS))
def test_put_split_any_way_is_stored(target: Target, app_channel: AppChannel, split: str) -> None:
    """PUTF (whole), then DATA frame(s) and DONE in one stream cut as `split` says: the
    put's DONE carries the digest of the bytes sent, and the inbox (when declared) holds
    them."""
    require(target, "put")
    size, frame_size, writes = _SPLITS[split]
    if size > target.limits.max_file_size or target.limits.frame_limit < frame_size + 8 + 16:
        pytest.skip(f"the target's max file size or frame limit is below {size} bytes")
    data = _content(size)
    digest = hashlib.sha256(data).hexdigest()
    name = fresh_name()
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": size})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"APP-PUT-1: PUTF {name!r}")
    frames = [
        frame_bytes("DATA", data[offset : offset + frame_size])
        for offset in range(0, size, frame_size)
    ]
    frames.append(frame_bytes("DONE", control({"size": size, "sha256": digest})))
    what = (
        f"FRM-4: a put of {size} bytes ({len(frames) - 1} DATA frame(s) of up to "
        f"{frame_size} bytes, then DONE) delivered {split}"
    )
    sent = (
        _send_paced(channel, frames, writes or [])
        if split == "paced"
        else send_split_frames(channel, frames, writes)
    )
    if not sent:
        channel.transcript.add("event", note="the target closed while the put was sent")
    outcome = channel.expect([ExpectFrame("DONE", {"size": size, "sha256": digest})])
    try:
        outcome.check(what)
    except ConformanceFailure as exc:
        exc.violates = ("FRM-4",)
        raise
    if target.inbox is not None:
        stored = (target.inbox / name).read_bytes() if (target.inbox / name).is_file() else None
        if stored != data:
            shown = "no file" if stored is None else f"{len(stored)} bytes, not the bytes sent"
            failure = ConformanceFailure.evidence(
                what,
                f"{target.inbox / name} holds the {size} bytes sent",
                shown,
            )
            failure.violates = ("FRM-4",)
            raise failure
