"""Every DATA frame of a put is bounded, not only its first (docs/SPEC.md §1 FRM-13,
FRM-16, §2 ERR-3).

FRM-13: a `DATA` frame's payload MUST be 1 to 1 048 576 bytes; an empty one MUST be
answered `bad_frame`. A receiver that judges a put's frames by the shape of its first one
— the bound checked when the transfer starts ("the sender's frame size is fixed for the
put"), a frame counter that is zero only once, the check moved into the branch that
opens the temporary file — lets a later frame of 1 MiB + 1 (still within the frame limit,
FRM-3) or an empty later frame through. The neighbouring cases (test_framing.py) send the
oversize or empty frame first; here it comes after one or more valid frames of the same
put, and on a connection that already carried a put.

Each case: PUTF of a size that the refused frame does not exceed (so the only rule it
breaks is FRM-13's), valid DATA, then the bad frame: EROR `bad_frame` — or
`frame_too_large` for the oversize frame, judged at its header (FRM-16) — then the close
(ERR-3); and in a declared inbox, nothing under the put's name. Both profiles.
"""

from __future__ import annotations

import hashlib

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, require
from conformance.channel import Channel
from conformance.scenario import expect_fatal
from conformance.target import Target
from conformance.wire import MAX_DATA_PAYLOAD, ConformanceFailure, ExpectFrame

__all__: list[str] = []

# id -> sizes of the valid DATA frames sent before the bad one.
_BEFORE: dict[str, tuple[int, ...]] = {
    "after-one-frame": (1024,),
    "after-three-frames": (1, 4096, 65536),
}


def _stored_put(channel: Channel) -> None:
    data = bytes(range(256)) * 8
    digest = hashlib.sha256(data).hexdigest()
    channel.send_frame("PUTF", {"name": fresh_name("sft-later-frame-first"), "size": len(data)})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("PUTF of an earlier put")
    channel.send_frame("DATA", data)
    channel.send_frame("DONE", {"size": len(data), "sha256": digest})
    channel.expect([ExpectFrame("DONE", {"size": len(data), "sha256": digest})]).check(
        "DONE of an earlier put on the connection"
    )


def _open_put(channel: Channel, name: str, size: int, before: tuple[int, ...]) -> None:
    channel.send_frame("PUTF", {"name": name, "size": size})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check(f"PUTF {name!r} of {size} B")
    for n in before:
        channel.send_frame("DATA", bytes((i * 11 + 5) % 256 for i in range(n)))


def _nothing_stored(target: Target, name: str, what: str) -> None:
    if target.inbox is not None and (target.inbox / name).exists():
        raise ConformanceFailure(
            f"FRM-13: {what} was refused, yet the inbox holds a file named {name!r}"
        )


@pytest.mark.req("FRM-13", "FRM-16", "ERR-3")
@pytest.mark.parametrize("earlier_put", [False, True], ids=["first-put", "second-put"])
@pytest.mark.parametrize("before", list(_BEFORE))
def test_later_data_frame_above_one_mib_is_refused(
    target: Target, app_channel: AppChannel, before: str, earlier_put: bool
) -> None:
    require(target, "put")
    frames = _BEFORE[before]
    over = MAX_DATA_PAYLOAD + 1
    size = sum(frames) + over
    if size > target.limits.max_file_size or target.limits.frame_limit < over:
        pytest.skip("the target's max file size or frame limit is below this put's frames")
    channel = app_channel()
    if earlier_put:
        _stored_put(channel)
    name = fresh_name("sft-later-frame-over")
    _open_put(channel, name, size, frames)
    what = f"a DATA frame of 1 MiB + 1 bytes after DATA frames of {list(frames)} B"
    channel.send_frame("DATA", b"\x5a" * over)
    expect_fatal(
        channel,
        "bad_frame",
        "frame_too_large",
        context=f"FRM-13: {what} (PUTF announced {size} B, so the frame is within the size)",
        violates=("FRM-13",),
    )
    _nothing_stored(target, name, what)


@pytest.mark.req("FRM-13", "ERR-3")
@pytest.mark.parametrize("earlier_put", [False, True], ids=["first-put", "second-put"])
@pytest.mark.parametrize("before", list(_BEFORE))
def test_later_empty_data_frame_is_bad_frame(
    target: Target, app_channel: AppChannel, before: str, earlier_put: bool
) -> None:
    require(target, "put")
    frames = _BEFORE[before]
    size = sum(frames) + 16
    if size > target.limits.max_file_size:
        pytest.skip("the target's max file size is below this put's frames")
    channel = app_channel()
    if earlier_put:
        _stored_put(channel)
    name = fresh_name("sft-later-frame-empty")
    _open_put(channel, name, size, frames)
    what = f"an empty DATA frame after DATA frames of {list(frames)} B"
    channel.send_frame("DATA", b"")
    expect_fatal(channel, "bad_frame", context=f"FRM-13: {what}", violates=("FRM-13",))
    _nothing_stored(target, name, what)
