"""FRM-1: the length is an unsigned 32-bit big-endian integer, whatever its bytes are.

A receiver that assembles the length from its four bytes in a language whose bytes are
signed (Java's `byte`, C's `char` on most ABIs, Go's `int8` conversions) without masking
them (`b & 0xff`) reads every length with a byte of 0x80 or more as a negative number
or a huge one: `(h[6] << 8) | h[7]` with h[7] = 0xE8 is 0xFFFFFFE8. Lengths below 128
(the usual small request) and round ones (65 536, 1 MiB) hide it; the cases here send
control and DATA frames whose length has the high bit set in each of its low bytes, well
within every limit, and require them to be processed like any other (both profiles).
"""

from __future__ import annotations

import hashlib
from typing import cast

import pytest

from conformance._wire_fixtures import AppChannel, fresh_name, get_file, known_file, require
from conformance.channel import Channel
from conformance.target import Target
from conformance.test_app_toctou import _AlreadySent
from conformance.wire import (
    MAX_CONTROL_PAYLOAD,
    ConformanceFailure,
    ExpectFrame,
    control,
)

# Lengths whose bytes (big-endian) have the high bit set: 0x80, 0xFF, 0x0180, 0x80FF,
# 0xFF80; all below the 65 536-byte control limit (FRM-8) and the 1 MiB DATA limit.
_CONTROL_LENGTHS = (0x80, 0xFF, 0x0180, 0x80FF, 0xFF80)
_DATA_LENGTHS = (0x80, 0xFF, 0x01E8, 0x80FF, 0xFF80, 0x018080)


@pytest.mark.req("FRM-1")
def test_control_frames_whose_length_bytes_have_the_high_bit_are_read(
    target: Target, app_channel: AppChannel
) -> None:
    """RQFLs of a known file padded (white space after the object, RFC 8259 §2) to
    lengths 0x80, 0xFF, 0x0180, 0x80FF and 0xFF80 bytes: each is served."""
    require(target, "get")
    shared = known_file(target)
    compact = control({"name": shared.name})
    assert all(len(compact) < n <= MAX_CONTROL_PAYLOAD for n in _CONTROL_LENGTHS)
    channel = app_channel()
    reader = cast(Channel, _AlreadySent(channel))
    for length in _CONTROL_LENGTHS:
        payload = compact + b" " * (length - len(compact))
        channel.send_frame("RQFL", payload)
        try:
            result = get_file(reader, shared.name)
        except ConformanceFailure as exc:
            raise ConformanceFailure.evidence(
                f"FRM-1: an RQFL of {length} (0x{length:08x}) bytes, a valid payload padded "
                "with white space",
                "the file served, as for any other length",
                str(exc).splitlines()[0][:300],
                note=f"RQFLs of {[n for n in _CONTROL_LENGTHS if n < length]} bytes were "
                "served before it on this connection",
            ) from None
        if len(result.data) != shared.size:
            raise ConformanceFailure(
                f"FRM-1: RQFL of {length} bytes: {len(result.data)} bytes served, "
                f"want {shared.size}"
            )


@pytest.mark.req("FRM-1")
def test_data_frames_whose_length_bytes_have_the_high_bit_are_read(
    target: Target, app_channel: AppChannel
) -> None:
    """A put in DATA frames of 0x80, 0xFF, 0x01E8, 0x80FF, 0xFF80 and 0x018080 bytes is
    stored and answered DONE with its size and SHA-256."""
    require(target, "put")
    total = sum(_DATA_LENGTHS)
    if target.limits.max_file_size is not None and total > target.limits.max_file_size:
        pytest.skip(f"the target's max_file_size is below {total} bytes")
    content = bytes((i * 13 + i // 241) % 256 for i in range(total))
    digest = hashlib.sha256(content).hexdigest()
    name = fresh_name()
    channel = app_channel()
    channel.send_frame("PUTF", {"name": name, "size": total, "sha256": digest})
    channel.expect([ExpectFrame("RSFL", {"accept": True})]).check("FRM-1: PUTF before the DATA")
    offset = 0
    for length in _DATA_LENGTHS:
        channel.send_frame("DATA", content[offset : offset + length])
        offset += length
    channel.send_frame("DONE", {"size": total, "sha256": digest})
    outcome = channel.expect([ExpectFrame("DONE", {"size": total, "sha256": digest})])
    outcome.check(
        f"FRM-1: a put in DATA frames of {[hex(n) for n in _DATA_LENGTHS]} bytes "
        f"({total} in all), then DONE"
    )
